"""Hari ini: the touches due today and overdue for one branch, grouped in the SOP's order, each row
with a tap to WhatsApp or call and the outcome form (a fragment: saving reruns only that row)."""

from __future__ import annotations

import streamlit as st

from core.accounts import Perm
from core.leads import KIND_ORDER, lookups, worklist
from core.pipeline import followup_log
from db.enums import Role
from ui import context, fmt, today_widgets as tw
from ui.words import tr

viewer = context.require(Perm.LEAD_VIEW)
lang = viewer.lang
PAGE_SIZE = int(st.session_state.get("today_page_size", 30))  # rows per kind (the benchmark varies it)
st.title(tr("ui.today.title", lang))

# The worklist is one branch's day: the sidebar's picker offers branches only (no second picker here).
options, chosen = context.branch_choice(viewer, allow_all=False)
with context.read_session(viewer) as session:
    reasons = lookups.lost_reasons(session, lang)
if not options or not chosen:
    st.info(tr("ui.no_branch", lang))
    st.stop()
branch_id = chosen[0]

# Admins work their own leads once the head has shared them out; the whole branch stays one tap away.
mine = False
if viewer.role == Role.ADMIN_CRM:
    mine = st.toggle(tr("ui.today.mine", lang), key="today_mine")
with context.read_session(viewer) as session:
    branch = followup_log.branch_day(session, viewer, branch_id)
    counts = worklist(session, viewer, branch.today, branch_ids=[branch.id], page_size=1,
                      assigned_user_id=viewer.user_id if mine else None)
    due, overdue = counts.due_by_kind, counts.overdue_by_kind
    busy = [k for k in KIND_ORDER if due.get(k)]  # only kinds with work: five cards fill a phone screen
    # One kind's rows at a time (a tab per kind would draw every kind's rows on each run).
    kind = st.segmented_control(tr("ui.today.kind", lang), KIND_ORDER, key="today_kind",
                                default=busy[0] if busy else None,
                                format_func=lambda k: f"{tw.kind_label(k, lang)} ({due.get(k, 0)})",
                                label_visibility="collapsed") or (busy[0] if busy else KIND_ORDER[0])
    page_no = st.session_state.get(f"today_page_{kind.value}", 0)
    page = worklist(session, viewer, branch.today, branch_ids=[branch.id], kinds=[kind], page=page_no,
                    page_size=PAGE_SIZE, assigned_user_id=viewer.user_id if mine else None)

st.caption(f"{branch.code} {branch.name} · {fmt.date_id(branch.today)}")
if not busy:
    st.success(tr("ui.today.nothing", lang))
for col, k in zip(st.columns(max(len(busy), 1)), busy, strict=False):
    late = overdue.get(k, 0)
    col.metric(tw.kind_label(k, lang), due.get(k, 0) - late,
               delta=tr("ui.today.late", lang, n=late) if late else None,
               delta_color="inverse", delta_arrow="off", border=True, help=tr("ui.today.due_help", lang))
st.button(tr("ui.today.reload", lang), icon=":material/refresh:", key="today_reload")

if overdue.get(kind):
    st.caption(f"{due.get(kind, 0)} tugas, {overdue[kind]} terlambat")
if not page.items:
    if page_no:  # the page emptied (done rows): back to the first one
        st.session_state[f"today_page_{kind.value}"] = 0
        st.rerun()
    st.caption(tr("ui.today.none", lang))
for item in page.items:
    tw.touch_row(viewer, item, branch.name, reasons)
last = max(0, (page.total - 1) // PAGE_SIZE)
if last:
    key = f"today_page_{kind.value}"
    prev, mid, nxt = st.columns([1, 2, 1])
    if prev.button(tr("ui.prev", lang), disabled=page_no == 0, key="today_prev"):
        st.session_state[key] = page_no - 1
        st.rerun()
    mid.caption(tr("ui.page_of", lang, page=page_no + 1, pages=last + 1))
    if nxt.button(tr("ui.next", lang), disabled=page_no >= last, key="today_next"):
        st.session_state[key] = page_no + 1
        st.rerun()
