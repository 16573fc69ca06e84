"""The process-wide database and the current user's viewer, for pages."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import streamlit as st
from sqlalchemy.orm import Session
from streamlit.runtime.pages_manager import PagesManager

from core.accounts import Perm, Viewer, auth, session_for
from core.leads import Option, lookups
from core.platform import DomainError
from db.engine import Database, make_engine
from ui import fmt
from ui.words import tr

# Tests point the app at their own (transaction-bound) Database.
_override: Database | None = None

VIEWER_KEY = "h23_viewer"
TOKEN_KEY = "h23_token"
LANG_KEY = "h23_lang"  # the language switch (session), over the user's own setting
BRANCH_KEY = "h23_branch"  # the branch picked in the sidebar: a branch code, or ALL
BRANCH_PARAM = "cabang"  # ...and in the URL, so a shared link shows the same branch
ALL = "*"


@st.cache_resource(show_spinner=False)
def _shared_database() -> Database:
    """One engine per process (never a session: st.cache_resource is shared by every user)."""
    return Database(make_engine())


def database() -> Database:
    return _override if _override is not None else _shared_database()


def current_viewer() -> Viewer | None:
    viewer = st.session_state.get(VIEWER_KEY)
    return viewer if isinstance(viewer, Viewer) else None


def require(perm: Perm | None = None) -> Viewer:
    """The logged-in viewer; stops the page when there is none or the permission is missing."""
    viewer = current_viewer()
    if viewer is None:
        if PagesManager.uses_pages_directory:
            # A fresh server's first request for a page URL runs pages/<page>.py on its own (Streamlit's
            # legacy pages-folder mode, until app.py has called st.navigation once). Send it through
            # app.py, where the login is.
            PagesManager.uses_pages_directory = False
            st.switch_page("app.py")
        st.warning("Silakan login terlebih dahulu.")
        st.stop()
    assert viewer is not None
    if perm is not None and not viewer.can(perm):
        st.error("Anda tidak berhak membuka halaman ini.")
        st.stop()
    return _with_language(viewer)


def language(viewer: Viewer) -> str:
    """The language this session shows: the user's saved one until the switch says otherwise."""
    if LANG_KEY not in st.session_state:
        st.session_state[LANG_KEY] = viewer.lang == "en"
    return "en" if st.session_state[LANG_KEY] else "id"


def _with_language(viewer: Viewer) -> Viewer:
    """The sidebar's language switch: Bahasa Indonesia by default (or the user's setting), English on."""
    lang = language(viewer)
    st.sidebar.toggle(tr("ui.lang_switch", lang), key="h23_lang_widget", value=lang == "en",
                      on_change=_keep_language)
    return viewer if viewer.lang == lang else dataclasses.replace(viewer, lang=lang)


def _keep_language() -> None:
    """The switch moved: show it at once, and keep it on the user for their next login."""
    english = bool(st.session_state.get("h23_lang_widget"))
    st.session_state[LANG_KEY] = english
    viewer = current_viewer()
    if viewer is not None:
        with write_session(viewer) as session:
            auth.set_language(session, viewer, "en" if english else "id")


def branch_choice(viewer: Viewer, allow_all: bool = True) -> tuple[list[Option], list[int] | None]:
    """The viewer's branches, and those the daily pages show: for head office (or anyone with more
    than one branch) a sidebar picker of one branch or all, kept in the session and in the URL
    (?cabang=SAM01). Returns (branch options, chosen ids; None = every branch the viewer may see)."""
    with read_session(viewer) as session:
        options = lookups.branches(session, viewer)
    if len(options) <= 1 and not viewer.all_branches:
        return options, [o.id for o in options]
    by_code = {o.code: o for o in options}
    wanted = st.query_params.get(BRANCH_PARAM)
    if wanted in by_code or wanted == ALL:
        st.session_state[BRANCH_KEY] = wanted
    current = st.session_state.get(BRANCH_KEY, ALL)
    # A page that is one branch's day (Hari ini) offers no "all branches": the one picker is this one.
    choices = [ALL, *by_code] if allow_all else list(by_code)
    if not choices:
        return options, []
    choice = st.sidebar.selectbox(
        tr("ui.branch", viewer.lang), choices, index=choices.index(current) if current in choices else 0,
        format_func=lambda c: tr("ui.all_branches", viewer.lang) if c == ALL else by_code[c].label,
        key="h23_branch_widget" if allow_all else "h23_branch_widget_one")  # options differ: its own state
    # Hari ini shows its first branch when "all" was chosen elsewhere; that shown default is not a choice,
    # so the other pages stay on every branch (a picked branch does carry over).
    if not (current == ALL and not allow_all and choice == choices[0]):
        st.session_state[BRANCH_KEY] = choice
        if st.query_params.get(BRANCH_PARAM) != choice:
            st.query_params[BRANCH_PARAM] = choice
    return options, None if choice == ALL else [by_code[choice].id]


@contextmanager
def read_session(viewer: Viewer) -> Iterator[Session]:
    with session_for(database(), viewer) as session:
        yield session


@contextmanager
def write_session(viewer: Viewer) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back on any error."""
    with session_for(database(), viewer, write=True) as session, session.begin():
        yield session


def save_and_rerun(viewer: Viewer, call: Callable[[Session], object], flash_key: str, notice: str) -> None:
    """Run one core call in its own transaction. A refused change shows its message in the user's
    language; a saved one reruns the page with `notice` kept under `flash_key` to show once."""
    try:
        with write_session(viewer) as s:
            call(s)
    except DomainError as error:
        fmt.show_error(error, viewer.lang)
        return
    st.session_state[flash_key] = notice
    st.rerun()
