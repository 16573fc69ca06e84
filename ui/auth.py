"""The login gate: streamlit-authenticator draws the form and keeps its re-login cookie; users,
failure counts, lockout and the server-side session record are in the database (core.auth)."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from typing import Any

import jwt
import streamlit as st
import streamlit_authenticator as stauth

from core import auth, clock
from core.access import Viewer
from ui import context

COOKIE_NAME = "h23_login"
COOKIE_DAYS = 1.0
EXAMPLE_KEY = "change-me-to-a-long-random-string"


def _cookie_key() -> str:
    key = os.environ.get("H23_COOKIE_KEY")
    if not key:
        try:
            key = st.secrets.get("cookie_key")
        except (FileNotFoundError, KeyError, st.errors.StreamlitAPIException):
            key = None
    if not key or key == EXAMPLE_KEY:
        if os.environ.get("H23_DEMO") == "1":
            return "h23-demo-only-cookie-key-not-for-production"
        st.error("Konfigurasi belum lengkap: set H23_COOKIE_KEY atau cookie_key di .streamlit/secrets.toml.")
        st.stop()
    return str(key)


def _authenticator() -> Any:
    with context.database().session(None, system=True) as s:
        credentials = auth.authenticator_credentials(s)
    authenticator = stauth.Authenticate(
        credentials, COOKIE_NAME, _cookie_key(), COOKIE_DAYS, auto_hash=False,
        login_sleep_time=float(os.environ.get("H23_LOGIN_SLEEP", "0.3")))
    model = authenticator.authentication_controller.authentication_model
    check = model.check_credentials

    def check_and_count(username: str, password: str) -> bool:
        ok = bool(check(username, password))
        st.session_state["h23_form_login"] = ok
        if not ok:
            with context.database().transaction(None, system=True) as s:
                auth.record_failed_login(s, username)
            st.session_state["h23_failed_user"] = username
        return ok

    # The library counts failures in memory only; count them in the database instead.
    model.check_credentials = check_and_count
    return authenticator


def gate() -> Viewer | None:
    """Returns the logged-in viewer, or draws the login form and returns None."""
    token = st.session_state.get(context.TOKEN_KEY)
    if token:
        with context.database().transaction(None, system=True) as s:
            viewer = auth.check_session(s, token)  # revoked, disabled, expired or idle: None
        if viewer is not None:
            st.session_state[context.VIEWER_KEY] = viewer
            return viewer
        # Ended elsewhere (logout everywhere, disabled, expired): forget it and log in again.
        _forget()
        st.session_state["logout"] = True
    authenticator = _authenticator()
    with st.columns([1, 2, 1])[1]:  # a narrow form in the middle of the wide layout
        authenticator.login(location="main", fields={
            "Form name": "H23 CRM · Masuk", "Username": "Username", "Password": "Password", "Login": "Masuk"})
    status = st.session_state.get("authentication_status")
    if status:
        username = st.session_state["username"]
        with context.database().transaction(None, system=True) as s:
            if not _cookie_allowed(s, username):
                authenticator.logout(location="unrendered")
                _forget()
                return None
            token = auth.start_session(s, username)
            viewer = auth.viewer_for_username(s, username)
        st.session_state[context.TOKEN_KEY] = token
        st.session_state[context.VIEWER_KEY] = viewer
        st.session_state["h23_authenticator_ok"] = True
        return viewer
    if status is False:
        failed = st.session_state.get("h23_failed_user", "")
        with context.database().session(None, system=True) as s:
            until = auth.lock_status(s, failed) if failed else None
        if until is not None:
            st.error(f"Akun dikunci sampai {clock.local(until, 'Asia/Jakarta').strftime('%H:%M')} WIB "
                     "karena terlalu banyak percobaan login gagal.")
        else:
            st.error("Username atau password salah.")
    return None


def _cookie_allowed(s: Any, username: str) -> bool:
    """A re-login cookie issued before 'logout everywhere' (or a password change) is refused; a
    login typed into the form just now is always fine."""
    if st.session_state.pop("h23_form_login", False):
        return True
    raw = st.context.cookies.get(COOKIE_NAME)
    try:
        claims = jwt.decode(raw or "", _cookie_key(), algorithms=["HS256"])
        issued = dt.datetime.fromtimestamp(float(claims["exp_date"]), dt.UTC) - dt.timedelta(days=COOKIE_DAYS)
    except (jwt.PyJWTError, KeyError, TypeError, ValueError):
        return False
    return auth.cookie_still_valid(s, username, issued)


def logout() -> None:
    token = st.session_state.get(context.TOKEN_KEY)
    if token:
        with context.database().transaction(None, system=True) as s:
            auth.end_session(s, token)
    # The library raises when it already considers the user logged out; nothing to undo then.
    with contextlib.suppress(Exception):
        _authenticator().logout(location="unrendered")
    _forget()


def _forget() -> None:
    for key in (context.TOKEN_KEY, context.VIEWER_KEY, context.LANG_KEY, "authentication_status", "username",
                "name"):
        st.session_state.pop(key, None)
