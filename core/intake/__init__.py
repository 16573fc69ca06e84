"""Where data comes in: dealer exports (read, check, store, upsert) and AHM DGI pulls, measured against
the upload limits first; imports run in the page or as worker jobs, each row checked and rejected by name."""

from typing import TYPE_CHECKING

from core.platform.public import lazy_exports

if TYPE_CHECKING:  # the public names, loaded on first use (core.platform.public)
    from core.intake import dgi as dgi, dgi_status as dgi_status, jobs as jobs, upload_limits as upload_limits
    from core.intake.file_import import import_dataframe as import_dataframe
    from core.intake.importer import (
        FIELDS as FIELDS,
        KIND_FIELDS as KIND_FIELDS,
        KINDS as KINDS,
        REQUIRED as REQUIRED,
        ImportResult as ImportResult,
        Rejection as Rejection,
        guess_mapping as guess_mapping,
    )
    from core.intake.review import preview as preview, rejections_xlsx as rejections_xlsx

__all__, __getattr__ = lazy_exports(__file__, __name__)

# This package's background jobs by lane, found by the worker (core.platform.jobs).
WORKER_JOBS = {"files": ("core.intake.job_worker.run_pending",), "schedule": ("core.intake.dgi_jobs.run_pending",)}
