"""Background jobs: the claim that lets any number of workers share them, and the registry the worker
finds them in.

A run is claimed by inserting its (job, key) row, which a unique index lets only one process do; a
run whose worker died (no heartbeat for STALE_AFTER) is taken over with a conditional UPDATE. The
jobs themselves are idempotent, so a taken-over run that partly happened is harmless.

Each package plugs its jobs in by naming them in its __init__'s WORKER_JOBS ({lane: ("core.pkg.module.function",
...)}): the worker imports them by name when it starts, so no package imports the worker and the
worker imports no package (no import circle)."""

from __future__ import annotations

import datetime as dt
import importlib
import os
import pkgutil
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from core.platform import clock
from db.engine import Database
from db.enums import JobState
from db.models import JobRun

STALE_AFTER = dt.timedelta(minutes=30)

# The packages in the order data flows through them: a lane runs its jobs in this order (DGI's new
# sales before the lead engine reads them, the lead engine before the charts count its leads).
DATA_FLOW = ("intake", "migration", "customers", "prediction", "leads", "pipeline", "bookings", "messaging",
             "reports", "privacy", "masterdata", "accounts", "platform")
# How often each lane ticks, in seconds.
LANE_EVERY = {"messages": 5.0, "files": 2.0, "schedule": 60.0}


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


def registered() -> dict[str, list[str]]:
    """lane -> the dotted names of its jobs, from every core package's WORKER_JOBS, in DATA_FLOW order."""
    import core

    names = [m.name for m in pkgutil.iter_modules(core.__path__) if m.ispkg]
    unknown = sorted(set(names) - set(DATA_FLOW) - {"demo"})
    if unknown:
        raise LookupError(f"packages missing from DATA_FLOW: {unknown}")
    lanes: dict[str, list[str]] = {lane: [] for lane in LANE_EVERY}
    for package in DATA_FLOW:
        for lane, jobs in getattr(importlib.import_module(f"core.{package}"), "WORKER_JOBS", {}).items():
            lanes[lane].extend(jobs)  # an unknown lane name is a KeyError at start, not a silent skip
    return lanes


def _resolve(dotted: str) -> Job:
    module, name = dotted.rsplit(".", 1)
    job: Job = getattr(importlib.import_module(module), name)
    return job


def lanes() -> tuple[Lane, ...]:
    """The worker's lanes with their jobs imported."""
    return tuple(Lane(lane, LANE_EVERY[lane], tuple(_resolve(d) for d in jobs)) for lane, jobs in registered().items())


