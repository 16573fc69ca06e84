"""The background worker: scheduled jobs as database rows, claimed safely by any number of workers.

A run is claimed by inserting its (job, key) row, which a unique index lets only one process do; a
run whose worker died (no heartbeat for STALE_AFTER) is taken over with a conditional UPDATE. The
jobs themselves are idempotent, so a taken-over run that partly happened is harmless."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from core import clock, dgi_jobs, export_jobs, intake_jobs, leadgen, recap_mail, report_charts
from core.messaging import sender
from db.engine import Database
from db.enums import JobState
from db.models import Branch, JobRun

log = logging.getLogger("h23.worker")
STALE_AFTER = dt.timedelta(minutes=30)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 10000}"


def claim(db: Database, job: str, key: str, worker: str) -> int | None:
    """The JobRun id if this worker now owns (job, key), else None (done, or running elsewhere)."""
    now = clock.now()
    try:
        with db.transaction(None, system=True) as s:
            run = JobRun(job=job, run_key=key, state=JobState.RUNNING, worker=worker, started_at=now,
                         heartbeat_at=now)
            s.add(run)
            s.flush()
            return run.id
    except IntegrityError:
        pass
    with db.transaction(None, system=True) as s:
        taken = s.execute(
            update(JobRun).where(JobRun.job == job, JobRun.run_key == key, JobRun.state != JobState.DONE,
                                 JobRun.heartbeat_at < now - STALE_AFTER)
            .values(worker=worker, heartbeat_at=now, state=JobState.RUNNING, error=None)
            .returning(JobRun.id)).scalar_one_or_none()
        return int(taken) if taken is not None else None


def finish(db: Database, run_id: int, result: dict[str, Any] | None = None, error: str | None = None) -> None:
    with db.transaction(None, system=True) as s:
        s.execute(update(JobRun).where(JobRun.id == run_id).values(
            state=JobState.FAILED if error else JobState.DONE, finished_at=clock.now(), result=result,
            error=error))


def run_leadgen(db: Database, worker: str) -> list[str]:
    """The daily lead engine run, once per time zone and local day."""
    ran = []
    with db.session(None, system=True) as s:
        zones = sorted(set(s.scalars(select(Branch.timezone).where(Branch.active.is_(True)))))
    for tz in zones:  # 'today' starts at each zone's own midnight (WIB, WITA, WIT)
        key = clock.today_in(tz).isoformat()
        run_id = claim(db, f"leadgen:{tz}", key, worker)
        if run_id is None:
            continue
        try:
            with db.transaction(None, system=True) as s:
                result = leadgen.run(s, timezones=[tz])
            finish(db, run_id, result.as_dict())
            ran.append(f"leadgen:{tz}:{key}")
            log.info("leadgen %s %s: %s", tz, key, result.as_dict())
        except Exception as e:  # a failed run is recorded and retried after STALE_AFTER
            finish(db, run_id, error=repr(e))
            log.exception("leadgen %s %s failed", tz, key)
    return ran


# Every job: a function (db, worker name) -> what it did. Each job claims its own work (JobRun rows or
# row-level claims), so any number of workers, and any number of threads in one, can run the same list.
Job = Callable[[Database, str], list[str]]


@dataclass(frozen=True)
class Lane:
    """Jobs that tick together in one thread of the worker, every `every` seconds. Lanes keep a slow
    job (the chart counts take a minute over millions of leads) from holding up a quick one: a due
    message, or the import or export a user is watching the progress bar of."""

    name: str
    every: float
    jobs: tuple[Job, ...]


LANES: tuple[Lane, ...] = (
    Lane("messages", 5.0, (sender.run_outbox,)),
    Lane("files", 2.0, (intake_jobs.run_pending, export_jobs.run_pending)),
    Lane("schedule", 60.0, (run_leadgen, dgi_jobs.run_pending, report_charts.run_refresh_job,
                            recap_mail.run_weekly)),
)
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
    worker = worker_name()
    if interval is not None:
        lanes = tuple(dataclasses.replace(lane, every=interval) if lane.name == "schedule" else lane
                      for lane in lanes)
    threads = [threading.Thread(target=_run_lane, args=(db, lane, f"{worker}:{lane.name}", stop),
                                name=f"worker-{lane.name}", daemon=True) for lane in lanes]
    log.info("worker %s started: %s", worker, ", ".join(f"{lane.name} every {lane.every:g} s" for lane in lanes))
    for thread in threads:
        thread.start()
    try:
        while not stop.wait(1.0):
            pass
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)


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
