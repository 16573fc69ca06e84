"""A sending worker killed with SIGKILL in the middle of a batch, then restarted, gets every due
message out exactly once, counted at the fake provider (on SQLite and on PostgreSQL).

The dead worker's claimed rows wait for their lease to end; the messages it did get out meanwhile
are recognised by their status webhook (which echoes our key), so only the others are sent again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from sqlalchemy import func, select

from core.messaging import outbox
from core.platform import clock
from db.models import OutboxMessage
from tests.conftest import ROOT, build_world
from tests.fakes.messaging_setup import APP_SECRET, PNID, configure_branch, credentials, serve_routes
from tests.fakes.whatsapp_server import FakeProvider

N = 600


def _worker(engine_url: str, fake: FakeProvider, log) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": engine_url, "H23_WA_API_URL": f"{fake.url}/v21.0",
           "H23_WA_TOKEN": "test-token"}
    return subprocess.Popen(
        [sys.executable, "-m", "core.messaging.sender", "--no-prepare", "--batch", "40", "--concurrency", "8",
         "--lease-seconds", "3", "--interval", "0.2"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def _states(db) -> dict[str, int]:
    with db.session(None, system=True) as s:
        return dict(s.execute(select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)).all())


def test_a_worker_killed_mid_batch_and_restarted_sends_every_message_exactly_once(committed_db, tmp_path):
    world = build_world(committed_db)
    configure_branch(committed_db, world, start="00:00", end="23:59")
    now = clock.now()
    with committed_db.transaction(None, system=True) as s:
        outbox.insert_ignoring_duplicates(s, [{
            "branch_id": world.sam.id, "idem_key": f"k{i}", "customer_id": world.customer_sam.id,
            "kind": "message_h7", "channel": "whatsapp", "to_phone": "+6285845164510", "body": f"pesan {i}",
            "wa_template": "kpb_reminder_h7", "wa_category": "utility", "wa_sender": PNID, "params": [str(i)],
            "state": "queued", "attempts": 0, "next_attempt_at": now, "cost": 0, "created_at": now}
            for i in range(N)])
    url = committed_db.engine.url.render_as_string(hide_password=False)
    with FakeProvider() as fake, serve_routes(committed_db, credentials(fake)) as hooks, \
            open(tmp_path / "worker.log", "w") as log:
        # Slow answers keep a batch in flight; every accepted message reports "sent" to our webhook.
        fake.configure(delay=0.01, statuses=["sent"], webhook_url=f"{hooks}/webhooks/whatsapp",
                       app_secret=APP_SECRET)
        first = _worker(url, fake, log)
        deadline = time.monotonic() + 60
        while len(fake.messages) < N // 4 and time.monotonic() < deadline:
            time.sleep(0.005)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(10)
        killed_at = len(fake.messages)
        assert 0 < killed_at < N, "the kill must land mid-run"
        in_flight = _states(committed_db).get("sending", 0)
        fake.wait_webhooks()

        second = _worker(url, fake, log)
        try:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                states = _states(committed_db)
                if states.get("sent", 0) == N:
                    break
                time.sleep(0.2)
        finally:
            second.terminate()
            second.wait(10)
        fake.wait_webhooks()
        counts = fake.count_by_key()
    log_text = (tmp_path / "worker.log").read_text()[-2000:]
    assert in_flight > 0, "the kill must leave claimed rows behind"
    assert _states(committed_db) == {"sent": N}, log_text
    assert len(counts) == N and set(counts.values()) == {1}, \
        f"sent twice: {[k for k, n in counts.items() if n > 1][:10]}"
