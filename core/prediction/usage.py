"""Each motorcycle's km per day from its own odometer readings, refreshed set-based with the daily lead run.

Readings: the purchase (0 km on the SMH date: a new motorcycle) and every work order's odometer (imports
and the AHM DGI pkb kmTerakhir alike land in work_order.km). Robust to typos and resets, in two window passes:
- an impossible jump (more than `usage.max_km_per_day` per day since the previous reading, and higher than
  the next one: a typo spike) is ignored;
- a reading lower than the highest accepted before it (an odometer reset, a typo low) is ignored.
Both are counted (`ignored`). The own rate is (last accepted km - first accepted km) / the days between them.

Shrinkage, empirical-Bayes style: if a vehicle's true rate r varies between vehicles of a model and branch
with variance tau^2 around the typical rate m, and its observed km over D days is r*D plus noise of variance
s^2*D, the own estimate has variance s^2/D and the posterior mean is
    km_per_day = w * own + (1 - w) * m,   w = tau^2 / (tau^2 + s^2/D) = D / (D + K),   K = s^2 / tau^2,
K in days: a vehicle with a short history leans on its model and branch; one with a long one on itself.
K is estimated from the data with the typical rates (core.prediction.typical): s^2 pooled from the residuals
of the vehicles' steps (sum of dk^2/dd - S^2/D per vehicle, over readings - 2 degrees of freedom), tau^2 from
the spread of the own rates around their typical rate less the part the noise explains; the setting
`usage.shrink_days` is used until there are enough vehicles to estimate it. With fewer than two readings
(or none spanning a day) w = 0: the typical rate alone.
The typical rate m is the median own rate of the model at the branch (core.prediction.typical), falling back
to the model over all branches, then to every vehicle, then to DEFAULT_KM_PER_DAY.

Refresh: the first run (an empty table) does every vehicle, then the typical rates and K, then every vehicle
again on them. A later (daily) run does only the vehicles whose readings changed since the last run: a work
order dated from the last refresh's day on, or written (created or updated: a late import, a corrected
km) since the day before it began in UTC, whatever its service date; and new vehicles bought since `since`
without a usage row. Its cost follows those vehicles, not the table: the typical rates and K are not
recomputed in it but weekly by their own worker job (core.prediction.typical.run_weekly). Each step is one
INSERT ... SELECT over temp tables.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import TableClause, column, delete, exists, func, insert, select, table, text
from sqlalchemy.orm import Session

from core.platform import settings
from core.prediction import arrival, typical
from core.prediction.day_sql import day, is_pg
from core.prediction.next_due import store_sql
from db.models import Vehicle, VehicleUsage, WorkOrder

TARGETS = "usage_target"
STATS = "usage_stats"


@dataclass
class UsageResult:
    vehicles: int = 0  # rows refreshed
    full: bool = False
    typical_groups: int = 0  # >0 when the typical rates were recomputed
    seconds: float = 0.0


def refresh(session: Session, today: dt.date, *, since: dt.date | None = None) -> UsageResult:
    """Refresh the usage rows of the vehicles whose readings changed since the last refresh and of the new
    vehicles bought since `since` (all vehicles when the table is empty or `since` is None). The typical
    rates are recomputed only by the full refresh here; weekly by typical.run_weekly."""
    started = time.perf_counter()
    last = session.scalar(select(func.max(VehicleUsage.refreshed_on)))
    if since is not None and last is not None and last >= today:
        return UsageResult()  # done today already (the next time zone's run, a rerun)
    full = since is None or last is None
    result = UsageResult(full=full)
    _targets(session, None if full else since, last)
    try:
        _stats(session)
        result.vehicles = _store(session, today, full)
        if full:  # the first rates had no typical rate to lean on: now there is one, store again
            result.typical_groups = typical.refresh(session, today)
            _store(session, today, full)
            arrival.refresh(session, today)
    finally:
        for name in (STATS, TARGETS):
            session.execute(text(f"DROP TABLE IF EXISTS {name}"))
    result.seconds = time.perf_counter() - started
    return result


def _targets(session: Session, since: dt.date | None, last: dt.date | None) -> None:
    """The vehicles to refresh (every vehicle when `since` is None): those with a work order dated from the
    `last` refresh's day on, or written since the day before it began in UTC (the last run, that day's local
    morning, came later in every zone: what it may have missed, a late import whatever its service date, is
    caught), both by index (ix_work_order_date, ix_work_order_updated); and the vehicles bought since `since`
    that have no usage row yet."""
    session.execute(text(f"DROP TABLE IF EXISTS {TARGETS}"))
    session.execute(text(f"CREATE TEMPORARY TABLE {TARGETS} (vehicle_id BIGINT PRIMARY KEY)"))
    if since is None or last is None:
        chosen: Any = select(Vehicle.id)
    else:
        written = dt.datetime.combine(last - dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
        chosen = select(WorkOrder.vehicle_id).where(WorkOrder.service_date >= last).union(
            select(WorkOrder.vehicle_id).where(WorkOrder.updated_at >= written),
            select(Vehicle.id).where(Vehicle.purchase_date >= since,
                                     ~exists().where(VehicleUsage.vehicle_id == Vehicle.id)))
    session.execute(insert(usage_target()).from_select(["vehicle_id"], chosen))
    _analyze(session, TARGETS)


def _analyze(session: Session, name: str) -> None:
    """PostgreSQL: a temp table has no statistics until analysed (autovacuum never sees it), and a planner
    that guesses its size joins it to work_order by hash over the whole table instead of by index."""
    if is_pg(session):
        session.execute(text(f"ANALYZE {name}"))


def usage_target() -> TableClause:
    """The temp table of the vehicles to refresh, for statements built with SQLAlchemy."""
    return table(TARGETS, column("vehicle_id"))


def _stats(session: Session) -> None:
    """Per target vehicle: accepted and ignored readings, the first and last accepted (day, km), the
    highest KPB served. Readings ordered by (day, km); two window passes (spikes, then below the highest)."""
    max_rate = float(settings.get(session, "usage.max_km_per_day"))
    day_p, day_w = day(session, "v.purchase_date"), day(session, "w.service_date")
    gap = "(CASE WHEN day - p_day < 1 THEN 1 ELSE day - p_day END)"
    # One GROUP BY at the end and no join between aggregates (SQLite cannot index a CTE: a join of two would
    # be quadratic). Work orders without km stay in (for the highest KPB served) but out of the windows.
    reading = "PARTITION BY vehicle_id, km IS NULL ORDER BY day, km"
    sql = f"""
    WITH r AS (
      SELECT v.id AS vehicle_id, {day_p} AS day, 0 AS km, NULL AS kpb
      FROM vehicle v JOIN {TARGETS} t ON t.vehicle_id = v.id WHERE v.purchase_date IS NOT NULL
      UNION ALL
      SELECT w.vehicle_id, {day_w}, CASE WHEN w.km >= 0 THEN w.km END, w.kpb_number
      FROM work_order w JOIN {TARGETS} t ON t.vehicle_id = w.vehicle_id
    ), o AS (
      SELECT vehicle_id, day, km, kpb, LAG(day) OVER ({reading}) AS p_day, LAG(km) OVER ({reading}) AS p_km,
             LEAD(km) OVER ({reading}) AS n_km
      FROM r
    ), s AS (
      SELECT vehicle_id, day, km, kpb,
             CASE WHEN p_km IS NOT NULL AND km - p_km > {max_rate} * {gap} AND (n_km IS NULL OR km > n_km)
                  THEN 1 ELSE 0 END AS spike
      FROM o
    ), m AS (
      SELECT vehicle_id, day, km, kpb, spike,
             MAX(CASE WHEN spike = 0 THEN km END) OVER ({reading}
                 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS high
      FROM s
    ), a AS (
      SELECT vehicle_id, day, km, kpb,
             CASE WHEN km IS NOT NULL AND spike = 0 AND (high IS NULL OR km >= high) THEN 1 ELSE 0 END AS ok
      FROM m
    ), steps AS (  -- each accepted reading's step from the accepted one before it
      SELECT vehicle_id, day, km, kpb, ok,
             CASE WHEN ok = 1 THEN day - LAG(day) OVER (PARTITION BY vehicle_id, ok ORDER BY day, km) END AS dd,
             CASE WHEN ok = 1 THEN km - LAG(km) OVER (PARTITION BY vehicle_id, ok ORDER BY day, km) END AS dk
      FROM a
    )
    SELECT vehicle_id, SUM(ok) AS readings,
           SUM(CASE WHEN km IS NOT NULL AND ok = 0 THEN 1 ELSE 0 END) AS ignored,
           MIN(CASE WHEN ok = 1 THEN day END) AS first_day, MAX(CASE WHEN ok = 1 THEN day END) AS last_day,
           MIN(CASE WHEN ok = 1 THEN km END) AS first_km, MAX(CASE WHEN ok = 1 THEN km END) AS last_km,
           SUM(CASE WHEN dd > 0 THEN dk * 1.0 * dk / dd END) AS sq, COALESCE(MAX(kpb), 0) AS max_kpb
    FROM steps GROUP BY vehicle_id
    """
    session.execute(text(f"DROP TABLE IF EXISTS {STATS}"))
    session.execute(text(f"CREATE TEMPORARY TABLE {STATS} AS {sql}"))
    session.execute(text(f"CREATE UNIQUE INDEX ix_{STATS} ON {STATS} (vehicle_id)"))
    _analyze(session, STATS)


def _store(session: Session, today: dt.date, full: bool) -> int:
    """Replace the targets' usage rows: rate, weight, the next service and the day its km limit is reached."""
    if full:
        session.execute(delete(VehicleUsage))
    else:
        session.execute(text(f"DELETE FROM vehicle_usage WHERE vehicle_id IN (SELECT vehicle_id FROM {TARGETS})"))
    insert = store_sql(session, today, STATS)
    result = session.execute(text(insert))
    return max(result.rowcount or 0, 0)  # type: ignore[attr-defined]
