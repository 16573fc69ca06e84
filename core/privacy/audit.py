"""The audit trail: who did what to which record, with old and new values."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from core.accounts.access import Viewer
from core.platform import clock
from db.models import AuditLog


def jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    return value


def normalised(value: Any) -> Any:
    """A value as the database keeps it, for comparing: an enum is its value, an empty string is no
    value, a datetime is in UTC (a naive one is taken as UTC), a number is exact."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, str):
        return value if value != "" else None
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    if isinstance(value, float):
        return Decimal(str(value))
    return value


def same(old: Any, new: Any) -> bool:
    """Whether saving `new` over `old` leaves the stored value as it was. A date column given a
    datetime keeps the date alone."""
    a, b = normalised(old), normalised(new)
    if isinstance(a, dt.date) and isinstance(b, dt.date) and isinstance(a, dt.datetime) != isinstance(b, dt.datetime):
        a, b = (x.date() if isinstance(x, dt.datetime) else x for x in (a, b))
    return bool(a == b)


def diff(obj: Any, changes: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for exactly the fields whose value actually changes (see `same`)."""
    return {field: [jsonable(getattr(obj, field)), jsonable(new)]
            for field, new in changes.items() if not same(getattr(obj, field), new)}


def apply(obj: Any, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Set on obj the values that change it, and return their diff for the audit row. Fields that
    stay the same are not even set, so a save that changes nothing updates no row (and keeps the
    record's version): the audit row and the UPDATE always agree on what changed."""
    changes = diff(obj, values)
    for field in changes:
        setattr(obj, field, values[field])
    return changes


def created(values: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [None, new]} for a new record: the fields it is created with a value in."""
    return {field: [None, jsonable(new)] for field, new in values.items() if not same(None, new)}


def record(
    session: Session, viewer: Viewer, action: str, obj: Any, *,
    changes: dict[str, Any] | None = None, note: str | None = None,
) -> None:
    session.add(AuditLog(
        at=clock.now(), user_id=viewer.user_id, action=action, object_type=type(obj).__tablename__,
        object_id=getattr(obj, "id", None), branch_id=getattr(obj, "branch_id", None),
        changes={k: [jsonable(x) for x in v] if isinstance(v, list) else jsonable(v)
                 for k, v in (changes or {}).items()} or None,
        note=note,
    ))
