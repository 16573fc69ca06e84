"""The weekly recap e-mail box on Rekap Mingguan & PICA: on or off, when the next mail goes, the
latest sends (to whom, week, state, error), and PIC CRM's "Kirim sekarang"."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.accounts import Viewer
from core.masterdata import TIMEZONES
from core.platform import DomainError, register, t
from core.reports import recap_mail
from ui import context, fmt

register({
    "ui.recap_mail.title": {"id": "E-mail rekap mingguan", "en": "Weekly recap e-mail"},
    "ui.recap_mail.on": {
        "id": "Aktif: setiap Senin pukul 07:00 waktu cabang, rekap minggu lalu dikirim ke Kepala Cabang dan "
              "Kepala Bengkel tiap cabang, dan rekap semua cabang ke PIC CRM (lewat {server}).",
        "en": "On: every Monday at 07:00 branch time, last week's recap goes to each branch's Kepala Cabang "
              "and Kepala Bengkel, and the all-branch recap to PIC CRM (through {server})."},
    "ui.recap_mail.next": {"id": "Pengiriman berikutnya: {at} {zone}", "en": "Next sending: {at} {zone}"},
    "ui.recap_mail.none": {"id": "Belum ada e-mail rekap.", "en": "No recap e-mail yet."},
    "ui.recap_mail.send_now": {"id": "Kirim sekarang", "en": "Send now"},
    "ui.recap_mail.send_now_help": {
        "id": "Mengirim rekap minggu lalu sekarang ke yang belum menerimanya; yang gagal dicoba lagi.",
        "en": "Sends last week's recap now to whoever has not received it; failed ones are tried again."},
    "ui.recap_mail.done": {"id": "Terkirim {sent}, diulang nanti {retry}, gagal {failed}.",
                           "en": "Sent {sent}, to retry {retry}, failed {failed}."},
    "ui.recap_mail.col.week": {"id": "Minggu", "en": "Week"},
    "ui.recap_mail.col.branch": {"id": "Cabang", "en": "Branch"},
    "ui.recap_mail.col.to": {"id": "Kepada", "en": "To"},
    "ui.recap_mail.col.email": {"id": "E-mail", "en": "E-mail"},
    "ui.recap_mail.col.state": {"id": "Status", "en": "State"},
    "ui.recap_mail.col.attempts": {"id": "Percobaan", "en": "Attempts"},
    "ui.recap_mail.col.at": {"id": "Waktu", "en": "Time"},
    "ui.recap_mail.col.note": {"id": "Keterangan", "en": "Note"},
    "ui.recap_mail.head_office": {"id": "Kantor pusat", "en": "Head office"},
    "ui.recap_mail.state.queued": {"id": "Antre", "en": "Queued"},
    "ui.recap_mail.state.sending": {"id": "Sedang dikirim", "en": "Sending"},
    "ui.recap_mail.state.sent": {"id": "Terkirim", "en": "Sent"},
    "ui.recap_mail.state.retry": {"id": "Gagal, dicoba lagi", "en": "Failed, will retry"},
    "ui.recap_mail.state.failed": {"id": "Gagal", "en": "Failed"},
    "ui.recap_mail.state.no_email": {"id": "Tanpa alamat e-mail", "en": "No e-mail address"},
    "ui.recap_mail.state.no_head": {"id": "Tidak ada kepala cabang", "en": "No branch head"},
    "ui.recap_mail.retry_at": {"id": "dicoba lagi {at}", "en": "next try {at}"},
    "ui.recap_mail.no_email": {"id": "isi e-mail user di Master Data", "en": "add the user's e-mail in Master Data"},
})


def _note(row: recap_mail.SendRow, tz: str, lang: str) -> str:
    parts = [row.error or ""]
    if row.next_attempt_at is not None and row.state == "retry":
        parts.append(t("ui.recap_mail.retry_at", lang, at=fmt.datetime_id(row.next_attempt_at, tz)))
    if row.state == "no_email":
        parts.append(t("ui.recap_mail.no_email", lang))
    return " · ".join(p for p in parts if p)


def render(viewer: Viewer) -> None:
    lang = viewer.lang
    st.divider()
    st.subheader(t("ui.recap_mail.title", lang))
    with context.read_session(viewer) as session:
        status = recap_mail.status(session, viewer)
    tz = status.timezone
    if status.enabled:
        st.success(t("ui.recap_mail.on", lang, server=status.server))
        st.caption(t("ui.recap_mail.next", lang, at=fmt.datetime_id(status.next_at, tz), zone=TIMEZONES.get(tz, tz)))
    else:
        st.info(status.problem)
    if status.rows:
        cols = ["week", "branch", "to", "email", "state", "attempts", "at", "note"]
        st.dataframe(pd.DataFrame(
            [(fmt.date_id(r.week), t("ui.recap_mail.head_office", lang) if r.scope == "HO" else r.scope,
              r.to or "-", r.email or "-", t(f"ui.recap_mail.state.{r.state}", lang), r.attempts,
              fmt.datetime_id(r.at, tz), _note(r, tz, lang)) for r in status.rows],
            columns=[t(f"ui.recap_mail.col.{c}", lang) for c in cols]), hide_index=True, key="rc_mail_log",
            width="stretch")
    else:
        st.caption(t("ui.recap_mail.none", lang))
    if status.may_send_now and st.button(t("ui.recap_mail.send_now", lang), key="rc_mail_send",
                                         help=t("ui.recap_mail.send_now_help", lang)):
        try:
            report = recap_mail.send_now(context.database(), viewer, f"page:{viewer.username}")
        except DomainError as e:
            fmt.show_error(e, lang)
        else:
            st.session_state["rc_mail_flash"] = t("ui.recap_mail.done", lang, sent=report.sent,
                                                  retry=report.retried, failed=report.failed)
            st.rerun()
    if flash := st.session_state.pop("rc_mail_flash", None):
        st.success(flash)
