"""Storage helpers of the intake: set-based reads by one bound list of keys, plain driver executemany
inserts and grouped updates, and the facts a NIK gives. Used by core.intake.upsert and core.intake.fast."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ARRAY, Table, any_, bindparam, func, select, update
from sqlalchemy.orm import Session

from core.customers.nik import (
    _birth_year,
)
from core.platform import clock
from core.platform.numbering import format_number, reserve, yymm
from db.models import Customer, Sale, Vehicle, WorkOrder

# --- Upsert -----------------------------------------------------------------------------------

_C: Table = Customer.__table__  # type: ignore[assignment]
_V: Table = Vehicle.__table__  # type: ignore[assignment]
_S: Table = Sale.__table__  # type: ignore[assignment]
_W: Table = WorkOrder.__table__  # type: ignore[assignment]
_IN_CHUNK = 50_000


def _name_key(name: str | None) -> str:
    return " ".join((name or "").upper().split())


def _key_in(session: Session, key: Any, keys: list[Any]) -> tuple[Any, dict[str, Any]]:
    """key IN (the keys) as ONE bound value (a JSON array on SQLite, an array on PostgreSQL): tens of
    thousands of keys without compiling tens of thousands of parameters."""
    if session.get_bind().dialect.name == "postgresql":
        return key == any_(bindparam("in_keys", type_=ARRAY(key.type))), {"in_keys": keys}
    listed = func.json_each(bindparam("in_keys")).table_valued("value")
    return key.in_(select(listed.c.value)), {"in_keys": json.dumps(keys)}


def _select_in(session: Session, columns: list[Any], key: Any, keys: Iterable[Any], *,
               source: Any = None) -> list[Any]:
    keys = list(keys)
    out: list[Any] = []
    for start in range(0, len(keys), _IN_CHUNK):
        where, params = _key_in(session, key, keys[start:start + _IN_CHUNK])
        stmt = select(*columns)
        if source is not None:
            stmt = stmt.select_from(source)
        out.extend(session.execute(stmt.where(where), params).all())
    return out


def _update_many(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """One executemany UPDATE ... WHERE id = :b_id for rows that all set the same columns."""
    by_cols: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_cols[tuple(sorted(k for k in row if k != "id"))].append(row)
    for cols, group in by_cols.items():
        stmt = update(table).where(table.c.id == bindparam("b_id")).values(
            {c: bindparam(f"b_{c}") for c in cols})
        session.execute(stmt, [{f"b_{k}": v for k, v in r.items()} for r in group])


def _insert_many(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Plain executemany INSERT on the driver (as core.demo writes), stamping created/updated at now.

    Values are already Python types the driver adapts (str, int, date); the timestamps are written the
    way UTCDateTime does (naive UTC on SQLite)."""
    if not rows:
        return
    now = clock.now()
    sqlite = session.get_bind().dialect.name == "sqlite"
    stamp: Any = now.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds") \
        if sqlite else now
    columns = [*rows[0], "created_at", "updated_at"]
    mark = "?" if sqlite else "%s"
    sql = (f"INSERT INTO {table.name} ({', '.join(columns)}) "
           f"VALUES ({', '.join([mark] * len(columns))})")
    params = [(*row.values(), stamp, stamp) for row in rows]  # dates: the driver adapts them (ISO text on SQLite)
    cursor = session.connection().connection.cursor()
    try:
        cursor.executemany(sql, params)
    finally:
        cursor.close()


def _insert_rows(session: Session, table: Table, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """_insert_many for rows already as tuples in the order of columns (no dict per row)."""
    if not rows:
        return
    now = clock.now()
    sqlite = session.get_bind().dialect.name == "sqlite"
    stamp: Any = now.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds") \
        if sqlite else now
    names = [*columns, "created_at", "updated_at"]
    mark = "?" if sqlite else "%s"
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join([mark] * len(names))})"
    cursor: Any = session.connection().connection.cursor()
    try:
        if sqlite:
            cursor.executemany(sql, [(*row, stamp, stamp) for row in rows])
        else:  # PostgreSQL: COPY (psycopg 3) streams the rows, several times faster than executemany
            with cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row((*row, stamp, stamp))
    finally:
        cursor.close()


# SQLite stores a date as its ISO text (what SQLAlchemy's Date writes); Python 3.12 no longer does this
# by default, so the executemany above relies on this adapter (dates only; datetimes are never passed).
sqlite3.register_adapter(dt.date, dt.date.isoformat)


def _merge_change(changes: dict[int, dict[str, Any]], stored: dict[str, Any], want: dict[str, Any]) -> bool:
    """Apply a row's values to a stored row's pending changes (later rows win); True when the row moves
    the values the batch had so far. Only the net difference from the stored row is written, so a row
    that restores the stored values leaves nothing to update."""
    pending = changes.get(stored["id"], {})
    moved = any({**stored, **pending}[c] != v for c, v in want.items())
    final = {**pending, **want}
    diff = {c: v for c, v in final.items() if v != stored[c]}
    if diff:
        changes[stored["id"]] = diff
    else:
        changes.pop(stored["id"], None)
    return moved


def _nik_facts(nik: str) -> dict[str, Any]:
    """What a (validated) NIK says about its holder: read off its digits, as nik_birth_date and
    nik_gender do, without validating it once more (a million rows)."""
    day = int(nik[6:8])
    return {"province_code": nik[:2], "city_code": nik[:4],
            "birth_date": dt.date(_birth_year(int(nik[10:12])), int(nik[8:10]), day - 40 if day > 40 else day),
            "gender": "F" if day > 40 else "M"}


_CUST_COLS = ("nik", "phone", "address")
_VEH_COLS = ("customer_id", "plate", "frame_no", "unit_type_code", "unit_name", "colour", "purchase_date")


def _reserve_customer_codes(session: Session, count: int) -> list[str]:
    """count new customer codes (BPA/yymm/nnnnnnn) in a row."""
    series = f"BPA/{yymm(clock.today_in(clock.HEAD_OFFICE))}"
    first = reserve(session, series, count) if count else 0
    return [format_number(series, first + i) for i in range(count)]
