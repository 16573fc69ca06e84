"""The one way core/ reads branch-owned rows outside the ORM: a SQLAlchemy Core statement run on the session's
connection, on the driver's own cursor, or as PostgreSQL's COPY. The ORM's safety net (db.scoping) cannot see
those; here the viewer goes in with the statement and every branch-owned table the statement reads FROM gets
`branch_id IN (the viewer's branches)` added, so a caller that forgets its own condition still reads only its
branches. tests/platform/test_raw_sql_scope.py fails when another core module runs raw SQL itself."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

from sqlalchemy import Alias, Join, Select, Table
from sqlalchemy.engine import Result
from sqlalchemy.orm import Session

from core.accounts.access import Viewer
from core.platform.driver_sql import for_driver
from db.base import Base, BranchOwned


def branch_owned_tables() -> frozenset[str]:
    """Names of the tables whose rows belong to one branch (the models marked BranchOwned)."""
    return frozenset(m.local_table.name for m in Base.registry.mappers
                     if issubclass(m.class_, BranchOwned) and isinstance(m.local_table, Table))


def _tables_read(from_: Any) -> Iterator[Any]:
    if isinstance(from_, Join):
        yield from _tables_read(from_.left)
        yield from _tables_read(from_.right)
    elif isinstance(from_, Table) or (isinstance(from_, Alias) and isinstance(from_.element, Table)):
        yield from_


def scoped(session: Session, viewer: Viewer, stmt: Select[Any]) -> Select[Any]:
    """`stmt` with the viewer's branch predicate on each branch-owned table (or alias of one) in its FROM
    (a table only a subquery reads is that subquery's business: it is not added to the outer FROM)."""
    if viewer.all_branches:
        return stmt
    owned, ids = branch_owned_tables(), sorted(viewer.branch_ids)
    # The FROM list as this database's compiler sees it (Select.get_final_froms compiles with the generic
    # compiler, which cannot render our dialect-only functions).
    state: Any = stmt.compile(dialect=session.get_bind().dialect).compile_state
    for from_ in state.froms:
        for table in _tables_read(from_):
            name = getattr(table.element if isinstance(table, Alias) else table, "name", None)
            if name in owned:
                stmt = stmt.where(table.c.branch_id.in_(ids))
    return stmt


def execute(session: Session, viewer: Viewer, stmt: Select[Any], **options: Any) -> Result[Any]:
    """Core rows on the session's connection (no ORM entities), e.g. streamed with stream_results/yield_per."""
    return session.connection().execute(scoped(session, viewer, stmt).execution_options(**options))


def driver_rows(session: Session, viewer: Viewer, stmt: Select[Any], params: dict[str, Any] | None = None
                ) -> list[tuple[Any, ...]]:
    """Every row as the driver's plain tuples (see core.platform.driver_sql for when that is worth it)."""
    with driver_cursor(session, viewer, stmt, params) as cursor:
        return list(cursor.fetchall())


@contextmanager
def driver_cursor(session: Session, viewer: Viewer, stmt: Select[Any], params: dict[str, Any] | None = None,
                  *, name: str | None = None) -> Iterator[Any]:
    """The driver's cursor with the scoped statement executed, for fetchmany loops; `name` a PostgreSQL
    server-side cursor (rows stream)."""
    sql, values = for_driver(session, scoped(session, viewer, stmt), params)
    raw: Any = session.connection().connection.dbapi_connection
    cursor = raw.cursor(name=name) if name else raw.cursor()
    try:
        cursor.execute(sql, values)
        yield cursor
    finally:
        cursor.close()


def copy_csv(session: Session, viewer: Viewer, stmt: Select[Any], out: IO[bytes]) -> int:
    """PostgreSQL only: COPY (the scoped SELECT) TO STDOUT WITH CSV, streamed into `out`; returns the rows."""
    sql, values = for_driver(session, scoped(session, viewer, stmt))
    cursor: Any = session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", values) as copy:
            for chunk in copy:
                out.write(chunk)
        return max(int(cursor.rowcount), 0)  # COPY's own count
    finally:
        cursor.close()
