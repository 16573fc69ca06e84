"""The production shape at a small size (issue 14): deploy/run-stack.sh serving 2 app processes behind
HAProxy with a worker, 20 headless admins (bench/scale_session.py, Streamlit's own websocket protocol)
logging in and saving outcomes on Hari ini every few seconds, and app process 1 killed mid-run: its
users reconnect, the re-login cookie lets them back in, and every outcome they saw saved is in the
database. On SQLite (a temp file) and, with DATABASE_URL, on a PostgreSQL database of its own."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from bench import scale, stack as stacks
from tests.conftest import ROOT

pytestmark = pytest.mark.stack
SESSIONS, APPS = 20, 2


def _free_base(span: int) -> int:
    """A port p with p .. p+span-1 all free (the proxy, its stats page, the app processes)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = s.getsockname()[1]
        if base + span < 65000 and all(_free(p) for p in range(base, base + span)):
            return base
    raise RuntimeError("no free ports")


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _tracebacks(run_dir: Path) -> str:
    """The app processes' and workers' tracebacks, for the failure message (the run folder is temporary)."""
    out = []
    for log in sorted(run_dir.glob("*.log")):
        text_ = log.read_text(errors="replace")
        at = text_.find("Traceback")
        if at >= 0:
            out.append(f"--- {log.name}\n{text_[max(0, at - 200):at + 3000]}")
    return "\n".join(out) or "no traceback in the processes' logs"


@pytest.fixture
def stack_db(tmp_path: Path) -> Iterator[str]:
    """A database of the test's own with the demo dealer: a temp SQLite file, or next to DATABASE_URL's
    PostgreSQL database one named <it>_stack (the served processes commit for real)."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path / 'stack.db'}"
        return
    own = make_url(url).set(database=f"{make_url(url).database}_stack")
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{own.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{own.database}"'))
    try:
        yield own.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{own.database}" WITH (FORCE)'))
        admin.dispose()


def test_admins_keep_their_session_and_their_work_when_an_app_process_is_killed(stack_db, tmp_path):
    if shutil.which("haproxy") is None:
        pytest.fail("haproxy is missing: apt-get install -y haproxy (.ci/run installs it)")
    env = {**os.environ, "DATABASE_URL": stack_db, "H23_DATA_DIR": str(tmp_path)}
    subprocess.run([sys.executable, "-m", "core.cli", "setup-demo"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=300)
    people = scale.prepare(stack_db, SESSIONS)
    base = _free_base(2 + APPS)
    os.environ["H23_LOGIN_SLEEP"] = "0"
    try:
        with stacks.serving(stack_db, apps=APPS, workers=1, port=base, app_port=base + 2,
                            run_dir=tmp_path / "run", setup=False) as stack:
            results, persons = asyncio.run(scale.drive(stack, people, [SESSIONS], pace=3.0, window=15.0,
                                                       ramp=4.0, kill=True, floor=False))
            killed = results[0]["killed"]
            stack.wait_all_up(timeout=60)  # run-stack.sh brought the killed process back
            assert stack.pid("app-1") != killed
    finally:
        os.environ.pop("H23_LOGIN_SLEEP", None)
    records = [r for p in persons for r in p.records]  # the logins before the window too
    assert [f"{r.name}: {r.error}" for r in records if not r.ok] == [], _tracebacks(tmp_path / "run")
    assert sum(p.reconnects for p in persons) > 0, "the kill should have cut some sessions off"
    assert sum(p.lost_sessions for p in persons) == 0, "a reconnected user had to type the password again"
    assert {"login", "status", "save", "reconnect"} <= {r.name for r in records}
    saved, missing, _landed = scale.verify(stack_db, persons)
    assert saved > 0
    assert missing == 0, f"{missing} of {saved} outcomes the users saw saved are not in the database"
