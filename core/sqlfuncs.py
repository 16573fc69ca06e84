"""The few SQL expressions SQLite and PostgreSQL spell differently, for set-based statements."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Date, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement


class add_days(FunctionElement[Any]):
    """date + n days (n a column or bound integer)."""

    type = Date()
    inherit_cache = True


@compiles(add_days, "sqlite")
def _add_days_sqlite(element: add_days, compiler: Any, **kw: Any) -> str:
    day, n = list(element.clauses)
    return f"date({compiler.process(day, **kw)}, printf('%+d days', {compiler.process(n, **kw)}))"


@compiles(add_days, "postgresql")
def _add_days_pg(element: add_days, compiler: Any, **kw: Any) -> str:
    day, n = list(element.clauses)
    return f"(CAST({compiler.process(day, **kw)} AS DATE) + CAST({compiler.process(n, **kw)} AS INTEGER))"


class zero_pad(FunctionElement[Any]):
    """An integer as text, left-padded with zeros to a width."""

    type = String()
    inherit_cache = True


@compiles(zero_pad, "sqlite")
def _zero_pad_sqlite(element: zero_pad, compiler: Any, **kw: Any) -> str:
    n, width = list(element.clauses)
    return f"printf('%0' || {compiler.process(width, **kw)} || 'd', {compiler.process(n, **kw)})"


@compiles(zero_pad, "postgresql")
def _zero_pad_pg(element: zero_pad, compiler: Any, **kw: Any) -> str:
    n, width = list(element.clauses)
    return f"lpad(CAST({compiler.process(n, **kw)} AS TEXT), {compiler.process(width, **kw)}, '0')"


class date_iso(FunctionElement[Any]):
    """A date as 'YYYY-MM-DD' text."""

    type = String()
    inherit_cache = True


@compiles(date_iso, "sqlite")
def _date_iso_sqlite(element: date_iso, compiler: Any, **kw: Any) -> str:
    return f"date({compiler.process(next(iter(element.clauses)), **kw)})"


@compiles(date_iso, "postgresql")
def _date_iso_pg(element: date_iso, compiler: Any, **kw: Any) -> str:
    return f"to_char({compiler.process(next(iter(element.clauses)), **kw)}, 'YYYY-MM-DD')"


def text_concat(*parts: ColumnElement[Any] | str) -> ColumnElement[Any]:
    from sqlalchemy import literal

    out: ColumnElement[Any] | None = None
    for p in parts:
        piece = literal(p) if isinstance(p, str) else p
        out = piece if out is None else out.concat(piece)
    assert out is not None
    return out


def rowcount(result: Any) -> int:
    """Rows an INSERT ... SELECT / UPDATE touched (CursorResult.rowcount; -1, unknown, counts as 0)."""
    return max(int(getattr(result, "rowcount", 0) or 0), 0)
