"""Background imports: a queued file, its progress batch by batch, and its rejected cells."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, IdMixin, UTCDateTime, str_enum


class ImportState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ImportJob(IdMixin, Base):
    """One uploaded file imported by the worker. batches_done and the counts are written in the same
    transaction as each batch's rows, so a worker that dies resumes after the last committed batch:
    nothing is applied twice or half."""

    __tablename__ = "import_job"
    __table_args__ = (Index("ix_import_job_state", "state", "heartbeat_at"),
                      Index("ix_import_job_user", "user_id", "created_at"))

    kind: Mapped[str] = mapped_column(String(20))  # sales | work_orders
    filename: Mapped[str] = mapped_column(String(200))  # as uploaded, for the user
    path: Mapped[str] = mapped_column(String(500))  # the stored copy under data/imports/
    mapping: Mapped[dict[str, Any]] = mapped_column(JSON)  # {file header: our field}
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branch.id"))  # for rows without a branch code
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))  # None = the system (CLI)
    month_first: Mapped[bool] = mapped_column(Boolean, default=False)
    batch_size: Mapped[int] = mapped_column(Integer)
    state: Mapped[ImportState] = mapped_column(str_enum(ImportState), default=ImportState.QUEUED)
    worker: Mapped[str | None] = mapped_column(String(80))
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    total_rows: Mapped[int | None] = mapped_column(Integer)  # None while unknown (xlsx)
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    batches_done: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rejected_rows: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)


class ImportRejection(IdMixin, Base):
    """One rejected cell of a background import (row as the user sees it in the file)."""

    __tablename__ = "import_rejection"
    __table_args__ = (Index("ix_import_rejection_job_row", "job_id", "row"),)

    job_id: Mapped[int] = mapped_column(ForeignKey("import_job.id", ondelete="CASCADE"))
    row: Mapped[int] = mapped_column(Integer)
    column: Mapped[str] = mapped_column(String(200))
    value: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    code: Mapped[str] = mapped_column(String(40))
