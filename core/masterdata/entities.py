"""Head-office master data: branches, users, KPB rules, lost reasons, pits and staff, SOP settings.

Every operation needs Perm.SETTINGS_MANAGE (head office), validates its input into a
ValidationError naming the field, and writes an audit entry ("masterdata.<thing>.<verb>").
Callers own the transaction (these functions flush, never commit).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.accounts import auth as core_auth
from core.accounts.access import Perm, Viewer
from core.platform import settings as core_settings
from core.platform.errors import DomainError, NotFound, ValidationError
from core.platform.i18n import register
from core.platform.text_input import check_text
from core.privacy import audit
from db.enums import Role, StaffKind
from db.models import Branch, KpbRule, LostReason, Pit, Setting, Staff, User, UserBranch

TIMEZONES = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}
KPB_LIMITS = {"days": (1, 3650), "km": (1, 200_000), "grace_days": (0, 365), "grace_km": (0, 10_000)}
# (low, high) per setting; settings not listed take any whole number >= 0.
SETTING_LIMITS: dict[str, tuple[int, int]] = {
    "sop.message_days_before": (0, 60), "sop.call_days_before": (0, 60), "sop.feedback_days_after": (0, 60),
    "sop.visit_day_of_month": (1, 28), "followup.next_plan_days": (1, 60),
    "leads.open_days_before_deadline": (0, 180), "leads.not_back_days": (1, 730),
    "leads.regular_interval_days": (1, 730), "booking.slot_minutes": (10, 480),
    "booking.open_hour": (0, 23), "booking.close_hour": (1, 24), "auth.max_failed_logins": (1, 100),
    "auth.lockout_minutes": (1, 1440), "auth.session_hours": (1, 168),
    "auth.idle_minutes": (5, 1440), "reports.background_rows": (1_000, 1_048_576),
    "reports.export_keep_hours": (1, 720), "intake.keep_upload_days": (1, 365),
    "intake.max_unpacked_mb": (10, 4_000), "intake.max_rows": (1_000, 5_000_000),
    "intake.foreground_unpacked_mb": (1, 100),
    "dgi.pull_every_minutes": (5, 1440), "dgi.overlap_minutes": (0, 1440), "dgi.first_pull_days": (1, 90),
    "dgi.max_window_days": (1, 31), "dgi.spk_lookback_days": (1, 365),
}
_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]*$")
_ENGINE_CODE = re.compile(r"^([A-Z0-9]{1,5}|\*)$")

register({
    "masterdata.required": {"id": "wajib diisi", "en": "is required"},
    "masterdata.too_long": {"id": "maksimal {max} karakter", "en": "at most {max} characters"},
    "masterdata.bad_code": {
        "id": "hanya huruf besar, angka, - dan _", "en": "only capital letters, digits, - and _"},
    "masterdata.duplicate": {"id": "sudah dipakai", "en": "is already used"},
    "masterdata.range": {"id": "harus antara {low} dan {high}", "en": "must be between {low} and {high}"},
    "masterdata.not_integer": {"id": "harus bilangan bulat", "en": "must be a whole number"},
    "masterdata.not_boolean": {"id": "harus ya atau tidak", "en": "must be yes or no"},
    "masterdata.bad_timezone": {
        "id": "harus WIB (Asia/Jakarta), WITA (Asia/Makassar) atau WIT (Asia/Jayapura)",
        "en": "must be WIB (Asia/Jakarta), WITA (Asia/Makassar) or WIT (Asia/Jayapura)"},
    "masterdata.bad_engine_code": {
        "id": "1-5 huruf/angka, atau * untuk aturan default",
        "en": "1-5 letters/digits, or * for the default rule"},
    "masterdata.kpb_days_after": {
        "id": "harus lebih dari {days} hari (KPB {other})", "en": "must be more than {days} days (KPB {other})"},
    "masterdata.kpb_days_before": {
        "id": "harus kurang dari {days} hari (KPB {other})", "en": "must be less than {days} days (KPB {other})"},
    "masterdata.unknown_branch": {"id": "cabang tidak dikenal", "en": "unknown branch"},
    "masterdata.self_disable": {
        "id": "tidak bisa menonaktifkan atau menurunkan akun sendiri",
        "en": "you cannot disable or demote your own account"},
    "masterdata.unknown_setting": {"id": "pengaturan tidak dikenal", "en": "unknown setting"},
    "masterdata.open_before_close": {
        "id": "jam buka harus sebelum jam tutup", "en": "opening hour must be before closing hour"},
    # Field labels (namespaced, so they never clash with another module's field.* codes).
    "field.md.code": {"id": "Kode", "en": "Code"},
    "field.md.name": {"id": "Nama", "en": "Name"},
    "field.md.ahass_code": {"id": "Kode AHASS", "en": "AHASS code"},
    "field.md.timezone": {"id": "Zona waktu", "en": "Time zone"},
    "field.md.phone": {"id": "Telepon", "en": "Phone"},
    "field.md.address": {"id": "Alamat", "en": "Address"},
    "field.md.username": {"id": "Username", "en": "Username"},
    "field.md.full_name": {"id": "Nama lengkap", "en": "Full name"},
    "field.md.branches": {"id": "Cabang", "en": "Branches"},
    "field.md.active": {"id": "Aktif", "en": "Active"},
    "field.md.email": {"id": "Email", "en": "Email"},
    "field.md.role": {"id": "Peran", "en": "Role"},
    "field.md.engine_code": {"id": "Kode mesin", "en": "Engine code"},
    "field.md.kpb_number": {"id": "KPB ke", "en": "KPB number"},
    "field.md.days": {"id": "Hari", "en": "Days"},
    "field.md.km": {"id": "Km", "en": "Km"},
    "field.md.grace_days": {"id": "Toleransi hari", "en": "Grace days"},
    "field.md.grace_km": {"id": "Toleransi km", "en": "Grace km"},
    "field.md.name_id": {"id": "Nama (Indonesia)", "en": "Name (Indonesian)"},
    "field.md.name_en": {"id": "Nama (Inggris)", "en": "Name (English)"},
    "field.md.sort": {"id": "Urutan", "en": "Sort order"},
    "field.md.setting": {"id": "Pengaturan", "en": "Setting"},
})


def _allow(viewer: Viewer) -> None:
    viewer.require(Perm.SETTINGS_MANAGE)


def _text(value: str | None, field: str, max_len: int, *, required: bool = True) -> str | None:
    value = check_text(f"md.{field}", (value or "").strip())  # before any query uses it (PostgreSQL: no NUL)
    if not value:
        if required:
            raise ValidationError("masterdata.required", field=f"md.{field}", value=value)
        return None
    if len(value) > max_len:
        raise ValidationError("masterdata.too_long", field=f"md.{field}", value=value, max=max_len)
    return value


def _code(value: str | None, field: str, max_len: int) -> str:
    code = (_text(value, field, max_len) or "").upper()
    if not _CODE.match(code):
        raise ValidationError("masterdata.bad_code", field=f"md.{field}", value=code)
    return code


def _int(value: Any, field: str, low: int, high: int) -> int:
    if isinstance(value, bool):
        raise ValidationError("masterdata.not_integer", field=f"md.{field}", value=value)
    if not isinstance(value, int):
        try:
            value = int(str(value).strip())
        except (TypeError, ValueError):
            raise ValidationError("masterdata.not_integer", field=f"md.{field}", value=value) from None
    if not low <= value <= high:
        raise ValidationError("masterdata.range", field=f"md.{field}", value=value, low=low, high=high)
    return value


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "ya", "yes", "on"):
        return True
    if text in ("0", "false", "tidak", "no", "off"):
        return False
    raise ValidationError("masterdata.not_boolean", field="md.setting", value=value)


def _unique(session: Session, column: Any, value: Any, field: str, own_id: int | None, *where: Any) -> None:
    entity = column.class_
    found = session.scalar(select(entity.id).where(column == value, *where).limit(1))
    if found is not None and found != own_id:
        raise ValidationError("masterdata.duplicate", field=f"md.{field}", value=value)


def _get(session: Session, model: Any, obj_id: int, what: str) -> Any:
    obj = session.get(model, obj_id)
    if obj is None:
        raise NotFound("error.not_found", what=what)
    return obj


def _apply(session: Session, viewer: Viewer, action: str, obj: Any, values: dict[str, Any]) -> Any:
    """Set the values on obj (new or existing) and audit what changed."""
    is_new = getattr(obj, "id", None) is None
    if is_new:
        changes = audit.created(values)
        for key, value in values.items():
            setattr(obj, key, value)
        session.add(obj)
    else:
        changes = audit.apply(obj, values)  # only the fields that change are set and audited
    session.flush()
    if is_new or changes:
        audit.record(session, viewer, action, obj, changes=changes)
    return obj


# ---------------------------------------------------------------- branches

@dataclass
class BranchInput:
    code: str
    name: str
    ahass_code: str | None = None
    timezone: str = "Asia/Jakarta"
    phone: str | None = None
    address: str | None = None
    active: bool = True


def list_branches(session: Session, viewer: Viewer) -> list[Branch]:
    _allow(viewer)
    return list(session.scalars(select(Branch).order_by(Branch.code)))


def _branch_values(session: Session, data: BranchInput, own_id: int | None) -> dict[str, Any]:
    code = _code(data.code, "code", 20)
    _unique(session, Branch.code, code, "code", own_id)
    if data.timezone not in TIMEZONES:
        raise ValidationError("masterdata.bad_timezone", field="md.timezone", value=data.timezone)
    return {"code": code, "name": _text(data.name, "name", 120), "timezone": data.timezone,
            "ahass_code": _text(data.ahass_code, "ahass_code", 20, required=False),
            "phone": _text(data.phone, "phone", 20, required=False),
            "address": _text(data.address, "address", 255, required=False), "active": bool(data.active)}


def create_branch(session: Session, viewer: Viewer, data: BranchInput) -> Branch:
    _allow(viewer)
    return _apply(session, viewer, "masterdata.branch.create", Branch(), _branch_values(session, data, None))


def update_branch(session: Session, viewer: Viewer, branch_id: int, data: BranchInput) -> Branch:
    _allow(viewer)
    branch = _get(session, Branch, branch_id, "branch")
    return _apply(session, viewer, "masterdata.branch.update", branch, _branch_values(session, data, branch_id))


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
    _allow(viewer)
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
    _allow(viewer)
    username = (_text(data.username, "username", 60) or "").lower()
    full_name = _text(data.full_name, "full_name", 120) or ""
    ids = _check_branches(session, data.role, data.branch_ids)
    user = core_auth.create_user(session, username=username, full_name=full_name, password=password,
                                 role=data.role, branch_ids=ids, email=_text(data.email, "email", 120,
                                                                             required=False))
    audit.record(session, viewer, "masterdata.user.create", user,
                 changes={"username": [None, username], "role": [None, data.role.value], "branch_ids": [None, ids]})
    if not data.active:
        set_user_active(session, viewer, user.id, False)
    return user


def update_user(session: Session, viewer: Viewer, user_id: int, data: UserInput) -> User:
    """Name, role, branches and active flag (the username stays: it is the login)."""
    _allow(viewer)
    user = _get(session, User, user_id, "user")
    ids = _check_branches(session, data.role, data.branch_ids)
    if user.id == viewer.user_id and data.role != Role.PIC_CRM:
        raise ValidationError("masterdata.self_disable", field="md.role", value=data.role.value)
    values = {"full_name": _text(data.full_name, "full_name", 120), "role": data.role,
              "email": _text(data.email, "email", 120, required=False)}
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
    _allow(viewer)
    user = _get(session, User, user_id, "user")
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
    _allow(viewer)
    user = _get(session, User, user_id, "user")
    core_auth.change_password(session, user.id, new_password)
    session.flush()
    audit.record(session, viewer, "masterdata.user.reset_password", user)


# ---------------------------------------------------------------- KPB rules

@dataclass
class KpbRuleInput:
    engine_code: str
    kpb_number: int
    days: int
    km: int
    grace_days: int = 0
    grace_km: int = 0


def list_kpb_rules(session: Session, viewer: Viewer) -> list[KpbRule]:
    _allow(viewer)
    return list(session.scalars(select(KpbRule).order_by(KpbRule.engine_code, KpbRule.kpb_number)))


def _kpb_values(session: Session, data: KpbRuleInput, own_id: int | None) -> dict[str, Any]:
    engine_code = (data.engine_code or "").strip().upper()
    if not _ENGINE_CODE.match(engine_code):
        raise ValidationError("masterdata.bad_engine_code", field="md.engine_code", value=engine_code)
    number = _int(data.kpb_number, "kpb_number", 1, 4)
    values: dict[str, Any] = {"engine_code": engine_code, "kpb_number": number}
    for name, (low, high) in KPB_LIMITS.items():
        values[name] = _int(getattr(data, name), name, low, high)
    _unique(session, KpbRule.kpb_number, number, "kpb_number", own_id, KpbRule.engine_code == engine_code)
    # Rule: for one engine code, a later KPB always comes later (more days after purchase).
    for other in session.scalars(select(KpbRule).where(KpbRule.engine_code == engine_code)):
        if other.id == own_id:
            continue
        if other.kpb_number < number and other.days >= values["days"]:
            raise ValidationError("masterdata.kpb_days_after", field="md.days", value=values["days"],
                                  days=other.days, other=other.kpb_number)
        if other.kpb_number > number and other.days <= values["days"]:
            raise ValidationError("masterdata.kpb_days_before", field="md.days", value=values["days"],
                                  days=other.days, other=other.kpb_number)
    return values


def create_kpb_rule(session: Session, viewer: Viewer, data: KpbRuleInput) -> KpbRule:
    _allow(viewer)
    return _apply(session, viewer, "masterdata.kpb_rule.create", KpbRule(), _kpb_values(session, data, None))


def update_kpb_rule(session: Session, viewer: Viewer, rule_id: int, data: KpbRuleInput) -> KpbRule:
    _allow(viewer)
    rule = _get(session, KpbRule, rule_id, "KPB rule")
    return _apply(session, viewer, "masterdata.kpb_rule.update", rule, _kpb_values(session, data, rule_id))


# ---------------------------------------------------------------- lost reasons

@dataclass
class LostReasonInput:
    code: str
    name_id: str
    name_en: str
    active: bool = True
    sort: int = 0


def list_lost_reasons(session: Session, viewer: Viewer) -> list[LostReason]:
    _allow(viewer)
    return list(session.scalars(select(LostReason).order_by(LostReason.sort, LostReason.code)))


def _lost_values(session: Session, data: LostReasonInput, own_id: int | None) -> dict[str, Any]:
    code = _code(data.code, "code", 30)
    _unique(session, LostReason.code, code, "code", own_id)
    return {"code": code, "name_id": _text(data.name_id, "name_id", 120),
            "name_en": _text(data.name_en, "name_en", 120), "active": bool(data.active),
            "sort": _int(data.sort, "sort", 0, 9999)}


def create_lost_reason(session: Session, viewer: Viewer, data: LostReasonInput) -> LostReason:
    _allow(viewer)
    return _apply(session, viewer, "masterdata.lost_reason.create", LostReason(), _lost_values(session, data, None))


def update_lost_reason(session: Session, viewer: Viewer, reason_id: int, data: LostReasonInput) -> LostReason:
    _allow(viewer)
    reason = _get(session, LostReason, reason_id, "lost reason")
    return _apply(session, viewer, "masterdata.lost_reason.update", reason,
                  _lost_values(session, data, reason_id))


# ---------------------------------------------------------------- pits and staff (per branch)

@dataclass
class PitInput:
    branch_id: int
    name: str
    active: bool = True


@dataclass
class StaffInput:
    branch_id: int
    kind: StaffKind
    code: str
    name: str
    active: bool = True


def _branch_id(session: Session, branch_id: int) -> int:
    if session.get(Branch, branch_id) is None:
        raise ValidationError("masterdata.unknown_branch", field="branch", value=branch_id)
    return branch_id


def list_pits(session: Session, viewer: Viewer, branch_id: int | None = None) -> list[Pit]:
    _allow(viewer)
    query = select(Pit).order_by(Pit.branch_id, Pit.name)
    return list(session.scalars(query if branch_id is None else query.where(Pit.branch_id == branch_id)))


def _pit_values(session: Session, data: PitInput, own_id: int | None) -> dict[str, Any]:
    branch_id = _branch_id(session, data.branch_id)
    name = (_text(data.name, "name", 40) or "").upper()
    _unique(session, Pit.name, name, "name", own_id, Pit.branch_id == branch_id)
    return {"branch_id": branch_id, "name": name, "active": bool(data.active)}


def create_pit(session: Session, viewer: Viewer, data: PitInput) -> Pit:
    _allow(viewer)
    return _apply(session, viewer, "masterdata.pit.create", Pit(), _pit_values(session, data, None))


def update_pit(session: Session, viewer: Viewer, pit_id: int, data: PitInput) -> Pit:
    _allow(viewer)
    pit = _get(session, Pit, pit_id, "pit")
    return _apply(session, viewer, "masterdata.pit.update", pit, _pit_values(session, data, pit_id))


def list_staff(session: Session, viewer: Viewer, branch_id: int | None = None) -> list[Staff]:
    _allow(viewer)
    query = select(Staff).order_by(Staff.branch_id, Staff.kind, Staff.name)
    return list(session.scalars(query if branch_id is None else query.where(Staff.branch_id == branch_id)))


def _staff_values(session: Session, data: StaffInput, own_id: int | None) -> dict[str, Any]:
    branch_id = _branch_id(session, data.branch_id)
    code = _code(data.code, "code", 20)
    _unique(session, Staff.code, code, "code", own_id, Staff.branch_id == branch_id)
    return {"branch_id": branch_id, "kind": StaffKind(data.kind), "code": code,
            "name": (_text(data.name, "name", 120) or "").upper(), "active": bool(data.active)}


def create_staff(session: Session, viewer: Viewer, data: StaffInput) -> Staff:
    _allow(viewer)
    return _apply(session, viewer, "masterdata.staff.create", Staff(), _staff_values(session, data, None))


def update_staff(session: Session, viewer: Viewer, staff_id: int, data: StaffInput) -> Staff:
    _allow(viewer)
    staff = _get(session, Staff, staff_id, "staff")
    return _apply(session, viewer, "masterdata.staff.update", staff, _staff_values(session, data, staff_id))


# ---------------------------------------------------------------- settings

@dataclass(frozen=True)
class SettingRow:
    key: str
    value: Any
    default: Any
    overridden: bool


def list_settings(session: Session, viewer: Viewer) -> list[SettingRow]:
    _allow(viewer)
    stored: dict[str, Any] = {k: v for k, v in session.execute(select(Setting.key, Setting.value)).tuples()}
    return [SettingRow(key, stored.get(key, default), default, key in stored)
            for key, default in core_settings.DEFAULTS.items()]


def put_setting(session: Session, viewer: Viewer, key: str, value: Any) -> Any:
    """Store a setting, converted to its default's type and checked against its range."""
    _allow(viewer)
    if key not in core_settings.DEFAULTS:
        raise ValidationError("masterdata.unknown_setting", field="md.setting", value=key)
    default = core_settings.DEFAULTS[key]
    if isinstance(default, bool):
        value = _bool(value)
    elif isinstance(default, int):
        low, high = SETTING_LIMITS.get(key, (0, 1_000_000))
        value = _int(value, "setting", low, high)
    else:
        value = _text(str(value), "setting", 255)
    old = core_settings.get(session, key)
    if key in ("booking.open_hour", "booking.close_hour"):
        open_hour = value if key == "booking.open_hour" else core_settings.get(session, "booking.open_hour")
        close_hour = value if key == "booking.close_hour" else core_settings.get(session, "booking.close_hour")
        if open_hour >= close_hour:
            raise ValidationError("masterdata.open_before_close", field="md.setting", value=f"{key}={value}")
    if audit.same(old, value):  # nothing changes: no row written, no unchanged pair audited
        return value
    core_settings.put(session, key, value, user_id=viewer.user_id)
    session.flush()
    row = session.get(Setting, key)
    audit.record(session, viewer, "masterdata.setting.put", row, changes={key: [old, value]})
    return value
