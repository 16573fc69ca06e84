"""Backup and restore of the whole database, and a fingerprint to prove a restore is exact.

SQLite: the online backup API (sqlite3.Connection.backup) copies a consistent snapshot while the app
and the worker keep running; restore copies the file back the same way, page by page, under SQLite's
own lock. PostgreSQL: pg_dump in its custom format (-Fc) and pg_restore --clean; when those tools are
not installed the exact commands are printed instead (see README "Backup and restore")."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, MetaData, select
from sqlalchemy.engine import URL, make_url


class BackupError(RuntimeError):
    """The backup or restore could not be made; the message says what to do."""


@dataclass(frozen=True)
class Outcome:
    path: Path
    bytes: int
    how: str  # what ran, e.g. "sqlite online backup" or the pg_dump command line (no password)


def _sqlite_file(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(url.database)


def _pg_args(url: URL) -> tuple[list[str], dict[str, str]]:
    """libpq connection options, with the password in the environment (never on the command line)."""
    args = ["-d", str(url.database)]
    if url.host:
        args += ["-h", url.host]
    if url.port:
        args += ["-p", str(url.port)]
    if url.username:
        args += ["-U", url.username]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return args, env


def pg_commands(url_text: str, path: str | Path) -> tuple[list[str], list[str]]:
    """The documented pg_dump / pg_restore command lines for this database (password left out)."""
    args, _ = _pg_args(make_url(url_text))
    return (["pg_dump", "-Fc", "--no-owner", "--no-privileges", "-f", str(path), *args],
            ["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
             *args, str(path)])


def backup(url_text: str, path: str | Path) -> Outcome:
    url, target = make_url(url_text), Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "sqlite":
        source = _sqlite_file(url)
        if not source.exists():
            raise BackupError(f"no database file at {source}")
        tmp = target.with_name(target.name + ".part")
        tmp.unlink(missing_ok=True)
        src, dst = sqlite3.connect(source), sqlite3.connect(tmp)
        try:
            with dst:
                src.backup(dst, pages=4096)  # in steps: writers are held up only briefly
            if dst.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError("the copy failed SQLite's integrity check")
        finally:
            src.close()
            dst.close()
        tmp.replace(target)  # a half-written backup never carries the final name
        return Outcome(target, target.stat().st_size, "sqlite online backup")
    if url.get_backend_name() == "postgresql":
        dump, _ = pg_commands(url_text, target)
        _run(dump, url)
        return Outcome(target, target.stat().st_size, " ".join(dump))
    raise BackupError(f"no backup for {url.get_backend_name()}")


def restore(url_text: str, path: str | Path) -> Outcome:
    """Replace the database's content with the backup's. Stop the app and worker first on PostgreSQL
    (pg_restore --clean drops and recreates the tables); SQLite restores under its own lock."""
    url, source = make_url(url_text), Path(path)
    if not source.exists():
        raise BackupError(f"no backup file at {source}")
    if url.get_backend_name() == "sqlite":
        target = _sqlite_file(url)
        src, dst = sqlite3.connect(source), sqlite3.connect(target)
        try:
            if src.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError(f"{source} is not an intact SQLite database")
            with dst:
                src.backup(dst)
        finally:
            src.close()
            dst.close()
        return Outcome(source, source.stat().st_size, "sqlite online backup (restore)")
    if url.get_backend_name() == "postgresql":
        _, pg_restore = pg_commands(url_text, source)
        _run(pg_restore, url)
        return Outcome(source, source.stat().st_size, " ".join(pg_restore))
    raise BackupError(f"no restore for {url.get_backend_name()}")


def _run(command: list[str], url: URL) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed (apt-get install postgresql-client); run it yourself:\n"
                          f"  {' '.join(command)}")
    _, env = _pg_args(url)
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed ({done.returncode}): {done.stderr.strip()[:2000]}")


def fingerprint(engine: Engine) -> dict[str, tuple[int, str]]:
    """{table: (rows, sha256 of its rows in primary-key order)} for every table in the database, read
    from the database itself (so tables of any migration are covered). Two databases with equal
    fingerprints hold the same data."""
    meta = MetaData()
    meta.reflect(engine)
    out: dict[str, tuple[int, str]] = {}
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            digest, count = hashlib.sha256(), 0
            for row in conn.execution_options(yield_per=5000).execute(select(table).order_by(*order)):
                digest.update(repr(tuple(_norm(v) for v in row)).encode())
                count += 1
            out[table.name] = (count, digest.hexdigest())
    return out


def _norm(value: object) -> object:
    # Same value, same text on both drivers (e.g. floats and Decimals from NUMERIC, naive/aware datetimes).
    return str(value)
