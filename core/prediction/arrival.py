"""Rule: a lead's touches are planned on the day its customer is expected, not only on the due day.

Customers do not come on the due day: most come some days before it (the KPB ends on its day), many regular
customers weeks after "their" interval. The habit is measured from the dealer's own history, set-based:
for every work order of the last year, the day it fell due by the same rule the lead engine opens leads on
(core.prediction.next_due: KPB n at purchase + its days or at its km, whichever first; a regular service at
the last service + the interval's days or km, whichever first, the vehicle's km per day from
core.prediction.usage), and its offset (service date - due day). The median offset per service
('KPB1'..'KPB4', 'H1H2' the first regular after a KPB, 'H2H2' a regular after a regular) and branch (branch 0:
every branch) is the habit; a group counts with MIN_SERVICES offsets or more, else the all-branch row, else 0.

Some customers come by the calendar whatever their km (the day limit, not the km limit): a motorcycle whose
services, where its km limit came DECIDING_DAYS or more before its day limit, came nearer the day limit is
one (table arrival_calendar); its offsets count from the day limit, and so does its expected day.

A new lead's expected day is its deadline (a calendar customer's: its day limit) moved by the habit
(`expected_day`). Its H-7 message and H-3 call are
planned on that day when it comes before the deadline (core.leads.touches), so a customer who comes a week early
still hears from the branch first; never after the deadline, which stays the rule's (a KPB still ends on its day).
An early habit is capped at EARLIEST so the message still falls inside the lead's open window.
Recomputed with the typical rates (weekly: the habit moves slowly)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import String, and_, case, cast, delete, func, literal, select, text
from sqlalchemy.orm import Session

from core.platform import settings
from core.platform.sqlfuncs import add_days, round_int
from core.prediction import day_sql
from core.prediction.next_due import MIN_KM_PER_DAY, _rule_case
from db.enums import LeadCategory, ServiceKind
from db.models import ArrivalCalendar, ArrivalOffset, KpbRule, Lead

MIN_SERVICES = 20
LOOKBACK_DAYS = 365  # the habit: the last year's services
HISTORY_DAYS = 1095  # the calendar customers and the service before each: three years
# A service tells a calendar customer from a km one only where its km limit came this many days before its
# day limit: more than the arrivals' own scatter around the due day.
DECIDING_DAYS = 14
SAMPLE = "arrival_sample"


def refresh(session: Session, today: dt.date) -> int:
    """Replace the calendar customers and the habits from the dealer's work orders; the habit groups stored."""
    session.execute(delete(ArrivalOffset))
    session.execute(delete(ArrivalCalendar))
    session.execute(text(f"DROP TABLE IF EXISTS {SAMPLE}"))
    session.execute(text(f"CREATE TEMPORARY TABLE {SAMPLE} AS {_sample_sql(session, today)}"))
    total = 0
    try:
        # Calendar customers: over the services where the km limit came well first, nearer the day limit.
        session.execute(text(f"""
            INSERT INTO arrival_calendar (vehicle_id, services, refreshed_on)
            SELECT vehicle_id, COUNT(*), :today FROM {SAMPLE} WHERE due_days - due_rule >= {DECIDING_DAYS}
            GROUP BY vehicle_id HAVING SUM(ABS(sday - due_days)) < SUM(ABS(sday - due_rule))"""), {"today": today})
        recent = day_sql.day_of(session, today - dt.timedelta(days=LOOKBACK_DAYS))
        for branch in ("x.branch_id", "0"):
            # The median by window functions (SQLite has no percentile): the middle one or two of each group.
            sql = f"""
            INSERT INTO arrival_offset (service, branch_id, offset_days, services, refreshed_on)
            SELECT service, branch, AVG(off), MAX(c), :today FROM (
              SELECT x.service, {branch} AS branch, x.off,
                     ROW_NUMBER() OVER (PARTITION BY x.service, {branch} ORDER BY x.off) AS rn,
                     COUNT(*) OVER (PARTITION BY x.service, {branch}) AS c
              FROM (SELECT x.*, CASE WHEN k.vehicle_id IS NULL THEN x.sday - x.due_rule
                                     ELSE x.sday - x.due_days END AS off
                    FROM {SAMPLE} x LEFT JOIN arrival_calendar k ON k.vehicle_id = x.vehicle_id) x
              WHERE x.sday >= {recent}
            ) g WHERE rn IN ((c + 1) / 2, (c + 2) / 2) AND c >= {MIN_SERVICES} GROUP BY service, branch
            """
            total += max(session.execute(text(sql), {"today": today}).rowcount or 0, 0)  # type: ignore[attr-defined]
    finally:
        session.execute(text(f"DROP TABLE IF EXISTS {SAMPLE}"))
    return total


