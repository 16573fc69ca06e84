"""The AHM DGI pull: fetch a dealer's work orders (pkb) and deliveries with their SPKs for a time window,
import them through core.intake.importer (same validation and upsert by natural key as a file), and the worker
job that pulls, per dealer, the window since its last successful pull.

The job claims each (dealer, window) as a JobRun row (core.platform.jobs.claim), so two workers never pull the
same window; the next window starts `dgi.overlap_minutes` before the last one ended, which is harmless
because importing a record twice changes nothing. Work orders imported here close their leads as Won
exactly as an uploaded file does (core.intake.importer). The pull is off while no dealer is configured."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

import requests
from sqlalchemy import func, select

from core.accounts.access import Viewer
from core.intake.dgi import DgiClient, DgiDealer, DgiError, load_dealers, windows
from core.intake.dgi_records import Frame, pkb_frame, sales_frame, spk_ids, window_label
from core.intake.file_import import import_dataframe
from core.intake.importer import ImportResult
from core.platform import clock, settings
from core.platform.i18n import t
from core.platform.jobs import claim, finish
from db.engine import Database
from db.enums import JobState
from db.models import Branch, JobRun

log = logging.getLogger("h23.dgi")
KEY_FORMAT = "%Y%m%dT%H%M"  # UTC, in JobRun.run_key "<from>-<to>"


@dataclass(frozen=True)
class DgiRejection:
    """A DGI record the import refused: which answer, its position there, the field, value and why."""

    endpoint: str
    window: str
    row: int  # 1-based position of the record in that answer's data list
    column: str  # the DGI field name
    value: str
    reason: str  # Bahasa Indonesia
    code: str = ""

    def __str__(self) -> str:
        return f"{self.endpoint} {self.window} #{self.row} {self.column}={self.value!r}: {self.reason}"

    def brief(self) -> str:
        """Without the value (it may be a NIK or a phone number): what the job record keeps."""
        return f"{self.endpoint} {self.window} #{self.row} {self.column}: {self.reason}"


@dataclass
class PullResult:
    dealer: str
    start: dt.datetime
    end: dt.datetime
    sales: ImportResult = field(default_factory=ImportResult)
    work_orders: ImportResult = field(default_factory=ImportResult)
    rejected: list[DgiRejection] = field(default_factory=list)
    calls: int = 0

    def as_dict(self) -> dict[str, Any]:
        def counts(r: ImportResult) -> dict[str, int]:
            return {"created": r.created, "updated": r.updated, "unchanged": r.unchanged, "rejected": r.rejected_rows}

        return {"dealer": self.dealer, "from": self.start.isoformat(), "to": self.end.isoformat(),
                "calls": self.calls, "sales": counts(self.sales), "work_orders": counts(self.work_orders),
                "rejections": len(self.rejected), "first_rejections": [r.brief() for r in self.rejected[:20]]}


def _branch_of(db: Database, dealer: DgiDealer) -> dict[str, str]:
    """DGI dealerId -> our branch code: each branch's AHASS code, overridden by the dealer's config."""
    with db.session(None, system=True) as s:
        out = {str(code): branch for code, branch in s.execute(
            select(Branch.ahass_code, Branch.code).where(Branch.ahass_code.is_not(None)))}
    return {**out, **dealer.branches}


def _import(db: Database, viewer: Viewer, kind: str, frame: Frame, name: str) -> tuple[ImportResult,
                                                                                        list[DgiRejection]]:
    if frame.df.empty:
        return ImportResult(), []
    result = import_dataframe(db, viewer, kind, frame.df, frame.mapping, name=name)
    rejected = []
    for r in result.rejected:  # the import numbers rows as a file (header = row 1): back to the DGI record
        src = frame.sources[r.row - 2]
        rejected.append(DgiRejection(src.endpoint, src.window, src.position, r.column, r.value, r.reason, r.code))
    return result, rejected


Pages = list[tuple[str, list[dict[str, Any]]]]  # (window label, the records of that answer)


def _fetch(client: DgiClient, start: dt.datetime, end: dt.datetime, max_days: int,
           lookback: int) -> tuple[Pages, Pages, dict[str, dict[str, Any]]]:
    pkb_pages: Pages = []
    bast_pages: Pages = []
    for a, b in windows(start, end, max_days):
        label = window_label(a, b, client.dealer.timezone)
        pkb_pages.append((label, client.read("pkb", a, b)))
        bast_pages.append((label, client.read("bast", a, b)))
    # An SPK is written before its delivery: walk back from the window's end until every one is found.
    wanted = spk_ids(bast_pages)
    spk_by_id: dict[str, dict[str, Any]] = {}
    reach, cursor = start - dt.timedelta(days=lookback), end
    while wanted - spk_by_id.keys() and cursor > reach:
        a = max(cursor - dt.timedelta(days=max_days), reach)
        for rec in client.read("spk", a, cursor):
            spk_by_id.setdefault(str(rec.get("idSpk") or rec.get("idSPK") or "").strip(), rec)
        cursor = a
    return pkb_pages, bast_pages, spk_by_id


def pull(db: Database, dealer: DgiDealer, start: dt.datetime, end: dt.datetime, *, viewer: Viewer | None = None,
         http: requests.Session | None = None) -> PullResult:
    """Fetch everything for [start, end) first (a failed call imports nothing), then import sales, then
    work orders (so a work order finds the vehicle its sale just created)."""
    with db.session(None, system=True) as s:
        max_days = max(int(settings.get(s, "dgi.max_window_days")), 1)
        lookback = max(int(settings.get(s, "dgi.spk_lookback_days")), 0)
    client = DgiClient(dealer, http)
    try:
        pkb_pages, bast_pages, spk_by_id = _fetch(client, start, end, max_days, lookback)
    finally:
        if http is None:
            client.http.close()
    branch_of = _branch_of(db, dealer)
    sales, work_orders = sales_frame(bast_pages, spk_by_id, branch_of), pkb_frame(pkb_pages, branch_of)
    viewer = viewer or Viewer.system_viewer()
    span = f"{start.astimezone(dt.UTC):%Y-%m-%d %H:%M}..{end.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"
    safe = dealer.name.replace("/", "-")
    result = PullResult(dealer.name, start, end)
    result.rejected = [DgiRejection(src.endpoint, src.window, src.position, column, value,
                                    t("dgi.spk_missing", "id", days=lookback), "dgi.spk_missing")
                       for src, column, value in sales.missing]
    result.sales, rejected = _import(db, viewer, "sales", sales, f"DGI {safe} bast+spk {span}")
    result.rejected += rejected
    result.work_orders, rejected = _import(db, viewer, "work_orders", work_orders, f"DGI {safe} pkb {span}")
    result.rejected += rejected
    result.calls = client.calls
    log.info("DGI %s %s: %s", dealer.name, span, {k: v for k, v in result.as_dict().items()
                                                  if k != "first_rejections"})
    return result


def _floor(at: dt.datetime, minutes: int) -> dt.datetime:
    step = minutes * 60
    return dt.datetime.fromtimestamp(int(at.timestamp()) // step * step, dt.UTC)


def _last_end(db: Database, job: str) -> dt.datetime | None:
    """The end of the dealer's last successful window (windows only move forward, so the greatest key)."""
    with db.session(None, system=True) as s:
        key = s.scalar(select(func.max(JobRun.run_key)).where(JobRun.job == job, JobRun.state == JobState.DONE))
    if not key:
        return None
    return dt.datetime.strptime(key.split("-")[1], KEY_FORMAT).replace(tzinfo=dt.UTC)


