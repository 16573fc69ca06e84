"""Engine and session factory: SQLite (WAL) by default, PostgreSQL with DATABASE_URL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from db import scoping


def data_dir() -> Path:
    path = Path(os.environ.get("H23_DATA_DIR", Path(__file__).resolve().parent.parent / "data"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        # Heroku-style URLs name no driver; we use psycopg 3.
        if url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url[len("postgres://") :]
        elif url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        return url
    return f"sqlite:///{data_dir() / 'h23.db'}"


DEFAULT_CACHE_MB = 64  # every SQLite connection's page cache (it fills only with pages read)


def sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    """Every SQLite connection's settings (the engine applies them on connect; bench/import.py's floor too)."""
    cur = dbapi_conn.cursor()
    # WAL: readers never block the writer (app processes + worker); NORMAL is durable in WAL mode
    # except for the last transactions on power loss, which is the usual trade.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute(f"PRAGMA cache_size=-{DEFAULT_CACHE_MB * 1024}")
    cur.execute("PRAGMA temp_store=MEMORY")
    cur.close()


def set_sqlite_page_cache(connection: Connection, mb: int) -> int | None:
    """Set this connection's SQLite page cache to `mb`; returns the setting it had (None elsewhere)."""
    if connection.dialect.name != "sqlite":
        return None
    before = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql(f"PRAGMA cache_size=-{int(mb) * 1024}")
    return int(before or 0)


@contextmanager
def sqlite_page_cache(connection: Connection, mb: int) -> Iterator[None]:
    """This connection's SQLite page cache set to `mb` for the block, then restored (nothing elsewhere).
    A report export reads every page once: a small cache costs it nothing, while the default one would
    fill with pages it never reads again."""
    before = set_sqlite_page_cache(connection, mb)
    try:
        yield
    finally:
        if before is not None:
            connection.exec_driver_sql(f"PRAGMA cache_size={before}")


def make_engine(url: str | None = None, **kw: Any) -> Engine:
    url = url or database_url()
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10}, **kw)
        event.listen(engine, "connect", sqlite_pragmas)
        # Let SQLAlchemy, not pysqlite, begin transactions: writers take the write lock up front
        # (BEGIN IMMEDIATE, waiting up to busy_timeout) instead of failing with SQLITE_BUSY when a
        # read transaction later tries to write while another writer is active.
        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            write = conn.get_execution_options().get("h23_write")
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        @event.listens_for(engine, "connect")
        def _no_autobegin(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None

        return engine
    kw.setdefault("pool_pre_ping", True)
    kw.setdefault("pool_size", 5)
    kw.setdefault("max_overflow", 10)
    return create_engine(url, **kw)


class Database:
    """One engine per process and a session factory whose sessions carry a branch scope."""

    def __init__(self, bind: Engine | Connection) -> None:
        self.engine = bind.engine
        if isinstance(bind, Connection):
            # Tests: every session joins the test's outer transaction through a savepoint, so
            # commits inside core code are rolled back when the test ends.
            self._read = sessionmaker(bind=bind, expire_on_commit=False, join_transaction_mode="create_savepoint")
            self._write = self._read
        else:
            self._read = sessionmaker(bind=bind, expire_on_commit=False)
            self._write = sessionmaker(bind=bind.execution_options(h23_write=True), expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def session(
        self, branch_ids: frozenset[int] | None, *, system: bool = False, write: bool = False
    ) -> Session:
        """A session that may only read and write rows of branch_ids (None with system=True: all).

        write=True marks a session that will write, so SQLite takes its write lock at BEGIN."""
        session = (self._write if write else self._read)()
        scoping.set_scope(session, branch_ids, system=system)
        return session

    @contextmanager
    def transaction(self, branch_ids: frozenset[int] | None, *, system: bool = False) -> Iterator[Session]:
        with self.session(branch_ids, system=system, write=True) as session, session.begin():
            yield session
