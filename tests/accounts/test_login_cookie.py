"""Issue 20 (1, 6, 7): the re-login cookie is bound to its server-side session, so logout, a password
change and disabling the user end it at once; a locked account is not let back in by its cookie; the
lockout counts fairly. The browser half (HttpOnly, reload after logout, a copied cookie, forged
cookies) is in tests/test_browser.py."""

from __future__ import annotations

import datetime as dt

from core.accounts import auth, login_cookie
from core.platform import clock
from db.models import User


def _login(world, username="admin.sam01"):
    with world.db.transaction(None, system=True) as s:
        token = auth.start_session(s, username)
        secret, max_age = login_cookie.redeem_ticket(s, login_cookie.issue_ticket(s, token))
        return token, secret, max_age


def _resume(world, secret):
    with world.db.transaction(None, system=True) as s:
        resumed = login_cookie.resume(s, secret)
        return resumed[1].username if resumed else None


def test_the_cookie_resumes_its_own_session_while_it_lives(world):
    token, secret, max_age = _login(world)
    with world.db.transaction(None, system=True) as s:
        assert login_cookie.resume(s, secret)[0] == token
    assert 11 * 3600 < max_age <= 12 * 3600  # the browser forgets it when the session's limit ends
    assert _resume(world, "not-a-cookie-of-ours") is None
    assert _resume(world, "x" * 10_000) is None


def test_logging_out_revokes_the_relogin_cookie_at_once(world):
    token, secret, _ = _login(world)
    with world.db.transaction(None, system=True) as s:
        auth.end_session(s, token)
    assert _resume(world, secret) is None  # a reload, or the same cookie copied into another browser


def test_the_clear_route_ends_the_session_behind_the_cookie(world):
    token, secret, _ = _login(world)
    with world.db.transaction(None, system=True) as s:
        login_cookie.revoke(s, secret)
        assert auth.viewer_for_session(s, token) is None


def test_a_password_change_or_disabling_the_user_revokes_every_cookie(world):
    _, first, _ = _login(world)
    _, second, _ = _login(world)
    with world.db.transaction(None, system=True) as s:
        auth.change_password(s, world.admin_sam.user_id, "baru-sekali-123")
    assert _resume(world, first) is None and _resume(world, second) is None
    _, third, _ = _login(world)
    assert _resume(world, third) == "admin.sam01"
    with world.db.transaction(None, system=True) as s:
        auth.set_active(s, world.admin_sam.user_id, False)
    assert _resume(world, third) is None


def test_a_ticket_sets_one_cookie_once_and_expires(world):
    with world.db.transaction(None, system=True) as s:
        token = auth.start_session(s, "admin.sam01")
        ticket = login_cookie.issue_ticket(s, token)
        assert login_cookie.ticket_pending(s, token)
        assert login_cookie.redeem_ticket(s, ticket) is not None
        assert not login_cookie.ticket_pending(s, token)
        assert login_cookie.redeem_ticket(s, ticket) is None  # used
        late = login_cookie.issue_ticket(s, token)
    with clock.frozen(clock.now() + dt.timedelta(seconds=login_cookie.TICKET_SECONDS + 1)), \
            world.db.transaction(None, system=True) as s:
        assert login_cookie.redeem_ticket(s, late) is None  # expired
    with world.db.transaction(None, system=True) as s:
        ended = login_cookie.issue_ticket(s, token)
        auth.end_session(s, token)
        assert login_cookie.redeem_ticket(s, ended) is None  # the session ended before the browser asked


def test_a_locked_users_cookie_is_refused_and_says_until_when(world):
    _, secret, _ = _login(world, "admin.man01")
    for _ in range(5):
        with world.db.transaction(None, system=True) as s:
            auth.record_failed_login(s, "admin.man01")
    assert _resume(world, secret) is None
    with world.db.session(None, system=True) as s:
        assert login_cookie.locked_until(s, secret) is not None


def _fail(world, username="admin.man01"):
    with world.db.transaction(None, system=True) as s:
        return auth.record_failed_login(s, username)


def _failed_logins(world, username="admin.man01"):
    with world.db.session(None, system=True) as s:
        user = s.query(User).filter_by(username=username).one()
        return user.failed_logins, user.locked_until


def test_lockout_counts_fairly_attempts_while_locked_do_not_count(world):
    """Rule: lockout counts fairly. Wrong passwords typed while the account is locked are not
    counted, so when the lock ends one more wrong password does not lock it again."""
    t0 = clock.now()
    with clock.frozen(t0):
        for _ in range(4):
            assert _fail(world) is None
        until = _fail(world)
    assert until is not None
    with clock.frozen(t0 + dt.timedelta(minutes=5)):
        for _ in range(4):  # someone keeps trying during the lock
            assert _fail(world) == until  # still locked, the lock not extended
    with clock.frozen(until + dt.timedelta(seconds=1)):
        assert _fail(world) is None  # one wrong password after the lock: a count of 1, no new lock
        assert _failed_logins(world) == (1, None)


def test_lockout_counts_fairly_the_count_restarts_when_a_lock_ends(world):
    t0 = clock.now()
    with clock.frozen(t0):
        for _ in range(5):
            _fail(world)
    locked = _failed_logins(world)[1]
    with clock.frozen(locked + dt.timedelta(seconds=1)):
        for _ in range(4):
            assert _fail(world) is None
        assert _fail(world) is not None  # the fifth since the lock ended locks again, not sooner
