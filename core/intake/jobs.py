"""Background imports with resume: a large upload is queued as an import_job and imported by the worker.

The file is stored under data/imports/ and read chunk by chunk (core.intake.read.iter_table). Each chunk
is one batch: its rows, its rejections and the job's progress (batches_done, rows_done, the counts) are
committed in ONE transaction, so a file is never half applied and a worker killed mid-file is resumed
by the next one from the last committed batch, with the same result as an uninterrupted run.

Claiming is a conditional UPDATE (state queued, or running with a stale heartbeat, or running for a
worker process of this host that no longer exists), so any number of workers take each job once; a
worker that lost its job (taken over as stale) finds out at its next batch, whose progress UPDATE
names it, and rolls that batch back.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import socket
import uuid
from dataclasses import dataclass, replace as dc_replace
from pathlib import Path
from typing import IO

import pandas as pd
from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.orm import Session

from core.accounts.access import Perm, Viewer
from core.accounts.auth import viewer_for_user
from core.intake import upload_limits
from core.intake.file_import import audit_import
from core.intake.importer import Batch, ImportResult, Rejection, import_chunks
from core.intake.read import KIND_FIELDS, iter_table, read_table, table_rows
from core.platform import clock, settings
from core.platform.errors import DomainError
from db.engine import Database, data_dir
from db.models import ImportJob, ImportRejection, ImportState, User

log = logging.getLogger("h23.intake")

# Files larger than this (packed, or unpacked above intake.foreground_unpacked_mb) go to the worker; smaller
# ones are imported while the page waits.
BACKGROUND_ABOVE_BYTES = 2_000_000
STALE_AFTER = dt.timedelta(minutes=5)  # a running job without a heartbeat this long is taken over
BATCH_ROWS = 20_000


class JobLost(Exception):
    """Another worker took this job over (this one was thought dead): the batch is rolled back."""


def imports_dir() -> Path:
    path = data_dir() / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


FOREGROUND_ROWS = 100_000  # a sheet's rows (its gaps too) past this are read by the worker, not the page


def in_background(measured: upload_limits.Measured, limits: upload_limits.UploadLimits) -> bool:
    """True when the worker reads the file (core.intake.upload_limits.check measured it): over 2 MB packed, or
    unpacking to more than the page's process reads quickly (a 1.8 MB xlsx can hold 522 MB of XML)."""
    return (measured.packed_bytes > BACKGROUND_ABOVE_BYTES or measured.unpacked_bytes > limits.foreground_bytes
            or (measured.rows or 0) > FOREGROUND_ROWS)


def read_upload(upload: IO[bytes], filename: str, limits: upload_limits.UploadLimits
                ) -> tuple[pd.DataFrame, Path | None]:
    """An upload checked against the limits before it is read (UploadRefused past them), then read whole
    when it is small, else stored for the worker: (the whole file, None) or (its first rows, the stored copy).
    A small file whose sheet turns out longer than it looked (rows numbered far apart) goes to the worker too."""
    measured = upload_limits.check(upload, filename, limits)
    if not in_background(measured, limits):
        start = upload.tell()
        try:
            return read_table(upload, filename, dc_replace(limits, max_bytes=limits.foreground_bytes,
                                                           max_rows=min(limits.max_rows, FOREGROUND_ROWS))), None
        except upload_limits.UploadRefused:
            upload.seek(start)
    stored = store_upload(upload, filename)
    return next(iter_table(stored, chunk_rows=200, limits=limits), pd.DataFrame()), stored


