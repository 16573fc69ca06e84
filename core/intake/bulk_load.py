"""Bulk-load mode: the first import into an empty database loads without the secondary indexes it never reads.

A dealer's first export (a million sales rows) goes into a database nobody works in yet. Maintaining every
secondary index row by row while the tables grow is most of what such a load costs beyond the rows
themselves; building an index once, from the finished table, is several times cheaper. So when the customer,
vehicle, sale and work-order tables are all empty, the indexes in DEFERRED are dropped before the first batch
and built again after the last (in a ``finally``: also when the import fails), then the planner's statistics
are refreshed (ANALYZE on PostgreSQL, PRAGMA optimize on SQLite). Everything else is as in any import: the
same chunks, validation, rejections and commits; the unique indexes and the ones the import's own lookups
read (NIK, mobile, engine number, customer code, the row hash) stay. A later import (the tables hold rows)
runs as it always has, and first puts back any deferred index an interrupted bulk load left missing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Index, Table, exists, inspect, select, text
from sqlalchemy.schema import CreateIndex, DropIndex

from db.engine import Database
from db.models import Customer, Sale, Vehicle, WorkOrder

log = logging.getLogger("h23.intake")

# Read by the screens, reports and the lead engine, never by an import's statements.
DEFERRED = frozenset({"ix_customer_branch_name", "ix_vehicle_plate", "ix_vehicle_branch_purchase",
                      "ix_vehicle_purchase", "ix_vehicle_last_service", "ix_sale_branch_date", "ix_sale_customer_id",
                      "ix_work_order_branch_date", "ix_work_order_updated"})
TABLES = (Customer, Vehicle, Sale, WorkOrder)
# PostgreSQL's memory for one index build (per statement; the server default is 64 MB).
BUILD_MEMORY = "256MB"


def _indexes() -> list[Index]:
    tables: list[Table] = [model.__table__ for model in TABLES]  # type: ignore[misc]
    return sorted((ix for table in tables for ix in table.indexes if ix.name in DEFERRED),
                  key=lambda ix: str(ix.name))


def is_empty(conn: Connection) -> bool:
    """Nobody works in this database yet: no customer, vehicle, sale or work order."""
    return not any(conn.scalar(select(exists().where(model.id.isnot(None)))) for model in TABLES)


def missing(conn: Connection) -> list[Index]:
    """The deferred indexes the database lacks (an interrupted bulk load, or one under way)."""
    inspector = inspect(conn)
    have = {ix["name"] for model in TABLES for ix in inspector.get_indexes(model.__tablename__)}
    return [ix for ix in _indexes() if ix.name not in have]


def restore(conn: Connection) -> list[str]:
    """Build the deferred indexes that are missing, then refresh the statistics; the names built."""
    built = []
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SET LOCAL maintenance_work_mem = '{BUILD_MEMORY}'")
    for ix in missing(conn):
        conn.execute(CreateIndex(ix, if_not_exists=True))
        built.append(str(ix.name))
    fresh_statistics(conn)
    return built


def fresh_statistics(conn: Connection) -> None:
    """The planner's statistics after a big load (PostgreSQL's autovacuum gets to it minutes later, if the
    server is quiet; SQLite keeps none unless asked)."""
    names = [m.__tablename__ for m in TABLES]
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("ANALYZE " + ", ".join(names))
    else:  # a sampled ANALYZE of the loaded tables (PRAGMA optimize alone skips tables this connection never read)
        conn.exec_driver_sql("PRAGMA analysis_limit = 1000")
        for name in names:
            conn.exec_driver_sql(f"ANALYZE {name}")
        conn.execute(text("PRAGMA optimize"))


@contextmanager
def bulk_mode(db: Database, *, allowed: bool = True) -> Iterator[bool]:
    """Around a whole import: True inside when it runs in bulk-load mode (the database was empty and
    `allowed`), the deferred indexes dropped; they are rebuilt on the way out, whatever happened.
    Otherwise deferred indexes an earlier bulk load left missing are rebuilt first."""
    with db.transaction(None, system=True) as session:
        conn = session.connection()
        bulk = allowed and is_empty(conn)
        if bulk:
            for ix in _indexes():
                conn.execute(DropIndex(ix, if_exists=True))
            log.info("bulk-load mode: %d secondary indexes deferred", len(DEFERRED))
        elif missing(conn):
            log.warning("deferred indexes missing (an interrupted bulk load): %s", restore(conn))
    try:
        yield bulk
    finally:
        if bulk:
            with db.transaction(None, system=True) as session:
                log.info("bulk-load mode: built %s", restore(session.connection()))
