"""The organisation head office maintains: branches (with their time zones) and user accounts
(role, branches, active flag, password)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.accounts import auth as core_auth
from core.accounts.access import Viewer
from core.masterdata.crud import Entity, allow, code_field, fetch, text_field, unique
from core.platform import clock
from core.platform.errors import DomainError, ValidationError
from core.platform.i18n import register
from core.privacy import audit
from db.enums import Role
from db.models import Branch, User, UserBranch

TIMEZONES = clock.ZONE_LABELS

register({
    "masterdata.bad_timezone": {
        "id": "harus WIB ({wib}), WITA ({wita}) atau WIT ({wit})",
        "en": "must be WIB ({wib}), WITA ({wita}) or WIT ({wit})"},
    "masterdata.self_disable": {
        "id": "tidak bisa menonaktifkan atau menurunkan akun sendiri",
        "en": "you cannot disable or demote your own account"},
})


# ---------------------------------------------------------------- branches

@dataclass
class BranchInput:
    code: str
    name: str
    ahass_code: str | None = None
    timezone: str = clock.WIB
    phone: str | None = None
    address: str | None = None
    active: bool = True


def _branch_values(session: Session, data: BranchInput, own_id: int | None) -> dict[str, Any]:
    code = code_field(data.code, "code", 20)
    unique(session, Branch.code, code, "code", own_id)
    if data.timezone not in TIMEZONES:
        raise ValidationError("masterdata.bad_timezone", field="md.timezone", value=data.timezone,
                              wib=clock.WIB, wita=clock.WITA, wit=clock.WIT)
    return {"code": code, "name": text_field(data.name, "name", 120), "timezone": data.timezone,
            "ahass_code": text_field(data.ahass_code, "ahass_code", 20, required=False),
            "phone": text_field(data.phone, "phone", 20, required=False),
            "address": text_field(data.address, "address", 255, required=False), "active": bool(data.active)}


_BRANCHES = Entity(Branch, "masterdata.branch", "branch", _branch_values, (Branch.code,))


def list_branches(session: Session, viewer: Viewer) -> list[Branch]:
    return _BRANCHES.rows(session, viewer)


def create_branch(session: Session, viewer: Viewer, data: BranchInput) -> Branch:
    return _BRANCHES.create(session, viewer, data)


def update_branch(session: Session, viewer: Viewer, branch_id: int, data: BranchInput) -> Branch:
    return _BRANCHES.update(session, viewer, branch_id, data)


# ---------------------------------------------------------------- users

@dataclass
class UserInput:
    username: str
    full_name: str
    role: Role
    branch_ids: list[int] = field(default_factory=list)
    active: bool = True
    email: str | None = None


def list_users(session: Session, viewer: Viewer) -> list[User]:
    allow(viewer)
    return list(session.scalars(select(User).order_by(User.username)))


def _check_branches(session: Session, role: Role, branch_ids: list[int]) -> list[int]:
    ids = sorted(set(branch_ids))
    known = set(session.scalars(select(Branch.id).where(Branch.id.in_(ids)))) if ids else set()
    if set(ids) - known:
        raise ValidationError("masterdata.unknown_branch", field="md.branches", value=sorted(set(ids) - known))
    if role != Role.PIC_CRM and not ids:
        raise DomainError("auth.branch_required")
    return ids


def create_user(session: Session, viewer: Viewer, data: UserInput, password: str) -> User:
    allow(viewer)
    username = (text_field(data.username, "username", 60) or "").lower()
    full_name = text_field(data.full_name, "full_name", 120) or ""
    ids = _check_branches(session, data.role, data.branch_ids)
    user = core_auth.create_user(session, username=username, full_name=full_name, password=password,
                                 role=data.role, branch_ids=ids,
                                 email=text_field(data.email, "email", 120, required=False))
    audit.record(session, viewer, "masterdata.user.create", user,
                 changes={"username": [None, username], "role": [None, data.role.value], "branch_ids": [None, ids]})
    if not data.active:
        set_user_active(session, viewer, user.id, False)
    return user


def update_user(session: Session, viewer: Viewer, user_id: int, data: UserInput) -> User:
    """Name, role, branches and active flag (the username stays: it is the login)."""
    allow(viewer)
    user = fetch(session, User, user_id, "user")
    ids = _check_branches(session, data.role, data.branch_ids)
    if user.id == viewer.user_id and data.role != Role.PIC_CRM:
        raise ValidationError("masterdata.self_disable", field="md.role", value=data.role.value)
    values = {"full_name": text_field(data.full_name, "full_name", 120), "role": data.role,
              "email": text_field(data.email, "email", 120, required=False)}
    changes = audit.apply(user, values)
    old_ids = sorted(session.scalars(select(UserBranch.branch_id).where(UserBranch.user_id == user.id)))
    if old_ids != ids:
        session.execute(delete(UserBranch).where(UserBranch.user_id == user.id))
        session.add_all(UserBranch(user_id=user.id, branch_id=b) for b in ids)
        changes["branch_ids"] = [old_ids, ids]
    session.flush()
    session.expire(user, ["branches"])
    if changes:
        audit.record(session, viewer, "masterdata.user.update", user, changes=changes)
    if bool(data.active) != user.active:
        set_user_active(session, viewer, user.id, bool(data.active))
    return user


def set_user_active(session: Session, viewer: Viewer, user_id: int, active: bool) -> User:
    """Disabling ends the user's sessions and re-login cookies at once (core.accounts.auth.set_active)."""
    allow(viewer)
    user = fetch(session, User, user_id, "user")
    if user.id == viewer.user_id and not active:
        raise ValidationError("masterdata.self_disable", field="md.active", value=active)
    if user.active != active:
        core_auth.set_active(session, user.id, active)
        session.flush()
        audit.record(session, viewer, "masterdata.user.enable" if active else "masterdata.user.disable", user,
                     changes={"active": [not active, active]})
    return user


def reset_password(session: Session, viewer: Viewer, user_id: int, new_password: str) -> None:
    """A new password chosen by head office; the user's open sessions end."""
    allow(viewer)
    user = fetch(session, User, user_id, "user")
    core_auth.change_password(session, user.id, new_password)
    session.flush()
    audit.record(session, viewer, "masterdata.user.reset_password", user)
