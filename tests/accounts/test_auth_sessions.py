"""Issue 8, authentication gaps: session expiry (absolute and idle) checked on every run of the app,
and logout / password change / disabling a user ending an open app session at once."""

from __future__ import annotations

import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

import ui.context
from core.accounts import auth, login_cookie
from core.platform import clock, settings
from db.models import AuthSession
from tests.conftest import ROOT, TEST_PASSWORD

T0 = dt.datetime(2020, 7, 10, 1, 0, tzinfo=dt.UTC)


def _start(world, at=T0):
    with clock.frozen(at), world.db.transaction(None, system=True) as s:
        return auth.start_session(s, "admin.sam01")


def _check(world, token, at):
    with clock.frozen(at), world.db.transaction(None, system=True) as s:
        viewer = auth.check_session(s, token)
        return viewer.username if viewer else None


def test_a_session_unused_for_the_idle_time_ends(world):
    token = _start(world)
    assert _check(world, token, T0 + dt.timedelta(minutes=59)) == "admin.sam01"
    # Used at +59 min: the idle clock restarted, so +1 h 58 min is still fine; then 61 idle minutes end it.
    assert _check(world, token, T0 + dt.timedelta(minutes=118)) == "admin.sam01"
    assert _check(world, token, T0 + dt.timedelta(minutes=180)) is None
    with world.db.session(None, system=True) as s:
        assert s.get(AuthSession, token).revoked_at is not None  # marked as ended, not just skipped


def test_an_active_session_still_ends_at_the_absolute_limit(world):
    token = _start(world)
    for minutes in range(30, 12 * 60, 30):  # used every half hour
        assert _check(world, token, T0 + dt.timedelta(minutes=minutes)) == "admin.sam01"
    assert _check(world, token, T0 + dt.timedelta(hours=12, minutes=1)) is None


def test_the_idle_and_absolute_limits_are_settings(world):
    with world.db.transaction(None, system=True) as s:
        settings.put(s, "auth.idle_minutes", 5)
        settings.put(s, "auth.session_hours", 1)
    token = _start(world)
    assert _check(world, token, T0 + dt.timedelta(minutes=6)) is None
    token = _start(world, T0 + dt.timedelta(minutes=10))
    for minutes in (14, 18, 22, 26, 30, 34, 38, 42, 46, 50, 54, 58, 62, 66):
        expected = "admin.sam01" if minutes < 70 else None
        assert _check(world, token, T0 + dt.timedelta(minutes=minutes)) == expected
    assert _check(world, token, T0 + dt.timedelta(minutes=70)) is None


@pytest.fixture
def logged_in(world, monkeypatch):
    """The real app.py, logged in as admin.sam01 through the login form."""
    monkeypatch.setenv("H23_DEMO", "1")
    monkeypatch.setenv("H23_LOGIN_SLEEP", "0")
    ui.context._override = world.db
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    at.text_input[0].input("admin.sam01")
    at.text_input[1].input(TEST_PASSWORD)
    at = at.button[0].click().run()
    assert at.session_state["h23_viewer"].username == "admin.sam01"
    yield at
    ui.context._override = None


def _logged_out(at):
    return "h23_viewer" not in at.session_state and [t.label for t in at.text_input][:2] == ["Username", "Password"]


@pytest.mark.parametrize("how", ["password_change", "disable", "logout_everywhere"])
def test_ending_sessions_elsewhere_logs_the_open_app_out_on_its_next_run(world, logged_in, how):
    with world.db.transaction(None, system=True) as s:
        if how == "password_change":
            auth.change_password(s, world.admin_sam.user_id, "password-baru-123")
        elif how == "disable":
            auth.set_active(s, world.admin_sam.user_id, False)
        else:
            auth.end_all_sessions(s, world.admin_sam.user_id)
    at = logged_in.run()
    assert _logged_out(at), [t.label for t in at.text_input]


def test_the_logout_button_ends_the_server_session(world, logged_in):
    token = logged_in.session_state["h23_token"]
    at = logged_in.button(key="h23_logout").click().run()
    with world.db.session(None, system=True) as s:
        assert s.get(AuthSession, token).revoked_at is not None
        assert auth.viewer_for_session(s, token) is None
    assert "h23_viewer" not in at.session_state


def _cookie(world, token, at=T0):
    with clock.frozen(at), world.db.transaction(None, system=True) as s:
        ticket = login_cookie.issue_ticket(s, token)
        secret, _max_age = login_cookie.redeem_ticket(s, ticket)
        return secret


def _resume(world, secret, at):
    with clock.frozen(at), world.db.transaction(None, system=True) as s:
        resumed = login_cookie.resume(s, secret)
        return resumed[1].username if resumed else None


def test_the_relogin_cookie_obeys_the_idle_and_absolute_limits_too(world):
    """Reopening the browser must not skip the limits: the cookie logs in again only while its
    session is used within the idle time and its login is within the absolute limit."""
    token = _start(world)
    secret = _cookie(world, token)
    assert _resume(world, secret, T0 + dt.timedelta(minutes=30)) == "admin.sam01"
    assert _check(world, token, T0 + dt.timedelta(minutes=50)) == "admin.sam01"  # active at +50
    assert _resume(world, secret, T0 + dt.timedelta(minutes=109)) == "admin.sam01"
    other = _cookie(world, _start(world, T0 + dt.timedelta(minutes=110)), T0 + dt.timedelta(minutes=110))
    assert _resume(world, other, T0 + dt.timedelta(minutes=171)) is None  # idle for 61 minutes
    for minutes in range(60, 12 * 60, 45):
        _check(world, token, T0 + dt.timedelta(minutes=minutes))
    assert _resume(world, secret, T0 + dt.timedelta(hours=12, minutes=5)) is None  # login older than 12 h
