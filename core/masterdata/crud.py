"""The shape every master-data change shares, written once: the permission check, the field
validators, the duplicate check, and `Entity`, which lists, creates and updates one table.

Every operation needs Perm.SETTINGS_MANAGE (head office), validates its input into a
ValidationError naming the field, and writes an audit entry ("masterdata.<thing>.<verb>").
Callers own the transaction (these functions flush, never commit).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.accounts.access import Perm, Viewer
from core.platform.errors import NotFound, ValidationError
from core.platform.i18n import register
from core.platform.text_input import check_text
from core.privacy import audit
from db.base import Base
from db.models import Branch

_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]*$")

register({
    "masterdata.required": {"id": "wajib diisi", "en": "is required"},
    "masterdata.too_long": {"id": "maksimal {max} karakter", "en": "at most {max} characters"},
    "masterdata.bad_code": {
        "id": "hanya huruf besar, angka, - dan _", "en": "only capital letters, digits, - and _"},
    "masterdata.duplicate": {"id": "sudah dipakai", "en": "is already used"},
    "masterdata.range": {"id": "harus antara {low} dan {high}", "en": "must be between {low} and {high}"},
    "masterdata.not_integer": {"id": "harus bilangan bulat", "en": "must be a whole number"},
    "masterdata.not_boolean": {"id": "harus ya atau tidak", "en": "must be yes or no"},
    "masterdata.unknown_branch": {"id": "cabang tidak dikenal", "en": "unknown branch"},
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


def allow(viewer: Viewer) -> None:
    viewer.require(Perm.SETTINGS_MANAGE)


def text_field(value: str | None, field: str, max_len: int, *, required: bool = True) -> str | None:
    value = check_text(f"md.{field}", (value or "").strip())  # before any query uses it (PostgreSQL: no NUL)
    if not value:
        if required:
            raise ValidationError("masterdata.required", field=f"md.{field}", value=value)
        return None
    if len(value) > max_len:
        raise ValidationError("masterdata.too_long", field=f"md.{field}", value=value, max=max_len)
    return value


def code_field(value: str | None, field: str, max_len: int) -> str:
    code = (text_field(value, field, max_len) or "").upper()
    if not _CODE.match(code):
        raise ValidationError("masterdata.bad_code", field=f"md.{field}", value=code)
    return code


def int_field(value: Any, field: str, low: int, high: int) -> int:
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


def bool_field(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "ya", "yes", "on"):
        return True
    if text in ("0", "false", "tidak", "no", "off"):
        return False
    raise ValidationError("masterdata.not_boolean", field="md.setting", value=value)


def unique(session: Session, column: Any, value: Any, field: str, own_id: int | None, *where: Any) -> None:
    entity = column.class_
    found = session.scalar(select(entity.id).where(column == value, *where).limit(1))
    if found is not None and found != own_id:
        raise ValidationError("masterdata.duplicate", field=f"md.{field}", value=value)


def fetch(session: Session, model: Any, obj_id: int, what: str) -> Any:
    obj = session.get(model, obj_id)
    if obj is None:
        raise NotFound("error.not_found", what=what)
    return obj


def known_branch(session: Session, branch_id: int) -> int:
    """branch_id when that branch exists (a pit's or a staff member's)."""
    if session.get(Branch, branch_id) is None:
        raise ValidationError("masterdata.unknown_branch", field="branch", value=branch_id)
    return branch_id


def apply(session: Session, viewer: Viewer, action: str, obj: Any, values: dict[str, Any]) -> Any:
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


M = TypeVar("M", bound=Base)
D = TypeVar("D")


@dataclass(frozen=True)
class Entity(Generic[M, D]):
    """One table's list, create and update: head office only, the input validated by `values`
    (given the row's own id on update, so its duplicate check skips the row itself), audited as
    "<action>.create" / "<action>.update"."""

    model: type[M]
    action: str  # "masterdata.branch"
    what: str  # the NotFound wording: "branch"
    values: Callable[[Session, D, int | None], dict[str, Any]]
    order: tuple[Any, ...]

    def rows(self, session: Session, viewer: Viewer, *where: Any) -> list[M]:
        allow(viewer)
        return list(session.scalars(select(self.model).order_by(*self.order).where(*where)))

    def create(self, session: Session, viewer: Viewer, data: D) -> M:
        allow(viewer)
        obj: M = apply(session, viewer, f"{self.action}.create", self.model(), self.values(session, data, None))
        return obj

    def update(self, session: Session, viewer: Viewer, obj_id: int, data: D) -> M:
        allow(viewer)
        obj: M = fetch(session, self.model, obj_id, self.what)
        updated: M = apply(session, viewer, f"{self.action}.update", obj, self.values(session, data, obj_id))
        return updated
