"""Beranda: leads per stage in the viewer's branches, and the way into the daily work."""

from __future__ import annotations

import streamlit as st

from core.accounts import Perm
from core.leads import queries
from db.enums import Stage
from ui import context, lead_widgets as w
from ui.words import tr

viewer = context.require(Perm.LEAD_VIEW)
lang = viewer.lang
st.title(tr("ui.home.title", viewer.lang))
st.caption(tr("ui.home.welcome", viewer.lang, name=viewer.full_name))

options, sidebar_branches = context.branch_choice(viewer)
branches = w.labels(options)
chosen: list[int] = list(sidebar_branches or [])
if sidebar_branches is None:  # all branches in the sidebar: narrow here if wanted
    chosen = st.multiselect(tr("ui.branch", lang), list(branches), format_func=branches.__getitem__,
                            placeholder=tr("ui.all_branches", lang), key="home_branches")
with context.read_session(viewer) as session:
    # No branch picked = every branch the viewer may see.
    counts = queries.stage_counts(session, viewer, chosen or None)

st.subheader("Leads")
st.metric(tr("ui.home.leads_open", lang), f"{counts[Stage.LEAD]:,}".replace(",", "."), border=True)
st.subheader("Opportunity")
stages = [Stage.NEW, Stage.FU1, Stage.FU2, Stage.FU3, Stage.WON, Stage.LOST]
for col, stage in zip(st.columns(len(stages)), stages, strict=True):
    col.metric(w.STAGE_LABEL[stage], f"{counts[stage]:,}".replace(",", "."), border=True)

st.divider()
left, mid, right = st.columns(3)
with left:
    w.link("pages/leads.py", tr("ui.home.list", lang), icon=":material/list:")
with mid:
    w.link("pages/board.py", tr("ui.board.title", lang), icon=":material/view_kanban:")
with right:
    w.link("pages/lead.py", tr("ui.leads.new", lang), icon=":material/add:")
