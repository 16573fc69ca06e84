"""The typical km per day of a model at a branch: the median own rate of its vehicles (core.prediction.usage),
with the model over every branch (branch 0) and every vehicle ('*') as fallbacks; a group counts with at
least MIN_VEHICLES own rates. And the shrinkage K the rates lean on it with, estimated from the same rows.
Both move slowly and read every vehicle's row: recomputed on the first (full) refresh and then weekly by the
worker job `run_weekly`, never inside the daily lead run (whose cost follows the vehicles it refreshes)."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from core.platform import clock
from core.platform.jobs import claim, finish
from core.prediction import arrival
from db.engine import Database
from db.models import UsageTypical, VehicleUsage

log = logging.getLogger("h23.worker")

MIN_VEHICLES = 20
EVERY_DAYS = 7


def stale(session: Session, today: dt.date) -> bool:
    last = session.scalar(select(func.max(UsageTypical.refreshed_on)))
    return last is None or last <= today - dt.timedelta(days=EVERY_DAYS)


def run_weekly(db: Database, worker: str) -> list[str]:
    """The worker job: the typical rates and K once a week (head office's day, WIB), when a week old; [] when
    not due, or while fewer than MIN_VEHICLES vehicles have an own rate (no group could count; the first
    refresh computes them itself). The schedule lane runs it before the lead engine's daily run (DATA_FLOW),
    so that run reads the new ones."""
    today = clock.today_in(clock.HEAD_OFFICE)
    with db.session(None, system=True) as s:
        enough = select(VehicleUsage.vehicle_id).where(VehicleUsage.own_km_per_day.is_not(None)) \
            .limit(1).offset(MIN_VEHICLES - 1)
        if not stale(s, today) or s.scalar(enough) is None:
            return []
    key = (today - dt.timedelta(days=today.weekday())).isoformat()  # the week's Monday
    run_id = claim(db, "usage_typical", key, worker)
    if run_id is None:
        return []
    try:
        with db.transaction(None, system=True) as s:
            groups = refresh(s, today) if stale(s, today) else None
            if groups is not None:  # the customers' habit moves as slowly, and leans on the new rates
                arrival.refresh(s, today)
        finish(db, run_id, {"groups": groups})
    except Exception as e:  # recorded; the claim is taken over after STALE_AFTER
        finish(db, run_id, error=repr(e))
        log.exception("usage_typical %s failed", key)
        return []
    log.info("usage_typical %s: %s groups", key, groups)
    return [f"usage_typical:{key}"]


def refresh(session: Session, today: dt.date) -> int:
    """Replace the typical rates from the stored own rates; the number of groups."""
    session.execute(delete(UsageTypical))
    total = 0
    for code, branch in (("COALESCE(v.unit_type_code, '')", "v.branch_id"),
                         ("COALESCE(v.unit_type_code, '')", "0"), ("'*'", "0")):
        # The median by window functions (SQLite has no percentile): the middle one or two of each group.
        sql = f"""
        INSERT INTO usage_typical (unit_type_code, branch_id, km_per_day, vehicles, refreshed_on)
        SELECT code, branch, AVG(rate), MAX(c), :today FROM (
          SELECT {code} AS code, {branch} AS branch, u.own_km_per_day AS rate,
                 ROW_NUMBER() OVER (PARTITION BY {code}, {branch} ORDER BY u.own_km_per_day) AS rn,
                 COUNT(*) OVER (PARTITION BY {code}, {branch}) AS c
          FROM vehicle_usage u JOIN vehicle v ON v.id = u.vehicle_id WHERE u.own_km_per_day IS NOT NULL
        ) g WHERE rn IN ((c + 1) / 2, (c + 2) / 2) AND c >= {MIN_VEHICLES} GROUP BY code, branch
        """
        total += max(session.execute(text(sql), {"today": today}).rowcount or 0, 0)  # type: ignore[attr-defined]
    _estimate_shrinkage(session)
    return total


def _estimate_shrinkage(session: Session) -> None:
    """K = s^2 / tau^2 (days) for the shrinkage in core.prediction.usage, onto the '*' row:
    s^2, the km noise per day, pooled from the vehicles with 3+ readings (their residual sum of squares over
    readings - 2 degrees of freedom); tau^2, the true spread of rates around the typical one: the observed
    mean square of (own - typical) over vehicles with 30+ days of history, less the noise's share s^2 * mean(1/D).
    Left empty (the setting applies) with fewer than MIN_VEHICLES of either, or no spread left."""
    noise = session.execute(text(
        "SELECT SUM(CASE WHEN resid_ss > 0 THEN resid_ss ELSE 0 END), SUM(readings - 2), COUNT(*) "
        "FROM vehicle_usage WHERE resid_ss IS NOT NULL AND readings >= 3")).one()
    if not noise[2] or noise[2] < MIN_VEHICLES or not noise[1]:
        return
    s2 = float(noise[0] or 0) / float(noise[1])
    spread = session.execute(text(
        "SELECT AVG((u.own_km_per_day - COALESCE(t1.km_per_day, t2.km_per_day, t3.km_per_day)) * "
        "(u.own_km_per_day - COALESCE(t1.km_per_day, t2.km_per_day, t3.km_per_day))), AVG(1.0 / u.span_days), "
        "COUNT(*) FROM vehicle_usage u JOIN vehicle v ON v.id = u.vehicle_id "
        "LEFT JOIN usage_typical t1 ON t1.unit_type_code = COALESCE(v.unit_type_code, '') "
        "AND t1.branch_id = v.branch_id "
        "LEFT JOIN usage_typical t2 ON t2.unit_type_code = COALESCE(v.unit_type_code, '') AND t2.branch_id = 0 "
        "LEFT JOIN usage_typical t3 ON t3.unit_type_code = '*' AND t3.branch_id = 0 "
        "WHERE u.own_km_per_day IS NOT NULL AND u.span_days >= 30")).one()
    if not spread[2] or spread[2] < MIN_VEHICLES or spread[0] is None:
        return
    tau2 = float(spread[0]) - s2 * float(spread[1])
    if tau2 <= 0:
        return
    k = min(3650.0, max(0.5, s2 / tau2))
    session.execute(text("UPDATE usage_typical SET shrink_days = :k WHERE unit_type_code = '*' AND branch_id = 0"),
                    {"k": k})
