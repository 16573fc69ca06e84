"""The weekly recap e-mail's recipients and when their mail is due (core.reports.recap_mail sends it):
each active branch's heads (Kepala Cabang, Kepala Bengkel) from Monday 07:00 branch-local time, head
office's PIC CRM from 07:00 WIB; one recap_mail row each per week, queued once under a unique key."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.platform import clock
from db.engine import Database
from db.enums import Role
from db.models import Branch, RecapMail, User, UserBranch

MAIL: Table = RecapMail.__table__  # type: ignore[assignment]
SEND_HOUR = 7  # Monday, local time of the branch (head office: WIB)
HEAD_OFFICE_TZ = clock.HEAD_OFFICE  # 07:00 WIB = 08:00 WITA = 09:00 WIT: every branch's week has ended
HEAD_ROLES = (Role.KACAB, Role.KABENG)


@dataclass(frozen=True)
class Scope:
    branch_id: int | None  # None: head office
    timezone: str

    @property
    def key(self) -> str:
        return "HO" if self.branch_id is None else f"B{self.branch_id}"


def recapped_week(now: dt.datetime, tz: str) -> dt.date:
    """Monday of the week this week's mail recaps: the week before the current local one."""
    today = clock.local(now, tz).date()
    return today - dt.timedelta(days=today.weekday() + 7)


def _monday_send(now: dt.datetime, tz: str) -> dt.datetime:
    today = clock.local(now, tz).date()
    return clock.at_local(today - dt.timedelta(days=today.weekday()), SEND_HOUR, 0, tz)


def is_due(now: dt.datetime, tz: str) -> bool:
    """This week's mail may go: it is Monday 07:00 or later in the zone (until the next Monday)."""
    return now >= _monday_send(now, tz)


def next_send(now: dt.datetime, tz: str) -> dt.datetime:
    this_week = _monday_send(now, tz)
    return this_week if now < this_week else this_week + dt.timedelta(days=7)


def _scopes(session: Session) -> list[Scope]:
    branches = session.execute(select(Branch.id, Branch.timezone).where(Branch.active.is_(True))
                               .order_by(Branch.code)).all()
    return [Scope(int(b), tz) for b, tz in branches] + [Scope(None, HEAD_OFFICE_TZ)]


def _dedup_key(week: dt.date, scope: Scope, user_id: int | None) -> str:
    return f"{week:%Y%m%d}:{scope.key}:{user_id if user_id is not None else '-'}"


def _wanted_rows(session: Session, scopes: list[Scope], now: dt.datetime) -> list[dict[str, Any]]:
    """One row per head and scope (a 'no_email' row for a head without an address, a 'no_head' row for
    a branch nobody heads)."""
    branch_scopes = {s.branch_id: s for s in scopes if s.branch_id is not None}
    heads = session.execute(
        select(UserBranch.branch_id, User.id, User.email, User.language).join(User, User.id == UserBranch.user_id)
        .where(UserBranch.branch_id.in_(list(branch_scopes)), User.role.in_(HEAD_ROLES), User.active.is_(True))
        .order_by(UserBranch.branch_id, User.id)).all() if branch_scopes else []
    by_scope: dict[str, list[tuple[int | None, str | None, str]]] = {}
    for b, u, email, lang in heads:
        by_scope.setdefault(branch_scopes[b].key, []).append((int(u), email, lang))
    if any(s.branch_id is None for s in scopes):
        by_scope["HO"] = [(int(u), email, lang) for u, email, lang in session.execute(
            select(User.id, User.email, User.language).where(User.role == Role.PIC_CRM, User.active.is_(True))
            .order_by(User.id))]
    rows = []
    for scope in scopes:
        week = recapped_week(now, scope.timezone)
        people = by_scope.get(scope.key, [])
        for user_id, email, lang in people or [(None, None, "id")]:
            address = (email or "").strip() or None
            state = "queued" if address else ("no_email" if user_id is not None else "no_head")
            rows.append({"dedup_key": _dedup_key(week, scope, user_id), "week": week, "branch_id": scope.branch_id,
                         "user_id": user_id, "email": address, "lang": "en" if lang == "en" else "id",
                         "state": state, "attempts": 0, "next_attempt_at": now, "created_at": now})
    return rows


def enqueue(db: Database, now: dt.datetime, *, force: bool = False) -> int:
    """Queue this week's mail of every scope whose Monday 07:00 has come (all of them with force).
    Reads first and writes only what is missing, so the ticks of the rest of the week stay reads; a
    head given an e-mail address later in the week is queued then. Returns the rows added or queued."""
    with db.session(None, system=True) as s:
        scopes = [sc for sc in _scopes(s) if force or is_due(now, sc.timezone)]
        wanted = _wanted_rows(s, scopes, now) if scopes else []
        have = dict(s.execute(select(RecapMail.dedup_key, RecapMail.state).where(
            RecapMail.week.in_(sorted({r["week"] for r in wanted})))).tuples().all()) if wanted else {}
    missing = [r for r in wanted if r["dedup_key"] not in have]
    now_reachable = [r for r in wanted if have.get(r["dedup_key"]) == "no_email" and r["email"]]
    if not (missing or now_reachable):
        return 0
    changed = 0
    with db.transaction(None, system=True) as s:
        if missing:
            ins = (postgresql.insert(MAIL) if s.get_bind().dialect.name == "postgresql" else sqlite.insert(MAIL))
            stmt = ins.values(missing).on_conflict_do_nothing(index_elements=["dedup_key"])
            changed += len(s.execute(stmt.returning(MAIL.c.id)).all())
        for r in now_reachable:
            changed += len(s.execute(
                update(MAIL).where(MAIL.c.dedup_key == r["dedup_key"], MAIL.c.state == "no_email")
                .values(state="queued", email=r["email"], next_attempt_at=now).returning(MAIL.c.id)).all())
    return changed
