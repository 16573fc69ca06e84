"""Rule: a service is due at its km limit or its day limit, whichever comes first (DOMAIN.md "KPB deadlines";
the regular service's `leads.regular_interval_km` / `_days`). The day the km limit is reached follows from
the vehicle's km per day (core.prediction.usage): from the last accepted reading for a KPB (its km limit is
the odometer), from the last service for a regular service (its interval counts from that service).

`whichever_first` is the rule; the lead engine applies it in SQL through `kpb_deadline` / `regular_deadline`,
and the usage refresh stores the next service's km day (`km_due_on`, indexed) so the lead engine finds the
vehicles whose km limit comes before their day limit without scanning every vehicle."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, case, func, literal, null, select
from sqlalchemy.orm import Session

from core.masterdata.reference import DEFAULT_ENGINE_CODE
from core.platform import settings
from core.platform.sqlfuncs import add_days, least, round_int
from core.prediction import day_sql
from db.models import KpbRule, Vehicle, VehicleUsage

# A new motorcycle with no readings and no typical rate yet (an empty dealer): an Indonesian commuter's day.
DEFAULT_KM_PER_DAY = 25.0
# Below this a vehicle is standing still: its km limit is never reached, the day limit decides.
MIN_KM_PER_DAY = 0.1


def whichever_first(day_limit: dt.date, km_day: dt.date | None) -> tuple[dt.date, str]:
    """The due day and what decided it ('km' or 'days'): the km limit's day when it comes first."""
    if km_day is not None and km_day < day_limit:
        return km_day, "km"
    return day_limit, "days"


def km_day(anchor: dt.date | None, km_left: float, km_per_day: float | None) -> dt.date | None:
    """The day `km_left` more km are done at `km_per_day`, counted from `anchor` (None: never, or unknown)."""
    if anchor is None or km_per_day is None or km_per_day < MIN_KM_PER_DAY:
        return None
    return anchor + dt.timedelta(days=round(km_left / km_per_day))


# --- the same rule in SQL, for the lead engine -----------------------------------------------------------

def _km_days(km_left: Any) -> Any:
    """Days to do `km_left` at the vehicle's rate; NULL without a usage row or when it stands still."""
    moving = case((VehicleUsage.km_per_day >= MIN_KM_PER_DAY, VehicleUsage.km_per_day), else_=null())
    return round_int(km_left / moving)


def kpb_deadline(rule_days: int, rule_km: int) -> Any:
    """KPB n is due at purchase + its days, or when the odometer reaches its km, whichever first (the
    statement outer-joins VehicleUsage; without a usage row the day limit alone)."""
    day_limit = add_days(Vehicle.purchase_date, rule_days)
    anchor = func.coalesce(VehicleUsage.last_km_on, Vehicle.purchase_date)
    by_km = add_days(anchor, _km_days(literal(rule_km) - func.coalesce(VehicleUsage.last_km, 0)))
    return least(day_limit, func.coalesce(by_km, day_limit))


def regular_deadline(interval_days: int, interval_km: int) -> Any:
    """The regular service after the last one: its interval in days or in km, whichever first."""
    day_limit = add_days(Vehicle.last_service_date, interval_days)
    by_km = add_days(Vehicle.last_service_date, _km_days(literal(float(interval_km))))
    return least(day_limit, func.coalesce(by_km, day_limit))


def km_window(kind: str, today: dt.date, open_days: int, kpb_number: int | None = None) -> Any:
    """Vehicles whose next service's km day falls in [today, today + open_days] (the indexed km_due_on)."""
    where = [VehicleUsage.km_due_on.between(today, today + dt.timedelta(days=open_days)),
             VehicleUsage.next_kind == kind]
    if kpb_number is not None:
        where.append(VehicleUsage.next_kpb_number == kpb_number)
    return and_(*where)


def windows(by_days: Any, deadline: Any, today: dt.date, open_days: int, kind: str,
            kpb_number: int | None = None) -> list[tuple[Any, bool]]:
    """The lead engine's two windows for a service, each with whether the usage row is outer-joined: the day
    window as before (deadline still ahead), and the vehicles whose km day comes first, found by km_due_on
    (inner join, so the planner starts from its index)."""
    return [(and_(by_days, deadline >= today), True),
            (and_(km_window(kind, today, open_days, kpb_number), ~by_days,
                  deadline.between(today, today + dt.timedelta(days=open_days))), False)]


def branch_filter(col: Any, day_window: bool) -> Any:
    """In the km window the branch is a filter, not the way in: `+ 0` keeps SQLite off the branch index, so it
    starts from the few vehicles whose km day is near (ix_vehicle_usage_km_due) instead of a branch's all."""
    return col if day_window else col + 0


# --- what the usage refresh stores -------------------------------------------------------------------

def _rule_case(rules: list[KpbRule], n: int, attr: str, engine_no: str) -> str:
    """The KPB n value of `attr` for a vehicle, by the longest engine-code prefix that has a rule."""
    rows = [r for r in rules if r.kpb_number == n]
    default = next((getattr(r, attr) for r in rows if r.engine_code == DEFAULT_ENGINE_CODE), None)
    specific = sorted((r for r in rows if r.engine_code != DEFAULT_ENGINE_CODE), key=lambda r: -len(r.engine_code))
    whens = " ".join(f"WHEN substr({engine_no}, 1, {len(r.engine_code)}) = '{r.engine_code}' "
                     f"THEN {int(getattr(r, attr))}" for r in specific if r.engine_code.isalnum())
    fallback = "NULL" if default is None else str(int(default))
    return f"(CASE {whens} ELSE {fallback} END)" if whens else fallback


