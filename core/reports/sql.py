"""SQL helpers of the reports: a UTC timestamp's day in its branch's time zone, counting rows that
match, and (from core.platform.sqlfuncs, where every dialect spelling lives) weeks, months and dd/mm/yyyy text.

Indonesia's zones (WIB +7, WITA +8, WIT +9) have no daylight saving, so on SQLite a branch-local
day is the UTC timestamp shifted by its zone's fixed offset; PostgreSQL uses AT TIME ZONE."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, literal
from sqlalchemy.sql.expression import ColumnElement

from core.platform.i18n import register
from core.platform.sqlfuncs import at_zone_date, dmy, month_start, shift_hours_date, week_start

__all__ = ["count_when", "dmy", "local_day", "month_start", "month_start_py", "week_start", "zone_hours"]

# The report modules' messages (the Laporan CRM, the recap and PICA, the charts), registered where all
# of them import: a page that loads only one of them still shows the others' texts.
register({
    "report.kind": {"id": "tipe laporan tidak dikenal", "en": "unknown report type"},
    "report.stage": {"id": "stage hanya bisa dipilih untuk tipe Opportunity (Follow Up 1-3, Won, Lost)",
                     "en": "a stage can only be chosen for type Opportunity (Follow Up 1-3, Won, Lost)"},
    "report.period": {"id": "tanggal sampai tidak boleh sebelum tanggal dari",
                      "en": "the end date cannot be before the start date"},
    "report.format": {"id": "format ekspor harus xlsx atau csv", "en": "the export format must be xlsx or csv"},
    "report.cause": {"id": "penyebab PICA tidak dikenal", "en": "unknown PICA cause"},
    "report.export_user": {"id": "ekspor latar belakang butuh pengguna yang login",
                           "en": "a background export needs a logged-in user"},
})


def month_start_py(day: dt.date) -> dt.date:
    return day.replace(day=1)


def zone_hours(tz: str) -> int:
    offset = dt.datetime(2020, 1, 1, tzinfo=ZoneInfo(tz)).utcoffset() or dt.timedelta()
    return int(offset.total_seconds() // 3600)


def local_day(dialect: str, ts: Any, zone_column: Any, zones: Iterable[str]) -> ColumnElement[Any]:
    """The branch-local date of a UTC timestamp column; `zones` are the time zones branches use."""
    if dialect == "postgresql":
        return at_zone_date(ts, zone_column)
    hours = case({tz: literal(zone_hours(tz)) for tz in sorted(set(zones))}, value=zone_column, else_=literal(7))
    return shift_hours_date(ts, hours)


def count_when(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)
