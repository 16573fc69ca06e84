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
from ui.words import tr

PAGE_SIZE = 50

viewer = context.require(Perm.AUDIT_VIEW)
lang = viewer.lang
st.title(tr("ui.audit.title", lang))

c1, c2, c3 = st.columns(3)
username = c1.text_input(tr("ui.audit.user", lang), key="au_user")
object_type = c2.text_input(tr("ui.audit.type", lang), key="au_type")
object_id = c3.number_input(tr("ui.audit.id", lang), min_value=1, value=None, step=1, key="au_id")
c1, c2, c3 = st.columns(3)
action = c1.text_input(tr("ui.audit.action", lang), key="au_action")
date_from = c2.date_input(tr("ui.from", lang), value=None, format="DD/MM/YYYY", key="au_from")
date_to = c3.date_input(tr("ui.to", lang), value=None, format="DD/MM/YYYY", key="au_to")

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

st.caption(tr("ui.audit.rows", lang, n=f"{result.total:,}".replace(",", "."), page=result.page, pages=result.pages))
if result.rows:
    st.dataframe(pd.DataFrame([{
        tr("ui.audit.col_at", lang, zone=clock.zone_label(tz)): fmt.datetime_id(r.at, tz), "User": r.username,
        tr("ui.audit.col_action", lang): r.action,
        tr("ui.audit.col_type", lang): r.object_type, "ID": r.object_id, tr("ui.branch", lang): r.branch_code or "",
        tr("ui.audit.col_changes", lang): json.dumps(r.changes, ensure_ascii=False) if r.changes else "",
        tr("ui.col.note", lang): r.note or "",
    } for r in result.rows]), hide_index=True, width="stretch")
else:
    st.info(tr("ui.audit.none", lang))

p1, p2, _ = st.columns([1, 1, 4])
if p1.button(tr("ui.prev_arrow", lang), disabled=result.page <= 1, key="au_prev"):
    st.session_state["au_page"] = result.page - 1
    st.rerun()
if p2.button(tr("ui.next_arrow", lang), disabled=result.page >= result.pages, key="au_next"):
    st.session_state["au_page"] = result.page + 1
    st.rerun()
