"""Moving from the dealer's Odoo 8: an XML-RPC client, one mapping per Odoo model and a repeatable,
incremental, resumable sync into our tables (dry run first), from the command line or the worker."""

from typing import TYPE_CHECKING

from core.platform.public import lazy_exports

if TYPE_CHECKING:  # the public names, loaded on first use (core.platform.public)
    from core.migration.client import OdooClient as OdooClient, OdooError as OdooError
    from core.migration.jobs import (
        queue_run as queue_run,
        recent_runs as recent_runs,
        server_config as server_config,
    )
    from core.migration.models import MODELS as MODELS
    from core.migration.sync import SyncReport as SyncReport, run_sync as run_sync

__all__, __getattr__ = lazy_exports(__file__, __name__)

# The queued runs of the page (Migrasi Odoo) run in the files lane, next to the imports.
WORKER_JOBS = {"files": ("core.migration.jobs.run_pending",)}
