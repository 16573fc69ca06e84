"""The platform every stage stands on: clock, i18n, errors, settings, SQL dialect helpers, paging,
numbering, input rules (control characters, spreadsheet cells), mail, backup and the worker with its job registry."""

from typing import TYPE_CHECKING

from core.platform.public import lazy_exports

if TYPE_CHECKING:  # the public names, loaded on first use (core.platform.public)
    from core.platform import cell_safety as cell_safety, clock as clock, heartbeat as heartbeat, settings as settings
    from core.platform.errors import DomainError as DomainError, ValidationError as ValidationError
    from core.platform.i18n import register as register, t as t

WORKER_JOBS = {"schedule": ("core.platform.heartbeat.forget_old",)}

__all__, __getattr__ = lazy_exports(__file__, __name__)
