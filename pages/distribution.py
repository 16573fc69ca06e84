"""Pembagian Lead: Kepala Cabang / Kepala Bengkel share the branch's open, unassigned leads out to its
admins in turn, move chosen leads to one admin, and see each admin's day."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.accounts import Perm
from core.leads import LeadFilter, distribution, queries
from ui import context, fmt, lead_widgets as w
from ui.words import tr

PAGE_SIZE = 100
FLASH = "dist_flash"

viewer = context.require(Perm.LEAD_ASSIGN)
lang = viewer.lang
st.title(tr("ui.dist.title", lang))
options, chosen = context.branch_choice(viewer)
branches = w.labels(options)
if not branches:
    st.info(tr("ui.no_branch", lang))
    st.stop()
branch_id = chosen[0] if chosen else st.selectbox(tr("ui.branch", lang), list(branches),
                                                   format_func=branches.__getitem__, key="dist_branch")
if FLASH in st.session_state:
    st.success(st.session_state.pop(FLASH), icon=":material/check_circle:")

with context.read_session(viewer) as session:
    admins = distribution.admins_of(session, viewer, branch_id)
    waiting = distribution.unassigned_count(session, viewer, branch_id)
    progress = distribution.progress(session, viewer, branch_id)
names = {a.id: a.name for a in admins}

st.subheader(tr("ui.dist.progress", lang))
st.dataframe(pd.DataFrame([{
    "Admin": p.admin.name, tr("ui.dist.col_open", lang): p.open_leads, tr("ui.dist.col_due",
                                                                          lang): p.due, tr("ui.dist.col_done",
                                                                                           lang): p.done,
    "Terhubung": p.connected, "Tidak Terhubung": p.not_connected, "Rejected": p.rejected} for p in progress],
    columns=["Admin", tr("ui.dist.col_open", lang), tr("ui.dist.col_due", lang), tr("ui.dist.col_done", lang),
             "Terhubung", "Tidak Terhubung",
             "Rejected"]), hide_index=True, width="stretch")

st.subheader(tr("ui.dist.round_robin", lang))
c1, c2 = st.columns([1, 2])
c1.metric(tr("ui.dist.unassigned", lang), f"{waiting:,}".replace(",", "."), border=True)
picked = c2.multiselect(tr("ui.dist.admins", lang), list(names), default=list(names),
                        format_func=names.__getitem__, key="dist_admins")
if c2.button(tr("ui.dist.round_robin", lang), type="primary", disabled=not waiting or not picked,
             icon=":material/groups:", key="dist_go"):
    def share(s):
        return distribution.distribute_round_robin(s, viewer, branch_id, picked)
    context.save_and_rerun(viewer, share, FLASH, tr("ui.dist.given", lang, n=f"{waiting:,}".replace(",", ".")))

st.subheader(tr("ui.dist.reassign", lang))
who = st.selectbox(tr("ui.leads.assigned", lang), ["none", *[str(k) for k in names]],
                   format_func=lambda k: tr("ui.leads.unassigned", lang) if k == "none" else names[int(k)],
                   key="dist_from")
lead_filter = LeadFilter(branch_ids=(branch_id,), open_only=True, unassigned=who == "none",
                         assigned_user_id=None if who == "none" else int(who), sort="deadline_asc")
with context.read_session(viewer) as session:
    rows = queries.list_leads(session, viewer, lead_filter, 1, PAGE_SIZE)
st.caption(tr("ui.dist.select_hint", lang) + f" ({rows.total:,})".replace(",", "."))
table = pd.DataFrame([{tr("ui.col.subject", lang): r.number, tr("ui.col.contact", lang): r.contact_name or "",
                       "Stage": w.STAGE_LABEL[r.stage],
                       tr("ui.col.deadline",
                          lang): fmt.date_id(r.deadline), "Admin": r.assigned_to or ""} for r in rows.rows],
                     columns=[tr("ui.col.subject", lang), tr("ui.col.contact", lang), "Stage",
                              tr("ui.col.deadline", lang), "Admin"])
event = st.dataframe(table, hide_index=True, on_select="rerun", selection_mode="multi-row", key="dist_table",
                     width="stretch")
selected = [rows.rows[i].id for i in (event.selection.rows if event is not None else []) if i < len(rows.rows)]
to = st.selectbox(tr("ui.dist.to", lang), list(names), index=None, format_func=names.__getitem__, key="dist_to",
                  placeholder=tr("ui.dist.pick_admin", lang))
if st.button(tr("ui.dist.reassign", lang), disabled=not selected or to is None, key="dist_move",
             icon=":material/move_down:"):
    def move(s):
        assert to is not None
        return distribution.reassign(s, viewer, branch_id, selected, to)
    context.save_and_rerun(viewer, move, FLASH, tr("ui.dist.moved", lang, n=len(selected)))
