"""Users, passwords, lockout and server-side sessions.

streamlit-authenticator draws the login form and keeps its re-login cookie; everything it would
otherwise keep in a YAML file lives here in the database: users and their password hashes (only
active, unlocked users are handed to it), failed-login counts and lockout, and a server-side
session record that is checked on every run, so logout, password change and disabling a user end
access at once.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from typing import Any

import bcrypt
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.accounts.access import Viewer
from core.platform import clock, settings
from core.platform.errors import DomainError, ValidationError
from core.platform.i18n import register
from db.enums import Role
from db.models import AuthSession, Branch, User, UserBranch

LANGUAGES = ("id", "en")  # Bahasa Indonesia (the default), English

register({
    "auth.unknown_language": {"id": "bahasa tidak tersedia (id atau en)", "en": "no such language (id or en)"},
    "field.language": {"id": "Bahasa", "en": "Language"},
    "auth.locked": {
        "id": "Akun dikunci sampai {until} karena terlalu banyak percobaan login gagal.",
        "en": "Account locked until {until} after too many failed logins.",
    },
    "auth.weak_password": {
        "id": "Password minimal 8 karakter.",
        "en": "Password must have at least 8 characters.",
    },
    "auth.username_taken": {"id": "Username {username} sudah dipakai.", "en": "Username {username} is taken."},
    "auth.branch_required": {
        "id": "Pengguna cabang harus punya minimal satu cabang.",
        "en": "A branch user needs at least one branch.",
    },
})


def hash_password(password: str) -> str:
    if len(password) < 8:
        raise DomainError("auth.weak_password")
    rounds = int(os.environ.get("H23_BCRYPT_ROUNDS", "12"))  # tests lower it; hashing is not what they test
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=rounds)).decode()


def verify_password(password: str, password_hash: str) -> bool:
    try:
        return bcrypt.checkpw(password.encode(), password_hash.encode())
    except ValueError:
        return False


def create_user(
    session: Session, *, username: str, full_name: str, password: str, role: Role,
    branch_ids: list[int], email: str | None = None, password_hash: str | None = None,
) -> User:
    """A new user; head office (PIC CRM) needs no branch, everyone else at least one."""
    username = username.strip().lower()
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise DomainError("auth.username_taken", username=username)
    if role != Role.PIC_CRM and not branch_ids:
        raise DomainError("auth.branch_required")
    user = User(username=username, full_name=full_name, email=email, role=role,
                password_hash=password_hash or hash_password(password), active=True, failed_logins=0)
    session.add(user)
    session.flush()
    for branch_id in branch_ids:
        session.add(UserBranch(user_id=user.id, branch_id=branch_id))
    session.flush()
    return user


def authenticator_credentials(session: Session) -> dict[str, Any]:
    """The credentials dict streamlit-authenticator expects, with only users who may log in now.

    Locked and disabled users are left out, so the widget refuses them like a wrong password."""
    now = clock.now()
    users = session.scalars(select(User).where(User.active.is_(True))).all()
    return {
        "usernames": {
            u.username: {"name": u.full_name, "password": u.password_hash, "email": u.email or "",
                         "roles": [u.role.value], "failed_login_attempts": 0, "logged_in": False}
            for u in users
            if u.locked_until is None or u.locked_until <= now
        }
    }


def lock_status(session: Session, username: str) -> dt.datetime | None:
    """When the account unlocks, if it is locked now."""
    until = session.scalar(select(User.locked_until).where(User.username == username.strip().lower()))
    return until if until is not None and until > clock.now() else None


def record_failed_login(session: Session, username: str) -> dt.datetime | None:
    """Count a failure in the database; lock after the configured number. Returns the lock end.

    Rule: lockout counts fairly. Attempts made while the account is locked are not counted (the
    form refuses them anyway), and a lock that has ended starts the count from zero, so one wrong
    password after a lock never locks the account again at once."""
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        return None
    now = clock.now()
    # One UPDATE each, so two processes counting at once can neither lose a failure nor count one
    # against a lock that has just been set: both conditions are re-read inside the statement.
    session.execute(update(User).where(User.id == user.id, User.locked_until.is_not(None), User.locked_until <= now)
                    .values(locked_until=None, failed_logins=0))
    counted = session.execute(
        update(User).where(User.id == user.id, User.locked_until.is_(None))
        .values(failed_logins=User.failed_logins + 1)).rowcount  # type: ignore[attr-defined]
    session.refresh(user)
    if not counted:
        return user.locked_until
    if user.failed_logins >= settings.get(session, "auth.max_failed_logins"):
        user.locked_until = now + dt.timedelta(minutes=settings.get(session, "auth.lockout_minutes"))
        user.failed_logins = 0
        session.flush()
        return user.locked_until
    return None


def start_session(session: Session, username: str) -> str:
    """After a successful login: reset failures and open a server-side session; returns its token."""
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None or not user.active:
        raise DomainError("error.permission")
    user.failed_logins = 0
    user.locked_until = None
    now = clock.now()
    token = secrets.token_urlsafe(32)
    session.add(AuthSession(id=token, user_id=user.id, created_at=now, last_seen_at=now,
                            expires_at=now + dt.timedelta(hours=settings.get(session, "auth.session_hours"))))
    session.flush()
    return token


def viewer_for_session(session: Session, token: str | None) -> Viewer | None:
    """The viewer behind a live session token, or None when it ended, expired or was revoked."""
    if not token:
        return None
    row = session.get(AuthSession, token)
    now = clock.now()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    if now - row.last_seen_at > dt.timedelta(minutes=settings.get(session, "auth.idle_minutes")):
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    if user.sessions_valid_after is not None and row.created_at < user.sessions_valid_after:
        return None
    return viewer_for_user(session, user)


# last_seen_at is written at most this often: not one UPDATE per click.
KEEP_ALIVE_EVERY = dt.timedelta(seconds=60)


def check_session(session: Session, token: str | None) -> Viewer | None:
    """Every run of the app: the live session's viewer (its idle clock restarted), or None when it
    ended, expired (absolute or idle) or was revoked; a dead session is marked revoked."""
    viewer = viewer_for_session(session, token)
    row = session.get(AuthSession, token) if token else None
    if row is None:
        return None
    now = clock.now()
    if viewer is None:
        if row.revoked_at is None:
            row.revoked_at = now
        return None
    if now - row.last_seen_at >= KEEP_ALIVE_EVERY:
        row.last_seen_at = now
    return viewer


def viewer_for_user(session: Session, user: User) -> Viewer:
    branch_ids = frozenset(session.scalars(
        select(UserBranch.branch_id).join(Branch, Branch.id == UserBranch.branch_id)
        .where(UserBranch.user_id == user.id, Branch.active.is_(True))
    ))
    return Viewer(user.id, user.username, user.full_name, user.role, branch_ids, lang=user.language)


def viewer_for_username(session: Session, username: str) -> Viewer:
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise DomainError("error.not_found", what="user")
    return viewer_for_user(session, user)


def end_session(session: Session, token: str) -> None:
    row = session.get(AuthSession, token)
    if row is not None and row.revoked_at is None:
        row.revoked_at = clock.now()


def end_all_sessions(session: Session, user_id: int) -> None:
    """Logout everywhere: open sessions and outstanding re-login cookies stop working."""
    now = clock.now()
    session.execute(update(AuthSession).where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
                    .values(revoked_at=now))
    session.execute(update(User).where(User.id == user_id).values(sessions_valid_after=now))


def change_password(session: Session, user_id: int, new_password: str) -> None:
    user = session.get(User, user_id)
    if user is None:
        raise DomainError("error.not_found", what="user")
    user.password_hash = hash_password(new_password)
    end_all_sessions(session, user_id)


def set_language(session: Session, viewer: Viewer, lang: str) -> None:
    """The viewer's own display language, kept on their user so every later login opens in it.
    Anyone may set their own; nobody sets another's here (that is Master Data's user form)."""
    if lang not in LANGUAGES:
        raise ValidationError("auth.unknown_language", field="language", value=lang)
    if viewer.user_id is None:
        raise DomainError("error.permission")
    session.execute(update(User).where(User.id == viewer.user_id).values(language=lang))


def set_active(session: Session, user_id: int, active: bool) -> None:
    user = session.get(User, user_id)
    if user is None:
        raise DomainError("error.not_found", what="user")
    user.active = active
    if not active:
        end_all_sessions(session, user_id)
