"""Master Data (head office only): branches, users, KPB rules, lost reasons, pits and staff, SOP settings.
The tabs live in ui.settings_widgets; the rules in core.masterdata."""

from __future__ import annotations

import streamlit as st

from core.accounts import Perm
from ui import context, settings_widgets as w
from ui.words import tr

viewer = context.require(Perm.SETTINGS_MANAGE)
lang = viewer.lang
st.title(tr("ui.md.title", lang))
w.show_flash()

TABS = ("branches", "users", "kpb", "lost", "pits", "settings")
tabs = st.tabs([tr(f"ui.md.tab.{name}", lang) for name in TABS])
for tab, draw in zip(tabs, (w.branches_tab, w.users_tab, w.kpb_tab, w.lost_reasons_tab, w.pits_staff_tab,
                            w.settings_tab), strict=True):
    with tab:
        draw(viewer)
