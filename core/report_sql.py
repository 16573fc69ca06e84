"""SQL expressions the reports need that SQLite and PostgreSQL spell differently: the Monday of a
date's week, a date as dd/mm/yyyy text, and a UTC timestamp's day in its branch's time zone.

Indonesia's zones (WIB +7, WITA +8, WIT +9) have no daylight saving, so on SQLite a branch-local
day is the UTC timestamp shifted by its zone's fixed offset; PostgreSQL uses AT TIME ZONE."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Date, String, case, func, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement


class week_start(FunctionElement[Any]):
    """The Monday of a date's ISO week, as a date."""

    type = Date()
    inherit_cache = True


@compiles(week_start, "sqlite")
def _week_start_sqlite(element: week_start, compiler: Any, **kw: Any) -> str:
    # 'weekday 0' moves to the next Sunday (or stays on one); six days back is that week's Monday.
    return f"date({compiler.process(next(iter(element.clauses)), **kw)}, 'weekday 0', '-6 days')"


@compiles(week_start, "postgresql")
def _week_start_pg(element: week_start, compiler: Any, **kw: Any) -> str:
    return f"CAST(date_trunc('week', {compiler.process(next(iter(element.clauses)), **kw)}) AS DATE)"


class month_start(FunctionElement[Any]):
    """The first day of a date's month, as a date."""

    type = Date()
    inherit_cache = True


@compiles(month_start, "sqlite")
def _month_start_sqlite(element: month_start, compiler: Any, **kw: Any) -> str:
    return f"date({compiler.process(next(iter(element.clauses)), **kw)}, 'start of month')"


@compiles(month_start, "postgresql")
def _month_start_pg(element: month_start, compiler: Any, **kw: Any) -> str:
    return f"CAST(date_trunc('month', {compiler.process(next(iter(element.clauses)), **kw)}) AS DATE)"


def month_start_py(day: dt.date) -> dt.date:
    return day.replace(day=1)


class dmy(FunctionElement[Any]):
    """A date as 'dd/mm/yyyy' text (NULL stays NULL)."""

    type = String()
    inherit_cache = True


@compiles(dmy, "sqlite")
def _dmy_sqlite(element: dmy, compiler: Any, **kw: Any) -> str:
    return f"strftime('%d/%m/%Y', {compiler.process(next(iter(element.clauses)), **kw)})"


@compiles(dmy, "postgresql")
def _dmy_pg(element: dmy, compiler: Any, **kw: Any) -> str:
    return f"to_char({compiler.process(next(iter(element.clauses)), **kw)}, 'DD/MM/YYYY')"


class _shift_hours(FunctionElement[Any]):
    """SQLite only: a naive UTC timestamp text moved by n hours, as a date."""

    type = Date()
    inherit_cache = True


@compiles(_shift_hours, "sqlite")
def _shift_hours_sqlite(element: _shift_hours, compiler: Any, **kw: Any) -> str:
    ts, hours = list(element.clauses)
    return f"date({compiler.process(ts, **kw)}, printf('%+d hours', {compiler.process(hours, **kw)}))"


class _at_zone_date(FunctionElement[Any]):
    """PostgreSQL only: a timestamptz's date in the named zone."""

    type = Date()
    inherit_cache = True


@compiles(_at_zone_date, "postgresql")
def _at_zone_date_pg(element: _at_zone_date, compiler: Any, **kw: Any) -> str:
    ts, zone = list(element.clauses)
    return f"CAST(({compiler.process(ts, **kw)} AT TIME ZONE {compiler.process(zone, **kw)}) AS DATE)"


def zone_hours(tz: str) -> int:
    offset = dt.datetime(2020, 1, 1, tzinfo=ZoneInfo(tz)).utcoffset() or dt.timedelta()
    return int(offset.total_seconds() // 3600)


def local_day(dialect: str, ts: Any, zone_column: Any, zones: Iterable[str]) -> ColumnElement[Any]:
    """The branch-local date of a UTC timestamp column; `zones` are the time zones branches use."""
    if dialect == "postgresql":
        return _at_zone_date(ts, zone_column)
    hours = case({tz: literal(zone_hours(tz)) for tz in sorted(set(zones))}, value=zone_column, else_=literal(7))
    return _shift_hours(ts, hours)


def count_when(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)
