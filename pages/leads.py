"""Leads & Opportunity: search and filters (kept in the URL, so a filtered view can be shared), one
page of rows from SQL, and a click on a row opens the lead."""

from __future__ import annotations

import datetime as dt
from typing import cast

import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitAPIException

from core.accounts import Perm
from core.customers import format_phone_local
from core.leads import LeadFilter, Sort, queries
from db.enums import ContactStatus, Stage, Temperature
from ui import context, fmt, lead_list, lead_widgets as w
from ui.words import tr

PAGE_SIZES = [25, 50, 100]

viewer = context.require(Perm.LEAD_VIEW)
lang = viewer.lang
st.title(tr("ui.leads.title", lang))

branch_rows, sidebar_branches = context.branch_choice(viewer)
codes = {o.code: o.id for o in branch_rows}  # branch codes in the URL, ids to the query
code_label = {o.code: o.label for o in branch_rows}

# Filters are bound to the URL's query parameters (key = parameter name).
text = st.text_input(tr("ui.leads.search", lang), key="q", bind="query-params")
c1, c2, c3, c4 = st.columns(4)
stages = c1.multiselect(tr("ui.col.stage", lang), [s.value for s in Stage],
                        format_func=lambda v: w.STAGE_LABEL[Stage(v)],
                        placeholder=tr("ui.all", lang), key="stage", bind="query-params")
kpb = c2.selectbox(tr("ui.kpb_number", lang), ["1", "2", "3", "4"], index=None, placeholder=tr("ui.all", lang),
                   key="kpb", bind="query-params")
temp = c3.selectbox(tr("field.temperature", lang), [t.value for t in Temperature], index=None,
                    placeholder=tr("ui.all", lang),
                    format_func=lambda v: w.TEMPERATURE_LABEL[Temperature(v)], key="temp", bind="query-params")
status = c4.selectbox(tr("field.contact_status", lang), [c.value for c in ContactStatus], index=None,
                      placeholder=tr("ui.all", lang),
                      format_func=lambda v: w.CONTACT_LABEL[ContactStatus(v)], key="status", bind="query-params")
c1, c2, c3, c4 = st.columns(4)
created_from = c1.date_input(tr("ui.leads.created_from", lang), value=None, format="DD/MM/YYYY", key="from",
                             bind="query-params")
created_to = c2.date_input(tr("ui.leads.created_to", lang), value=None, format="DD/MM/YYYY", key="to",
                           bind="query-params")
sort = c3.selectbox(tr("ui.leads.sort", lang), lead_list.sort_keys(),
                    format_func=lambda k: lead_list.sort_label(k, lang), key="sort", bind="query-params")
page_size = c3.selectbox(tr("ui.leads.page_size", lang), PAGE_SIZES, index=1, key="n", bind="query-params")
chosen_codes: list[str] = []
if sidebar_branches is None:  # all branches in the sidebar: narrow here if wanted
    chosen_codes = c4.multiselect(tr("ui.branch", lang), list(codes), format_func=code_label.__getitem__,
                                  placeholder=tr("ui.all_branches", lang), key="branch", bind="query-params")

# Whose leads: everyone's, mine (an admin's share), or those no admin has yet.
ASSIGNED = {"": tr("ui.all", lang), "mine": tr("ui.leads.mine", lang), "none": tr("ui.leads.unassigned", lang)}
assigned = st.segmented_control(tr("ui.leads.assigned", lang), list(ASSIGNED), format_func=ASSIGNED.__getitem__,
                                key="admin", bind="query-params") or ""
