"""The chart pages' numbers, pre-aggregated: `report_daily` holds counts per branch, day, metric and
key, rebuilt set-based (DELETE + INSERT ... SELECT ... GROUP BY) by the worker; the pages only sum a
few thousand of those rows, so they stay fast over millions of leads. How fresh: `freshness()`.

Metrics (day = the branch-local day the count belongs to):
  stage      leads by creation day, key = current stage (lead, new, fu1.., won, lost)
  temp       open opportunities by creation day, key = temperature (hot, medium, cold)
  funnel     leads by creation day that were ever contacted ('contacted': a follow-up 'terhubung')
             or booked ('booked': a booking not cancelled)
  activity   the Kepala Bengkel's week: follow-ups done ('reminded'), answered ('contacted'), bookings
             made ('booked'), leads won ('came') and lost ('lost'), each on the day it happened
  touch      SOP touches by due day, key '<kind>:<channel>:done' and '<kind>:<channel>:won' (done, and
             their lead won)
  sla        SOP touches by due day: 'on_time' (done by its day), 'late', 'open' (still planned)
  retention  motorcycles by purchase month (day = the 1st), key 'sold' and 'kpb1'..'kpb4' (that KPB
             claimed at a branch of the dealer)
  entry      work orders (unit entries) by service day, key = job type
  admin      follow-ups by day, key = the admin's user id

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

from sqlalchemy import String, and_, cast, delete, exists, func, insert, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.accounts.access import Perm, Viewer
from core.platform import clock
from core.platform.sqlfilters import in_branches, visible_branch_ids
from core.reports.recap import Period
from core.reports.sql import local_day, month_start, month_start_py, week_start
from db.engine import Database
from db.enums import BookingState, ContactStatus, Stage, TouchKind, TouchState
from db.models import (
    Booking,
    Branch,
    FollowUp,
    Lead,
    ReportDaily,
    ReportRefresh,
    Touch,
    User,
    Vehicle,
    WorkOrder,
)

log = logging.getLogger("h23.charts")
REFRESH_NAME = "charts"
NEVER = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)  # a refresh row whose counts were never built
REBUILD_DAYS = 60
RETENTION_DAYS = 430
OPEN_OPPORTUNITY = (Stage.NEW, Stage.FU1, Stage.FU2, Stage.FU3)
SLA_KINDS = (TouchKind.MESSAGE_H7, TouchKind.CALL_H3, TouchKind.BOOKING_CONFIRM, TouchKind.FEEDBACK_H3)


# --- Refresh (the worker) -------------------------------------------------------------------------


def _zones(session: Session) -> list[str]:
    return sorted(set(session.scalars(select(Branch.timezone).distinct())))


def _created_since(column: Any, since: dt.date | None) -> list[Any]:
    # A day earlier in UTC covers every zone's local day; the local-day test then trims it.
    if since is None:
        return []
    return [column >= dt.datetime.combine(since - dt.timedelta(days=1), dt.time(), dt.UTC)]


def _sources(session: Session, since: dt.date | None) -> list[Any]:
    """One SELECT (metric, day, branch_id, key, n) per metric, each grouped in SQL."""
    dialect = session.get_bind().dialect.name
    zones = _zones(session)

    def day_of(ts: Any) -> Any:
        return local_day(dialect, ts, Branch.timezone, zones)

    def on_or_after(day: Any) -> list[Any]:
        return [] if since is None else [day >= since]

    lead_day = day_of(Lead.created_at)
    lead_where = [*_created_since(Lead.created_at, since), *on_or_after(lead_day)]
    out: list[Any] = []

    def grouped(metric: str, day: Any, branch: Any, key: Any, *where: Any, frm: Any, joins: tuple = ()) -> None:
        stmt = select(literal(metric).label("metric"), day.label("day"), branch.label("branch_id"),
                      key.label("key"), func.count().label("n")).select_from(frm)
        for target, on in joins:
            stmt = stmt.join(target, on)
        out.append(stmt.where(*where).group_by(day, branch, key))

    lead_joins = ((Branch, Branch.id == Lead.branch_id),)
    grouped("stage", lead_day, Lead.branch_id, cast(Lead.stage, _str()), *lead_where, frm=Lead, joins=lead_joins)
    grouped("temp", lead_day, Lead.branch_id, cast(Lead.temperature, _str()), *lead_where,
            Lead.stage.in_(OPEN_OPPORTUNITY), Lead.temperature.is_not(None), frm=Lead, joins=lead_joins)
    contacted = exists().where(FollowUp.lead_id == Lead.id, FollowUp.contact_status == ContactStatus.TERHUBUNG)
    booked = exists().where(Booking.lead_id == Lead.id, Booking.state != BookingState.CANCELLED)
    grouped("funnel", lead_day, Lead.branch_id, literal("contacted"), *lead_where, contacted, frm=Lead,
            joins=lead_joins)
    grouped("funnel", lead_day, Lead.branch_id, literal("booked"), *lead_where, booked, frm=Lead, joins=lead_joins)

    fu_where = on_or_after(FollowUp.done_on)
    grouped("activity", FollowUp.done_on, FollowUp.branch_id, literal("reminded"), *fu_where, frm=FollowUp)
    grouped("activity", FollowUp.done_on, FollowUp.branch_id, literal("contacted"), *fu_where,
            FollowUp.contact_status == ContactStatus.TERHUBUNG, frm=FollowUp)
    grouped("admin", FollowUp.done_on, FollowUp.branch_id, cast(FollowUp.user_id, _str()), *fu_where,
            FollowUp.user_id.is_not(None), frm=FollowUp)
    b_day = day_of(Booking.created_at)
    grouped("activity", b_day, Booking.branch_id, literal("booked"), *_created_since(Booking.created_at, since),
            *on_or_after(b_day), Booking.state != BookingState.CANCELLED, frm=Booking,
            joins=((Branch, Branch.id == Booking.branch_id),))
    closed_day = day_of(Lead.closed_at)
    for stage, key in ((Stage.WON, "came"), (Stage.LOST, "lost")):
        grouped("activity", closed_day, Lead.branch_id, literal(key), Lead.stage == stage,
                *_created_since(Lead.closed_at, since), *on_or_after(closed_day), frm=Lead, joins=lead_joins)

    t_where = [*on_or_after(Touch.due_on), Touch.kind.in_(SLA_KINDS)]
    kind_channel = cast(Touch.kind, _str()).concat(":").concat(cast(Touch.channel, _str()))
    grouped("touch", Touch.due_on, Touch.branch_id, kind_channel.concat(":done"), *t_where,
            Touch.state == TouchState.DONE, frm=Touch)
    grouped("touch", Touch.due_on, Touch.branch_id, kind_channel.concat(":won"), *t_where,
            Touch.state == TouchState.DONE, Lead.stage == Stage.WON, frm=Touch,
            joins=((Lead, Lead.id == Touch.lead_id),))
    done_day = day_of(Touch.done_at)
    for key, cond in (("on_time", and_(Touch.state == TouchState.DONE, done_day <= Touch.due_on)),
                      ("late", and_(Touch.state == TouchState.DONE, done_day > Touch.due_on)),
                      ("open", Touch.state == TouchState.PLANNED)):
        grouped("sla", Touch.due_on, Touch.branch_id, literal(key), *t_where, cond, frm=Touch,
                joins=((Branch, Branch.id == Touch.branch_id),))

    grouped("entry", WorkOrder.service_date, WorkOrder.branch_id, WorkOrder.job_type,
            *on_or_after(WorkOrder.service_date), frm=WorkOrder)
    return out


def _retention_sources(session: Session, since: dt.date | None) -> list[Any]:
    month = month_start(Vehicle.purchase_date)
    where = [Vehicle.purchase_date.is_not(None), *([] if since is None else [Vehicle.purchase_date >= since])]
    out = [select(literal("retention").label("metric"), month.label("day"),
                  Vehicle.branch_id.label("branch_id"), literal("sold").label("key"), func.count().label("n"))
           .where(*where).group_by(month, Vehicle.branch_id)]
    for n in range(1, 5):
        claimed = exists().where(WorkOrder.vehicle_id == Vehicle.id, WorkOrder.kpb_number == n)
        out.append(select(literal("retention"), month, Vehicle.branch_id, literal(f"kpb{n}"),
                          func.count()).where(*where, claimed).group_by(month, Vehicle.branch_id))
    return out


def _str() -> Any:
    return String(40)


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


def freshness(session: Session) -> dt.datetime | None:
    """When the counts were last rebuilt (the pages show 'data per ...')."""
    at = session.scalar(select(ReportRefresh.refreshed_at).where(ReportRefresh.name == REFRESH_NAME))
    return at if at is not None and at > NEVER else None


# --- Reads (the chart pages) ------------------------------------------------------------------------


# The charts ask for the recap's period: inclusive branch-local days and branches, start <= end checked once.
ChartQuery = Period


def _where(viewer: Viewer, q: ChartQuery, metric: str) -> list[Any]:
    return [ReportDaily.metric == metric, ReportDaily.day >= q.start, ReportDaily.day <= q.end,
            in_branches(ReportDaily.branch_id, visible_branch_ids(viewer, q.branch_ids))]


def by_branch(session: Session, viewer: Viewer, q: ChartQuery, metric: str) -> list[tuple[str, str, int]]:
    """(branch code, key, count) summed over the period."""
    viewer.require(Perm.REPORT_VIEW)
    rows = session.execute(
        select(Branch.code, ReportDaily.key, func.sum(ReportDaily.n)).join(Branch, Branch.id == ReportDaily.branch_id)
        .where(*_where(viewer, q, metric)).group_by(Branch.code, ReportDaily.key)
        .order_by(Branch.code, ReportDaily.key))
    return [(code, key, int(n)) for code, key, n in rows]


def by_key(session: Session, viewer: Viewer, q: ChartQuery, metric: str) -> dict[str, int]:
    """key -> count summed over the period and branches."""
    viewer.require(Perm.REPORT_VIEW)
    rows = session.execute(select(ReportDaily.key, func.sum(ReportDaily.n)).where(*_where(viewer, q, metric))
                           .group_by(ReportDaily.key))
    return {key: int(n) for key, n in rows}


def by_week(session: Session, viewer: Viewer, q: ChartQuery, metric: str) -> list[tuple[dt.date, str, int]]:
    """(Monday, key, count) week by week."""
    viewer.require(Perm.REPORT_VIEW)
    week = week_start(ReportDaily.day)
    rows = session.execute(select(week.label("week"), ReportDaily.key, func.sum(ReportDaily.n))
                           .where(*_where(viewer, q, metric)).group_by(week, ReportDaily.key).order_by(week))
    return [(_date(w), key, int(n)) for w, key, n in rows]


def by_month(session: Session, viewer: Viewer, q: ChartQuery, metric: str) -> list[tuple[dt.date, str, int]]:
    """(day, key, count) per stored day: for metrics stored per month (retention: purchase month)."""
    viewer.require(Perm.REPORT_VIEW)
    rows = session.execute(select(ReportDaily.day, ReportDaily.key, func.sum(ReportDaily.n))
                           .where(*_where(viewer, q, metric)).group_by(ReportDaily.day, ReportDaily.key)
                           .order_by(ReportDaily.day))
    return [(_date(d), key, int(n)) for d, key, n in rows]


def funnel(session: Session, viewer: Viewer, q: ChartQuery) -> list[tuple[str, int]]:
    """Leads -> contacted -> opportunity -> booked -> came, over leads created in the period."""
    stages = by_key(session, viewer, q, "stage")
    extra = by_key(session, viewer, q, "funnel")
    return [("Leads", sum(stages.values())), ("Contacted", extra.get("contacted", 0)),
            ("Opportunity", sum(n for k, n in stages.items() if k != Stage.LEAD.value)),
            ("Booked", extra.get("booked", 0)), ("Came", stages.get(Stage.WON.value, 0))]


def admin_productivity(session: Session, viewer: Viewer, q: ChartQuery) -> list[tuple[str, str, int]]:
    """(branch, admin name, follow-ups done) over the period."""
    viewer.require(Perm.REPORT_VIEW)
    rows = session.execute(
        select(Branch.code, User.full_name, func.sum(ReportDaily.n))
        .join(Branch, Branch.id == ReportDaily.branch_id)
        .join(User, cast(User.id, _str()) == ReportDaily.key)
        .where(*_where(viewer, q, "admin")).group_by(Branch.code, User.full_name)
        .order_by(func.sum(ReportDaily.n).desc()))
    return [(code, name, int(n)) for code, name, n in rows]


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])



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
