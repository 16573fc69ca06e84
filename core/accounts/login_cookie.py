"""The re-login cookie: an opaque random secret bound to one server-side session (auth_session).

streamlit-authenticator's own cookie is a JWT that its browser component writes with JavaScript: it
cannot be HttpOnly, and nothing on the server can revoke it. Ours is set by our own HTTP route
(web/auth_routes.py) as HttpOnly (and Secure over HTTPS), and only its hash is stored, on the session
it belongs to. So a reload, or the same cookie copied into another browser, resumes that session
while it lives, and nothing after it has ended: logout revokes the session (and with it the cookie)
at once; a password change or disabling the user revokes every session of theirs.

Handing the cookie to the browser takes one step the browser makes itself: at login the page gets a
one-time ticket (valid TICKET_SECONDS), and its script posts it to the route, which swaps it for the
cookie. The secret never appears in the page.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import TypeGuard

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.accounts import auth
from core.accounts.access import Viewer
from core.platform import clock
from db.models import AuthSession, User

COOKIE_NAME = "h23_session"
SET_ROUTE = "/auth/cookie"  # POST the ticket: the response sets the cookie
CLEAR_ROUTE = "/auth/cookie/clear"  # POST: the session behind the cookie ends, the cookie is dropped
TICKET_SECONDS = 120
MAX_SECRET_CHARS = 200  # ours are 43; anything longer is not one of ours and is not even hashed


def _ours(secret: object) -> TypeGuard[str]:
    """Could be one of our secrets: a short text (a cookie header holds whatever a client sent)."""
    return isinstance(secret, str) and 0 < len(secret) <= MAX_SECRET_CHARS


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", errors="replace")).hexdigest()


def issue_ticket(session: Session, token: str) -> str:
    """A one-time ticket for the page to swap for the cookie of session `token`."""
    row = session.get(AuthSession, token)
    if row is None:
        raise LookupError("no such session")
    ticket = secrets.token_urlsafe(32)
    row.cookie_ticket_hash = _digest(ticket)
    row.cookie_ticket_expires_at = clock.now() + dt.timedelta(seconds=TICKET_SECONDS)
    session.flush()
    return ticket


def ticket_pending(session: Session, token: str) -> bool:
    """True while the session's ticket has been neither redeemed nor let expire: the page keeps
    offering it to the browser until then (a rerun may have dropped the script before it ran)."""
    row = session.get(AuthSession, token)
    return (row is not None and row.cookie_ticket_hash is not None and row.cookie_ticket_expires_at is not None
            and row.cookie_ticket_expires_at > clock.now())


def redeem_ticket(session: Session, ticket: str) -> tuple[str, int] | None:
    """The cookie secret for a valid ticket (used up by this call) and its max age in seconds; None
    for an unknown, used or expired ticket, or a session that has ended meanwhile."""
    if not _ours(ticket):
        return None
    row = session.scalar(select(AuthSession).where(AuthSession.cookie_ticket_hash == _digest(ticket)))
    now = clock.now()
    if row is None or row.cookie_ticket_expires_at is None or row.cookie_ticket_expires_at <= now:
        return None
    row.cookie_ticket_hash = None
    row.cookie_ticket_expires_at = None
    if auth.viewer_for_session(session, row.id) is None:
        return None
    secret = secrets.token_urlsafe(32)
    row.cookie_hash = _digest(secret)
    session.flush()
    return secret, max(0, int((row.expires_at - now).total_seconds()))


def resume(session: Session, secret: object) -> tuple[str, Viewer] | None:
    """The live session (its token and viewer) a cookie belongs to, or None: unknown cookie, session
    ended, expired or idle, user disabled. The caller shows the lock message for a locked user."""
    if not _ours(secret):
        return None
    token = session.scalar(select(AuthSession.id).where(AuthSession.cookie_hash == _digest(secret)))
    if token is None or locked_until(session, secret) is not None:
        return None
    viewer = auth.check_session(session, token)
    return (token, viewer) if viewer is not None else None


def locked_until(session: Session, secret: object) -> dt.datetime | None:
    """When the account behind a cookie unlocks, if it is locked now: a locked account is not let
    back in by its cookie either (the lock says someone is guessing its password)."""
    if not _ours(secret):
        return None
    until = session.scalar(select(User.locked_until).join(AuthSession, AuthSession.user_id == User.id)
                           .where(AuthSession.cookie_hash == _digest(secret)))
    return until if until is not None and until > clock.now() else None


def revoke(session: Session, secret: object) -> None:
    """End the session a cookie belongs to (the route that clears the cookie calls it)."""
    if not _ours(secret):
        return
    token = session.scalar(select(AuthSession.id).where(AuthSession.cookie_hash == _digest(secret)))
    if token is not None:
        auth.end_session(session, token)

