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
from ui.words import tr

viewer = context.require(Perm.PRIVACY_MANAGE)
lang = viewer.lang

st.title(tr("ui.pv.title", lang))

PURPOSE_LABEL = {"contact": tr("ui.pv.purpose_contact", lang), "message": tr("ui.pv.purpose_message", lang)}

text = st.text_input(tr("ui.pv.search", lang), key="pv_q")
with context.read_session(viewer) as session:
    hits = lookups.find_customers(session, viewer, text or "", limit=20)
if not text:
    st.caption(tr("ui.pv.min_chars", lang))
    st.stop()
if not hits:
    st.info(tr("ui.pv.not_found", lang))
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
c1.metric(tr("ui.pv.may_contact", lang), tr("ui.yes", lang) if consent[0] else tr("ui.no", lang))
c2.metric(tr("ui.pv.may_message", lang), tr("ui.yes", lang) if consent[1] else tr("ui.no", lang))
c3.metric(tr("ui.pv.anonymised", lang), fmt.date_id(consent[2]) if consent[2] else tr("ui.pv.not_yet", lang))

st.subheader(tr("ui.pv.history", lang))
if history:
    st.dataframe(pd.DataFrame([{
        tr("ui.time", lang): fmt.datetime_id(e.at, tz),
        tr("ui.pv.purpose", lang): PURPOSE_LABEL.get(e.purpose, e.purpose),
        tr("ui.status", lang): tr("ui.pv.granted", lang) if e.granted else tr("ui.pv.withdrawn", lang),
        tr("ui.pv.how", lang): e.channel, tr("ui.pv.proof", lang): e.proof, tr("ui.pv.by", lang): e.by,
    } for e in history]), hide_index=True, width="stretch")
else:
    st.caption(tr("ui.pv.no_history", lang))

if consent[2] is None:
    with st.form("pv_consent", clear_on_submit=True):
        st.markdown(tr("ui.pv.record", lang))
        f1, f2 = st.columns(2)
        kind = f1.radio(tr("ui.kind", lang), ["grant", "withdraw"], horizontal=True,
                        format_func=lambda v: tr("ui.pv.grant", lang) if v == "grant" else tr("ui.pv.withdraw", lang))
        purposes = f2.multiselect(tr("ui.pv.purpose", lang), list(PURPOSE_LABEL), default=list(PURPOSE_LABEL),
                                  format_func=PURPOSE_LABEL.__getitem__)
        channel = st.text_input(tr("ui.pv.how_input", lang))
        proof = st.text_area(tr("ui.pv.proof_input", lang))
        if st.form_submit_button(tr("ui.save", lang), type="primary"):
            def save(s: Session) -> None:
                if kind == "grant":
                    for p in purposes:
                        privacy.grant_consent(s, viewer, hit.id, purpose=p, channel=channel, proof=proof)
                else:
                    privacy.withdraw_consent(s, hit.id, channel=channel, proof=proof, viewer=viewer,
                                             purposes=purposes)
            context.save_and_rerun(viewer, save, "pv_flash", tr("ui.saved", lang))
if notice := st.session_state.pop("pv_flash", None):
    st.success(notice)

st.subheader(tr("ui.pv.export", lang))
e1, e2 = st.columns(2)
export_fmt = e1.radio("Format", ["xlsx", "json"], horizontal=True, key="pv_fmt")
if e2.button(tr("ui.pv.prepare", lang), key="pv_export"):
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
    st.download_button(tr("ui.download", lang), ready[2], file_name=f"data-customer-{hit.id}.{ready[1]}", mime=mime,
                       key="pv_download")

st.subheader(tr("ui.pv.anonymise_head", lang))
if consent[2] is not None:
    st.caption(tr("ui.pv.already", lang))
else:
    st.warning(tr("ui.pv.anonymise_warning", lang))
    confirm = st.text_input(tr("ui.pv.confirm", lang, customer_code=hit.code), key="pv_confirm")
    if st.button(tr("ui.pv.anonymise", lang), type="primary", key="pv_anonymise", disabled=not confirm):
        context.save_and_rerun(
            viewer, lambda s: privacy_rights.anonymise_customer(s, viewer, hit.id, confirm_code=confirm or ""),
            "pv_flash", tr("ui.pv.done", lang))
