"""app.py: login through streamlit-authenticator against users in the database, lockout, menu by role."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

import ui.context
from tests.conftest import ROOT, TEST_PASSWORD


@pytest.fixture
def app(world, monkeypatch):
    monkeypatch.setenv("H23_DEMO", "1")
    monkeypatch.setenv("H23_LOGIN_SLEEP", "0")
    ui.context._override = world.db
    yield lambda: AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    ui.context._override = None


def _login(at, username, password):
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    return at.button[0].click().run()


def test_login_form_shows_first(app):
    at = app()
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    assert not at.exception


def test_a_branch_admin_logs_in_and_gets_the_branch_pages_only(app, world):
    at = _login(app(), "admin.sam01", TEST_PASSWORD)
    assert not at.exception
    viewer = at.session_state["h23_viewer"]
    assert viewer.username == "admin.sam01" and viewer.branch_ids == {world.sam.id}
    assert at.session_state["h23_token"]


def test_the_login_form_with_the_typed_password_is_gone_once_logged_in(app):
    at = _login(app(), "admin.sam01", TEST_PASSWORD)
    assert "Password" not in [t.label for t in at.text_input]
    assert at.title[0].value == "Hari ini"


def test_wrong_password_is_refused(app):
    at = _login(app(), "admin.sam01", "salah-sekali")
    assert "h23_viewer" not in at.session_state
    assert any("salah" in e.value for e in at.error)


def test_repeated_failures_lock_the_account_even_with_the_right_password(app, world):
    at = app()
    for _ in range(5):
        at = _login(at, "admin.man01", "salah-sekali")
    assert any("dikunci" in e.value for e in at.error)
    at = _login(app(), "admin.man01", TEST_PASSWORD)
    assert "h23_viewer" not in at.session_state


def test_the_language_a_user_picks_is_kept_for_their_next_login_menu_included(app, world):
    at = _login(app(), "admin.sam01", TEST_PASSWORD)
    assert at.title[0].value == "Hari ini"
    assert at.sidebar.button(key="h23_logout").label == "Keluar"
    at.sidebar.toggle(key="h23_lang_widget").set_value(True).run()
    assert not at.exception
    assert at.title[0].value == "Today"
    assert at.sidebar.button(key="h23_logout").label == "Log out"
    assert "CRM admin" in at.sidebar.caption[0].value
    # A new browser session (another day, another laptop): English from the first page on.
    again = _login(app(), "admin.sam01", TEST_PASSWORD)
    assert again.title[0].value == "Today"
    assert again.sidebar.toggle(key="h23_lang_widget").value is True
    again.sidebar.toggle(key="h23_lang_widget").set_value(False).run()
    assert _login(app(), "admin.sam01", TEST_PASSWORD).title[0].value == "Hari ini"


def test_another_users_language_is_not_changed_by_my_choice(app, world):
    at = _login(app(), "admin.sam01", TEST_PASSWORD)
    at.sidebar.toggle(key="h23_lang_widget").set_value(True).run()
    assert _login(app(), "admin.man01", TEST_PASSWORD).title[0].value == "Hari ini"
