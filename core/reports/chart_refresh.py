"""The chart pages' counts kept fresh: `report_daily` holds counts per branch, day, metric and key
(what each metric counts: core.reports.chart_counts), rebuilt set-based (DELETE + INSERT ... SELECT ...
GROUP BY) by the worker every REFRESH_EVERY_MINUTES.

Refresh: the first run builds everything; later runs rebuild from the earliest day any change since
the last run can touch (the creation day of leads updated since then, the day of follow-ups entered
since then), and at least the last REBUILD_DAYS days (touches, bookings and work orders arrive with
recent days) and the last RETENTION_DAYS of purchase months (KPB 4 is claimed up to ~a year later)."""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.platform import clock
from core.reports.chart_counts import _retention_sources, _sources
from core.reports.sql import month_start_py
from db.engine import Database
from db.models import FollowUp, Lead, ReportDaily, ReportRefresh

log = logging.getLogger("h23.charts")
REFRESH_NAME = "charts"
NEVER = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)  # a refresh row whose counts were never built
REBUILD_DAYS = 60
RETENTION_DAYS = 430


@dataclass(frozen=True)
class _Plan:
    """What one refresh rebuilds: the days from `since` on (None: every day), retention months from
    `retention_since` on, and `started`, the watermark the next run looks for changes after."""

    started: dt.datetime
    since: dt.date | None
    retention_since: dt.date | None


def _plan(session: Session, since: dt.date | None = None, *, incremental: bool = True) -> _Plan:
    """The days to rebuild: from the earliest day changed since the last run, and at least the last
    REBUILD_DAYS (incremental), or `since` as given."""
    started = clock.now()
    state = session.get(ReportRefresh, REFRESH_NAME)
    if incremental and state is not None and state.watermark > NEVER:  # else: never built, build everything
        mark = state.watermark
        floor = started.date() - dt.timedelta(days=REBUILD_DAYS)
        changed = [
            session.scalar(select(func.min(Lead.created_at)).where(Lead.updated_at >= mark)
                           .execution_options(include_all_branches=True)),
            session.scalar(select(func.min(FollowUp.done_on)).where(FollowUp.created_at >= mark)
                           .execution_options(include_all_branches=True)),
        ]
        days = [floor, *[(c.date() if isinstance(c, dt.datetime) else c) - dt.timedelta(days=1)
                         for c in changed if c is not None]]
        since = min(days)
    retention_since = None if since is None else month_start_py(min(since, started.date()
                                                                    - dt.timedelta(days=RETENTION_DAYS)))
    return _Plan(started, since, retention_since)


def _count(session: Session, plan: _Plan) -> list[tuple[Any, ...]]:
    """Every metric's (metric, day, branch, key, n) for the planned days: grouped rows, a few
    thousand even over millions of leads, so they are held here between the read and the swap."""
    rows: list[tuple[Any, ...]] = []
    for stmt in [*_sources(session, plan.since), *_retention_sources(session, plan.retention_since)]:
        rows.extend(tuple(r) for r in session.execute(stmt))
    return rows


def _swap(session: Session, plan: _Plan, rows: list[tuple[Any, ...]]) -> int:
    """Replace the planned days' counts with `rows` and move the watermark: one short write."""
    changed_days = [] if plan.since is None else [ReportDaily.day >= plan.since]
    session.execute(delete(ReportDaily).where(ReportDaily.metric != "retention", *changed_days)
                    .execution_options(include_all_branches=True))
    session.execute(delete(ReportDaily).where(
        ReportDaily.metric == "retention",
        *([] if plan.retention_since is None else [ReportDaily.day >= plan.retention_since]))
        .execution_options(include_all_branches=True))
    if rows:
        session.execute(insert(ReportDaily.__table__),  # type: ignore[arg-type]
                        [dict(zip(("metric", "day", "branch_id", "key", "n"), r, strict=True)) for r in rows])
    state = session.get(ReportRefresh, REFRESH_NAME)
    if state is None:
        state = ReportRefresh(name=REFRESH_NAME, refreshed_at=plan.started, watermark=plan.started)
        session.add(state)
    state.refreshed_at = state.watermark = plan.started
    state.note = f"since={plan.since.isoformat() if plan.since else 'all'} rows={len(rows)}"
    session.flush()
    return len(rows)


