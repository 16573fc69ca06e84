"""core.platform.sqlfuncs.add_days behaves the same on both databases, NULL days included: a vehicle with no
usage row has no km day (core.prediction.next_due), and on SQLite printf('%+d', NULL) once made that '+0 days',
so its KPB deadline became its purchase date and no lead was opened."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, literal, null, select

from core.platform.sqlfuncs import add_days


def test_add_days_forward_back_and_null(world):
    day = literal(dt.date(2026, 12, 3))
    with world.db.session(None, system=True) as s:
        forward, back, none = s.execute(select(add_days(day, 60), add_days(day, literal(-3, Integer)),
                                               add_days(day, null()))).one()
    assert (forward, back, none) == (dt.date(2027, 2, 1), dt.date(2026, 11, 30), None)
