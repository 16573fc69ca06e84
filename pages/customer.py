"""Customer & Kendaraan: the CDDB record (NIK masked unless the role needs it; each viewing audited),
the customer's motorcycles, and one timeline of every lead, touch, follow-up, booking and work order,
paged in SQL. Opened by customer id in the URL (?id=...) from the lead form and the lead list."""

from __future__ import annotations

import contextlib

import pandas as pd
import streamlit as st

from core import prediction
from core.accounts import Perm
from core.customers import customer_profile, format_phone_local, timeline
from core.platform import DomainError, t
from db.enums import BookingState, ContactStatus, Stage, TouchKind, TouchState
from ui import context, fmt, lead_widgets as w, today_widgets as tw
from ui.words import tr

viewer = context.require(Perm.CUSTOMER_VIEW)
lang = viewer.lang

PAGE_SIZE = 25
KIND_LABEL = {"lead": "Lead", "followup": "Follow Up", "touch": tr("ui.cust.kind_touch", lang), "booking": "Booking",
              "work_order": tr("ui.cust.kind_wo", lang), "message": tr("ui.cust.kind_message",
                                                                       lang), "reply": tr("ui.cust.kind_reply", lang)}

st.title(tr("ui.customer.title", lang))

customer_id = None
with contextlib.suppress(TypeError, ValueError):
    customer_id = int(st.query_params.get("id", ""))
if customer_id is None:
    st.info(tr("ui.customer.pick", lang))
    st.stop()

try:
    with context.write_session(viewer) as session:  # the viewing is audited (core.privacy.consent)
        profile = customer_profile(session, viewer, customer_id)
except DomainError as e:
    fmt.show_error(e, lang)
    st.stop()

st.subheader(f"{profile.name}")
st.caption(f"{profile.code} · {profile.branch_label}")
if profile.cddb_missing:
    st.warning(tr("ui.customer.cddb_missing", lang,
                  fields=", ".join(t(f"field.{f}", lang) for f in profile.cddb_missing)), icon=":material/warning:")
else:
    st.success(tr("ui.customer.cddb_ok", lang), icon=":material/verified_user:")
w.fields([
    (t("field.nik", lang), profile.nik or "-"), (t("field.phone", lang), format_phone_local(profile.phone)),
    (t("field.address", lang), profile.address or "-"), (t("field.city_code", lang), profile.city_code or "-"),
    (t("field.occupation", lang), profile.occupation or "-"),
    (tr("ui.customer.consent", lang), tr("ui.yes" if profile.consent_contact else "ui.no", lang) + " / "
                                      + tr("ui.yes" if profile.consent_message else "ui.no", lang)),
    (tr("ui.customer.open_leads", lang), str(profile.open_leads)),
])

st.subheader(tr("ui.customer.vehicles", lang))
with context.read_session(viewer) as session:
    predicted = {v.id: prediction.next_service_text(session, v.id, lang) for v in profile.vehicles}
st.dataframe(pd.DataFrame([{
    t("field.plate", lang): v.plate or "-", t("field.engine_no", lang): v.engine_no,
    tr("ui.cust.unit", lang): v.unit_name or "-", tr("ui.cust.colour", lang): v.colour or "-",
    tr("ui.cust.bought", lang): fmt.date_id(v.purchase_date),
    t("prediction.next_service", lang): predicted[v.id]} for v in profile.vehicles]),
    hide_index=True, width="stretch")


def _status(kind: str, status: str | None) -> str:
    if status is None:
        return ""
    with contextlib.suppress(ValueError):
        if kind == "lead":
            return w.STAGE_LABEL[Stage(status)]
        if kind == "followup":
            return w.CONTACT_LABEL[ContactStatus(status)]
        if kind == "touch":
            return {TouchState.PLANNED: tr("ui.cust.planned", lang), TouchState.DONE: tr("ui.done", lang),
                    TouchState.CANCELLED: tr("ui.cancelled", lang)}[TouchState(status)]
        if kind == "booking":
            return BookingState(status).value.replace("_", " ").title()
    return status


def _what(e: timeline.Event) -> str:
    if e.kind == "touch":
        with contextlib.suppress(ValueError):
            return tw.kind_label(TouchKind(e.ref or ""), lang)
    if e.kind == "followup":
        return f"Follow Up {e.n} · {e.ref}"
    if e.kind == "lead" and e.n:
        return f"{e.ref} · KPB {e.n}"
    if e.kind in ("message", "reply"):
        return {"whatsapp": "WhatsApp", "sms": "SMS"}.get(e.ref or "", e.ref or "")
    if e.kind == "work_order" and e.n:
        return f"{e.ref} · {e.n:,} km".replace(",", ".")
    return e.ref or ""


st.subheader(tr("ui.customer.timeline", lang))
page_key = f"customer_tl_page_{customer_id}"
page_no = int(st.session_state.get(page_key, 1))
with context.read_session(viewer) as session:
    events = timeline.timeline(session, viewer, customer_id, page_no, PAGE_SIZE)
st.dataframe(pd.DataFrame([{
    tr("ui.time", lang): fmt.datetime_id(e.at, profile.timezone), tr("ui.kind", lang): KIND_LABEL.get(e.kind, e.kind),
    tr("ui.cust.what", lang): _what(e),
    tr("ui.status", lang): _status(e.kind, e.status), tr("ui.col.note", lang): e.note or ""} for e in events.events],
    columns=[tr("ui.time", lang), tr("ui.kind", lang), tr("ui.cust.what", lang), tr("ui.status", lang),
             tr("ui.col.note", lang)]), hide_index=True, width="stretch")
if events.pages > 1:
    prev, info, nxt = st.columns([1, 2, 1])
    if prev.button(tr("ui.prev", lang), key="customer_prev", disabled=page_no <= 1):
        st.session_state[page_key] = page_no - 1
        st.rerun()
    info.caption(tr("ui.page_of", lang, page=page_no, pages=events.pages))
    if nxt.button(tr("ui.next", lang), key="customer_next", disabled=page_no >= events.pages):
        st.session_state[page_key] = page_no + 1
        st.rerun()
