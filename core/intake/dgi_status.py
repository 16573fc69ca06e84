"""The DGI pull status for the intake page: per configured dealer the viewer may see, its last pulls (the
window, what each imported, the error if any, when it ran) and when the next one is due.

Everything comes from the JobRun rows the pull job writes (core.intake.dgi_jobs: job ``dgi:<dealer>``, run key
``<from>-<to>`` in UTC, the PullResult as its result); one query reads every dealer's latest runs and one
their last successful window. A dealer belongs to the branches its DGI dealer codes map to (each branch's
AHASS code, overridden by the dealer's own ``branches``); a branch user sees only the dealers of their
branches, head office sees all."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.accounts.access import Viewer
from core.intake.dgi import DgiDealer
from core.intake.dgi_jobs import KEY_FORMAT, job_name
from core.platform import clock, settings
from db.enums import JobState
from db.models import Branch, JobRun


@dataclass(frozen=True)
class PullCounts:
    """What one pull did to one kind of record (rejected is None for a run recorded before it was kept)."""

    created: int
    updated: int
    unchanged: int
    rejected: int | None


@dataclass(frozen=True)
class PullRun:
    start: dt.datetime  # the window pulled, UTC
    end: dt.datetime
    state: JobState
    started_at: dt.datetime
    finished_at: dt.datetime | None
    sales: PullCounts | None  # None while running or after a failure
    work_orders: PullCounts | None
    rejections: int | None  # every refused record, SPKs not found included
    error: str | None


@dataclass(frozen=True)
class DealerStatus:
    dealer: str
    timezone: str  # the dealer's, for showing its windows
    branch_codes: tuple[str, ...]
    runs: list[PullRun]  # newest window first
    last_success_end: dt.datetime | None
    next_due: dt.datetime  # when the worker pulls next (now or earlier: due at its next tick)


def _key_window(key: str) -> tuple[dt.datetime, dt.datetime]:
    start, end = key.split("-")
    return (dt.datetime.strptime(start, KEY_FORMAT).replace(tzinfo=dt.UTC),
            dt.datetime.strptime(end, KEY_FORMAT).replace(tzinfo=dt.UTC))


def _counts(result: dict[str, Any] | None, kind: str) -> PullCounts | None:
    part = (result or {}).get(kind)
    if not isinstance(part, dict):
        return None
    rejected = part.get("rejected")
    return PullCounts(int(part.get("created", 0)), int(part.get("updated", 0)), int(part.get("unchanged", 0)),
                      None if rejected is None else int(rejected))


def dealer_branches(session: Session, dealers: list[DgiDealer]) -> dict[str, dict[str, int]]:
    """dealer name -> {branch code: branch id} of the branches its records land in."""
    rows = session.execute(select(Branch.id, Branch.code, Branch.ahass_code)).all()
    by_code = {code: bid for bid, code, _ahass in rows}
    by_ahass = {str(ahass): code for _bid, code, ahass in rows if ahass}
    out: dict[str, dict[str, int]] = {}
    for dealer in dealers:
        codes = {by_ahass.get(dealer.dealer_id)} | set(dealer.branches.values())
        out[dealer.name] = {c: by_code[c] for c in sorted(c for c in codes if c in by_code)}
    return out


def pull_status(session: Session, viewer: Viewer, dealers: list[DgiDealer], *, last: int = 5) -> list[DealerStatus]:
    """The viewer's dealers (see the module) with their `last` newest pulls and the next pull's due time."""
    branches = dealer_branches(session, dealers)
    mine = [d for d in dealers if viewer.all_branches
            or any(viewer.may_see_branch(bid) for bid in branches[d.name].values())]
    if not mine:
        return []
    jobs = {job_name(d): d for d in mine}
    newest = func.row_number().over(partition_by=JobRun.job, order_by=JobRun.run_key.desc()).label("n")
    ranked = select(JobRun, newest).where(JobRun.job.in_(jobs)).subquery()
    runs: dict[str, list[PullRun]] = {job: [] for job in jobs}
    for row in session.execute(select(ranked).where(ranked.c.n <= last)
                               .order_by(ranked.c.job, ranked.c.run_key.desc())).mappings():
        start, end = _key_window(row["run_key"])
        result = row["result"] if row["state"] == JobState.DONE else None
        runs[row["job"]].append(PullRun(
            start, end, JobState(row["state"]), row["started_at"], row["finished_at"], _counts(result, "sales"),
            _counts(result, "work_orders"), None if result is None else int(result.get("rejections", 0)),
            row["error"]))
    succeeded = dict(session.execute(select(JobRun.job, func.max(JobRun.run_key))
                                     .where(JobRun.job.in_(jobs), JobRun.state == JobState.DONE)
                                     .group_by(JobRun.job)).all())
    every = dt.timedelta(minutes=max(int(settings.get(session, "dgi.pull_every_minutes")), 1))
    now = clock.now()
    out = []
    for job, dealer in jobs.items():
        last_end = _key_window(succeeded[job])[1] if job in succeeded else None
        # core.intake.dgi_jobs.due_window pulls once the pull interval floors `now` past the last window's end
        next_due = now if last_end is None else _next_boundary(last_end, every)
        out.append(DealerStatus(dealer.name, dealer.timezone, tuple(branches[dealer.name]), runs[job], last_end,
                                next_due))
    return out


def _next_boundary(after: dt.datetime, every: dt.timedelta) -> dt.datetime:
    step = int(every.total_seconds())
    return dt.datetime.fromtimestamp((int(after.timestamp()) // step + 1) * step, dt.UTC)
