"""The typical km per day of a model at a branch: the median own rate of its vehicles (core.prediction.usage),
with the model over every branch (branch 0) and every vehicle ('*') as fallbacks; a group counts with at
least MIN_VEHICLES own rates. Recomputed weekly (it moves slowly) and on the first refresh."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from db.models import UsageTypical

MIN_VEHICLES = 20
EVERY_DAYS = 7


def stale(session: Session, today: dt.date) -> bool:
    last = session.scalar(select(func.max(UsageTypical.refreshed_on)))
    return last is None or last <= today - dt.timedelta(days=EVERY_DAYS)


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
    return total
