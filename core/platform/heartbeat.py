"""Process heartbeats: each app process and each worker writes its process_beat row every EVERY seconds,
so head office sees every process of the stack on one page (pages/health.py), wherever it runs.

The proxy's health check (GET /healthz on each app process) takes a dead app process out of rotation
within seconds; this is the view for people: which processes run, since when, when each last spoke,
and which stopped (cleanly: stopped_at set) or went silent (no beat for LATE_AFTER: killed, hung, or
its machine lost the database)."""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import os
import socket
import threading
from dataclasses import dataclass

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from core.platform import clock
from core.platform.sqlfuncs import rowcount
from db.engine import Database
from db.models import ProcessBeat

log = logging.getLogger("h23.heartbeat")

EVERY = 10.0  # seconds between beats
LATE_AFTER = dt.timedelta(seconds=3 * EVERY)  # three missed beats: the process is not answering
FORGET_AFTER = dt.timedelta(days=7)  # rows of processes gone this long are deleted


def process_name(kind: str) -> str:
    return f"{kind}:{socket.gethostname()}:{os.getpid()}"


def beat(db: Database, kind: str, detail: str | None = None, *, name: str | None = None) -> str:
    """Say this process is alive now (its row is made on the first beat); returns the row's name."""
    name = name or process_name(kind)
    now = clock.now()
    with db.transaction(None, system=True) as s:
        done = rowcount(s.execute(update(ProcessBeat).where(ProcessBeat.name == name)
                                  .values(beat_at=now, stopped_at=None, detail=detail)))
        if not done:
            s.add(ProcessBeat(name=name, kind=kind, host=socket.gethostname()[:80], pid=os.getpid(),
                              detail=detail, started_at=now, beat_at=now))
    return name


def stopped(db: Database, name: str) -> None:
    """A clean stop: the page shows the process as stopped, not as silent."""
    with db.transaction(None, system=True) as s:
        s.execute(update(ProcessBeat).where(ProcessBeat.name == name).values(stopped_at=clock.now()))


class Beating:
    """A daemon thread that beats every EVERY seconds until stop() (also called at a clean exit)."""

    def __init__(self, db: Database, kind: str, detail: str | None = None, every: float = EVERY) -> None:
        self.db, self.kind, self.detail, self.every = db, kind, detail, every
        self.name = process_name(kind)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{kind}", daemon=True)

    def start(self) -> Beating:
        self._beat()  # listed from the moment it starts, before it does any work
        self._thread.start()
        atexit.register(self.stop)
        return self

    def _beat(self) -> None:
        try:
            beat(self.db, self.kind, self.detail, name=self.name)
        except Exception:  # the database is away for a moment: the next beat says so by being late
            log.warning("heartbeat of %s failed", self.name, exc_info=True)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self._beat()

    def stop(self) -> None:
        if self._stop.is_set():
            return
        self._stop.set()
        try:
            stopped(self.db, self.name)
        except Exception:  # at exit with the database gone: the row goes silent instead
            log.warning("could not mark %s stopped", self.name, exc_info=True)


@dataclass(frozen=True)
class ProcessState:
    name: str
    kind: str
    host: str
    pid: int
    detail: str | None
    started_at: dt.datetime
    beat_at: dt.datetime
    state: str  # "alive", "late" (no beat for LATE_AFTER) or "stopped"


def processes(session: Session) -> list[ProcessState]:
    """Every process heard from in the last FORGET_AFTER: apps first, then workers, by host and pid."""
    now = clock.now()
    rows = session.scalars(select(ProcessBeat).where(ProcessBeat.beat_at >= now - FORGET_AFTER)
                           .order_by(ProcessBeat.kind, ProcessBeat.host, ProcessBeat.pid)).all()
    out = []
    for r in rows:
        state = "stopped" if r.stopped_at is not None else "late" if r.beat_at < now - LATE_AFTER else "alive"
        out.append(ProcessState(r.name, r.kind, r.host, r.pid, r.detail, r.started_at, r.beat_at, state))
    return out


def forget_old(db: Database, worker: str = "") -> list[str]:
    """Worker job: delete the rows of processes silent or stopped for FORGET_AFTER."""
    cutoff = clock.now() - FORGET_AFTER
    with db.transaction(None, system=True) as s:
        n = rowcount(s.execute(delete(ProcessBeat).where(or_(ProcessBeat.beat_at < cutoff,
                                                             ProcessBeat.stopped_at < cutoff))))
    return [f"forgot {n} process rows"] if n else []
