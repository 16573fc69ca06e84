"""A sync run: each model in reference order, page by page from its watermark; each page's writes, its
watermark and the run's progress commit together, so a run killed anywhere is resumed by the next one from
the last committed page with nothing applied twice (rows are matched by Odoo id). A dry run reads the same
pages, writes nothing and reports what would be created, updated, kept and rejected."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from core.migration.client import PAGE_SIZE, OdooClient, OdooError, Watermark
from core.migration.models import MODELS
from core.migration.writer import PageResult, Seen, tables_by_model, write_page
from core.platform import clock
from db.engine import Database
from db.models import OdooSyncRun, OdooWatermark

KEEP_REJECTIONS = 500  # the run keeps the first ones whole; every one is counted


@dataclass
class ModelCounts:
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kept: int = 0
    rejected: int = 0

    def add(self, page: PageResult, read: int) -> None:
        self.read += read
        self.created += page.created
        self.updated += page.updated
        self.unchanged += page.unchanged
        self.kept += page.kept
        self.rejected += len(page.rejected)


@dataclass
class SyncReport:
    dry_run: bool
    counts: dict[str, ModelCounts] = field(default_factory=dict)
    rejections: list[dict[str, Any]] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)  # model -> why it was skipped

    @property
    def rejected_total(self) -> int:
        return sum(c.rejected for c in self.counts.values())

    def counts_json(self) -> dict[str, Any]:
        return {"models": {m: asdict(c) for m, c in self.counts.items()}, "errors": self.errors}


def watermark(session: Session, model: str) -> Watermark:
    row = session.get(OdooWatermark, model)
    return Watermark(row.write_date, int(row.last_id)) if row else Watermark()


def _save_watermark(session: Session, model: str, mark: Watermark) -> None:
    row = session.get(OdooWatermark, model)
    if row is None:
        session.add(OdooWatermark(model=model, write_date=mark.write_date, last_id=mark.last_id,
                                  updated_at=clock.now()))
    else:
        row.write_date, row.last_id, row.updated_at = mark.write_date, mark.last_id, clock.now()


def _progress(session: Session, run_id: int | None, report: SyncReport) -> None:
    if run_id is not None:
        session.execute(update(OdooSyncRun).where(OdooSyncRun.id == run_id).values(
            heartbeat_at=clock.now(), counts=report.counts_json(), rejections=report.rejections,
            rejected_total=report.rejected_total))


def run_sync(db: Database, client: OdooClient, *, models: list[str] | None = None, dry_run: bool = False,
             full: bool = False, page_size: int = PAGE_SIZE, run_id: int | None = None,
             on_page: Callable[[str, ModelCounts], None] | None = None) -> SyncReport:
    """Bring the chosen models (default: all) over from where the last run ended (`full`: from the start)."""
    unknown = sorted(set(models or ()) - {m.odoo for m in MODELS})
    if unknown:
        raise ValueError(f"unknown Odoo model(s): {', '.join(unknown)}; known: {', '.join(m.odoo for m in MODELS)}")
    report = SyncReport(dry_run=dry_run)
    seen: Seen = {}
    tables = tables_by_model(MODELS)
    for mm in MODELS:
        if models and mm.odoo not in models:
            continue
        counts = report.counts.setdefault(mm.odoo, ModelCounts())
        with db.session(None, system=True) as s:
            mark = Watermark() if full else watermark(s, mm.odoo)
            lookups = mm.prepare(s) if mm.prepare else {}
        try:
            for records, new_mark in client.pages(mm.odoo, mm.odoo_fields, mark, page_size=page_size):
                with db.transaction(None, system=True) as s:
                    page = write_page(s, mm, records, dry_run=dry_run, seen=seen, tables=tables, lookups=lookups,
                                      now=clock.now())
                    counts.add(page, len(records))
                    room = KEEP_REJECTIONS - len(report.rejections)
                    report.rejections.extend({"model": mm.odoo, "odoo_id": oid, "reason": why}
                                             for oid, why in page.rejected[:max(room, 0)])
                    if not dry_run:
                        _save_watermark(s, mm.odoo, new_mark)
                    _progress(s, run_id, report)
                if on_page is not None:
                    on_page(mm.odoo, counts)
        except OdooError as exc:
            if exc.kind in ("login", "network"):
                raise
            report.errors[mm.odoo] = str(exc)  # a model missing or not readable: the others still come over
    return report


def started_run(db: Database, *, url: str, database: str, login: str, dry_run: bool, models: list[str] | None,
                user_id: int | None = None, state: str = "running") -> int:
    now = clock.now()
    with db.transaction(None, system=True) as s:
        run = OdooSyncRun(state=state, dry_run=dry_run, url=url, database=database, login=login, models=models,
                          requested_by=user_id, created_at=now, started_at=now if state == "running" else None,
                          heartbeat_at=now, rejected_total=0)
        s.add(run)
        s.flush()
        return int(run.id)


def finish_run(db: Database, run_id: int, report: SyncReport | None, error: str | None = None) -> None:
    values: dict[str, Any] = {"state": "failed" if error else "done", "finished_at": clock.now(), "error": error}
    if report is not None:
        values.update(counts=report.counts_json(), rejections=report.rejections,
                      rejected_total=report.rejected_total)
    with db.transaction(None, system=True) as s:
        s.execute(update(OdooSyncRun).where(OdooSyncRun.id == run_id).values(**values))


