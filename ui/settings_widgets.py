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
NEW = "(baru)"
ROLE_LABELS = {role: tr(f"role.{role.value}", "id") for role in Role}
STAFF_LABELS = {StaffKind.MECHANIC: "Mekanik", StaffKind.SERVICE_ADVISOR: "Service Advisor"}


def show_flash() -> None:
    message = st.session_state.pop(FLASH_KEY, None)
    if message:
        st.success(message)


def _save(viewer: Viewer, call: Callable[[Session], Any], done: str) -> None:
    context.save_and_rerun(viewer, call, FLASH_KEY, done)


def _table(rows: list[dict[str, Any]]) -> None:
    if rows:
        st.dataframe(pd.DataFrame(rows).drop(columns=["id"]), hide_index=True)
    else:
        st.caption("Belum ada data.")


def _pick(label: str, rows: list[dict[str, Any]], key: str, name: Callable[[dict[str, Any]], str]) -> Any:
    """The row to edit, or None to add a new one."""
    by_id = {r["id"]: r for r in rows}
    chosen = st.selectbox(label, [None, *by_id], key=key,
                          format_func=lambda i: NEW if i is None else name(by_id[i]))
    return by_id.get(chosen)


def _yes(value: bool) -> str:
    return "Ya" if value else "Tidak"


def _shown(value: Any) -> str:
    return _yes(value) if isinstance(value, bool) else str(value)


def branches_tab(viewer: Viewer) -> None:
    with context.read_session(viewer) as s:
        rows = [{"id": b.id, "Kode": b.code, "Nama": b.name, "Kode AHASS": b.ahass_code or "",
                 "Zona": f"{md.TIMEZONES.get(b.timezone, b.timezone)} ({b.timezone})", "Telepon": b.phone or "",
                 "Alamat": b.address or "", "Aktif": _yes(b.active), "tz": b.timezone, "active": b.active}
                for b in md.list_branches(s, viewer)]
    _table([{k: v for k, v in r.items() if k not in ("tz", "active")} for r in rows])
    row = _pick("Ubah cabang", rows, "md_branch_pick", lambda r: f"[{r['Kode']}] {r['Nama']}")
    r = row or {}
    zones = list(md.TIMEZONES)
    with st.form(f"md_branch_{r.get('id')}"):
        a, b, c = st.columns(3)
        code = a.text_input("Kode cabang", value=r.get("Kode", ""))
        name = b.text_input("Nama cabang", value=r.get("Nama", ""))
        ahass = c.text_input("Kode AHASS", value=r.get("Kode AHASS", ""))
        a, b, c = st.columns(3)
        tz = a.selectbox("Zona waktu", zones, index=zones.index(r.get("tz", clock.WIB)),
                         format_func=lambda z: f"{md.TIMEZONES[z]} ({z})")
        phone = b.text_input("Telepon", value=r.get("Telepon", ""))
        active = c.checkbox("Aktif", value=r.get("active", True))
        address = st.text_input("Alamat", value=r.get("Alamat", ""))
        if st.form_submit_button("Simpan cabang", type="primary"):
            data = md.BranchInput(code, name, ahass, tz, phone, address, active)
            if row:
                _save(viewer, lambda s: md.update_branch(s, viewer, row["id"], data), f"Cabang {code} disimpan.")
            else:
                _save(viewer, lambda s: md.create_branch(s, viewer, data), f"Cabang {code} ditambahkan.")


