"""Searching the audit trail (head office): by user, record, action and period, paged in SQL.

Read-only by design: nothing in the app edits or deletes audit rows (anonymisation only redacts
personal values in them, core.privacy.rights)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from core.accounts.access import Perm, Viewer
from core.platform import clock
from core.platform.paging import Paged
from core.platform.sqlfilters import prefix
from db.models import AuditLog, Branch, User


@dataclass(frozen=True)
class AuditFilter:
    username: str = ""  # exact username, or "system" for rows without a user
    object_type: str = ""  # customer, lead, booking, ...
    object_id: int | None = None
    action: str = ""  # prefix: "customer." finds customer.update, customer.view...
    date_from: dt.date | None = None
    date_to: dt.date | None = None  # inclusive
    tz: str = clock.HEAD_OFFICE


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: dt.datetime
    username: str
    action: str
    object_type: str
    object_id: int | None
    branch_code: str | None
    changes: dict[str, Any] | None
    note: str | None


@dataclass(frozen=True)
class AuditPage(Paged):
    rows: list[AuditRow]
    total: int
    page: int
    page_size: int


def _conditions(f: AuditFilter) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    name = f.username.strip().lower()
    if name == "system":
        where.append(AuditLog.user_id.is_(None))
    elif name:
        where.append(AuditLog.user_id.in_(select(User.id).where(User.username == name)))
    if f.object_type.strip():
        where.append(AuditLog.object_type == f.object_type.strip().lower())
    if f.object_id is not None:
        where.append(AuditLog.object_id == f.object_id)
    if f.action.strip():
        where.append(prefix(AuditLog.action, f.action.strip().lower()))
    if f.date_from is not None:
        where.append(AuditLog.at >= clock.at_local(f.date_from, 0, 0, f.tz))
    if f.date_to is not None:
        where.append(AuditLog.at < clock.at_local(f.date_to + dt.timedelta(days=1), 0, 0, f.tz))
    return where


def search_audit(session: Session, viewer: Viewer, f: AuditFilter, page: int = 1, page_size: int = 50) -> AuditPage:
    """Newest first; the count and the page are two SQL statements, whatever the log's size."""
    viewer.require(Perm.AUDIT_VIEW)
    page_size = max(1, min(page_size, 500))
    where = _conditions(f)
    total = session.scalar(select(func.count()).select_from(AuditLog).where(*where)) or 0
    page = max(1, min(page, max(1, -(-total // page_size))))
    rows = session.execute(
        select(AuditLog.id, AuditLog.at, User.username, AuditLog.action, AuditLog.object_type, AuditLog.object_id,
               Branch.code, AuditLog.changes, AuditLog.note)
        .outerjoin(User, User.id == AuditLog.user_id).outerjoin(Branch, Branch.id == AuditLog.branch_id)
        .where(*where).order_by(AuditLog.at.desc(), AuditLog.id.desc())
        .offset((page - 1) * page_size).limit(page_size))
    return AuditPage([AuditRow(r[0], r[1], r[2] or "system", *r[3:]) for r in rows], total, page, page_size)


def object_types(session: Session, viewer: Viewer) -> list[str]:
    viewer.require(Perm.AUDIT_VIEW)
    return list(session.scalars(select(AuditLog.object_type).distinct().order_by(AuditLog.object_type)))
