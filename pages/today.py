"""Hari ini: the touches due today and overdue for one branch, grouped in the SOP's order, each row
with a tap to WhatsApp or call and the outcome form (a fragment: saving reruns only that row)."""

from __future__ import annotations

import streamlit as st

from core import followup_log, queries
from core.access import Perm
from core.worklist import KIND_ORDER, worklist
from ui import context, fmt
from ui import lead_widgets as w
from ui import today_widgets as tw

PAGE_SIZE = 30

viewer = context.require(Perm.LEAD_VIEW)
st.title("Hari ini")

with context.read_session(viewer) as session:
    branches = w.labels(queries.branches(session, viewer))
    reasons = queries.lost_reasons(session, viewer.lang)
if not branches:
    st.info("Anda belum terdaftar di cabang mana pun.")
    st.stop()
branch_id = next(iter(branches))
if viewer.all_branches or len(branches) > 1:
    branch_id = st.selectbox("Cabang", list(branches), format_func=branches.__getitem__, key="today_branch")

with context.read_session(viewer) as session:
    branch = followup_log.branch_day(session, viewer, branch_id)
    pages = {k: st.session_state.get(f"today_page_{k.value}", 0) for k in KIND_ORDER}
    lists = {k: worklist(session, viewer, branch.today, branch_ids=[branch.id], kinds=[k], page=pages[k],
                         page_size=PAGE_SIZE) for k in KIND_ORDER}
due, overdue = lists[KIND_ORDER[0]].due_by_kind, lists[KIND_ORDER[0]].overdue_by_kind

st.caption(f"{branch.code} {branch.name} · {fmt.date_id(branch.today)}")
busy = [k for k in KIND_ORDER if due.get(k)]  # only kinds with work: five cards fill a phone screen
if not busy:
    st.success("Tidak ada tugas hari ini.")
for col, kind in zip(st.columns(max(len(busy), 1)), busy, strict=False):
    late = overdue.get(kind, 0)
    col.metric(tw.KIND_LABEL[kind], due.get(kind, 0) - late, delta=f"{late} terlambat" if late else None,
               delta_color="inverse", delta_arrow="off", border=True, help="Jatuh tempo hari ini / terlambat")
st.button("Muat ulang daftar", icon=":material/refresh:", key="today_reload")

tabs = st.tabs([f"{tw.KIND_LABEL[k]} ({due.get(k, 0)})" for k in KIND_ORDER])
for tab, kind in zip(tabs, KIND_ORDER, strict=True):
    with tab:
        page = lists[kind]
        if overdue.get(kind):
            st.caption(f"{due.get(kind, 0)} tugas, {overdue[kind]} terlambat")
        if not page.items:
            if pages[kind]:  # the page emptied (done rows): back to the first one
                st.session_state[f"today_page_{kind.value}"] = 0
                st.rerun()
            st.caption("Tidak ada tugas.")
            continue
        for item in page.items:
            tw.touch_row(viewer, item, branch.name, reasons)
        last = max(0, (page.total - 1) // PAGE_SIZE)
        if last:
            key = f"today_page_{kind.value}"
            prev, mid, nxt = st.columns([1, 2, 1])
            if prev.button("Sebelumnya", disabled=pages[kind] == 0, key=f"today_prev_{kind.value}"):
                st.session_state[key] = pages[kind] - 1
                st.rerun()
            mid.caption(f"Halaman {pages[kind] + 1} dari {last + 1}")
            if nxt.button("Berikutnya", disabled=pages[kind] >= last, key=f"today_next_{kind.value}"):
                st.session_state[key] = pages[kind] + 1
                st.rerun()
