"""Log Audit, head office: who changed or viewed what and when; search by user, record, action and
period, one page of rows from SQL. Read-only: the app offers no way to edit the log."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import streamlit as st

from core.accounts import Perm
from core.leads import lookups
from core.platform import clock
from core.privacy import AuditFilter, search_audit
from ui import context, fmt

PAGE_SIZE = 50

viewer = context.require(Perm.AUDIT_VIEW)
st.title("Log Audit")

c1, c2, c3 = st.columns(3)
username = c1.text_input("Username (atau 'system')", key="au_user")
object_type = c2.text_input("Jenis data (customer, lead, booking...)", key="au_type")
object_id = c3.number_input("ID data", min_value=1, value=None, step=1, key="au_id")
c1, c2, c3 = st.columns(3)
action = c1.text_input("Aksi (awalan, mis. customer.)", key="au_action")
date_from = c2.date_input("Dari", value=None, format="DD/MM/YYYY", key="au_from")
date_to = c3.date_input("Sampai", value=None, format="DD/MM/YYYY", key="au_to")

audit_filter = AuditFilter(
    username=username or "", object_type=object_type or "", object_id=int(object_id) if object_id else None,
    action=action or "", date_from=date_from if isinstance(date_from, dt.date) else None,
    date_to=date_to if isinstance(date_to, dt.date) else None)
if st.session_state.get("au_filter") != audit_filter:  # a new search starts at page 1
    st.session_state["au_filter"] = audit_filter
    st.session_state["au_page"] = 1

with context.read_session(viewer) as session:
    tz = lookups.timezone(session, viewer)
    result = search_audit(session, viewer, audit_filter, page=st.session_state.get("au_page", 1),
                          page_size=PAGE_SIZE)

st.caption(f"{result.total:,} baris · halaman {result.page} dari {result.pages}".replace(",", "."))
if result.rows:
    st.dataframe(pd.DataFrame([{
        f"Waktu ({clock.zone_label(tz)})": fmt.datetime_id(r.at, tz), "User": r.username, "Aksi": r.action,
        "Data": r.object_type, "ID": r.object_id, "Cabang": r.branch_code or "",
        "Perubahan (lama → baru)": json.dumps(r.changes, ensure_ascii=False) if r.changes else "",
        "Catatan": r.note or "",
    } for r in result.rows]), hide_index=True, width="stretch")
else:
    st.info("Tidak ada baris yang cocok.")

p1, p2, _ = st.columns([1, 1, 4])
if p1.button("‹ Sebelumnya", disabled=result.page <= 1, key="au_prev"):
    st.session_state["au_page"] = result.page - 1
    st.rerun()
if p2.button("Berikutnya ›", disabled=result.page >= result.pages, key="au_next"):
    st.session_state["au_page"] = result.page + 1
    st.rerun()
