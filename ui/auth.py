"""The login gate: streamlit-authenticator draws the form and checks the password; users, failure
counts, lockout, the server-side session record and the re-login cookie bound to it are ours
(core.accounts.auth, core.accounts.login_cookie; the cookie itself is set by web/auth_routes.py, HttpOnly)."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from typing import Any

import streamlit as st
import streamlit_authenticator as stauth

from core.accounts import Viewer, auth, login_cookie
from core.platform import clock
from ui import context

# streamlit-authenticator only draws the form and checks the password: its own re-login cookie (a JWT
# its browser component writes, so never HttpOnly and never revocable) is switched off; ours is
# core.accounts.login_cookie's, set by web/auth_routes.py. The library still reads a cookie of the name it is
# given, so it gets one nobody sets, and its cookie reading is replaced as well (a forged JWT there,
# alg none or HS512, used to raise past its own error handling and break the login page).
LIBRARY_COOKIE = "h23_library_cookie_unused"
TICKET_KEY = "h23_cookie_ticket"  # a login's one-time ticket, offered to the browser until redeemed
CLEAR_KEY = "h23_cookie_clear"  # after logout: the browser is asked once to drop the cookie
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
        credentials, LIBRARY_COOKIE, _cookie_key(), 0, auto_hash=False,
        login_sleep_time=float(os.environ.get("H23_LOGIN_SLEEP", "0.3")))
    cookies = authenticator.cookie_controller
    cookies.get_cookie = lambda: None
    cookies.set_cookie = lambda: None
    cookies.delete_cookie = lambda: None
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
            _offer_cookie(token)
            return viewer
        # Ended elsewhere (logout everywhere, disabled, expired): forget it and log in again.
        _forget()
    secret = st.context.cookies.get(login_cookie.COOKIE_NAME)
    if secret and not st.session_state.get(CLEAR_KEY):
        with context.database().transaction(None, system=True) as s:
            resumed = login_cookie.resume(s, secret)
            until = login_cookie.locked_until(s, secret) if resumed is None else None
        if resumed is not None:
            st.session_state[context.TOKEN_KEY], st.session_state[context.VIEWER_KEY] = resumed
            return resumed[1]
        if until is not None:
            _show_lock(until)
    _drop_cookie()
    authenticator = _authenticator()
    form = st.empty()
    with form.container(), st.columns([1, 2, 1])[1]:  # a narrow form in the middle of the wide layout
        authenticator.login(location="main", fields={
            "Form name": "H23 CRM · Masuk", "Username": "Username", "Password": "Password", "Login": "Masuk"})
    status = st.session_state.get("authentication_status")
    if status:
        username = st.session_state["username"]
        with context.database().transaction(None, system=True) as s:
            token = auth.start_session(s, username)
            viewer = auth.viewer_for_username(s, username)
            st.session_state[TICKET_KEY] = login_cookie.issue_ticket(s, token)
        st.session_state.pop(CLEAR_KEY, None)
        st.session_state[context.TOKEN_KEY] = token
        st.session_state[context.VIEWER_KEY] = viewer
        form.empty()  # the form (with the typed password) must not stay above the page
        _offer_cookie(token)
        return viewer
    if status is False:
        failed = st.session_state.get("h23_failed_user", "")
        with context.database().session(None, system=True) as s:
            until = auth.lock_status(s, failed) if failed else None
        if until is not None:
            _show_lock(until)
        else:
            st.error("Username atau password salah.")
    return None


def _show_lock(until: dt.datetime) -> None:
    # Before login the user's branch is not known yet: head office's clock, with its label.
    st.error(f"Akun dikunci sampai {clock.local(until, clock.HEAD_OFFICE):%H:%M} {clock.zone_label(clock.HEAD_OFFICE)} "
             "karena terlalu banyak percobaan login gagal.")


def _offer_cookie(token: str) -> None:
    """Until the browser has swapped the login's ticket for the HttpOnly cookie, every run offers it
    again: a rerun right after login (a shared link's page) can drop the script before it runs."""
    ticket = st.session_state.get(TICKET_KEY)
    if not ticket:
        return
    with context.database().session(None, system=True) as s:
        pending = login_cookie.ticket_pending(s, token)
    if not pending:
        st.session_state.pop(TICKET_KEY, None)
        return
    # The ticket is ours (token_urlsafe): nothing from a user reaches this script.
    st.html(f"<script>fetch('{login_cookie.SET_ROUTE}', {{method: 'POST', credentials: 'same-origin', "
            f"headers: {{'Content-Type': 'text/plain'}}, body: '{ticket}'}});</script>",
            unsafe_allow_javascript=True, width="content")


def _drop_cookie() -> None:
    """After logout: the browser is asked to drop the cookie (the session behind it is already
    revoked, so a cookie that stays logs nobody in)."""
    if st.session_state.pop(CLEAR_KEY, False):
        st.html(f"<script>fetch('{login_cookie.CLEAR_ROUTE}', "
                "{method: 'POST', credentials: 'same-origin'});</script>",
                unsafe_allow_javascript=True, width="content")


def logout() -> None:
    token = st.session_state.get(context.TOKEN_KEY)
    if token:
        with context.database().transaction(None, system=True) as s:
            auth.end_session(s, token)  # the cookie belongs to this session: it ends with it
    # The library raises when it already considers the user logged out; nothing to undo then.
    with contextlib.suppress(Exception):
        _authenticator().logout(location="unrendered")
    _forget()
    st.session_state[CLEAR_KEY] = True


def _forget() -> None:
    for key in (context.TOKEN_KEY, context.VIEWER_KEY, context.LANG_KEY, TICKET_KEY, "authentication_status",
                "username", "name"):
        st.session_state.pop(key, None)
