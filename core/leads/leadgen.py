"""The lead engine: every morning, each branch's leads for the coming weeks, from sales (KPB 1-4,
then regular service) and from service history (not back for N days), with their touch plan.

All of it is set-based SQL over the whole vehicle table, driven by narrow date windows on indexed
columns (purchase date for KPB, service date for regular), never a loop over vehicles. A rerun the
same day creates nothing (NOT EXISTS on the vehicle's due key, and a unique index on open leads as
the last line); concurrent runs are serialised (SQLite's write lock, a PostgreSQL advisory lock).
The leads the run closes (served, or KPB expired) are closed by core.leads.closing.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Integer,
    and_,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import Session

from core.leads.closing import close_leads_served, expire_kpb_leads
from core.leads.lead_insert import CANDIDATES, insert_leads, materialise
from core.leads.touches import plan_feedback_calls, plan_lead_touches, plan_monthly_visits
from core.masterdata.lead_rules import kpb_period_sql, kpb_periods
from core.masterdata.reference import DEFAULT_ENGINE_CODE
from core.platform import clock, settings
from core.platform.sqlfuncs import add_days, date_iso, text_concat
from core.prediction import next_due, usage
from db.enums import LeadCategory, ServiceKind
from db.models import Branch, KpbRule, Lead, Sale, Vehicle, VehicleUsage, WorkOrder

# How late a work order may arrive (through an import) and still close its lead in the daily run.
CLOSE_LOOKBACK_DAYS = 45


@dataclass
class LeadgenResult:
    kpb_leads: int = 0
    regular_leads: int = 0
    touches: int = 0
    won_by_service: int = 0
    expired_lost: int = 0
    usage_vehicles: int = 0  # vehicles whose km per day was refreshed (core.prediction.usage), and how long
    usage_seconds: float = 0.0
    seconds: float = 0.0
    by_branch: dict[int, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "by_branch"}


def run(session: Session, *, on: dt.date | None = None, timezones: list[str] | None = None,
        touched_since: dt.datetime | None = None) -> LeadgenResult:
    """The full daily run for every branch (or those in `timezones`), each with 'today' in its own
    time zone (or `on`). With touched_since, only the leads of the vehicles an import (or DGI pull)
    wrote since then, and their touches: what the importing admin should see at once, not tomorrow;
    the daily run's closing, visits and expiry are left to it."""
    started = time.perf_counter()
    _serialise(session)
    result = LeadgenResult()
    # Branches whose local 'today' is the same date are done in one pass (most of the day WIB, WITA
    # and WIT share the date); each pass scans the date windows once.
    groups: dict[dt.date, list[int]] = defaultdict(list)
    for branch_id, tz in session.execute(select(Branch.id, Branch.timezone).where(Branch.active.is_(True))):
        if timezones is None or tz in timezones:
            groups[on or clock.today_in(tz)].append(branch_id)
    earliest = min(groups) if groups else (on or clock.now().date())
    if touched_since is not None:
        return _run_touched(session, groups, touched_since, result, started)
    # Work orders that came in lately (any path, imports included, up to CLOSE_LOOKBACK_DAYS late)
    # close their leads; closing cancels those leads' remaining touches.
    result.won_by_service = close_leads_served(session, since=earliest - dt.timedelta(days=CLOSE_LOOKBACK_DAYS))
    rates = usage.refresh(session, earliest, since=earliest - dt.timedelta(days=CLOSE_LOOKBACK_DAYS))  # km/day first
    result.usage_vehicles, result.usage_seconds = rates.vehicles, rates.seconds
    min_lead_id = session.scalar(select(func.coalesce(func.max(Lead.id), 0))) or 0
    for today, branch_ids in groups.items():
        kpb, reg = _open_leads(session, branch_ids, today, result.by_branch)
        result.kpb_leads += kpb
        result.regular_leads += reg
        result.touches += plan_monthly_visits(session, branch_ids, today)
    result.touches += plan_lead_touches(session, min_lead_id=min_lead_id)
    result.touches += plan_feedback_calls(session, since=earliest - dt.timedelta(days=14))
    result.expired_lost = expire_kpb_leads(session, on or earliest)
    session.flush()
    result.seconds = time.perf_counter() - started
    return result