def store_upload(source: bytes | IO[bytes] | Path, filename: str) -> Path:
    """A copy of the upload under data/imports/ (a name of our own that keeps the file's extension)."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", Path(filename).name)[-80:]
    target = imports_dir() / f"{uuid.uuid4().hex}-{safe}"
    if isinstance(source, Path):
        target.write_bytes(source.read_bytes())
    elif isinstance(source, bytes):
        target.write_bytes(source)
    else:
        with target.open("wb") as out:
            for block in iter(lambda: source.read(1 << 20), b""):
                out.write(block)
    return target


def queue_import(db: Database, viewer: Viewer, kind: str, source: bytes | IO[bytes] | Path, filename: str,
                 mapping: dict[str, str], *, branch_id: int | None = None, month_first: bool = False,
                 batch_size: int = BATCH_ROWS) -> int:
    """Queue the file's import (stored under data/imports/ unless store_upload already put it there);
    returns the job id."""
    if kind not in KIND_FIELDS:
        raise ValueError(f"unknown import kind {kind!r}")
    viewer.require(Perm.CUSTOMER_CHANGE)
    if branch_id is not None:
        viewer.require_branch(branch_id)
    stored = isinstance(source, Path) and source.resolve().parent == imports_dir().resolve()
    target = source if stored and isinstance(source, Path) else store_upload(source, filename)
    with db.transaction(None, system=True) as s:
        job = ImportJob(kind=kind, filename=Path(filename).name[:200], path=str(target), mapping=dict(mapping),
                        branch_id=branch_id, user_id=viewer.user_id, month_first=month_first,
                        batch_size=max(int(batch_size), 1), state=ImportState.QUEUED, created_at=clock.now(),
                        total_rows=table_rows(target), rows_done=0, batches_done=0, created=0, updated=0,
                        unchanged=0, rejected_rows=0)
        s.add(job)
        s.flush()
        return int(job.id)


@dataclass(frozen=True)
class JobStatus:
    id: int
    kind: str
    filename: str
    state: ImportState
    rows_done: int
    total_rows: int | None
    result: ImportResult  # counts so far; rejections are read with job_rejections
    rejected_rows: int
    error: str | None

    @property
    def fraction(self) -> float:
        if self.state == ImportState.DONE:
            return 1.0
        return min(self.rows_done / self.total_rows, 1.0) if self.total_rows else 0.0

    @property
    def finished(self) -> bool:
        return self.state in (ImportState.DONE, ImportState.FAILED)


def _own_job(s: Session, viewer: Viewer, job_id: int) -> ImportJob:
    job = s.get(ImportJob, job_id)
    if job is None or not (viewer.all_branches or job.user_id == viewer.user_id):
        raise DomainError("error.not_found", what="import")
    return job


def job_status(db: Database, viewer: Viewer, job_id: int) -> JobStatus:
    """The job's progress and counts (its owner, or head office)."""
    with db.session(None, system=True) as s:
        job = _own_job(s, viewer, job_id)
        return JobStatus(job.id, job.kind, job.filename, job.state, job.rows_done, job.total_rows,
                         ImportResult(job.created, job.updated, job.unchanged), job.rejected_rows, job.error)


def job_rejections(db: Database, viewer: Viewer, job_id: int) -> list[Rejection]:
    with db.session(None, system=True) as s:
        _own_job(s, viewer, job_id)
        rows = s.execute(select(ImportRejection.row, ImportRejection.column, ImportRejection.value,
                                ImportRejection.reason, ImportRejection.code)
                         .where(ImportRejection.job_id == job_id)
                         .order_by(ImportRejection.row, ImportRejection.id)).all()
    return [Rejection(*r) for r in rows]


def job_path(db: Database, viewer: Viewer, job_id: int) -> Path:
    with db.session(None, system=True) as s:
        return Path(_own_job(s, viewer, job_id).path)


# --- The worker side ------------------------------------------------------------------------------


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
        limits = upload_limits.limits(s)
    try:
        viewer = _viewer_of(db, user_id)
        upload_limits.check(path, filename, limits)  # measured again before it is read: the limits may be lower
        chunks = iter_table(path, chunk_rows=size, skip_chunks=first, limits=limits)
        with db.session(viewer.scope, system=viewer.all_branches, write=True) as session:
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
