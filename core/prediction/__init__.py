"""Each motorcycle's km per day from its own odometer readings, and its next service predicted from it
(km limit or day limit, whichever first); refreshed with the daily lead run."""

from typing import TYPE_CHECKING

from core.platform.public import lazy_exports

if TYPE_CHECKING:  # the public names, loaded on first use (core.platform.public)
    from core.prediction.forecast import NextService as NextService, next_service as next_service
    from core.prediction.labels import next_service_text as next_service_text

__all__, __getattr__ = lazy_exports(__file__, __name__)

# This package's background jobs by lane, found by the worker (core.platform.jobs): the weekly typical rates.
WORKER_JOBS = {"schedule": ("core.prediction.typical.run_weekly",)}
