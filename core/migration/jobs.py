"""The page's runs in the background: head office queues a dry or real run (core.migration.jobs.queue_run),
the worker's files lane runs it against the Odoo server configured on the worker (H23_ODOO_URL, H23_ODOO_DB,
H23_ODOO_USER, H23_ODOO_PASSWORD): the password stays in the worker's environment, never in the database."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from core.migration.client import OdooClient, OdooError
from core.migration.command import PASSWORD_ENV
from core.migration.sync import finish_run, run_sync, started_run
from core.platform import clock
from core.platform.i18n import register
from core.platform.jobs import STALE_AFTER
from db.engine import Database
from db.models import OdooSyncRun

log = logging.getLogger("h23.odoo")

register({
    "odoo.page_title": {"id": "Migrasi Odoo", "en": "Odoo migration"},
    "odoo.page_intro": {"id": "Data dari Odoo 8 dealer dibawa ke H23 lewat XML-RPC, bertahap: tiap run hanya "
                                "membawa yang berubah sejak run terakhir. Data yang diubah di H23 setelah sinkron "
                                "tidak ditimpa.",
                        "en": "The dealer's Odoo 8 data comes over through XML-RPC, incrementally: each run brings "
                              "what changed since the last. Records edited in H23 after their sync are never "
                              "overwritten."},
    "odoo.not_configured": {"id": "Server Odoo belum diatur di worker (H23_ODOO_URL, H23_ODOO_DB, H23_ODOO_USER, "
                                  "H23_ODOO_PASSWORD).",
                            "en": "No Odoo server is configured on the worker (H23_ODOO_URL, H23_ODOO_DB, "
                                  "H23_ODOO_USER, H23_ODOO_PASSWORD)."},
    "odoo.no_password": {"id": "H23_ODOO_PASSWORD belum diatur di worker.",
                         "en": "H23_ODOO_PASSWORD is not set on the worker."},
    "odoo.server": {"id": "Server", "en": "Server"},
    "odoo.dry_run": {"id": "Uji coba (tanpa menulis)", "en": "Dry run (writes nothing)"},
    "odoo.real_run": {"id": "Jalankan sinkron", "en": "Run the sync"},
    "odoo.queued": {"id": "Run {id} diantrikan; worker menjalankannya.", "en": "Run {id} queued; the worker runs it."},
    "odoo.last_runs": {"id": "Run terakhir", "en": "Last runs"},
    "odoo.no_runs": {"id": "Belum ada migrasi.", "en": "No migration run yet."},
    "odoo.state.queued": {"id": "antre", "en": "queued"}, "odoo.state.running": {"id": "berjalan", "en": "running"},
    "odoo.state.done": {"id": "selesai", "en": "done"}, "odoo.state.failed": {"id": "gagal", "en": "failed"},
    "odoo.rejections": {"id": "Ditolak", "en": "Rejected"},
    "odoo.col_run": {"id": "Run", "en": "Run"}, "odoo.col_kind": {"id": "Jenis", "en": "Kind"},
    "odoo.col_state": {"id": "Status", "en": "State"}, "odoo.col_started": {"id": "Mulai (UTC)", "en": "Started (UTC)"},
    "odoo.col_model": {"id": "Model Odoo", "en": "Odoo model"}, "odoo.col_read": {"id": "Dibaca", "en": "Read"},
    "odoo.col_created": {"id": "Dibuat", "en": "Created"}, "odoo.col_updated": {"id": "Diubah", "en": "Updated"},
    "odoo.col_unchanged": {"id": "Sama", "en": "Unchanged"},
    "odoo.col_kept": {"id": "Diubah di H23 (dipertahankan)", "en": "Edited in H23 (kept)"},
    "odoo.col_rejected": {"id": "Ditolak", "en": "Rejected"}, "odoo.col_id": {"id": "Odoo id", "en": "Odoo id"},
    "odoo.col_reason": {"id": "Alasan", "en": "Reason"}, "odoo.col_error": {"id": "Galat", "en": "Error"},
    "odoo.kind_dry": {"id": "uji coba", "en": "dry run"}, "odoo.kind_real": {"id": "sinkron", "en": "sync"},
})


@dataclass(frozen=True)
class ServerConfig:
    url: str
    database: str
    login: str
    has_password: bool


def server_config() -> ServerConfig | None:
    """The Odoo server the worker syncs from, or None while it is not configured."""
    url, database, login = (os.environ.get(k, "").strip() for k in ("H23_ODOO_URL", "H23_ODOO_DB", "H23_ODOO_USER"))
    if not (url and database and login):
        return None
    return ServerConfig(url, database, login, bool(os.environ.get(PASSWORD_ENV)))


def queue_run(db: Database, *, dry_run: bool, user_id: int | None, models: list[str] | None = None) -> int:
    config = server_config()
    if config is None:
        raise ValueError("no Odoo server configured (H23_ODOO_URL, H23_ODOO_DB, H23_ODOO_USER)")
    return started_run(db, url=config.url, database=config.database, login=config.login, dry_run=dry_run,
                       models=models, user_id=user_id, state="queued")


def recent_runs(db: Database, limit: int = 10) -> list[dict[str, Any]]:
    with db.session(None, system=True) as s:
        runs = s.scalars(select(OdooSyncRun).order_by(OdooSyncRun.id.desc()).limit(limit)).all()
        return [{c.name: getattr(r, c.name) for c in OdooSyncRun.__table__.c} for r in runs]


def _claim(db: Database) -> OdooSyncRun | None:
    """The oldest queued run (or a running one whose worker stopped beating), taken by one worker only."""
    now = clock.now()
    with db.transaction(None, system=True) as s:
        for candidate in s.scalars(select(OdooSyncRun.id).where(
                (OdooSyncRun.state == "queued")
                | ((OdooSyncRun.state == "running") & (OdooSyncRun.heartbeat_at < now - STALE_AFTER)))
                .order_by(OdooSyncRun.id).limit(3)).all():
            taken = s.execute(update(OdooSyncRun).where(
                OdooSyncRun.id == candidate, OdooSyncRun.state.in_(("queued", "running")),
                (OdooSyncRun.state == "queued") | (OdooSyncRun.heartbeat_at < now - STALE_AFTER))
                .values(state="running", started_at=now, heartbeat_at=now)).rowcount  # type: ignore[attr-defined]
            if taken:
                return s.get(OdooSyncRun, candidate)
    return None


def run_pending(db: Database, worker: str) -> list[str]:
    run = _claim(db)
    if run is None:
        return []
    password = os.environ.get(PASSWORD_ENV, "")
    try:
        client = OdooClient(run.url, run.database, run.login, password)
        report = run_sync(db, client, models=run.models, dry_run=run.dry_run, run_id=run.id)
    except (OdooError, ValueError) as exc:
        finish_run(db, run.id, None, error=str(exc))
        return [f"odoo sync {run.id} failed: {exc}"]
    except Exception as exc:  # the run is marked failed, the worker goes on
        log.exception("odoo sync %s failed", run.id)
        finish_run(db, run.id, None, error=f"{type(exc).__name__}: {exc}")
        return [f"odoo sync {run.id} failed"]
    finish_run(db, run.id, report)
    return [f"odoo sync {run.id}: {sum(c.read for c in report.counts.values()):,} read, "
            f"{report.rejected_total:,} rejected"]
