"""Widgets of the lead screens: labels, the stage bar, read-only fields, the follow-up forms and the
Lost and booking dialogs. They read widgets and call core; the rules stay in core."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st
from sqlalchemy.orm import Session
from streamlit.errors import StreamlitAPIException

from core import bookings, pipeline
from core.accounts import Viewer
from core.customers import format_phone_local
from core.leads import LeadDetail, Option, lookups
from core.platform import DomainError, clock
from db.enums import Channel, ContactStatus, ServiceKind, StaffKind, Stage, Temperature
from ui import context, facts, fmt
from ui.booking_words import bw
from ui.words import tr

T = TypeVar("T")

STAGE_LABEL: dict[Stage, str] = {s: pipeline.STAGE_LABEL[s] for s in Stage}
TEMPERATURE_LABEL = pipeline.TEMPERATURE_LABEL
CONTACT_LABEL = pipeline.CONTACT_LABEL
_BAR = [Stage.NEW, Stage.FU1, Stage.FU2, Stage.FU3]
DIALOG_KEY = "lead_dialog"
FLASH_KEY = "lead_flash"
LOADED_KEY = "lead_loaded"  # (lead id, version) as the user first saw it


# --- Small helpers ------------------------------------------------------------------------------


def write(viewer: Viewer, action: Callable[[Session], T]) -> T | None:
    """Run one write in its own transaction; a refused rule is shown, never a traceback."""
    try:
        with context.write_session(viewer) as session:
            result = action(session)
    except DomainError as e:
        fmt.show_error(e, viewer.lang)
        return None
    st.session_state.pop(LOADED_KEY, None)  # our own change: the next run starts from the new version
    return result


def as_first_seen(detail: LeadDetail, lang: str) -> LeadDetail:
    """The lead with the version the user first saw, so a save on a copy someone else has changed
    since is refused by core ("data sudah diubah") instead of overwriting their change."""
    loaded = st.session_state.get(LOADED_KEY)
    if not loaded or loaded[0] != detail.id:
        st.session_state[LOADED_KEY] = loaded = (detail.id, detail.version)
    if loaded[1] != detail.version:
        st.warning(tr("ui.lead.changed_meanwhile", lang))
        st.button(tr("ui.health.reload", lang), key="lead_reload",
                  on_click=lambda: st.session_state.pop(LOADED_KEY, None))
    return dataclasses.replace(detail, version=loaded[1])


def flash(message: str) -> None:
    st.session_state[FLASH_KEY] = message


def show_flash() -> None:
    message = st.session_state.pop(FLASH_KEY, None)
    if message:
        st.success(message)


def reset_when_changed(marker_key: str, marker: object, prefixes: tuple[str, ...]) -> None:
    """Forget form values typed for another record (or an older version of this one)."""
    if st.session_state.get(marker_key) != marker:
        for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(prefixes)]:
            del st.session_state[key]
        st.session_state[marker_key] = marker


def link(path: str, label: str, icon: str | None = None, query_params: dict[str, str] | None = None) -> None:
    """st.page_link; a page run on its own (AppTest) has no menu to link into, so show the label."""
    try:
        st.page_link(path, label=label, icon=icon, query_params=query_params)
    except StreamlitAPIException:
        st.caption(label)


def option_index(options: list[Any], value: Any) -> int | None:
    return options.index(value) if value in options else None


def labels(options: list[Option]) -> dict[int, str]:
    return {o.id: o.label for o in options}


def fields(pairs: list[tuple[str, object]], columns: int = 2) -> None:
    """Read-only fields as label: value, in columns (escaped, never Markdown: ui.facts)."""
    facts.facts(pairs, columns)


# --- Stage bar ----------------------------------------------------------------------------------


def stage_bar(stage: Stage, lang: str = "id") -> None:
    """New → Follow Up 1 → 2 → 3 → Won/Lost, the current stage in bold."""
    if stage == Stage.LEAD:
        st.markdown(tr("ui.lead.not_converted", lang))
        return
    steps = [f"**{STAGE_LABEL[s]}**" if s == stage else STAGE_LABEL[s] for s in _BAR]
    end = {Stage.WON: "**:green[Won]**", Stage.LOST: "**:red[Lost]**"}.get(stage, "Won / Lost")
    st.markdown(" → ".join([*steps, end]))
    done = 4 if stage in (Stage.WON, Stage.LOST) else _BAR.index(stage)
    st.progress(done / 4, text=tr("ui.lead.stage_is", lang, stage=STAGE_LABEL[stage]))


def history(detail: LeadDetail, lang: str = "id") -> None:
    if not detail.followups:
        return
    st.markdown(tr("ui.lead.history", lang))
    st.dataframe([{
        "Follow Up": f.stage_number, tr("field.date", lang): fmt.date_id(f.done_on),
        tr("ui.lead.channel", lang): channel_label(Channel(f.channel), lang),
        tr("field.contact_status", lang): CONTACT_LABEL[f.contact_status],
        tr("field.temperature", lang): TEMPERATURE_LABEL.get(f.temperature, "-") if f.temperature else "-",
        tr("ui.lead.promised", lang): fmt.date_id(f.promised_date), tr("ui.col.note", lang): f.note or "",
    } for f in detail.followups], hide_index=True, key="lead_history")


def channel_label(channel: Channel, lang: str) -> str:
    return tr(f"ui.channel.{channel.value}", lang)


# --- Follow-up forms ----------------------------------------------------------------------------


def _followup_inputs(prefix: str, done_on: dt.date | None, status: ContactStatus | None,
                     temperature: Temperature | None, promised: dt.date | None, note: str | None,
                     n: int, lang: str = "id") -> dict[str, Any]:
    statuses, temps = list(ContactStatus), list(Temperature)
    return {
        "done_on": st.date_input(tr(f"field.fu{n}_date", lang) + " *", value=done_on, format="DD/MM/YYYY",
                                 key=f"{prefix}_date"),
        "contact_status": st.radio(tr("field.contact_status", lang) + " *", statuses,
                                   index=option_index(statuses, status), format_func=CONTACT_LABEL.__getitem__,
                                   horizontal=True, key=f"{prefix}_status"),
        "temperature": st.selectbox(tr("field.temperature", lang), temps, index=option_index(temps, temperature),
                                    format_func=TEMPERATURE_LABEL.__getitem__, placeholder=tr("ui.pick", lang),
                                    key=f"{prefix}_temp", help=tr("ui.lead.temp_help", lang)),
        "promised_date": st.date_input(tr("field.promised_date", lang), value=promised, format="DD/MM/YYYY",
                                       key=f"{prefix}_promised"),
        "note": st.text_area(tr("field.note", lang), value=note or "", key=f"{prefix}_note"),
    }


def next_followup_form(viewer: Viewer, detail: LeadDetail) -> None:
    """Enter the next Follow Up (1 after New, 2 after 1, 3 after 2)."""
    n = {Stage.NEW: 1, Stage.FU1: 2, Stage.FU2: 3}.get(detail.stage)
    if n is None:
        return
    with st.form("fu_enter_form"):
        st.markdown(f"##### Follow Up {n}")
        # Most follow ups are logged the day they are made: today (branch time) unless changed.
        values = _followup_inputs("fu", clock.today_in(detail.branch_timezone), None, None, None, None, n, viewer.lang)
        channels = list(Channel)
        channel = st.selectbox(tr("ui.lead.channel", viewer.lang), channels, index=0,
                               format_func=lambda c: channel_label(c, viewer.lang), key="fu_channel")
        submitted = st.form_submit_button(tr("ui.lead.save_fu", viewer.lang, n=n), type="primary", key="fu_submit")
    if submitted:
        data = pipeline.FollowUpInput(channel=channel, **{**values, "note": values["note"] or None})
        if write(viewer, lambda s: pipeline.enter_followup(s, viewer, detail.id, n, data,
                                                           expected_version=detail.version)):
            flash(tr("ui.lead.fu_saved", viewer.lang, n=n))
            st.rerun()


def current_followup_form(viewer: Viewer, detail: LeadDetail) -> None:
    """The current Follow Up's own fields (and the next plan date) stay editable during its stage."""
    n = {Stage.FU1: 1, Stage.FU2: 2, Stage.FU3: 3}.get(detail.stage)
    if n is None:
        return
    with st.expander(tr("ui.lead.edit_fu", viewer.lang, n=n)), st.form("fu_edit_form"):
        values = _followup_inputs("fucur", getattr(detail, f"fu{n}_date"), detail.contact_status,
                                  detail.temperature, detail.promised_date, detail.note, n, viewer.lang)
        plan = None
        if n < 3:
            plan = st.date_input(tr(f"field.next_plan_fu{n + 1}", viewer.lang),
                                 value=getattr(detail, f"next_plan_fu{n + 1}"), format="DD/MM/YYYY", key="fucur_plan")
        submitted = st.form_submit_button(tr("ui.save_changes", viewer.lang), key="fucur_submit")
    if submitted:
        data = pipeline.FollowUpInput(**values)
        if write(viewer, lambda s: pipeline.edit_current_followup(s, viewer, detail.id, data, next_plan=plan,
                                                                  expected_version=detail.version)):
            flash(tr("ui.lead.fu_updated", viewer.lang, n=n))
            st.rerun()