def users_tab(viewer: Viewer) -> None:
    with context.read_session(viewer) as s:
        branches = {b.id: b.code for b in md.list_branches(s, viewer)}
        rows = [{"id": u.id, "Username": u.username, "Nama": u.full_name, "Peran": ROLE_LABELS[u.role],
                 "Cabang": ", ".join(b.code for b in u.branches) or "semua", "Aktif": _yes(u.active),
                 "role": u.role, "branch_ids": [b.id for b in u.branches], "active": u.active}
                for u in md.list_users(s, viewer)]
    _table([{k: v for k, v in r.items() if k not in ("role", "branch_ids", "active")} for r in rows])
    row = _pick("Ubah pengguna", rows, "md_user_pick", lambda r: f"{r['Username']} ({r['Nama']})")
    r = row or {}
    roles = list(Role)
    with st.form(f"md_user_{r.get('id')}"):
        a, b, c = st.columns(3)
        username = a.text_input("Username", value=r.get("Username", ""), disabled=bool(row))
        full_name = b.text_input("Nama lengkap", value=r.get("Nama", ""))
        role = c.selectbox("Peran", roles, index=roles.index(r.get("role", Role.ADMIN_CRM)),
                           format_func=lambda x: ROLE_LABELS[x])
        a, b, c = st.columns(3)
        branch_ids = a.multiselect("Cabang", list(branches), default=r.get("branch_ids", []),
                                   format_func=lambda i: branches[i])
        password = b.text_input("Password baru" if row else "Password", type="password",
                                help="Kosongkan bila tidak diganti" if row else "Minimal 8 karakter")
        active = c.checkbox("Aktif", value=r.get("active", True))
        if st.form_submit_button("Simpan pengguna", type="primary"):
            data = md.UserInput(username, full_name, role, branch_ids, active)
            if row:
                def update(s: Session) -> None:
                    md.update_user(s, viewer, row["id"], data)
                    if password:
                        md.reset_password(s, viewer, row["id"], password)
                _save(viewer, update, f"Pengguna {row['Username']} disimpan.")
            else:
                _save(viewer, lambda s: md.create_user(s, viewer, data, password), f"Pengguna {username} dibuat.")


def kpb_tab(viewer: Viewer) -> None:
    with context.read_session(viewer) as s:
        rows = [{"id": k.id, "Kode mesin": k.engine_code, "KPB": k.kpb_number, "Hari": k.days, "Km": k.km,
                 "Toleransi hari": k.grace_days, "Toleransi km": k.grace_km} for k in md.list_kpb_rules(s, viewer)]
    st.caption("Kode mesin * = aturan default untuk semua tipe yang tidak punya aturan sendiri.")
    _table(rows)
    row = _pick("Ubah aturan", rows, "md_kpb_pick", lambda r: f"{r['Kode mesin']} KPB {r['KPB']}")
    r = row or {}
    with st.form(f"md_kpb_{r.get('id')}"):
        a, b, c = st.columns(3)
        engine_code = a.text_input("Kode mesin", value=r.get("Kode mesin", ""), max_chars=5)
        number = b.selectbox("KPB ke", [1, 2, 3, 4], index=r.get("KPB", 1) - 1)
        days = c.number_input("Hari setelah beli", min_value=1, max_value=3650, value=r.get("Hari", 60))
        a, b, c = st.columns(3)
        km = a.number_input("Km", min_value=1, max_value=200_000, value=r.get("Km", 1000), step=500)
        grace_days = b.number_input("Toleransi hari", min_value=0, max_value=365, value=r.get("Toleransi hari", 15))
        grace_km = c.number_input("Toleransi km", min_value=0, max_value=10_000, value=r.get("Toleransi km", 100))
        if st.form_submit_button("Simpan aturan", type="primary"):
            data = md.KpbRuleInput(engine_code, int(number), int(days), int(km), int(grace_days), int(grace_km))
            if row:
                _save(viewer, lambda s: md.update_kpb_rule(s, viewer, row["id"], data), "Aturan KPB disimpan.")
            else:
                _save(viewer, lambda s: md.create_kpb_rule(s, viewer, data), "Aturan KPB ditambahkan.")


