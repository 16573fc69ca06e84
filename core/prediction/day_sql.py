"""Day numbers in the prediction's raw SQL (core.prediction.usage, next_due, arrival): dates become whole days
so differences are days, the same way on both databases (PostgreSQL counts from 2000-01-01, SQLite in
julianday: only differences and round trips through `date_of` are used)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session


def is_pg(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def day(session: Session, col: str) -> str:
    """SQL: a date column as its day number."""
    return f"({col} - DATE '2000-01-01')" if is_pg(session) else f"CAST(julianday({col}) AS INTEGER)"


def day_of(session: Session, value: dt.date) -> int:
    """A date's day number, as `day` gives it (SQLite's julianday('0001-01-01') is 1721425.5)."""
    return (value - dt.date(2000, 1, 1)).days if is_pg(session) else value.toordinal() + 1721424


def date_of(session: Session, n: str) -> str:
    """SQL: a day number back to a date."""
    return f"(DATE '2000-01-01' + CAST({n} AS INTEGER))" if is_pg(session) else f"date({n} + 0.5)"


def date_literal(session: Session, value: dt.date) -> str:
    """SQL: a date we made (not user input) as a literal."""
    return f"DATE '{value.isoformat()}'" if is_pg(session) else f"'{value.isoformat()}'"
