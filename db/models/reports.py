"""Reports: background export jobs and the pre-aggregated daily counts the charts read."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, BigId, BranchOwned, IdMixin, UTCDateTime
from db.models.pipeline import FollowUp, Lead


class ExportJob(IdMixin, Base):
    """One Laporan CRM export run by the worker: queued -> running -> done | failed, then expired
    (the file deleted) once `expires_at` has passed. Owned by the user who asked for it."""

    __tablename__ = "export_job"
    __table_args__ = (Index("ix_export_job_user_created", "user_id", "created_at"),
                      Index("ix_export_job_state", "state"))

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    state: Mapped[str] = mapped_column(String(10), default="queued")  # queued/running/done/failed/expired
    fmt: Mapped[str] = mapped_column(String(4))  # xlsx / csv
    filter: Mapped[dict[str, Any]] = mapped_column(JSON)  # ReportFilter as plain values
    description: Mapped[str] = mapped_column(String(255))
    total: Mapped[int] = mapped_column(Integer, default=0)  # rows expected (the preview count)
    done_rows: Mapped[int] = mapped_column(Integer, default=0)
    path: Mapped[str | None] = mapped_column(String(500))
    file_name: Mapped[str | None] = mapped_column(String(120))
    error: Mapped[str | None] = mapped_column(Text)
    worker: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class ReportDaily(BranchOwned, Base):
    """Counts per branch, day, metric and key (e.g. metric 'stage', key 'won'): what the chart pages
    sum, so they never scan millions of leads. Rebuilt for the changed days by core.reports.chart_refresh."""

    __tablename__ = "report_daily"

    metric: Mapped[str] = mapped_column(String(20), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    branch_id: Mapped[int] = mapped_column(BigId, ForeignKey("branch.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


class ReportRefresh(Base):
    """When the daily counts were last rebuilt and the change watermark the next run starts from."""

    __tablename__ = "report_refresh"

    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    refreshed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    watermark: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(String(255))


# What changed since the last refresh of the daily counts (core.reports.chart_refresh.refresh): without these
# the refresh would scan every lead and follow-up to find the few that changed.
Index("ix_lead_updated", Lead.updated_at)
# Every branch's leads of a period (head office's reports and the refresh's recent days): the
# (branch_id, created_at) index cannot serve a range over all branches.
Index("ix_lead_created", Lead.created_at)
Index("ix_followup_created", FollowUp.created_at)
