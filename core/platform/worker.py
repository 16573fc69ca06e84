"""The background worker: every package's registered jobs (core.platform.jobs), each lane in its own
thread, until stopped. `python -m core.cli worker` runs it; any number of workers may run at once."""

from __future__ import annotations

import dataclasses
import logging
import signal
import threading

from core.platform.heartbeat import Beating
from core.platform.jobs import Job, Lane, lanes, worker_name
from db.engine import Database

log = logging.getLogger("h23.worker")

LANES: tuple[Lane, ...] = lanes()
JOBS: list[Job] = [job for lane in LANES for job in lane.jobs]


def run_due_jobs(db: Database, worker: str | None = None) -> list[str]:
    """Run every job that is due now and not yet done; returns what ran."""
    worker = worker or worker_name()
    ran: list[str] = []
    for job in JOBS:
        try:
            ran.extend(job(db, worker))
        except Exception:  # one broken job must not stop the others
            log.exception("job %s failed", getattr(job, "__name__", job))
    return ran


def serve(db: Database, interval: float | None = None, stop: threading.Event | None = None,
          lanes: tuple[Lane, ...] = LANES) -> None:
    """Run every lane in its own thread until `stop` is set (or Ctrl-C). `interval` overrides the
    scheduled lane's period (the CLI's --interval)."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        # systemd and deploy/run-stack.sh stop a worker with TERM: finish the jobs in hand, then exit.
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    worker = worker_name()
    if interval is not None:
        lanes = tuple(dataclasses.replace(lane, every=interval) if lane.name == "schedule" else lane
                      for lane in lanes)
    threads = [threading.Thread(target=_run_lane, args=(db, lane, f"{worker}:{lane.name}", stop),
                                name=f"worker-{lane.name}", daemon=True) for lane in lanes]
    log.info("worker %s started: %s", worker, ", ".join(f"{lane.name} every {lane.every:g} s" for lane in lanes))
    # The health page's row for this worker (core.platform.heartbeat); a clean stop marks it stopped.
    beating = Beating(db, "worker", ", ".join(lane.name for lane in lanes)).start()
    for thread in threads:
        thread.start()
    try:
        while not stop.wait(1.0):
            pass
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        beating.stop()


def _run_lane(db: Database, lane: Lane, worker: str, stop: threading.Event) -> None:
    while not stop.is_set():
        for job in lane.jobs:
            if stop.is_set():
                return
            try:
                job(db, worker)
            except Exception:  # one broken job must not stop the others; the next tick retries
                log.exception("job %s failed", getattr(job, "__name__", job))
        stop.wait(lane.every)
