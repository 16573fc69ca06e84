"""The SQL expressions SQLite and PostgreSQL spell differently, for set-based statements and reports.

Each is declared once with its two spellings (`{0}`, `{1}` stand for the compiled arguments, `{all}` for
all of them), so a new one is three lines, not two compiler functions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, Date, Integer, String, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement
from sqlalchemy.types import NullType, TypeEngine


def _dialect_function(name: str, type_: TypeEngine[Any], doc: str, *, sqlite: str | None = None,
                      postgresql: str | None = None) -> type[FunctionElement[Any]]:
    """A SQL function class whose text is `sqlite` / `postgresql` with the arguments filled in. A
    dialect left out has no spelling: using the function there fails at compile time."""
    cls = type(name, (FunctionElement,), {"type": type_, "inherit_cache": True, "__doc__": doc})
    for dialect, template in (("sqlite", sqlite), ("postgresql", postgresql)):
        if template is None:
            continue

        def compile_(element: Any, compiler: Any, _template: str = template, **kw: Any) -> str:
            args = [compiler.process(arg, **kw) for arg in element.clauses]
            return _template.format(*args, all=", ".join(args))

        compiles(cls, dialect)(compile_)
    return cls


add_days = _dialect_function(
    "add_days", Date(), "date + n days (n a column or bound integer; NULL n gives NULL).",
    sqlite="date({0}, CAST({1} AS INTEGER) || ' days')",  # NULL days: NULL, as on PostgreSQL (printf made it +0)
    postgresql="(CAST({0} AS DATE) + CAST({1} AS INTEGER))")
zero_pad = _dialect_function(
    "zero_pad", String(), "An integer as text, left-padded with zeros to a width.",
    sqlite="printf('%0' || {1} || 'd', {0})",
    postgresql="lpad(CAST({0} AS TEXT), {1}, '0')")
date_iso = _dialect_function(
    "date_iso", String(), "A date as 'YYYY-MM-DD' text.",
    sqlite="date({0})", postgresql="to_char({0}, 'YYYY-MM-DD')")
dmy = _dialect_function(
    "dmy", String(), "A date as 'dd/mm/yyyy' text (NULL stays NULL).",
    sqlite="strftime('%d/%m/%Y', {0})", postgresql="to_char({0}, 'DD/MM/YYYY')")
# Excel counts days from 1899-12-30 (its day 60 is the 1900-02-29 that never was; days after it are right).
excel_day = _dialect_function(
    "excel_day", Integer(), "A date as Excel's day number, so a sheet cell is a real date (NULL stays NULL).",
    sqlite="CAST(julianday({0}) - 2415018.5 AS INTEGER)", postgresql="(CAST({0} AS DATE) - DATE '1899-12-30')")
# 'weekday 0' moves to the next Sunday (or stays on one); six days back is that week's Monday.
week_start = _dialect_function(
    "week_start", Date(), "The Monday of a date's ISO week, as a date.",
    sqlite="date({0}, 'weekday 0', '-6 days')", postgresql="CAST(date_trunc('week', {0}) AS DATE)")
day_number = _dialect_function(
    "day_number", Integer(), "A date as a whole number of days (differences are days between dates).",
    sqlite="CAST(julianday({0}) AS INTEGER)", postgresql="({0} - DATE '2000-01-01')")
round_int = _dialect_function(
    "round_int", Integer(), "A number rounded half away from zero, as an integer.",
    sqlite="CAST(ROUND({0}) AS INTEGER)", postgresql="CAST(ROUND(CAST({0} AS NUMERIC)) AS INTEGER)")
# SQLite's two-argument min() is its LEAST (NULL when either is NULL on both).
least = _dialect_function(
    "least", Date(), "The earlier of two dates (NULL when either is NULL).",
    sqlite="min({0}, {1})", postgresql="LEAST({0}, {1})")
month_start = _dialect_function(
    "month_start", Date(), "The first day of a date's month, as a date.",
    sqlite="date({0}, 'start of month')", postgresql="CAST(date_trunc('month', {0}) AS DATE)")
shift_hours_date = _dialect_function(
    "shift_hours_date", Date(), "SQLite only: a naive UTC timestamp text moved by n hours, as a date.",
    sqlite="date({0}, printf('%+d hours', {1}))")
at_zone_date = _dialect_function(
    "at_zone_date", Date(), "PostgreSQL only: a timestamptz's date in the named zone.",
    postgresql="CAST(({0} AT TIME ZONE {1}) AS DATE)")
json_change = _dialect_function(
    "json_change", JSON(), "An audit row's changes {key: [null, value]} as JSON, for INSERT ... SELECT.",
    sqlite="json_object({0}, json_array(NULL, {1}))",
    postgresql="json_build_object(CAST({0} AS TEXT), json_build_array(NULL, CAST({1} AS TEXT)))")
format_text = _dialect_function(
    "format_text", String(), "printf-style text; %s writes NULL as nothing, an integer as its digits.",
    sqlite="printf({all})", postgresql="format({all})")
# SQLite's LIKE already ignores ASCII case, and its lower() folds nothing else: the plain LIKE matches
# exactly what lower(x) LIKE lower(y) would, without a function call per row (half the time on a scan).
ci_like = _dialect_function(
    "ci_like", Boolean(), "Case-insensitive LIKE with '\\' as the escape character.",
    sqlite="({0} LIKE {1} ESCAPE '\\')", postgresql="({0} ILIKE {1} ESCAPE '\\')")

# Planner hints for the lead list (leads.queries), each the column's own value spelled so the planner cannot use (or
# walk) an index on it (SQLite's unary +, PostgreSQL's "+ interval '0'"):
# - unindexed: over every branch, a search that finds few is faster found by its own index and sorted
#   than by walking the creation-time index in order (which reads row after row to find rare matches);
# - stage_scanned (SQLite only): the stage tested on ix_lead_branch_created_search, which holds it,
#   instead of each of the stage's rows fetched through (branch, stage, deadline): 7,000 table reads for
#   FU1 in a big branch, seconds when the file is not in the page cache; PostgreSQL's statistics pick
#   well between the two;
# - sorted_after (PostgreSQL only): a stage's rows found by its index, then sorted; on SQLite the
#   branch's search index holds the stage and walks newest first, stopping at a page.
unindexed = _dialect_function("unindexed", NullType(), "A value no index is used for.",
                               sqlite="+{0}", postgresql="({0} + interval '0 seconds')")
stage_scanned = _dialect_function("stage_scanned", String(), "SQLite: a value no index is used for.",
                                   sqlite="+{0}", postgresql="{0}")
sorted_after = _dialect_function("sorted_after", NullType(), "PostgreSQL: a time no index is walked for.",
                                  sqlite="{0}", postgresql="({0} + interval '0 seconds')")


def text_concat(*parts: ColumnElement[Any] | str) -> ColumnElement[Any]:
    out: ColumnElement[Any] | None = None
    for p in parts:
        piece = literal(p) if isinstance(p, str) else p
        out = piece if out is None else out.concat(piece)
    assert out is not None
    return out


def rowcount(result: Any) -> int:
    """Rows an INSERT ... SELECT / UPDATE touched (CursorResult.rowcount; -1, unknown, counts as 0)."""
    return max(int(getattr(result, "rowcount", 0) or 0), 0)