def rebuild(session: Session, since: dt.date | None = None) -> int:
    """Rebuild the counts of every day from `since` on (None: everything). Returns rows written."""
    plan = _plan(session, since, incremental=False)
    return _swap(session, plan, _count(session, plan))


def refresh(session: Session) -> dict[str, Any]:
    """The incremental run in one transaction: rebuild from the earliest day changed since the last run."""
    plan = _plan(session)
    rows = _swap(session, plan, _count(session, plan))
    return {"since": plan.since.isoformat() if plan.since else None, "rows": rows}


def refresh_in(db: Database) -> dict[str, Any]:
    """The worker's incremental run: count in a read transaction, then swap in a short write one. The
    counting reads millions of rows (a minute over 5,000,000 leads on SQLite); holding SQLite's single
    write lock that long would make every user's save wait, then fail, meanwhile."""
    started = time.perf_counter()
    with db.session(None, system=True) as s:
        plan = _plan(s)
        rows = _count(s, plan)
    counted = time.perf_counter()
    with db.transaction(None, system=True) as s:
        written = _swap(s, plan, rows)
    return {"since": plan.since.isoformat() if plan.since else None, "rows": written,
            "count_s": round(counted - started, 2), "write_s": round(time.perf_counter() - counted, 2)}


REFRESH_EVERY_MINUTES = 10
STALE_AFTER = dt.timedelta(minutes=30)


def _claim_slot(db: Database, slot: dt.datetime, worker_name: str) -> bool:
    """Own this slot's refresh: a conditional UPDATE of the report_refresh row (one worker wins; a run
    whose worker died is taken over after STALE_AFTER). Claims live in that row, not in job_run."""
    now = clock.now()
    with db.transaction(None, system=True) as s:
        if s.get(ReportRefresh, REFRESH_NAME) is None:
            s.add(ReportRefresh(name=REFRESH_NAME, refreshed_at=NEVER, watermark=NEVER))
    try:
        with db.transaction(None, system=True) as s:
            state = s.get(ReportRefresh, REFRESH_NAME)
            assert state is not None
            note = state.note or ""
            if state.refreshed_at >= slot:
                return False
            if note.startswith("running:"):
                started = dt.datetime.fromisoformat(note.split("|")[0].removeprefix("running:"))
                if now - started < STALE_AFTER:
                    return False
            marker = f"running:{now.isoformat()}|{worker_name}"[:255]
            owned = s.execute(update(ReportRefresh).where(
                ReportRefresh.name == REFRESH_NAME, ReportRefresh.refreshed_at == state.refreshed_at,
                func.coalesce(ReportRefresh.note, "") == note).values(note=marker))
            return bool(getattr(owned, "rowcount", 0) == 1)
    except IntegrityError:  # another worker inserted the row first
        return False


def run_refresh_job(db: Database, worker_name: str) -> list[str]:
    """The worker's job: refresh the chart counts once per REFRESH_EVERY_MINUTES slot (several workers
    do it once). Says nothing in the tick's list of what ran (it would be every tick's news); the
    refresh is recorded in report_refresh (when, from which day, how many rows)."""
    now = clock.now()
    slot = now.replace(minute=now.minute - now.minute % REFRESH_EVERY_MINUTES, second=0, microsecond=0)
    if not _claim_slot(db, slot, worker_name):
        return []
    try:
        result = refresh_in(db)
    except Exception:
        with db.transaction(None, system=True) as s:  # free the slot for the next tick
            s.execute(update(ReportRefresh).where(ReportRefresh.name == REFRESH_NAME).values(note="failed"))
        raise
    log.info("charts refresh %s: %s", slot.isoformat(), result)
    return []
