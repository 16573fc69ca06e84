"""The audit trail: who did what to which record, with old and new values."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from core import clock
from core.access import Viewer
from db.models import AuditLog


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    return value


def diff(obj: Any, changes: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for the fields whose value actually changes."""
    out = {}
    for field, new in changes.items():
        old = getattr(obj, field)
        if old != new:
            out[field] = [_jsonable(old), _jsonable(new)]
    return out


def record(
    session: Session, viewer: Viewer, action: str, obj: Any, *,
    changes: dict[str, Any] | None = None, note: str | None = None,
) -> None:
    session.add(AuditLog(
        at=clock.now(), user_id=viewer.user_id, action=action, object_type=type(obj).__tablename__,
        object_id=getattr(obj, "id", None), branch_id=getattr(obj, "branch_id", None),
        changes={k: [_jsonable(x) for x in v] if isinstance(v, list) else _jsonable(v)
                 for k, v in (changes or {}).items()} or None,
        note=note,
    ))
