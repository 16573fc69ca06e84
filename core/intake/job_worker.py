"""The worker's side of background imports (core.intake.jobs queues them): claim a job, import it batch by
batch with its progress in each batch's transaction, resume an abandoned one, delete uploads past their keeping
time. A worker that lost its job (taken over as stale) finds out at its next batch and rolls that batch back."""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from pathlib import Path

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.orm import Session

from core.accounts.access import Viewer
from core.accounts.auth import viewer_for_user
from core.intake import upload_limits
from core.intake.bulk_load import bulk_mode
from core.intake.file_import import audit_import
from core.intake.importer import Batch, ImportResult, import_chunks
from core.intake.new_leads import open_leads_for_import
from core.intake.read import iter_table
from core.platform import clock, settings
from core.platform.errors import DomainError
from db.engine import Database
from db.models import ImportJob, ImportRejection, ImportState, User

log = logging.getLogger("h23.intake")

STALE_AFTER = dt.timedelta(minutes=5)  # a running job without a heartbeat this long is taken over


class JobLost(Exception):
    """Another worker took this job over (this one was thought dead): the batch is rolled back."""


def _gone_here(worker: str | None) -> bool:
    """True when the job's worker was a process of this host that no longer exists (killed, crashed)."""
    if not worker:
        return False
    host, _, rest = worker.partition(":")
    pid_text = rest.split(":", 1)[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def claim_next(db: Database, worker: str, *, stale_after: dt.timedelta = STALE_AFTER) -> int | None:
    """Take the oldest queued job, or a running one whose worker is gone; None when there is none."""
    now = clock.now()
    with db.transaction(None, system=True) as s:
        candidates = s.execute(
            select(ImportJob.id, ImportJob.state, ImportJob.worker, ImportJob.heartbeat_at)
            .where(ImportJob.state.in_([ImportState.QUEUED, ImportState.RUNNING]))
            .order_by(ImportJob.id).limit(20)).all()
    for job_id, state, owner, heartbeat in candidates:
        takeable = [ImportJob.state == ImportState.QUEUED,
                    and_(ImportJob.state == ImportState.RUNNING, ImportJob.heartbeat_at < now - stale_after)]
        if state == ImportState.RUNNING and _gone_here(owner):
            takeable.append(and_(ImportJob.state == ImportState.RUNNING, ImportJob.worker == owner,
                                 ImportJob.heartbeat_at == heartbeat))
        with db.transaction(None, system=True) as s:
            taken = s.execute(
                update(ImportJob).where(ImportJob.id == job_id, or_(*takeable))
                .values(state=ImportState.RUNNING, worker=worker, heartbeat_at=now,
                        started_at=ImportJob.started_at if state == ImportState.RUNNING else now)
                .returning(ImportJob.id)).scalar_one_or_none()
        if taken is not None:
            return int(taken)
    return None


def _viewer_of(db: Database, user_id: int | None) -> Viewer:
    if user_id is None:
        return Viewer.system_viewer()
    with db.session(None, system=True) as s:
        user = s.get(User, user_id)
        if user is None or not user.active:
            raise DomainError("error.not_found", what="user")
        return viewer_for_user(s, user)


def _record_batch(job_id: int, worker: str, s: Session, batch: Batch) -> None:
    """The batch's progress and rejections, in the batch's own transaction."""
    done = s.execute(
        update(ImportJob)
        .where(ImportJob.id == job_id, ImportJob.worker == worker, ImportJob.batches_done == batch.number)
        .values(batches_done=batch.number + 1, rows_done=ImportJob.rows_done + batch.rows,
                created=ImportJob.created + batch.result.created, updated=ImportJob.updated + batch.result.updated,
                unchanged=ImportJob.unchanged + batch.result.unchanged,
                rejected_rows=ImportJob.rejected_rows + batch.result.rejected_rows, heartbeat_at=clock.now())
        .execution_options(synchronize_session=False))
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise JobLost(f"import job {job_id} was taken over")
    if batch.result.rejected:
        s.execute(insert(ImportRejection), [
            {"job_id": job_id, "row": r.row, "column": r.column[:200], "value": r.value, "reason": r.reason,
             "code": r.code[:40]} for r in batch.result.rejected])


def run_job(db: Database, job_id: int, worker: str) -> ImportState:
    """Import (or resume) a claimed job to its end; returns its final state."""
    with db.session(None, system=True) as s:
        job = s.get(ImportJob, job_id)
        assert job is not None
        kind, path, mapping, branch_id = job.kind, Path(job.path), dict(job.mapping), job.branch_id
        user_id, month_first, size, first = job.user_id, job.month_first, job.batch_size, job.batches_done
        rows_before, total_rows, filename = job.rows_done, job.total_rows, job.filename
        queued_at = job.created_at  # every batch's writes are after it, a resumed job's first ones too
        limits = upload_limits.limits(s)
    try:
        viewer = _viewer_of(db, user_id)
        upload_limits.check(path, filename, limits)  # measured again before it is read: the limits may be lower
        chunks = iter_table(path, chunk_rows=size, skip_chunks=first, limits=limits)
        # A first import into an empty database loads in bulk-load mode; a resumed one never does (and first
        # rebuilds what an interrupted bulk load left out).
        with bulk_mode(db, allowed=first == 0), \
                db.session(viewer.scope, system=viewer.all_branches, write=True) as session:
            try:
                import_chunks(session, viewer, kind, chunks, mapping, branch_id=branch_id, month_first=month_first,
                              first_batch=first, rows_before=rows_before, total_rows=total_rows,
                              on_batch=lambda s, b: _record_batch(job_id, worker, s, b),
                              after_batch=lambda s: s.commit())
            except Exception:
                session.rollback()
                raise
        with db.transaction(None, system=True) as s:
            job = s.get(ImportJob, job_id)
            assert job is not None
            if job.worker != worker:
                raise JobLost(f"import job {job_id} was taken over")
            result = ImportResult(job.created, job.updated, job.unchanged)
            changes_rows = job.rows_done
            job.state, job.finished_at, job.total_rows = ImportState.DONE, clock.now(), job.rows_done
            audit_import(s, viewer, kind, changes_rows, result, name=filename, branch_id=branch_id)
        log.info("import job %s done: %s rows", job_id, changes_rows)
        open_leads_for_import(db, queued_at)
        return ImportState.DONE
    except JobLost:
        log.warning("import job %s was taken over by another worker", job_id)
        return ImportState.RUNNING
    except Exception as exc:  # a broken file or a bug: the job fails visibly, what was committed stays
        log.exception("import job %s failed", job_id)
        with db.transaction(None, system=True) as s:
            s.execute(update(ImportJob).where(ImportJob.id == job_id, ImportJob.worker == worker)
                      .values(state=ImportState.FAILED, finished_at=clock.now(),
                              error=(exc.message() if isinstance(exc, DomainError) else repr(exc))[:2000]))
        return ImportState.FAILED


def delete_old_uploads(db: Database) -> int:
    """Delete the stored files of imports finished more than `intake.keep_upload_days` ago: they hold
    customers' NIK and phones (UU PDP: kept no longer than needed). The job keeps its counts and its
    rejections; the rejections download then lists them without the original rows."""
    with db.session(None, system=True) as s:
        keep = settings.get(s, "intake.keep_upload_days")
        cutoff = clock.now() - dt.timedelta(days=keep)
        paths = list(s.scalars(select(ImportJob.path).where(
            ImportJob.state.in_((ImportState.DONE, ImportState.FAILED)), ImportJob.finished_at < cutoff)))
    deleted = 0
    for name in paths:
        path = Path(name)
        if path.exists():
            path.unlink(missing_ok=True)
            deleted += 1
    return deleted


def run_pending(db: Database, worker: str) -> list[str]:
    """The worker job: import every queued (or abandoned) file, one after the other, then delete the
    stored uploads past their keeping time."""
    ran: list[str] = []
    while (job_id := claim_next(db, worker)) is not None:
        state = run_job(db, job_id, worker)
        ran.append(f"import:{job_id}:{state.value}")
    deleted = delete_old_uploads(db)
    if deleted:
        ran.append(f"import-uploads-deleted:{deleted}")
    return ran
