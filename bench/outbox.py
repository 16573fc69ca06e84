"""Benchmark: messages per second through the outbox to the local fake WhatsApp provider (issue 6).

Figure to reach: >= 1,000 messages/s sustained with 2 workers on PostgreSQL, >= 300/s on SQLite.
The product: N queued outbox rows, two `python -m core.messaging.sender` processes claiming batches
(UPDATE ... RETURNING, FOR UPDATE SKIP LOCKED on PostgreSQL), sending concurrently over keep-alive
connections and recording results set-based. Sustained rate = messages recorded between the first
and the last batch commit / that time (process start-up excluded; end to end is printed too).
The floor: a plain loop of the same HTTP request with the same client (urllib3) against the same
fake, one after another, in the same run.

    python -m bench.outbox                 # 20,000 messages, SQLite (temp file)
    python -m bench.outbox --quick         # 2,000 messages
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/h23_bench python -m bench.outbox
    (the PostgreSQL database is emptied: its schema is dropped and recreated)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select, text

from bench.common import arg_parser, report
from core.messaging import outbox
from core.messaging.config import WhatsAppCredentials, save_branch_messaging
from core.messaging.providers.base import Outgoing, http_pool
from core.messaging.providers.whatsapp import WhatsAppProvider
from core.platform import clock
from db.engine import Database, make_engine
from db.migrate import upgrade
from db.models import Branch, Customer, OutboxMessage

ROOT = Path(__file__).resolve().parent.parent
PNID = "100200300"


def _fake() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, "-m", "tests.fakes.whatsapp_server"], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    port = int(proc.stdout.readline().split()[1])
    return proc, f"http://127.0.0.1:{port}"


def _database(url: str | None, tmp: str) -> tuple[Database, str]:
    url = url or f"sqlite:///{tmp}/outbox.db"
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    return Database(engine), engine.url.render_as_string(hide_password=False)


def _queue(db: Database, n: int) -> None:
    from core.accounts.access import Viewer

    now = clock.now()
    with db.transaction(None, system=True) as s:
        branch = Branch(code="BEN01", name="BENCH", timezone="Asia/Jakarta")
        s.add(branch)
        s.flush()
        customer = Customer(branch_id=branch.id, code="BPA/BENCH/1", name="PELANGGAN", phone="+6281234567890",
                            consent_message=True, consent_contact=True)
        s.add(customer)
        s.flush()
        save_branch_messaging(s, Viewer.system_viewer(), branch.id, channels={"message_h7": "whatsapp"},
                              send_start="00:00", send_end="23:59", cap_messages=1, cap_days=1,
                              wa_phone_number_id=PNID)
        outbox.insert_ignoring_duplicates(s, [{
            "branch_id": branch.id, "idem_key": f"b{i}", "customer_id": customer.id, "kind": "message_h7",
            "channel": "whatsapp", "to_phone": customer.phone, "body": f"Halo PELANGGAN, pesan {i}",
            "wa_template": "kpb_reminder_h7", "wa_category": "utility", "wa_sender": PNID,
            "params": ["PELANGGAN", "3", "Beat", "B 1 X", "31/07/2020", "BENCH"], "state": "queued",
            "attempts": 0, "next_attempt_at": now, "cost": 0, "created_at": now} for i in range(n)])


def _floor(fake_url: str, n: int) -> float:
    """The same request, same client, one after another: messages/s."""
    provider = WhatsAppProvider(WhatsAppCredentials(api_url=f"{fake_url}/v21.0", token="t"), http_pool(1))
    msg = Outgoing(0, "floor", "whatsapp", "+6281234567890", "x", "kpb_reminder_h7", "utility", PNID,
                   ["PELANGGAN", "3", "Beat", "B 1 X", "31/07/2020", "BENCH"])
    started = time.perf_counter()
    for _ in range(n):
        assert provider.send(msg).ok
    return n / (time.perf_counter() - started)


def main() -> None:
    parser = arg_parser(__doc__ or "")
    parser.add_argument("--messages", type=int, default=None)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=250)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    n = args.messages or (2_000 if args.quick else 20_000)
    fake, fake_url = _fake()
    try:
        with tempfile.TemporaryDirectory(prefix="h23-bench-outbox-") as tmp:
            db, url = _database(args.database_url, tmp)
            _queue(db, n)
            floor_n = min(n, 5_000)
            floor = _floor(fake_url, floor_n)
            env = {**os.environ, "DATABASE_URL": url, "H23_WA_API_URL": f"{fake_url}/v21.0", "H23_WA_TOKEN": "t"}
            cmd = [sys.executable, "-m", "core.messaging.sender", "--once", "--no-prepare", "--batch",
                   str(args.batch), "--concurrency", str(args.concurrency)]
            started = time.perf_counter()
            workers = [subprocess.Popen(cmd, cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
                       for _ in range(args.workers)]
            for w in workers:
                w.wait()
            end_to_end = time.perf_counter() - started
            with db.session(None, system=True) as s:
                sent = s.scalar(select(func.count()).select_from(OutboxMessage)
                                .where(OutboxMessage.state == "sent")) or 0
                first, last = s.execute(select(func.min(OutboxMessage.sent_at), func.max(OutboxMessage.sent_at))).one()
                per_worker = dict(s.execute(select(OutboxMessage.claimed_by, func.count())
                                            .group_by(OutboxMessage.claimed_by)).all())
            with urllib_get(f"{fake_url}/_fake/messages") as got:
                received = len(got["messages"])
            db.engine.dispose()
    finally:
        fake.terminate()
        fake.wait(10)
    assert sent == n == received - floor_n, (sent, n, received)  # each message once at the provider
    first_batch = min(args.batch, n)
    window = max((last - first).total_seconds(), 1e-6) if first and last else end_to_end
    rate = (n - first_batch) / window
    print(f"database {db.dialect}; {n:,} messages, {args.workers} workers x {args.concurrency} concurrent, "
          f"batch {args.batch}; per worker {sorted(per_worker.values())}; end to end {end_to_end:.1f} s "
          f"({n / end_to_end:,.0f}/s incl. start-up); load {os.getloadavg()[0]:.1f}", flush=True)
    report("outbox", rate, "messages/s", floor, "messages/s")


class urllib_get:
    """GET a JSON document with the standard library (the fake's control endpoint)."""

    def __init__(self, url: str) -> None:
        self.url = url

    def __enter__(self) -> dict[str, list[object]]:
        import urllib.request

        with urllib.request.urlopen(self.url, timeout=30) as r:
            data: dict[str, list[object]] = json.loads(r.read())
        return data

    def __exit__(self, *exc: object) -> None:
        return None


if __name__ == "__main__":
    main()
