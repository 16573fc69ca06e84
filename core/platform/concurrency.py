"""Optimistic concurrency for records two people may edit at once (leads/opportunities, bookings).

Each such row has a `version` (SQLAlchemy's version_id_col, bumped on every UPDATE). A screen keeps
the version it showed; a save made on an older version is refused with who changed the record,
when, and which fields, so the user reloads instead of silently overwriting a colleague's work.
If two saves pass the check at the same instant, the versioned UPDATE of the second matches no row
(StaleDataError), which `stale_error` turns into the same refusal."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Text, cast, select
from sqlalchemy.orm import Session

from core.platform import clock
from core.platform.errors import DomainError
from core.platform.i18n import register, t
from db.models import AuditLog, Branch, User

register({
    "error.stale_what": {"id": "Yang berubah: {what}.", "en": "What changed: {what}."},
})


class StaleRecord(DomainError):
    """error.stale (who and when), followed by what changed, in the reader's language."""

    def __init__(self, *, user: str, at: str, fields: list[str], actions: list[str]) -> None:
        self.fields, self.actions = fields, actions
        super().__init__("error.stale", user=user, at=at, fields=fields, actions=actions)

    def message(self, lang: str = "id") -> str:
        what = _what(self.actions, self.fields, lang)
        return t("error.stale", lang, **self.params) + (" " + t("error.stale_what", lang, what=what) if what else "")

_MAX_ROWS = 20


def _what(actions: list[str], fields: list[str], lang: str = "id") -> str:
    names = []
    for f in fields:
        label = t(f"field.{f}", lang)
        names.append(f if label == f"field.{f}" else label)
    return ", ".join(names) if names else ", ".join(actions)


def check_version(session: Session, obj: Any, expected_version: int | None) -> None:
    """Rule: a save made on a stale copy is refused, naming who changed it, when, and what changed."""
    if expected_version is None or obj.version == expected_version:
        return
    raise stale_error(session, obj, max(1, obj.version - expected_version))


def stale_error(session: Session, obj: Any, newer_versions: int = 1) -> StaleRecord:
    """The refusal for a stale save: the audit rows written since (one per change, newest first).

    Every save of a versioned record that changes it writes one audit row holding exactly the fields
    it changed (core.privacy.audit.apply), and a save that changes nothing writes neither; so the newest
    `newer_versions` rows with changes are the changes made since the reader's version. Rows without
    changes (someone viewing the record) changed nothing and are skipped."""
    rows = session.execute(
        select(User.full_name, AuditLog.at, AuditLog.action, AuditLog.changes)
        .outerjoin(User, User.id == AuditLog.user_id)
        .where(AuditLog.object_type == type(obj).__tablename__, AuditLog.object_id == obj.id,
               AuditLog.changes.is_not(None), cast(AuditLog.changes, Text) != "null")  # JSON null: no changes
        .order_by(AuditLog.id.desc()).limit(min(max(newer_versions, 1), _MAX_ROWS))).all()
    who = rows[0][0] if rows and rows[0][0] else "sistem"
    when = rows[0][1] if rows else getattr(obj, "updated_at", None) or clock.now()
    fields: list[str] = []
    actions: list[str] = []
    for _, _, action, changes in rows:
        actions.append(action)
        fields.extend(f for f in (changes or {}) if f not in fields)
    branch_id = getattr(obj, "branch_id", None)
    tz = (session.scalar(select(Branch.timezone).where(Branch.id == branch_id)) if branch_id else None) \
        or clock.HEAD_OFFICE  # the record's branch's clock
    return StaleRecord(user=who, at=clock.stamp(when, tz),
                       fields=fields, actions=actions)
