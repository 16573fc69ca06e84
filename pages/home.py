"""Beranda: leads per stage in the viewer's branches, and the way into the daily work."""

from __future__ import annotations

import streamlit as st

from core import queries
from core.access import Perm
from db.enums import Stage
from ui import context
from ui import lead_widgets as w

viewer = context.require(Perm.LEAD_VIEW)
st.title("Beranda")
st.caption(f"Selamat datang, {viewer.full_name}.")

with context.read_session(viewer) as session:
    branches = w.labels(queries.branches(session, viewer))
chosen: list[int] = list(branches)
if viewer.all_branches or len(branches) > 1:
    chosen = st.multiselect("Cabang", list(branches), format_func=branches.__getitem__,
                            placeholder="Semua cabang", key="home_branches")
with context.read_session(viewer) as session:
    # No branch picked = every branch the viewer may see.
    counts = queries.stage_counts(session, viewer, chosen or None)

st.subheader("Leads")
st.metric("Lead (belum dikonversi)", f"{counts[Stage.LEAD]:,}".replace(",", "."), border=True)
st.subheader("Opportunity")
stages = [Stage.NEW, Stage.FU1, Stage.FU2, Stage.FU3, Stage.WON, Stage.LOST]
for col, stage in zip(st.columns(len(stages)), stages, strict=True):
    col.metric(w.STAGE_LABEL[stage], f"{counts[stage]:,}".replace(",", "."), border=True)

st.divider()
left, right = st.columns(2)
with left:
    w.link("pages/leads.py", "Daftar Leads & Opportunity", icon=":material/list:")
with right:
    w.link("pages/lead.py", "Buat Lead baru", icon=":material/add:")
