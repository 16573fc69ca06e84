"""The Master Data tabs: each shows a table and one small add/edit form calling core.masterdata."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy.orm import Session

from core import masterdata as md
from core.accounts import Viewer
from core.platform import clock
from db.enums import Role, StaffKind
from ui import context
from ui.words import tr

FLASH_KEY = "md_flash"
STAFF_KEYS = {StaffKind.MECHANIC: "field.mechanic", StaffKind.SERVICE_ADVISOR: "field.service_advisor"}


def show_flash() -> None:
    message = st.session_state.pop(FLASH_KEY, None)
    if message:
        st.success(message)


def _save(viewer: Viewer, call: Callable[[Session], Any], done: str) -> None:
    context.save_and_rerun(viewer, call, FLASH_KEY, done)


def _table(rows: list[dict[str, Any]], lang: str) -> None:
    if rows:
        st.dataframe(pd.DataFrame(rows).drop(columns=["id"]), hide_index=True)
    else:
        st.caption(tr("ui.md.no_rows", lang))


def _pick(label: str, rows: list[dict[str, Any]], key: str, name: Callable[[dict[str, Any]], str],
          lang: str) -> Any:
    """The row to edit, or None to add a new one."""
    by_id = {r["id"]: r for r in rows}
    chosen = st.selectbox(label, [None, *by_id], key=key,
                          format_func=lambda i: tr("ui.md.new", lang) if i is None else name(by_id[i]))
    return by_id.get(chosen)


def _yes(value: bool, lang: str) -> str:
    return tr("ui.yes" if value else "ui.no", lang)


def _shown(value: Any, lang: str) -> str:
    return _yes(value, lang) if isinstance(value, bool) else str(value)


def _hidden(rows: list[dict[str, Any]], *keys: str) -> list[dict[str, Any]]:
    """The rows as shown: without the fields kept only for the form."""
    return [{k: v for k, v in r.items() if k not in keys} for r in rows]


def branches_tab(viewer: Viewer) -> None:
    lang = viewer.lang
    code_h, name_h, ahass_h, zone_h, phone_h, address_h, active_h = (tr(k, lang) for k in (
        "ui.md.code", "ui.md.name", "ui.md.ahass_code", "ui.md.zone", "ui.md.phone", "ui.md.address", "ui.md.active"))
    with context.read_session(viewer) as s:
        rows = [{"id": b.id, code_h: b.code, name_h: b.name, ahass_h: b.ahass_code or "",
                 zone_h: f"{md.TIMEZONES.get(b.timezone, b.timezone)} ({b.timezone})", phone_h: b.phone or "",
                 address_h: b.address or "", active_h: _yes(b.active, lang), "tz": b.timezone, "active": b.active}
                for b in md.list_branches(s, viewer)]
    _table(_hidden(rows, "tz", "active"), lang)
    row = _pick(tr("ui.md.branch.edit", lang), rows, "md_branch_pick", lambda r: f"[{r[code_h]}] {r[name_h]}", lang)
    r = row or {}
    zones = list(md.TIMEZONES)
    with st.form(f"md_branch_{r.get('id')}"):
        a, b, c = st.columns(3)
        code = a.text_input(tr("ui.md.branch.code", lang), value=r.get(code_h, ""))
        name = b.text_input(tr("ui.md.branch.name", lang), value=r.get(name_h, ""))
        ahass = c.text_input(ahass_h, value=r.get(ahass_h, ""))
        a, b, c = st.columns(3)
        tz = a.selectbox(tr("ui.md.branch.zone", lang), zones, index=zones.index(r.get("tz", clock.WIB)),
                         format_func=lambda z: f"{md.TIMEZONES[z]} ({z})")
        phone = b.text_input(phone_h, value=r.get(phone_h, ""))
        active = c.checkbox(active_h, value=r.get("active", True))
        address = st.text_input(address_h, value=r.get(address_h, ""))
        if st.form_submit_button(tr("ui.md.branch.save", lang), type="primary"):
            data = md.BranchInput(code, name, ahass, tz, phone, address, active)
            if row:
                _save(viewer, lambda s: md.update_branch(s, viewer, row["id"], data),
                      tr("ui.md.branch.saved", lang, branch=code))
            else:
                _save(viewer, lambda s: md.create_branch(s, viewer, data), tr("ui.md.branch.added", lang, branch=code))


def users_tab(viewer: Viewer) -> None:
    lang = viewer.lang
    user_h, name_h, role_h, branches_h, active_h = (tr(k, lang) for k in (
        "field.username", "ui.md.name", "ui.md.user.role", "ui.md.user.branches", "ui.md.active"))
    with context.read_session(viewer) as s:
        branches = {b.id: b.code for b in md.list_branches(s, viewer)}
        rows = [{"id": u.id, user_h: u.username, name_h: u.full_name, role_h: tr(f"role.{u.role.value}", lang),
                 branches_h: ", ".join(b.code for b in u.branches) or tr("ui.md.user.all_branches", lang),
                 active_h: _yes(u.active, lang), "role": u.role, "branch_ids": [b.id for b in u.branches],
                 "active": u.active}
                for u in md.list_users(s, viewer)]
    _table(_hidden(rows, "role", "branch_ids", "active"), lang)
    row = _pick(tr("ui.md.user.edit", lang), rows, "md_user_pick", lambda r: f"{r[user_h]} ({r[name_h]})", lang)
    r = row or {}
    roles = list(Role)
    with st.form(f"md_user_{r.get('id')}"):
        a, b, c = st.columns(3)
        username = a.text_input(user_h, value=r.get(user_h, ""), disabled=bool(row))
        full_name = b.text_input(tr("ui.md.user.full_name", lang), value=r.get(name_h, ""))
        role = c.selectbox(role_h, roles, index=roles.index(r.get("role", Role.ADMIN_CRM)),
                           format_func=lambda x: tr(f"role.{x.value}", lang))
        a, b, c = st.columns(3)
        branch_ids = a.multiselect(branches_h, list(branches), default=r.get("branch_ids", []),
                                   format_func=lambda i: branches[i])
        password = b.text_input(tr("ui.md.user.new_password" if row else "field.password", lang), type="password",
                                help=tr("ui.md.user.keep_password" if row else "ui.md.user.password_min", lang))
        active = c.checkbox(active_h, value=r.get("active", True))
        if st.form_submit_button(tr("ui.md.user.save", lang), type="primary"):
            data = md.UserInput(username, full_name, role, branch_ids, active)
            if row:
                def update(s: Session) -> None:
                    md.update_user(s, viewer, row["id"], data)
                    if password:
                        md.reset_password(s, viewer, row["id"], password)
                _save(viewer, update, tr("ui.md.user.saved", lang, username=row[user_h]))
            else:
                _save(viewer, lambda s: md.create_user(s, viewer, data, password),
                      tr("ui.md.user.added", lang, username=username))


def kpb_tab(viewer: Viewer) -> None:
    lang = viewer.lang
    engine_h, days_h, km_h, grace_days_h, grace_km_h = (tr(k, lang) for k in (
        "ui.md.kpb.engine_code", "ui.md.kpb.days", "ui.md.kpb.km", "ui.md.kpb.grace_days", "ui.md.kpb.grace_km"))
    with context.read_session(viewer) as s:
        rows = [{"id": k.id, engine_h: k.engine_code, "KPB": k.kpb_number, days_h: k.days, km_h: k.km,
                 grace_days_h: k.grace_days, grace_km_h: k.grace_km} for k in md.list_kpb_rules(s, viewer)]
    st.caption(tr("ui.md.kpb.default_hint", lang))
    _table(rows, lang)
    row = _pick(tr("ui.md.kpb.edit", lang), rows, "md_kpb_pick", lambda r: f"{r[engine_h]} KPB {r['KPB']}", lang)
    r = row or {}
    with st.form(f"md_kpb_{r.get('id')}"):
        a, b, c = st.columns(3)
        engine_code = a.text_input(engine_h, value=r.get(engine_h, ""), max_chars=5)
        number = b.selectbox(tr("ui.md.kpb.number", lang), [1, 2, 3, 4], index=r.get("KPB", 1) - 1)
        days = c.number_input(tr("ui.md.kpb.days_after", lang), min_value=1, max_value=3650, value=r.get(days_h, 60))
        a, b, c = st.columns(3)
        km = a.number_input(km_h, min_value=1, max_value=200_000, value=r.get(km_h, 1000), step=500)
        grace_days = b.number_input(grace_days_h, min_value=0, max_value=365, value=r.get(grace_days_h, 15))
        grace_km = c.number_input(grace_km_h, min_value=0, max_value=10_000, value=r.get(grace_km_h, 100))
        if st.form_submit_button(tr("ui.md.kpb.save", lang), type="primary"):
            data = md.KpbRuleInput(engine_code, int(number), int(days), int(km), int(grace_days), int(grace_km))
            if row:
                _save(viewer, lambda s: md.update_kpb_rule(s, viewer, row["id"], data), tr("ui.md.kpb.saved", lang))
            else:
                _save(viewer, lambda s: md.create_kpb_rule(s, viewer, data), tr("ui.md.kpb.added", lang))


def lost_reasons_tab(viewer: Viewer) -> None:
    lang = viewer.lang
    code_h, name_id_h, name_en_h, sort_h, active_h = (tr(k, lang) for k in (
        "ui.md.code", "ui.md.lost.name_id", "ui.md.lost.name_en", "ui.md.lost.sort", "ui.md.active"))
    with context.read_session(viewer) as s:
        rows = [{"id": x.id, code_h: x.code, name_id_h: x.name_id, name_en_h: x.name_en, sort_h: x.sort,
                 active_h: _yes(x.active, lang), "active": x.active} for x in md.list_lost_reasons(s, viewer)]
    _table(_hidden(rows, "active"), lang)
    shown = name_en_h if lang == "en" else name_id_h
    row = _pick(tr("ui.md.lost.edit", lang), rows, "md_lost_pick", lambda r: f"{r[code_h]} · {r[shown]}", lang)
    r = row or {}
    with st.form(f"md_lost_{r.get('id')}"):
        a, b, c = st.columns(3)
        code = a.text_input(code_h, value=r.get(code_h, ""))
        name_id = b.text_input(name_id_h, value=r.get(name_id_h, ""))
        name_en = c.text_input(name_en_h, value=r.get(name_en_h, ""))
        a, b = st.columns(2)
        sort = a.number_input(sort_h, min_value=0, max_value=9999, value=r.get(sort_h, len(rows)))
        active = b.checkbox(active_h, value=r.get("active", True))
        if st.form_submit_button(tr("ui.md.lost.save", lang), type="primary"):
            data = md.LostReasonInput(code, name_id, name_en, active, int(sort))
            if row:
                _save(viewer, lambda s: md.update_lost_reason(s, viewer, row["id"], data),
                      tr("ui.md.lost.saved", lang))
            else:
                _save(viewer, lambda s: md.create_lost_reason(s, viewer, data), tr("ui.md.lost.added", lang))


def pits_staff_tab(viewer: Viewer) -> None:
    lang = viewer.lang
    with context.read_session(viewer) as s:
        branches = {b.id: b.label for b in md.list_branches(s, viewer)}
    if not branches:
        st.caption(tr("ui.md.branch.first", lang))
        return
    branch_id = st.selectbox(tr("ui.branch", lang), list(branches), format_func=lambda i: branches[i],
                             key="md_res_branch")
    active_h, kind_h, code_h, name_h = (tr(k, lang) for k in (
        "ui.md.active", "ui.md.staff.kind", "ui.md.staff.code", "ui.md.name"))
    with context.read_session(viewer) as s:
        pits = [{"id": p.id, "Pit": p.name, active_h: _yes(p.active, lang), "active": p.active}
                for p in md.list_pits(s, viewer, branch_id)]
        staff = [{"id": x.id, kind_h: tr(STAFF_KEYS[x.kind], lang), code_h: x.code, name_h: x.name,
                  active_h: _yes(x.active, lang), "kind": x.kind, "active": x.active}
                 for x in md.list_staff(s, viewer, branch_id)]
    left, right = st.columns(2)
    with left:
        st.markdown(tr("ui.md.pit.head", lang))
        _table(_hidden(pits, "active"), lang)
        row = _pick(tr("ui.md.pit.edit", lang), pits, f"md_pit_pick_{branch_id}", lambda r: r["Pit"], lang)
        r = row or {}
        with st.form(f"md_pit_{branch_id}_{r.get('id')}"):
            name = st.text_input(tr("ui.md.pit.name", lang), value=r.get("Pit", ""))
            active = st.checkbox(active_h, value=r.get("active", True))
            if st.form_submit_button(tr("ui.md.pit.save", lang), type="primary"):
                pit = md.PitInput(branch_id, name, active)
                if row:
                    _save(viewer, lambda s: md.update_pit(s, viewer, row["id"], pit), tr("ui.md.pit.saved", lang))
                else:
                    _save(viewer, lambda s: md.create_pit(s, viewer, pit), tr("ui.md.pit.added", lang))
    with right:
        st.markdown(tr("ui.md.staff.head", lang))
        _table(_hidden(staff, "kind", "active"), lang)
        srow = _pick(tr("ui.md.staff.edit", lang), staff, f"md_staff_pick_{branch_id}",
                     lambda r: f"[{r[code_h]}] {r[name_h]}", lang)
        sr = srow or {}
        kinds = list(StaffKind)
        with st.form(f"md_staff_{branch_id}_{sr.get('id')}"):
            kind = st.selectbox(kind_h, kinds, index=kinds.index(sr.get("kind", StaffKind.MECHANIC)),
                                format_func=lambda k: tr(STAFF_KEYS[k], lang))
            code = st.text_input(code_h, value=sr.get(code_h, ""))
            sname = st.text_input(name_h, value=sr.get(name_h, ""))
            sactive = st.checkbox(active_h, value=sr.get("active", True))
            if st.form_submit_button(tr("ui.md.staff.save", lang), type="primary"):
                person = md.StaffInput(branch_id, kind, code, sname, sactive)
                if srow:
                    _save(viewer, lambda s: md.update_staff(s, viewer, srow["id"], person),
                          tr("ui.md.staff.saved", lang))
                else:
                    _save(viewer, lambda s: md.create_staff(s, viewer, person), tr("ui.md.staff.added", lang))


def settings_tab(viewer: Viewer) -> None:
    lang = viewer.lang
    with context.read_session(viewer) as s:
        rows = md.list_settings(s, viewer)
    st.dataframe(pd.DataFrame([{
        tr("ui.md.set.name", lang): md.setting_label(r.key, lang), tr("ui.md.set.value", lang): _shown(r.value, lang),
        tr("ui.md.set.default", lang): _shown(r.default, lang), tr("ui.md.set.changed", lang): _yes(r.overridden, lang),
    } for r in rows]), hide_index=True)
    values = {r.key: r.value for r in rows}
    key = st.selectbox(tr("ui.md.set.edit", lang), list(values), format_func=lambda k: md.setting_label(k, lang),
                       key="md_setting_pick")
    current = values[key]
    with st.form(f"md_setting_{key}"):
        label = md.setting_label(key, lang)
        value: Any
        if isinstance(current, bool):
            value = st.checkbox(label, value=current)
        elif isinstance(current, int):
            value = int(st.number_input(label, value=current, step=1))
        else:
            value = st.text_input(label, value=str(current))
        if st.form_submit_button(tr("ui.md.set.save", lang), type="primary"):
            _save(viewer, lambda s: md.put_setting(s, viewer, key, value), tr("ui.md.set.saved", lang))
