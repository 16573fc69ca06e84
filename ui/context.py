"""The process-wide database and the current user's viewer, for pages."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import streamlit as st
from sqlalchemy.orm import Session
from streamlit.runtime.pages_manager import PagesManager

from core.access import Perm, Viewer, session_for
from core.errors import DomainError
from db.engine import Database, make_engine
from ui import fmt

# Tests point the app at their own (transaction-bound) Database.
_override: Database | None = None

VIEWER_KEY = "h23_viewer"
TOKEN_KEY = "h23_token"


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
    return viewer


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