# --- Dialogs ------------------------------------------------------------------------------------


def open_dialog(kind: str, lead_id: int) -> None:
    st.session_state[DIALOG_KEY] = (kind, lead_id)


def _close_dialog() -> None:
    st.session_state.pop(DIALOG_KEY, None)


def dialog_open(kind: str, lead_id: int) -> bool:
    return st.session_state.get(DIALOG_KEY) == (kind, lead_id)


@st.dialog("Mark as Lost", on_dismiss=_close_dialog)
def lost_dialog(viewer: Viewer, detail: LeadDetail) -> None:
    with context.read_session(viewer) as session:
        reasons = lookups.lost_reasons(session, viewer.lang)
    names = labels(reasons)
    reason_id = st.selectbox(tr("field.lost_reason", viewer.lang) + " *", list(names), index=None,
                             format_func=names.__getitem__, placeholder=tr("ui.lead.pick_reason", viewer.lang),
                             key="lost_reason")
    note = st.text_area(tr("ui.col.note", viewer.lang), key="lost_note")
    if not st.button(tr("ui.lead.save_lost", viewer.lang), type="primary", key="lost_submit"):
        return
    lead = write(viewer, lambda s: pipeline.mark_lost(s, viewer, detail.id, reason_id, note or None,
                                                      expected_version=detail.version))
    if lead is not None:
        _close_dialog()
        flash(tr("ui.lead.marked_lost", viewer.lang, number=detail.number))
        st.rerun()


