"""Document numbers: LDS/<branch>/<yymm>/<nnnnn> (leads), BOS-W/<branch>/<yymm>/<nnnnn> (bookings),
BPA/<yymm>/<nnnnnnn> (customers), per series, gap-tolerant and safe under concurrent creation.

A counter row per series is bumped with one UPDATE ... RETURNING inside the caller's transaction:
PostgreSQL's row lock and SQLite's write lock serialise concurrent creators, and a rolled-back
transaction gives its numbers back. Blocks of numbers serve bulk creation in one statement.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from db.models import Counter


def reserve(session: Session, series: str, count: int = 1) -> int:
    """Reserve `count` consecutive numbers of a series; returns the first one."""
    if count < 1:
        raise ValueError("count must be >= 1")
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(Counter).values(key=series, value=0).on_conflict_do_nothing())
    last = session.execute(
        update(Counter).where(Counter.key == series).values(value=Counter.value + count).returning(Counter.value)
    ).scalar_one()
    return int(last) - count + 1


def yymm(day: dt.date) -> str:
    return day.strftime("%y%m")


def lead_series(branch_code: str, day: dt.date) -> str:
    return f"LDS/{branch_code}/{yymm(day)}"


def booking_series(branch_code: str, day: dt.date) -> str:
    return f"BOS-W/{branch_code}/{yymm(day)}"


def format_number(series: str, n: int) -> str:
    width = 7 if series.startswith("BPA/") else 5
    return f"{series}/{n:0{width}d}"


def next_lead_number(session: Session, branch_code: str, day: dt.date) -> str:
    series = lead_series(branch_code, day)
    return format_number(series, reserve(session, series))


def next_booking_number(session: Session, branch_code: str, day: dt.date) -> str:
    series = booking_series(branch_code, day)
    return format_number(series, reserve(session, series))


def next_customer_code(session: Session, day: dt.date) -> str:
    series = f"BPA/{yymm(day)}"
    return format_number(series, reserve(session, series))


def next_work_order_number(session: Session, branch_code: str, day: dt.date) -> str:
    series = f"WO/{branch_code}/{yymm(day)}"
    return format_number(series, reserve(session, series))
