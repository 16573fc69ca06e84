"""Login safety (core.accounts.auth): lockout counted in the database, server-side sessions that end at once."""

from __future__ import annotations

import datetime as dt

import pytest

from core.accounts import auth
from core.platform import clock
from core.platform.errors import ValidationError
from db.models import User
from tests.conftest import TEST_PASSWORD


def test_passwords_are_hashed_and_verified(world):
    with world.db.session(None, system=True) as s:
        user = s.query(User).filter_by(username="admin.sam01").one()
        assert user.password_hash.startswith("$2") and TEST_PASSWORD not in user.password_hash
        assert auth.verify_password(TEST_PASSWORD, user.password_hash)
        assert not auth.verify_password("salah", user.password_hash)


def test_five_failures_lock_the_account_and_hide_it_from_the_login_widget(world):
    with world.db.transaction(None, system=True) as s:
        results = [auth.record_failed_login(s, "admin.sam01") for _ in range(5)]
        assert results[:4] == [None] * 4 and results[4] is not None
        assert "admin.sam01" not in auth.authenticator_credentials(s)["usernames"]
        assert "admin.man01" in auth.authenticator_credentials(s)["usernames"]
    later = clock.now() + dt.timedelta(minutes=16)
    with clock.frozen(later), world.db.session(None, system=True) as s:
        assert "admin.sam01" in auth.authenticator_credentials(s)["usernames"]


def test_a_session_ends_on_logout(world):
    with world.db.transaction(None, system=True) as s:
        token = auth.start_session(s, "admin.sam01")
        assert auth.viewer_for_session(s, token).username == "admin.sam01"
        auth.end_session(s, token)
        assert auth.viewer_for_session(s, token) is None


def test_disabling_a_user_or_changing_the_password_ends_every_session(world):
    with world.db.transaction(None, system=True) as s:
        token = auth.start_session(s, "admin.sam01")
        auth.change_password(s, world.admin_sam.user_id, "baru-sekali-123")
        assert auth.viewer_for_session(s, token) is None
        token2 = auth.start_session(s, "admin.sam01")
        assert auth.viewer_for_session(s, token2) is not None
        auth.set_active(s, world.admin_sam.user_id, False)
        assert auth.viewer_for_session(s, token2) is None
        assert "admin.sam01" not in auth.authenticator_credentials(s)["usernames"]


def test_sessions_expire(world):
    with world.db.transaction(None, system=True) as s:
        token = auth.start_session(s, "admin.sam01")
    with clock.frozen(clock.now() + dt.timedelta(hours=13)), world.db.session(None, system=True) as s:
        assert auth.viewer_for_session(s, token) is None


def test_a_language_other_than_indonesian_or_english_is_refused_naming_the_value(world):
    with world.db.transaction(None, system=True) as s, pytest.raises(ValidationError) as refused:
        auth.set_language(s, world.admin_sam, "fr")
    assert refused.value.field == "language" and refused.value.value == "fr"
    assert "Bahasa" in refused.value.message("id") and "fr" in refused.value.message("id")
