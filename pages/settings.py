"""Master Data (head office only): branches, users, KPB rules, lost reasons, pits and staff, SOP settings.
The tabs live in ui.settings_widgets; the rules in core.masterdata."""

from __future__ import annotations

import streamlit as st

from core.accounts import Perm
from ui import context, settings_widgets as w

viewer = context.require(Perm.SETTINGS_MANAGE)
st.title("Master Data")
w.show_flash()

tabs = st.tabs(["Cabang", "Pengguna", "Aturan KPB", "Alasan Lost", "Pit & Mekanik", "Pengaturan SOP"])
for tab, draw in zip(tabs, (w.branches_tab, w.users_tab, w.kpb_tab, w.lost_reasons_tab, w.pits_staff_tab,
                            w.settings_tab), strict=True):
    with tab:
        draw(viewer)
