"""Privasi (UU PDP), head office: find a customer, see and record consent with its proof, export
everything we hold about them, and anonymise them after a confirm step."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from sqlalchemy.orm import Session

from core import privacy
from core.accounts import Perm
from core.leads import lookups
from core.platform import DomainError
from core.privacy import rights as privacy_rights
from db.models import Customer
from ui import context, fmt

viewer = context.require(Perm.PRIVACY_MANAGE)
st.title("Privasi Data Customer (UU PDP)")

PURPOSE_LABEL = {"contact": "Boleh dihubungi (telepon/kunjungan)", "message": "Boleh dikirim pesan (WA/SMS)"}

text = st.text_input("Cari customer (nama, no HP, no KTP, kode customer)", key="pv_q")
with context.read_session(viewer) as session:
    hits = lookups.find_customers(session, viewer, text or "", limit=20)
if not text:
    st.caption("Ketik minimal 2 huruf untuk mencari.")
    st.stop()
if not hits:
    st.info("Customer tidak ditemukan.")
    st.stop()
hit = st.selectbox("Customer", hits, format_func=lambda h: f"{h.label} · {h.phone or '-'}", key="pv_customer")
assert hit is not None

with context.write_session(viewer) as s:  # opening a customer's personal data is logged
    customer = s.get(Customer, hit.id)
    assert customer is not None
    privacy.record_personal_view(s, viewer, "customer.view", customer, note="privacy page")
    consent = (customer.consent_contact, customer.consent_message, customer.anonymised_at)
    tz = lookups.timezone(s, viewer, [customer.branch_id])
with context.read_session(viewer) as session:
    history = privacy.consent_history(session, viewer, hit.id)

c1, c2, c3 = st.columns(3)
c1.metric("Boleh dihubungi", "Ya" if consent[0] else "Tidak")
c2.metric("Boleh dikirim pesan", "Ya" if consent[1] else "Tidak")
c3.metric("Dianonimkan", fmt.date_id(consent[2]) if consent[2] else "Belum")

st.subheader("Riwayat persetujuan")
if history:
    st.dataframe(pd.DataFrame([{
        "Waktu": fmt.datetime_id(e.at, tz), "Tujuan": PURPOSE_LABEL.get(e.purpose, e.purpose),
        "Status": "Setuju" if e.granted else "Ditarik", "Cara": e.channel, "Bukti": e.proof, "Oleh": e.by,
    } for e in history]), hide_index=True, width="stretch")
else:
    st.caption("Belum ada catatan persetujuan.")

if consent[2] is None:
    with st.form("pv_consent", clear_on_submit=True):
        st.markdown("**Catat persetujuan / penarikan**")
        f1, f2 = st.columns(2)
        kind = f1.radio("Jenis", ["grant", "withdraw"], horizontal=True,
                        format_func=lambda v: "Persetujuan" if v == "grant" else "Penarikan")
        purposes = f2.multiselect("Tujuan", list(PURPOSE_LABEL), default=list(PURPOSE_LABEL),
                                  format_func=PURPOSE_LABEL.__getitem__)
        channel = st.text_input("Cara (formulir, telepon, WhatsApp...)")
        proof = st.text_area("Bukti (kata-kata customer, nomor formulir, id pesan...)")
        if st.form_submit_button("Simpan", type="primary"):
            def save(s: Session) -> None:
                if kind == "grant":
                    for p in purposes:
                        privacy.grant_consent(s, viewer, hit.id, purpose=p, channel=channel, proof=proof)
                else:
                    privacy.withdraw_consent(s, hit.id, channel=channel, proof=proof, viewer=viewer,
                                             purposes=purposes)
            context.save_and_rerun(viewer, save, "pv_flash", "Tersimpan.")
if notice := st.session_state.pop("pv_flash", None):
    st.success(notice)

st.subheader("Ekspor data customer")
e1, e2 = st.columns(2)
export_fmt = e1.radio("Format", ["xlsx", "json"], horizontal=True, key="pv_fmt")
if e2.button("Siapkan ekspor", key="pv_export"):
    try:
        with context.write_session(viewer) as s:
            st.session_state["pv_export_file"] = (
                hit.id, export_fmt, privacy_rights.export_customer(s, viewer, hit.id, export_fmt))
    except DomainError as error:
        fmt.show_error(error, viewer.lang)
ready = st.session_state.get("pv_export_file")
if ready and ready[0] == hit.id:
    mime = "application/json" if ready[1] == "json" else \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    st.download_button("Unduh", ready[2], file_name=f"data-customer-{hit.id}.{ready[1]}", mime=mime,
                       key="pv_download")

st.subheader("Anonimkan customer")
if consent[2] is not None:
    st.caption("Customer ini sudah dianonimkan.")
else:
    st.warning("Nama, No KTP, No HP, alamat, tanggal lahir dan no polisi dihapus permanen; lead, booking dan "
               "work order tetap ada untuk statistik. Tidak bisa dibatalkan.")
    confirm = st.text_input(f"Ketik kode customer ({hit.code}) untuk konfirmasi", key="pv_confirm")
    if st.button("Anonimkan", type="primary", key="pv_anonymise", disabled=not confirm):
        context.save_and_rerun(
            viewer, lambda s: privacy_rights.anonymise_customer(s, viewer, hit.id, confirm_code=confirm or ""),
            "pv_flash", "Customer telah dianonimkan.")
