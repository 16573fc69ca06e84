"""Issue 8: backup and restore. A filled database is backed up with `python -m core.cli backup`, changed,
restored with `restore --yes`, and every table's row count and checksum must equal the backup's."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import delete, text, update
from sqlalchemy.engine import make_url

from core import cli, demo
from core.platform import backup
from db.engine import Database, make_engine
from db.migrate import upgrade
from db.models import AuditLog, Customer, Lead


@pytest.fixture
def own_database(tmp_path) -> Iterator[str]:
    """A database of its own (the suite's shared one is never touched): a SQLite file, or, when the
    suite runs on PostgreSQL, a scratch database next to it, dropped afterwards."""
    base = os.environ.get("DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path / 'live.db'}"
        return
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        if os.environ.get("CI"):  # CI must prove the PostgreSQL path, not pass over it
            pytest.fail("pg_dump/pg_restore not installed: apt-get install postgresql-client")
        pytest.skip("pg_dump/pg_restore not installed; the SQLite run covers backup and restore")
    url = make_url(base)
    name = f"{url.database}_bk_{uuid.uuid4().hex[:8]}"
    admin = make_engine(url.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_backup_then_restore_gives_back_every_table_exactly(own_database, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", own_database)
    engine = make_engine(own_database)
    upgrade(engine)
    db = Database(engine)
    demo.generate(db, vehicles=300, seed=7)
    before = backup.fingerprint(engine)
    assert before["customer"][0] > 0 and before["lead"][0] > 0 and before["alembic_version"][0] == 1

    path = tmp_path / "h23.backup"
    assert cli.main(["backup", str(path)]) == 0
    assert path.stat().st_size > 0 and "backup written" in capsys.readouterr().out

    with db.transaction(None, system=True) as s:  # a bad day: rows lost, rows changed, rows added
        s.execute(delete(AuditLog))
        s.execute(update(Customer).values(phone=None))
        s.execute(update(Lead).where(Lead.id % 2 == 0).values(note="overwritten"))
    changed = backup.fingerprint(engine)
    assert changed["customer"] != before["customer"] and changed["lead"] != before["lead"]
    engine.dispose()

    assert cli.main(["restore", str(path)]) == 2  # not without --yes
    assert cli.main(["restore", str(path), "--yes"]) == 0
    engine = make_engine(own_database)
    after = backup.fingerprint(engine)
    engine.dispose()
    assert after == before
    print(f"\nbackup/restore ({make_url(own_database).get_backend_name()}): {len(after)} tables, "
          f"{sum(n for n, _ in after.values())} rows identical after restore")


def test_the_postgresql_commands_keep_the_password_out_of_the_command_line():
    dump, restore = backup.pg_commands("postgresql+psycopg://crm:s3cret@db.local:5433/h23", "/b/h23.dump")
    assert dump[:2] == ["pg_dump", "-Fc"] and "s3cret" not in " ".join(dump + restore)
    assert dump[dump.index("-h"):dump.index("-h") + 2] == ["-h", "db.local"] and "5433" in dump
    assert restore[0] == "pg_restore" and "--clean" in restore and restore[-1] == "/b/h23.dump"


def test_a_missing_backup_file_is_a_clear_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    assert cli.main(["restore", str(tmp_path / "nope.backup"), "--yes"]) == 2
    assert "no backup file" in capsys.readouterr().err