def store_sql(session: Session, today: dt.date, stats: str) -> str:
    """INSERT ... SELECT of the usage rows from the per-vehicle reading stats in `stats`."""
    pg = session.get_bind().dialect.name == "postgresql"
    shrink = f"COALESCE((SELECT shrink_days FROM usage_typical WHERE unit_type_code = '*' AND branch_id = 0), " \
             f"{float(settings.get(session, 'usage.shrink_days'))})"
    interval_km = float(settings.get(session, "leads.regular_interval_km"))
    rules = list(session.scalars(select(KpbRule)))

    def day(col: str) -> str:
        return day_sql.day(session, col)

    def date_of(n: str) -> str:
        return day_sql.date_of(session, n)

    today_n = day_sql.day_of(session, today)
    numbers = sorted({r.kpb_number for r in rules})
    days = {n: _rule_case(rules, n, "days", "x.engine_no") for n in numbers}
    kms = {n: _rule_case(rules, n, "km", "x.engine_no") for n in numbers}
    # The next KPB: the first not served yet whose day limit has not passed and whose km the last reading
    # has not passed; none: the regular service.
    next_kpb = "(CASE " + " ".join(
        f"WHEN x.max_kpb < {n} AND x.purchase_day + {days[n]} >= {today_n} AND COALESCE(x.last_km, 0) < {kms[n]} "
        f"THEN {n}" for n in numbers) + " END)" if numbers else "NULL"
    km_of = "(CASE y.next_kpb " + " ".join(
        f"WHEN {n} THEN {_rule_case(rules, n, 'km', 'y.engine_no')}" for n in numbers) + " END)" \
        if numbers else "NULL"
    rounded = "ROUND(CAST({0} AS NUMERIC))" if pg else "ROUND({0})"
    by_kpb = rounded.format(f"({km_of} - COALESCE(y.last_km, 0)) / y.rate")
    by_reg = rounded.format(f"{interval_km} / y.rate")
    km_due = (f"CASE WHEN y.rate < {MIN_KM_PER_DAY} THEN NULL "
              f"WHEN y.next_kpb IS NOT NULL THEN {date_of(f'COALESCE(y.last_day, y.purchase_day) + {by_kpb}')} "
              f"ELSE {date_of(f'COALESCE(y.service_day, y.last_day, y.purchase_day) + {by_reg}')} END")
    typical = f"COALESCE(t1.km_per_day, t2.km_per_day, t3.km_per_day, {DEFAULT_KM_PER_DAY})"
    own = ("CASE WHEN s.readings >= 2 AND s.last_day > s.first_day "
           "THEN (s.last_km - s.first_km) * 1.0 / (s.last_day - s.first_day) END")
    return f"""
    INSERT INTO vehicle_usage (vehicle_id, readings, ignored, own_km_per_day, km_per_day, weight, span_days,
                               resid_ss, last_km, last_km_on, next_kind, next_kpb_number, km_due_on, refreshed_on)
    SELECT y.vehicle_id, y.readings, y.ignored, y.own, y.rate, y.w, y.span, y.resid, y.last_km,
           CASE WHEN y.last_day IS NULL THEN NULL ELSE {date_of('y.last_day')} END,
           CASE WHEN y.next_kpb IS NULL THEN 'REG' ELSE 'KPB' END, y.next_kpb, {km_due},
           {date_of(str(today_n))}
    FROM (
      SELECT x.*, {next_kpb} AS next_kpb,
             CASE WHEN x.own IS NULL THEN x.typical ELSE x.w * x.own + (1 - x.w) * x.typical END AS rate
      FROM (
        SELECT s.vehicle_id, s.readings, s.ignored, s.last_day, s.last_km, s.max_kpb, v.engine_no, {own} AS own,
               s.last_day - s.first_day AS span,
               CASE WHEN s.readings >= 3 AND s.last_day > s.first_day THEN
                 s.sq - (s.last_km - s.first_km) * 1.0 * (s.last_km - s.first_km) / (s.last_day - s.first_day)
               END AS resid,
               CASE WHEN s.readings >= 2 AND s.last_day > s.first_day
                    THEN (s.last_day - s.first_day) * 1.0 / (s.last_day - s.first_day + {shrink}) ELSE 0 END AS w,
               {typical} AS typical, {day('v.purchase_date')} AS purchase_day,
               {day('v.last_service_date')} AS service_day
        FROM {stats} s JOIN vehicle v ON v.id = s.vehicle_id
        LEFT JOIN usage_typical t1 ON t1.unit_type_code = COALESCE(v.unit_type_code, '') AND t1.branch_id = v.branch_id
        LEFT JOIN usage_typical t2 ON t2.unit_type_code = COALESCE(v.unit_type_code, '') AND t2.branch_id = 0
        LEFT JOIN usage_typical t3 ON t3.unit_type_code = '*' AND t3.branch_id = 0
      ) x
    ) y
    """