def _run_touched(session: Session, groups: dict[dt.date, list[int]], since: dt.datetime, result: LeadgenResult,
                 started: float) -> LeadgenResult:
    min_lead_id = session.scalar(select(func.coalesce(func.max(Lead.id), 0))) or 0
    for today, branch_ids in groups.items():
        kpb, reg = _open_leads(session, branch_ids, today, result.by_branch, since)
        result.kpb_leads += kpb
        result.regular_leads += reg
    result.touches = plan_lead_touches(session, min_lead_id=min_lead_id)
    session.flush()
    result.seconds = time.perf_counter() - started
    return result


def _serialise(session: Session) -> None:
    """Two runs at once would both see 'no lead yet' before either commits: take a lock first."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(2323)"))
    # SQLite: the caller's write transaction (BEGIN IMMEDIATE) already holds the database write lock.


def _kpb_rules(session: Session) -> list[KpbRule]:
    return list(session.scalars(select(KpbRule).order_by(KpbRule.engine_code, KpbRule.kpb_number)))


def _engine_match(rule_code: str, all_codes: list[str]) -> Any:
    """Vehicles a rule applies to: its engine-code prefix, minus longer specific codes; the
    default row takes every vehicle no specific code matches."""
    def prefix(code: str) -> Any:
        return func.substr(Vehicle.engine_no, 1, len(code)) == code

    specific = [c for c in all_codes if c != DEFAULT_ENGINE_CODE]
    if rule_code == DEFAULT_ENGINE_CODE:
        return and_(*[~prefix(c) for c in specific]) if specific else literal(True)
    longer = [c for c in specific if len(c) > len(rule_code) and c.startswith(rule_code)]
    return and_(prefix(rule_code), *[~prefix(c) for c in longer])


def _touched(since: dt.datetime | None) -> Any:
    """Vehicles an import wrote since `since` (the vehicle itself, or a sale or work order of it); every
    vehicle when None. Only tested on the rows the date windows find, so it costs the run nothing."""
    if since is None:
        return literal(True)
    return or_(Vehicle.updated_at >= since,
               exists().where(Sale.vehicle_id == Vehicle.id, Sale.updated_at >= since),
               exists().where(WorkOrder.vehicle_id == Vehicle.id, WorkOrder.updated_at >= since))


def _kpb_candidates(session: Session, branch_ids: list[int], today: dt.date, open_days: int,
                    since: dt.datetime | None = None) -> list[Any]:
    """One SELECT per KPB rule: vehicles whose KPB n deadline falls in [today, today + open_days],
    not yet serviced for KPB n (or a later one), with no lead ever for that KPB."""
    rules = _kpb_rules(session)
    codes = sorted({r.engine_code for r in rules})
    selects = []
    for rule in rules:
        due_key = f"KPB{rule.kpb_number}"
        served = exists().where(WorkOrder.vehicle_id == Vehicle.id, WorkOrder.kpb_number >= rule.kpb_number)
        had_lead = exists().where(Lead.vehicle_id == Vehicle.id, Lead.due_key == due_key)
        # Due at the KPB's km or its days, whichever first (core.prediction): two windows.
        deadline = next_due.kpb_deadline(rule.days, rule.km)
        by_days = Vehicle.purchase_date.between(today - dt.timedelta(days=rule.days),
                                                today + dt.timedelta(days=open_days - rule.days))
        for window, outer in next_due.windows(by_days, deadline, today, open_days, "KPB", rule.kpb_number):
            selects.append(select(
                Vehicle.id.label("vehicle_id"), Vehicle.branch_id.label("branch_id"),
                Vehicle.customer_id.label("customer_id"), literal(ServiceKind.KPB.value).label("service_kind"),
                literal(rule.kpb_number, Integer).label("kpb_number"), deadline.label("deadline"),
                literal(due_key).label("due_key"),
                literal(LeadCategory.H1_H2.value).label("category"), literal("Showroom").label("sales_source"),
                add_days(Vehicle.purchase_date, rule.days).label("day_limit"),
            ).join(VehicleUsage, VehicleUsage.vehicle_id == Vehicle.id, isouter=outer).where(
                window, next_due.branch_filter(Vehicle.branch_id, outer).in_(branch_ids), ~served, ~had_lead,
                _engine_match(rule.engine_code, codes), _touched(since)))
    return selects


def _regular_candidates(session: Session, branch_ids: list[int], today: dt.date, open_days: int,
                        since: dt.datetime | None = None) -> list[Any]:
    """Regular service due: the last service + interval falls in [today, today + open_days]. After a
    KPB job the interval is the regular one (H1->H2); otherwise 'not back for N days' (H2->H2).
    Driven by the vehicle's last-service columns (one indexed range), see refresh_last_service."""
    open_reg = exists().where(Lead.vehicle_id == Vehicle.id, Lead.closed_at.is_(None),
                              Lead.service_kind == ServiceKind.REG)
    by_last_service = settings.get(session, "leads.h2_branch_by_last_service")
    branch_col = func.coalesce(Vehicle.last_service_branch_id, Vehicle.branch_id) if by_last_service \
        else Vehicle.branch_id
    kpb_job = Vehicle.last_job_type.like("ASS%")
    # A regular lead is not opened while the vehicle can still claim a KPB: its engine code's last KPB day.
    period = kpb_period_sql(session, Vehicle.engine_no)
    periods = list(kpb_periods(session).values()) or [0]
    selects = []
    for after_kpb, interval_key, category in (
        (True, "leads.regular_interval_days", LeadCategory.H1_H2),
        (False, "leads.not_back_days", LeadCategory.H2_H2),
    ):
        interval = settings.get(session, interval_key)
        due = next_due.regular_deadline(interval, settings.get(session, "leads.regular_interval_km"))  # km or days
        due_key = text_concat("REG:", date_iso(due))
        had_lead = exists().where(Lead.vehicle_id == Vehicle.id, Lead.due_key == due_key)
        # Not while a KPB can still be claimed (unless KPB 4 is the job that was done).
        kpb_over = or_(Vehicle.last_job_type == "ASS4", Vehicle.purchase_date.is_(None),
                       Vehicle.purchase_date < add_days(Vehicle.last_service_date, interval - period))
        by_days = Vehicle.last_service_date.between(today - dt.timedelta(days=interval),
                                                    today + dt.timedelta(days=open_days - interval))
        for window, outer in next_due.windows(by_days, due, today, open_days, "REG"):
            selects.append(select(
                Vehicle.id.label("vehicle_id"), branch_col.label("branch_id"),
                Vehicle.customer_id.label("customer_id"), literal(ServiceKind.REG.value).label("service_kind"),
                null().label("kpb_number"), due.label("deadline"), due_key.label("due_key"),
                literal(category.value).label("category"),
                literal("Showroom" if after_kpb else "CRM").label("sales_source"),
                add_days(Vehicle.last_service_date, interval).label("day_limit"),
            ).join(VehicleUsage, VehicleUsage.vehicle_id == Vehicle.id, isouter=outer).where(
                window, kpb_job if after_kpb else ~kpb_job, next_due.branch_filter(branch_col, outer).in_(branch_ids),
                kpb_over, ~open_reg, ~had_lead, _touched(since)))
    # Sold by us, KPB period over with no service at all: one regular lead after the period.
    interval = settings.get(session, "leads.regular_interval_days")
    sold = exists().where(Sale.vehicle_id == Vehicle.id)
    due = add_days(Vehicle.purchase_date, period + interval)
    due_key = text_concat("REG:", date_iso(due))
    selects.append(select(
        Vehicle.id.label("vehicle_id"), Vehicle.branch_id.label("branch_id"),
        Vehicle.customer_id.label("customer_id"), literal(ServiceKind.REG.value).label("service_kind"),
        null().label("kpb_number"), due.label("deadline"), due_key.label("due_key"),
        literal(LeadCategory.H1_H2.value).label("category"), literal("Showroom").label("sales_source"),
        due.label("day_limit"),
    ).where(
        # The widest window over every engine code's period (the indexed range), then each vehicle's own.
        Vehicle.purchase_date.between(today - dt.timedelta(days=max(periods) + interval),
                                      today + dt.timedelta(days=open_days - min(periods) - interval)),
        due.between(today, today + dt.timedelta(days=open_days)), Vehicle.branch_id.in_(branch_ids),
        Vehicle.last_service_date.is_(None), sold,
        ~exists().where(Lead.vehicle_id == Vehicle.id, Lead.due_key == due_key), _touched(since)))
    return selects


def _open_leads(
    session: Session, branch_ids: list[int], today: dt.date, by_branch: dict[int, int],
    since: dt.datetime | None = None,
) -> tuple[int, int]:
    open_days = settings.get(session, "leads.open_days_before_deadline")
    selection = union_all(*_kpb_candidates(session, branch_ids, today, open_days, since),
                          *_regular_candidates(session, branch_ids, today, open_days, since))
    # The selection runs once, into a temp table: its per-branch counts size the number blocks, then
    # the leads are inserted from it.
    candidates = materialise(session, selection)
    try:
        return insert_leads(session, candidates, today, by_branch, branch_ids)
    finally:
        session.execute(text(f"DROP TABLE {CANDIDATES}"))