def lost_reasons_tab(viewer: Viewer) -> None:
    with context.read_session(viewer) as s:
        rows = [{"id": x.id, "Kode": x.code, "Nama": x.name_id, "Name (EN)": x.name_en, "Urutan": x.sort,
                 "Aktif": _yes(x.active), "active": x.active} for x in md.list_lost_reasons(s, viewer)]
    _table([{k: v for k, v in r.items() if k != "active"} for r in rows])
    row = _pick("Ubah alasan", rows, "md_lost_pick", lambda r: f"{r['Kode']} · {r['Nama']}")
    r = row or {}
    with st.form(f"md_lost_{r.get('id')}"):
        a, b, c = st.columns(3)
        code = a.text_input("Kode", value=r.get("Kode", ""))
        name_id = b.text_input("Nama (Indonesia)", value=r.get("Nama", ""))
        name_en = c.text_input("Name (English)", value=r.get("Name (EN)", ""))
        a, b = st.columns(2)
        sort = a.number_input("Urutan", min_value=0, max_value=9999, value=r.get("Urutan", len(rows)))
        active = b.checkbox("Aktif", value=r.get("active", True))
        if st.form_submit_button("Simpan alasan", type="primary"):
            data = md.LostReasonInput(code, name_id, name_en, active, int(sort))
            if row:
                _save(viewer, lambda s: md.update_lost_reason(s, viewer, row["id"], data), "Alasan disimpan.")
            else:
                _save(viewer, lambda s: md.create_lost_reason(s, viewer, data), "Alasan ditambahkan.")


def pits_staff_tab(viewer: Viewer) -> None:
    with context.read_session(viewer) as s:
        branches = {b.id: b.label for b in md.list_branches(s, viewer)}
    if not branches:
        st.caption("Tambahkan cabang dulu.")
        return
    branch_id = st.selectbox("Cabang", list(branches), format_func=lambda i: branches[i], key="md_res_branch")
    with context.read_session(viewer) as s:
        pits = [{"id": p.id, "Pit": p.name, "Aktif": _yes(p.active), "active": p.active}
                for p in md.list_pits(s, viewer, branch_id)]
        staff = [{"id": x.id, "Jenis": STAFF_LABELS[x.kind], "NIK karyawan": x.code, "Nama": x.name,
                  "Aktif": _yes(x.active), "kind": x.kind, "active": x.active}
                 for x in md.list_staff(s, viewer, branch_id)]
    left, right = st.columns(2)
    with left:
        st.markdown("**Pit**")
        _table([{k: v for k, v in r.items() if k != "active"} for r in pits])
        row = _pick("Ubah pit", pits, f"md_pit_pick_{branch_id}", lambda r: r["Pit"])
        r = row or {}
        with st.form(f"md_pit_{branch_id}_{r.get('id')}"):
            name = st.text_input("Nama pit", value=r.get("Pit", ""))
            active = st.checkbox("Aktif", value=r.get("active", True))
            if st.form_submit_button("Simpan pit", type="primary"):
                pit = md.PitInput(branch_id, name, active)
                if row:
                    _save(viewer, lambda s: md.update_pit(s, viewer, row["id"], pit), "Pit disimpan.")
                else:
                    _save(viewer, lambda s: md.create_pit(s, viewer, pit), "Pit ditambahkan.")
    with right:
        st.markdown("**Mekanik & SA**")
        _table([{k: v for k, v in r.items() if k not in ("kind", "active")} for r in staff])
        srow = _pick("Ubah mekanik/SA", staff, f"md_staff_pick_{branch_id}", lambda r: f"[{r['NIK karyawan']}] "
                                                                                   f"{r['Nama']}")
        sr = srow or {}
        kinds = list(StaffKind)
        with st.form(f"md_staff_{branch_id}_{sr.get('id')}"):
            kind = st.selectbox("Jenis", kinds, index=kinds.index(sr.get("kind", StaffKind.MECHANIC)),
                                format_func=lambda k: STAFF_LABELS[k])
            code = st.text_input("NIK karyawan", value=sr.get("NIK karyawan", ""))
            sname = st.text_input("Nama", value=sr.get("Nama", ""))
            sactive = st.checkbox("Aktif", value=sr.get("active", True))
            if st.form_submit_button("Simpan mekanik/SA", type="primary"):
                person = md.StaffInput(branch_id, kind, code, sname, sactive)
                if srow:
                    _save(viewer, lambda s: md.update_staff(s, viewer, srow["id"], person), "Data disimpan.")
                else:
                    _save(viewer, lambda s: md.create_staff(s, viewer, person), "Data ditambahkan.")


