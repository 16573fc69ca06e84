"""H23 CRM entry point: page config, login, and the menu of pages the user's role may open."""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from ui import auth, context
from ui.navigation import MENU_EXPANDED, PAGES, deep_link, pages_for, section_of, title_of, with_query
from ui.words import tr

# Our pages/ folder is listed in st.navigation below, not auto-discovered: turn the legacy
# pages-folder mode off from the first run of the process on (see ui.context.require).
PagesManager.uses_pages_directory = False

st.set_page_config(page_title="H23 CRM", page_icon=":material/two_wheeler:", layout="wide")

# The address the browser asked for (a shared link to a lead or a filtered list): the login and the
# re-login cookie rerun the app on its default page, so it is remembered here and opened after login.
if "h23_viewer" not in st.session_state and "h23_wanted" not in st.session_state:
    # st.context.url carries no query string: the lead id or filters come from st.query_params.
    st.session_state["h23_wanted"] = with_query(st.context.url, st.query_params.to_dict())

viewer = auth.gate()
if viewer is None:
    # Register every page (hidden, none run) while the login shows, so the address is not reported
    # as "page not found".
    st.navigation([st.Page(p.path, title=p.title, url_path=p.url_path, default=p.default) for p in PAGES],
                  position="hidden")
    st.stop()


lang = context.language(viewer)  # the menu speaks the user's language too
sections: dict[str, list] = {}
for spec in pages_for(viewer):
    sections.setdefault(section_of(spec, lang), []).append(
        st.Page(spec.path, title=title_of(spec, lang), icon=spec.icon, url_path=spec.url_path, default=spec.default))

with st.sidebar:
    st.caption(f"{viewer.full_name} · {tr(f'role.{viewer.role.value}', lang)}")
    if st.button(tr("ui.logout", lang), key="h23_logout", icon=":material/logout:"):
        auth.logout()
        st.rerun()

current = st.navigation(sections, expanded=MENU_EXPANDED)
wanted = deep_link(st.session_state.pop("h23_wanted", None), pages_for(viewer))
if wanted is not None:  # after st.navigation: switch_page only knows the pages registered there
    st.switch_page(wanted.page, query_params=wanted.query)
current.run()