def _sample_sql(session: Session, today: dt.date) -> str:
    """(vehicle_id, service, branch_id, sday, due_rule, due_days) for each work order of the last HISTORY_DAYS
    whose due day is known: the day it fell due by the rule (km or days, whichever first) and by its days."""
    pg = day_sql.is_pg(session)

    def day(col: str) -> str:
        return day_sql.day(session, col)

    def on(value: dt.date) -> str:
        return day_sql.date_literal(session, value)

    def rounded(expr: str) -> str:
        return f"CAST(ROUND(CAST({expr} AS NUMERIC)) AS INTEGER)" if pg else f"CAST(ROUND({expr}) AS INTEGER)"

    def earlier(a: str, b: str) -> str:  # b when the rate is unknown (a is NULL)
        return f"(CASE WHEN {a} IS NOT NULL AND {a} < {b} THEN {a} ELSE {b} END)"

    rules = list(session.scalars(select(KpbRule)))
    numbers = sorted({r.kpb_number for r in rules})
    kpb_days = "(CASE h.kpb_number " + " ".join(
        f"WHEN {n} THEN {_rule_case(rules, n, 'days', 'v.engine_no')}" for n in numbers) + " END)" \
        if numbers else "NULL"
    kpb_km = "(CASE h.kpb_number " + " ".join(
        f"WHEN {n} THEN {_rule_case(rules, n, 'km', 'v.engine_no')}" for n in numbers) + " END)" \
        if numbers else "NULL"
    after_kpb = "h.pjob LIKE 'ASS%'"
    interval = (f"(CASE WHEN {after_kpb} THEN {int(settings.get(session, 'leads.regular_interval_days'))} "
                f"ELSE {int(settings.get(session, 'leads.not_back_days'))} END)")
    interval_km = float(settings.get(session, "leads.regular_interval_km"))
    rate = f"(CASE WHEN u.km_per_day >= {MIN_KM_PER_DAY} THEN u.km_per_day END)"
    start, is_kpb = f"(CASE WHEN h.kpb_number IS NOT NULL THEN {day('v.purchase_date')} ELSE h.pday END)", \
        "h.kpb_number IS NOT NULL"
    days = f"(CASE WHEN {is_kpb} THEN {kpb_days} ELSE {interval} END)"
    km_days = rounded(f"(CASE WHEN {is_kpb} THEN {kpb_km} ELSE {interval_km} END) / {rate}")
    order = "PARTITION BY w.vehicle_id ORDER BY w.service_date, w.id"
    return f"""
    SELECT o.vehicle_id, o.service, o.branch_id, o.sday, o.start + o.rule_days AS due_rule,
           o.start + o.days AS due_days FROM (
      SELECT h.vehicle_id, CASE WHEN {is_kpb} THEN 'KPB' || CAST(h.kpb_number AS VARCHAR(2))
                  WHEN {after_kpb} THEN 'H1H2' ELSE 'H2H2' END AS service,
             v.branch_id, h.sday, {start} AS start, {days} AS days, {earlier(km_days, days)} AS rule_days
      FROM (
        SELECT w.vehicle_id, w.kpb_number, {day('w.service_date')} AS sday,
               LAG({day('w.service_date')}) OVER ({order}) AS pday, LAG(w.job_type) OVER ({order}) AS pjob
        FROM work_order w WHERE w.service_date >= {on(today - dt.timedelta(days=HISTORY_DAYS))}
      ) h
      JOIN vehicle v ON v.id = h.vehicle_id
      LEFT JOIN vehicle_usage u ON u.vehicle_id = h.vehicle_id
    ) o WHERE o.start IS NOT NULL AND o.days IS NOT NULL
    """


def service_key(service_kind: Any, kpb_number: Any, category: Any) -> Any:
    """The habit's service for a lead: 'KPB<n>', 'H1H2' (a regular lead after a KPB) or 'H2H2'."""
    return case((service_kind == ServiceKind.KPB.value, literal("KPB") + cast(kpb_number, String)),
                (category == LeadCategory.H1_H2.value, literal("H1H2")), else_=literal("H2H2"))


def service_of(kpb_number: int | None, job_before: str | None) -> str:
    """The habit's service in Python, as service_key gives it in SQL: a KPB by its number; a regular service
    after a KPB job (H1H2) or after a regular one (H2H2)."""
    if kpb_number is not None:
        return f"KPB{kpb_number}"
    return "H1H2" if (job_before or "").startswith("ASS") else "H2H2"


def _offset(key: Any, branch: Any) -> Any:
    return select(ArrivalOffset.offset_days).where(
        and_(ArrivalOffset.service == key, ArrivalOffset.branch_id == branch)).scalar_subquery()


def earliest(session: Session) -> int:
    """How many days before its deadline a lead may be expected: its H-7 message stays inside the days the
    lead is open before its deadline."""
    return max(0, int(settings.get(session, "leads.open_days_before_deadline"))
               - int(settings.get(session, "sop.message_days_before")))


def offset_days(session: Session, service: str, branch_id: int) -> float | None:
    """The habit a lead of `service` at the branch is expected by (None: not measured yet), capped as stored."""
    rows = dict(session.execute(select(ArrivalOffset.branch_id, ArrivalOffset.offset_days).where(
        ArrivalOffset.service == service, ArrivalOffset.branch_id.in_((branch_id, 0)))).tuples().all())
    value = rows.get(branch_id, rows.get(0))
    return None if value is None else max(float(value), -earliest(session))


def counted_from(deadline: Any, day_limit: Any) -> Any:
    """SQL, in a statement outer-joined to ArrivalCalendar: the day a lead's expected day counts from, its
    deadline, or its day limit for a customer who comes by the calendar."""
    return case((ArrivalCalendar.vehicle_id.is_not(None), day_limit), else_=deadline)


def expected_day(session: Session, due: Any, branch_id: Any, key: Any) -> Any:
    """SQL: the due day moved by the branch's habit for the service (the all-branch one, else none)."""
    habit = func.coalesce(_offset(key, branch_id), _offset(key, 0), 0)
    low = -earliest(session)
    capped = case((habit < low, literal(low)), else_=habit)
    return add_days(due, round_int(capped))


def touch_day() -> Any:
    """SQL: the day a lead's touches count back from: its expected day, never after its deadline."""
    expected = func.coalesce(Lead.expected_on, Lead.deadline)
    return case((expected < Lead.deadline, expected), else_=Lead.deadline)