SETTING_LABELS = {
    "sop.message_days_before": "Pesan WA/SMS, hari sebelum H",
    "sop.call_days_before": "Telepon, hari sebelum H",
    "sop.feedback_days_after": "Telepon feedback, hari setelah servis",
    "sop.visit_day_of_month": "Tanggal daftar kunjungan bulanan",
    "followup.next_plan_days": "Jarak follow up berikutnya (hari)",
    "leads.open_days_before_deadline": "Lead dibuka, hari sebelum batas KPB",
    "leads.not_back_days": "Lead H2-H2: tidak servis selama (hari)",
    "leads.regular_interval_days": "Interval servis reguler (hari)",
    "leads.regular_interval_km": "Interval servis reguler (km)",
    "usage.max_km_per_day": "Km per hari maks. masuk akal (lebih: salah ketik)",
    "usage.shrink_days": "Bobot rata-rata tipe/cabang (hari riwayat)",
    "leads.h2_branch_by_last_service": "Lead H2-H2 ke cabang servis terakhir",
    "leads.expired_kpb_becomes_lost": "Lead KPB kedaluwarsa otomatis Lost",
    "booking.slot_minutes": "Durasi slot booking (menit)",
    "booking.open_hour": "Jam buka bengkel",
    "booking.close_hour": "Jam tutup bengkel",
    "auth.max_failed_logins": "Maks. login gagal sebelum dikunci",
    "auth.lockout_minutes": "Lama akun dikunci (menit)",
    "auth.session_hours": "Lama sesi login (jam)",
    "auth.idle_minutes": "Sesi berakhir bila tidak dipakai (menit)",
    "reports.background_rows": "Ekspor di latar belakang mulai (baris)",
    "reports.export_keep_hours": "File ekspor disimpan (jam)",
    "intake.keep_upload_days": "File import disimpan (hari)",
    "intake.max_unpacked_mb": "Ukuran maks. isi file import setelah dibuka (MB)",
    "intake.max_rows": "Jumlah baris maks. file import",
    "intake.foreground_unpacked_mb": "Import di latar belakang bila isi file melebihi (MB)",
    "dgi.pull_every_minutes": "Tarik data DGI tiap (menit)",
    "dgi.overlap_minutes": "Tumpang tindih tarikan DGI (menit)",
    "dgi.first_pull_days": "Tarikan DGI pertama mundur (hari)",
    "dgi.max_window_days": "Rentang maks. satu panggilan DGI (hari)",
    "dgi.spk_lookback_days": "Cari SPK untuk BAST mundur (hari)",
}


def settings_tab(viewer: Viewer) -> None:
    with context.read_session(viewer) as s:
        rows = md.list_settings(s, viewer)
    st.dataframe(pd.DataFrame([{"Pengaturan": SETTING_LABELS.get(r.key, r.key), "Kunci": r.key,
                                "Nilai": _shown(r.value), "Default": _shown(r.default),
                                "Diubah": _yes(r.overridden)} for r in rows]),
                 hide_index=True)
    values = {r.key: r.value for r in rows}
    key = st.selectbox("Ubah pengaturan", list(values), format_func=lambda k: SETTING_LABELS.get(k, k),
                       key="md_setting_pick")
    current = values[key]
    with st.form(f"md_setting_{key}"):
        label = SETTING_LABELS.get(key, key)
        value: Any
        if isinstance(current, bool):
            value = st.checkbox(label, value=current)
        elif isinstance(current, int):
            value = int(st.number_input(label, value=current, step=1))
        else:
            value = st.text_input(label, value=str(current))
        if st.form_submit_button("Simpan pengaturan", type="primary"):
            _save(viewer, lambda s: md.put_setting(s, viewer, key, value), "Pengaturan disimpan.")
