"""Background imports with resume: a large upload is queued as an import_job and imported by the worker.

The file is stored under data/imports/ and read chunk by chunk (core.intake.read.iter_table). Each chunk
is one batch: its rows, its rejections and the job's progress (batches_done, rows_done, the counts) are
committed in ONE transaction, so a file is never half applied and a worker killed mid-file is resumed
by the next one from the last committed batch, with the same result as an uninterrupted run.

Claiming is a conditional UPDATE (state queued, or running with a stale heartbeat, or running for a
worker process of this host that no longer exists), so any number of workers take each job once; a
worker that lost its job (taken over as stale) finds out at its next batch, whose progress UPDATE
names it, and rolls that batch back. This module queues a job and reports on it; the worker's side
(claiming, running, resuming, deleting old uploads) is core.intake.job_worker.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, replace as dc_replace
from pathlib import Path
from typing import IO

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.accounts.access import Perm, Viewer
from core.intake import upload_limits
from core.intake.importer import ImportResult, Rejection
from core.intake.read import KIND_FIELDS, iter_table, read_table, table_rows
from core.platform import clock
from core.platform.errors import DomainError
from db.engine import Database, data_dir
from db.models import ImportJob, ImportRejection, ImportState

# Files larger than this (packed, or unpacked above intake.foreground_unpacked_mb) go to the worker; smaller
# ones are imported while the page waits.
BACKGROUND_ABOVE_BYTES = 2_000_000
BATCH_ROWS = 20_000


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