def booking_dialog(viewer: Viewer, detail: LeadDetail) -> None:
    """The booking dialog, its title in the viewer's language (st.dialog takes the title when it is made)."""
    st.dialog(bw("dialog", viewer.lang), width="large", on_dismiss=_close_dialog)(_booking_form)(viewer, detail)


def _booking_form(viewer: Viewer, detail: LeadDetail) -> None:
    tz = detail.branch_timezone
    lang = viewer.lang
    st.caption(f"{detail.branch_label} · {detail.customer_label} · {detail.vehicle_label}")
    with context.read_session(viewer) as session:  # the memo's default: the next free slot from now on
        plan = bookings.next_free_slot(session, viewer, detail.branch_id)
    if not plan.found:
        st.warning(bw("no_free_slot", lang))
    left, right = st.columns(2)
    day = left.date_input(bw("date_req", lang), value=plan.day, min_value=clock.today_in(tz), format="DD/MM/YYYY",
                          key="bk_day")
    hour = left.selectbox(bw("hour_req", lang), plan.hours, index=option_index(plan.hours, plan.hour) or 0,
                          format_func="{:02d}".format, key="bk_hour")
    minute = left.selectbox(bw("minute_req", lang), bookings.MINUTES,
                            index=option_index(bookings.MINUTES, plan.minute) or 0, format_func="{:02d}".format,
                            key="bk_minute")
    mobile = left.text_input(bw("mobile", lang), value=format_phone_local(detail.phone), key="bk_mobile")
    kinds = list(ServiceKind)
    kind = right.selectbox(bw("service_type", lang), kinds, index=kinds.index(detail.service_kind),
                           format_func=lambda k: bw(f"kind.{k.value}", lang), key="bk_kind")
    kpb = right.selectbox(bw("kpb_number", lang), [1, 2, 3, 4], key="bk_kpb",
                          index=option_index([1, 2, 3, 4], detail.kpb_number) or 0,
                          disabled=kind != ServiceKind.KPB)
    with context.read_session(viewer) as session:
        pits = ({p.id: p.name for p in bookings.free_pits(session, viewer, detail.branch_id,
                                                           clock.at_local(day, hour, minute, tz))}
                if isinstance(day, dt.date) else {})
        mechanics = labels(lookups.staff_of(session, viewer, detail.branch_id, StaffKind.MECHANIC))
        advisors = labels(lookups.staff_of(session, viewer, detail.branch_id, StaffKind.SERVICE_ADVISOR))
    pit_id = left.selectbox(bw("pit_req", lang), list(pits), format_func=pits.__getitem__, index=0 if pits else None,
                            placeholder=bw("no_free_pit", lang), key="bk_pit")
    mechanic_id = left.selectbox(tr("field.mechanic", lang), list(mechanics), index=None,
                                 format_func=mechanics.__getitem__, placeholder=tr("ui.pick", lang), key="bk_mechanic")
    advisor_id = right.selectbox(tr("field.service_advisor", lang), list(advisors), index=None,
                                 format_func=advisors.__getitem__, placeholder=tr("ui.pick", lang), key="bk_sa")
    reason = right.selectbox(tr("ui.bk.reason", lang), list(bookings.REASONS_TO_COME), key="bk_reason",
                             format_func=lambda c: bookings.reason_label(c, lang))
    relation = right.selectbox(tr("ui.bk.relation", lang), list(bookings.CARRIER_RELATIONS), key="bk_relation",
                               format_func=lambda c: bookings.relation_label(c, lang))
    complaint = right.text_area(tr("ui.bk.complaint", lang), key="bk_complaint")
    if st.button(bw("process", lang), type="primary", key="bk_submit"):
        data = bookings.BookingInput(
            branch_id=detail.branch_id, day=day if isinstance(day, dt.date) else None, hour=hour, minute=minute,
            lead_id=detail.id, pit_id=pit_id, mechanic_id=mechanic_id, service_advisor_id=advisor_id,
            reason_to_come=reason, complaint=complaint or None, carrier_relation=relation, service_kind=kind,
            kpb_number=kpb if kind == ServiceKind.KPB else None, mobile=mobile.strip() or None)
        booking = write(viewer, lambda s: bookings.create_booking(s, viewer, data))
        if booking is not None:
            _close_dialog()
            flash(bw("made", lang, number=booking.number))
            st.rerun()