branch_ids = tuple(sidebar_branches) if sidebar_branches else tuple(codes[c] for c in chosen_codes if c in codes)
lead_filter = LeadFilter(
    text=text or "", stages=tuple(Stage(s) for s in stages), branch_ids=branch_ids,
    assigned_user_id=viewer.user_id if assigned == "mine" else None, unassigned=assigned == "none",
    kpb_number=int(kpb) if kpb else None, temperature=Temperature(temp) if temp else None,
    contact_status=ContactStatus(status) if status else None,
    created_from=created_from if isinstance(created_from, dt.date) else None,
    created_to=created_to if isinstance(created_to, dt.date) else None,
    sort=cast(Sort, sort) if sort in lead_list.sort_keys() else "created_desc")

# A new filter starts again at page 1.
if st.session_state.get("leads_filter") != lead_filter:
    st.session_state["leads_filter"] = lead_filter
    st.session_state["leads_page"] = 1
page_no = int(st.session_state.get("leads_page", 1))
with context.read_session(viewer) as session:
    result = queries.list_leads(session, viewer, lead_filter, page_no, int(page_size or 50))
if page_no > result.pages:  # the data shrank under us
    st.session_state["leads_page"] = page_no = result.pages
    with context.read_session(viewer) as session:
        result = queries.list_leads(session, viewer, lead_filter, page_no, int(page_size or 50))

table = pd.DataFrame([{
    "created": fmt.datetime_id(r.created_at, r.branch_timezone), "branch": r.branch_label, "number": r.number,
    "name": r.contact_name or "", "phone": format_phone_local(r.phone), "stage": w.STAGE_LABEL[r.stage],
    "source": r.source_document or "", "deadline": fmt.date_id(r.deadline) if r.deadline else "",
    "kpb": str(r.kpb_number or ""), "plate": r.plate or "",
    "unit": " · ".join(p for p in (r.unit_name, r.plate) if p),
    "temp": w.TEMPERATURE_LABEL[r.temperature] if r.temperature else "",
    "status": w.CONTACT_LABEL[r.contact_status] if r.contact_status else "", "admin": r.assigned_to or "",
    "customer": f"customer?id={r.customer_id}" if r.customer_id else None,
} for r in result.rows], columns=["created", "branch", "number", "name", "phone", "stage", "source", "deadline",
                                  "kpb", "plate", "temp", "status", "admin", "customer", "unit"])
headers = {"created": tr("ui.col.created", lang), "branch": tr("ui.col.branch", lang),
           "number": tr("ui.col.subject", lang), "name": tr("ui.col.contact", lang),
           "phone": tr("ui.col.phone", lang), "stage": tr("ui.col.stage", lang), "source": "Source Document",
           "deadline": tr("ui.col.kpb_expiry", lang), "kpb": tr("ui.kpb_number", lang),
           "plate": tr("field.plate", lang), "temp": tr("field.temperature", lang),
           "status": tr("field.contact_status", lang)}
headers["admin"] = "Admin"
headers["unit"] = tr("ui.leads.unit", lang)
st.caption(tr("ui.leads.rows", lang, n=f"{result.total:,}".replace(",", ".")))
selected = lead_list.grid(table, {**{k: st.column_config.TextColumn(v) for k, v in headers.items()},
                                  "customer": st.column_config.LinkColumn("Customer",
                                                                          display_text=tr("ui.view", lang))})

prev, info, nxt = st.columns([1, 2, 1])
if prev.button(tr("ui.prev_arrow", lang), key="leads_prev", disabled=page_no <= 1):
    st.session_state["leads_page"] = page_no - 1
    st.rerun()
info.markdown(tr("ui.page_of", lang, page=page_no, pages=result.pages))
if nxt.button(tr("ui.next_arrow", lang), key="leads_next", disabled=page_no >= result.pages):
    st.session_state["leads_page"] = page_no + 1
    st.rerun()

if selected is not None and selected < len(result.rows):
    row = result.rows[selected]
    try:
        st.switch_page("pages/lead.py", query_params={"id": str(row.id)})
    except StreamlitAPIException:  # the page run on its own (AppTest): no menu to switch within
        st.info(f"Buka lead {row.number}")
w.link("pages/lead.py", tr("ui.leads.new", lang), icon=":material/add:")
