"""Background Laporan CRM exports: the page queues an export_job row; the worker claims it (a
conditional UPDATE, so one worker runs it), writes the file under <data dir>/exports with progress
in the row, and keeps it for `reports.export_keep_hours`; then the file is deleted and the job marked
expired. The export runs as the user who asked (their branches, their NIK permission) and is audited
like an export from the page. Only that user can see the job and download its file."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.accounts.access import Perm, Viewer
from core.accounts.auth import viewer_for_user
from core.platform import clock, settings
from core.platform.errors import NotFound, ValidationError
from core.reports import laporan_export as reports
from core.reports.laporan import ReportFilter
from db.engine import Database, data_dir
from db.enums import Stage
from db.models import ExportJob, User

log = logging.getLogger("h23.exports")
STALE_AFTER = dt.timedelta(minutes=30)


def export_dir() -> Path:
    path = data_dir() / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _filter_dict(f: ReportFilter) -> dict[str, Any]:
    return {"kind": f.kind, "stage": f.stage.value if f.stage else None,
            "created_from": f.created_from.isoformat() if f.created_from else None,
            "created_to": f.created_to.isoformat() if f.created_to else None, "branch_ids": list(f.branch_ids)}


def _filter_of(d: dict[str, Any]) -> ReportFilter:
    day = dt.date.fromisoformat
    return ReportFilter(kind=d["kind"], stage=Stage(d["stage"]) if d["stage"] else None,
                        created_from=day(d["created_from"]) if d["created_from"] else None,
                        created_to=day(d["created_to"]) if d["created_to"] else None,
                        branch_ids=tuple(d["branch_ids"]))


def request_export(session: Session, viewer: Viewer, f: ReportFilter, fmt: str, total: int) -> ExportJob:
    """Queue an export for the worker (needs Perm.REPORT_EXPORT and a logged-in user)."""
    viewer.require(Perm.REPORT_EXPORT)
    if fmt not in ("xlsx", "csv"):
        raise ValidationError("report.format", field="fmt", value=fmt)
    if viewer.user_id is None:
        raise ValidationError("report.export_user", field="user", value=None)
    job = ExportJob(user_id=viewer.user_id, state="queued", fmt=fmt, filter=_filter_dict(f),
                    description=f.describe()[:255], total=total, done_rows=0, created_at=clock.now())
    session.add(job)
    session.flush()
    return job


def jobs_for(session: Session, viewer: Viewer, limit: int = 10) -> list[ExportJob]:
    """The viewer's own recent exports, newest first."""
    return list(session.scalars(select(ExportJob).where(ExportJob.user_id == viewer.user_id)
                                .order_by(ExportJob.id.desc()).limit(limit)))


def job_file(session: Session, viewer: Viewer, job_id: int) -> tuple[Path, str]:
    """The finished file of the viewer's own job (another user's job is not found)."""
    job = session.get(ExportJob, job_id)
    if job is None or job.user_id != viewer.user_id or job.state != "done" or not job.path:
        raise NotFound("error.not_found", what="export")
    return Path(job.path), job.file_name or Path(job.path).name


def _claim(db: Database, worker: str) -> int | None:
    now = clock.now()
    with db.transaction(None, system=True) as s:
        for job_id in s.scalars(select(ExportJob.id).where(ExportJob.state == "queued").order_by(ExportJob.id)
                                .limit(5)):
            taken = s.execute(update(ExportJob).where(ExportJob.id == job_id, ExportJob.state == "queued")
                              .values(state="running", worker=worker, started_at=now, heartbeat_at=now))
            if taken.rowcount == 1:  # type: ignore[attr-defined]
                return int(job_id)
        stale = s.scalar(select(ExportJob.id).where(ExportJob.state == "running",
                                                    ExportJob.heartbeat_at < now - STALE_AFTER).limit(1))
        if stale is not None:  # its worker died: start it again
            s.execute(update(ExportJob).where(ExportJob.id == stale).values(worker=worker, heartbeat_at=now,
                                                                             done_rows=0))
            return int(stale)
    return None


def run_job(db: Database, job_id: int) -> None:
    """Write one claimed job's file, with its progress in the row."""
    with db.session(None, system=True) as s:
        job = s.get(ExportJob, job_id)
        assert job is not None
        user = s.get(User, job.user_id)
        assert user is not None
        viewer = viewer_for_user(s, user)
        f, fmt = _filter_of(job.filter), job.fmt
    stamp = clock.now().strftime("%Y%m%d-%H%M")
    path = export_dir() / f"export-{job_id}.{fmt}"

    def progress(n: int) -> None:  # every 10,000 rows (xlsx) or batch (csv): a short write of its own
        with db.transaction(None, system=True) as ps:
            ps.execute(update(ExportJob).where(ExportJob.id == job_id).values(done_rows=n, heartbeat_at=clock.now()))

    try:
        viewer.require(Perm.REPORT_EXPORT)  # the user may have lost the right since asking
        with db.session(viewer.scope, system=viewer.all_branches) as read:  # rows stream; writes come after
            if fmt == "csv":
                n = reports.write_csv_fast(read, viewer, f, path, progress)
            else:
                n = reports.write_xlsx_fast(read, viewer, f, path, progress)
        with db.transaction(None, system=True) as write:
            reports.record_export(write, viewer, f, fmt, n)
            keep = settings.get(write, "reports.export_keep_hours")
            now = clock.now()
            write.execute(update(ExportJob).where(ExportJob.id == job_id).values(
                state="done", done_rows=n, total=n, path=str(path), file_name=f"laporan-crm-{stamp}.{fmt}",
                finished_at=now, expires_at=now + dt.timedelta(hours=keep)))
    except Exception as e:  # recorded on the job; the page shows it
        path.unlink(missing_ok=True)
        with db.transaction(None, system=True) as s:
            s.execute(update(ExportJob).where(ExportJob.id == job_id).values(
                state="failed", error=repr(e)[:2000], finished_at=clock.now()))
        log.exception("export %s failed", job_id)


def delete_expired(db: Database) -> int:
    """Delete the files of exports past their time and mark them expired."""
    now = clock.now()
    with db.transaction(None, system=True) as s:
        jobs = list(s.scalars(select(ExportJob).where(ExportJob.state.in_(("done", "failed")),
                                                      ExportJob.expires_at < now)))
        for job in jobs:
            if job.path:
                Path(job.path).unlink(missing_ok=True)
            job.state, job.path = "expired", None
    return len(jobs)


def run_pending(db: Database, worker: str) -> list[str]:
    """The worker's job: run every queued export, then clean up the expired ones."""
    done = []
    while (job_id := _claim(db, worker)) is not None:
        run_job(db, job_id)
        done.append(f"export:{job_id}")
    expired = delete_expired(db)
    if expired:
        done.append(f"export-expired:{expired}")
    return done
