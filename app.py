"""H23 CRM entry point: page config, login, and the menu of pages the user's role may open."""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from ui import auth
from ui.navigation import PAGES, pages_for

# Our pages/ folder is listed in st.navigation below, not auto-discovered: turn the legacy
# pages-folder mode off from the first run of the process on (see ui.context.require).
PagesManager.uses_pages_directory = False

st.set_page_config(page_title="H23 CRM", page_icon=":material/two_wheeler:", layout="wide")

viewer = auth.gate()
if viewer is None:
    # Register every page (hidden, none run) while the login shows, so a page address is not reported
    # as "page not found". (After login the app opens on Beranda: keeping a deep link through the
    # login needs more than this; see the issue notes.)
    st.navigation([st.Page(p.path, title=p.title, url_path=p.url_path, default=p.default) for p in PAGES],
                  position="hidden")
    st.stop()

pages = [
    st.Page(p.path, title=p.title, icon=p.icon, url_path=p.url_path, default=p.default)
    for p in pages_for(viewer)
]
sections: dict[str, list] = {}
for spec, page in zip(pages_for(viewer), pages, strict=True):
    sections.setdefault(spec.section, []).append(page)

with st.sidebar:
    st.caption(f"{viewer.full_name} · {viewer.role.value}")
    if st.button("Keluar", key="logout", icon=":material/logout:"):
        auth.logout()
        st.rerun()

st.navigation(sections).run()