def due_window(db: Database, job: str) -> tuple[dt.datetime, dt.datetime] | None:
    """The window to pull now: from the last successful end (less the overlap) to now, floored to the
    pull interval so that every worker asks for the very same window; None when nothing is due."""
    with db.session(None, system=True) as s:
        every = max(int(settings.get(s, "dgi.pull_every_minutes")), 1)
        overlap = dt.timedelta(minutes=max(int(settings.get(s, "dgi.overlap_minutes")), 0))
        first = dt.timedelta(days=max(int(settings.get(s, "dgi.first_pull_days")), 1))
    end = _floor(clock.now(), every)
    last = _last_end(db, job)
    if last is None:
        return end - first, end
    if end <= last:
        return None
    return last - overlap, end


def job_name(dealer: DgiDealer) -> str:
    return f"dgi:{dealer.name}"[:40]


def run_pending(db: Database, worker: str) -> list[str]:
    """The worker job: each configured dealer's due window, pulled by exactly one worker."""

    dealers = load_dealers()
    ran: list[str] = []
    for dealer in dealers:
        job = job_name(dealer)
        window = due_window(db, job)
        if window is None:
            continue
        start, end = window
        key = f"{start.astimezone(dt.UTC):{KEY_FORMAT}}-{end.astimezone(dt.UTC):{KEY_FORMAT}}"
        run_id = claim(db, job, key, worker)
        if run_id is None:
            continue
        try:
            result = pull(db, dealer, start, end)
        except DgiError as e:  # recorded; the next window (or a take-over after STALE_AFTER) retries
            finish(db, run_id, error=e.message("en"))
            log.error("DGI pull %s %s failed: %s", dealer.name, key, e.message("en"))
            continue
        except Exception as e:
            finish(db, run_id, error=repr(e))
            log.exception("DGI pull %s %s failed", dealer.name, key)
            continue
        finish(db, run_id, result.as_dict())
        ran.append(f"{job}:{key}")
    return ran


def _moment(text: str, tz: str, end_of_day: bool) -> dt.datetime:
    """A command-line time in the dealer's zone: a bare date starts that day (or, for --to, ends it)."""
    from zoneinfo import ZoneInfo

    text = text.strip()
    if len(text) == 10:
        day = dt.date.fromisoformat(text) + dt.timedelta(days=1 if end_of_day else 0)
        return dt.datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(tz))
    return dt.datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(tz))


def main_pull(db: Database, date_from: str, date_to: str, *, dealer: str | None = None) -> int:
    """`python -m core.cli dgi-pull --from ... --to ...`: a manual pull of each configured dealer (or one).
    Returns 0, 1 when some records were rejected, 2 on an error (bad arguments, configuration, DGI)."""
    import sys

    try:
        dealers = [d for d in load_dealers() if dealer is None or d.name == dealer]
    except DgiError as e:
        print(e.message("en"), file=sys.stderr)
        return 2
    if not dealers:
        print("no DGI dealer configured (H23_DGI_DEALERS or H23_DGI_CONFIG)" if dealer is None
              else f"no DGI dealer named {dealer}", file=sys.stderr)
        return 2
    status = 0
    for d in dealers:
        try:
            start, end = _moment(date_from, d.timezone, False), _moment(date_to, d.timezone, True)
        except ValueError as e:
            print(f"bad --from/--to: {e}", file=sys.stderr)
            return 2
        try:
            result = pull(db, d, start, end)
        except DgiError as e:
            print(e.message("en"), file=sys.stderr)
            status = 2
            continue
        out = result.as_dict()
        print(f"{d.name}: sales {out['sales']}, work orders {out['work_orders']}, "
              f"rejected {out['rejections']}, calls {out['calls']}")
        for r in result.rejected:
            print(f"  {r}")
        if result.rejected and status == 0:
            status = 1
    return status
