"""The follow-up plan (touches due per day) and the runs of scheduled jobs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, BranchOwned, IdMixin, UTCDateTime, str_enum
from db.enums import Channel, JobState, TouchKind, TouchState


class Touch(IdMixin, BranchOwned, Base):
    """One planned contact: whom to message, call, confirm, thank or visit, and by when.

    `dedup_key` makes each touch exist once, whoever plans it and however often:
    L<lead>:<kind> for lead touches, B<booking>:<kind>, W<work order>:<kind>, V<lead>:<yyyy-mm>."""

    __tablename__ = "touch"
    __table_args__ = (
        Index("ix_touch_branch_state_due", "branch_id", "state", "due_on"),
        Index("ix_touch_lead", "lead_id"),
        Index("ix_touch_customer", "customer_id"),  # the customer view's timeline
        # The worklist: one kind's due touches in due order, and the day's counts per kind (index only).
        Index("ix_touch_branch_state_kind_due", "branch_id", "state", "kind", "due_on"),
    )

    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"))
    dedup_key: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[TouchKind] = mapped_column(str_enum(TouchKind))
    channel: Mapped[Channel] = mapped_column(str_enum(Channel))
    due_on: Mapped[dt.date] = mapped_column(Date)  # in the branch's local calendar
    state: Mapped[TouchState] = mapped_column(str_enum(TouchState), default=TouchState.PLANNED)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("lead.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"))
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicle.id"))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("booking.id"))
    work_order_id: Mapped[int | None] = mapped_column(ForeignKey("work_order.id"))
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    followup_id: Mapped[int | None] = mapped_column(ForeignKey("followup.id"))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class JobRun(IdMixin, Base):
    """One run of a scheduled job for one key (e.g. leadgen for 2020-07-10): inserting the row
    claims the run, so two workers (or a worker and cron) never do the same day twice."""

    __tablename__ = "job_run"
    __table_args__ = (Index("uq_job_run_job_key", "job", "run_key", unique=True),)

    job: Mapped[str] = mapped_column(String(40))
    run_key: Mapped[str] = mapped_column(String(40))
    state: Mapped[JobState] = mapped_column(str_enum(JobState), default=JobState.RUNNING)
    worker: Mapped[str | None] = mapped_column(String(80))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)


class ProcessBeat(Base):
    """One app or worker process and when it last said it was alive (core.platform.heartbeat): head
    office's health page lists them, so a worker that died quietly is seen, not just missed."""

    __tablename__ = "process_beat"

    name: Mapped[str] = mapped_column(String(120), primary_key=True)  # kind:host:pid
    kind: Mapped[str] = mapped_column(String(10))  # "app" or "worker"
    host: Mapped[str] = mapped_column(String(80))
    pid: Mapped[int] = mapped_column()
    detail: Mapped[str | None] = mapped_column(String(200))  # the app's port, the worker's lanes
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    beat_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    stopped_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
