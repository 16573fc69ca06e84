"""The Odoo 8 migration's own records: a watermark per Odoo model and each run's counts and rejections.

Migrated rows carry `odoo_id` (the Odoo record id: to trace and re-sync) and `odoo_synced_at` (when the
sync last wrote them: a row whose updated_at is later was edited in H23 and keeps H23's values)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, BigId, IdMixin, UTCDateTime


class OdooWatermark(Base):
    """How far the sync has read one Odoo model: the (write_date, id) of the last record committed."""

    __tablename__ = "odoo_watermark"

    model: Mapped[str] = mapped_column(String(60), primary_key=True)
    write_date: Mapped[str | None] = mapped_column(String(19))  # Odoo's 'YYYY-MM-DD HH:MM:SS' (UTC)
    last_id: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class OdooSyncRun(IdMixin, Base):
    """One dry or real run: who asked, against which server, per model what was created, updated, kept
    and rejected, and the first rejections with their Odoo id and reason."""

    __tablename__ = "odoo_sync_run"

    state: Mapped[str] = mapped_column(String(10), default="queued")  # queued, running, done, failed
    dry_run: Mapped[bool] = mapped_column(Boolean, default=True)
    url: Mapped[str] = mapped_column(String(255))
    database: Mapped[str] = mapped_column(String(80))
    login: Mapped[str] = mapped_column(String(80))
    models: Mapped[list[str] | None] = mapped_column(JSON)  # None: every model
    requested_by: Mapped[int | None] = mapped_column(BigId)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    counts: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    rejections: Mapped[list[Any] | None] = mapped_column(JSON)
    rejected_total: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
