"""Messaging: templates, the outbox the worker sends from, providers (WhatsApp Cloud API, SMS
gateways, manual wa.me links), delivery receipts and replies, and per-branch figures."""

from typing import TYPE_CHECKING

from core.platform.public import lazy_exports

if TYPE_CHECKING:  # the public names, loaded on first use (core.platform.public)
    from core.messaging import config as config, receipts as receipts, stats as stats, templates as templates
    from core.messaging.config import (
        ProviderCredentials as ProviderCredentials,
        credentials_from_env as credentials_from_env,
    )
    from core.messaging.preview import preview_vars as preview_vars
    from core.messaging.providers import sms as sms, whatsapp as whatsapp

__all__, __getattr__ = lazy_exports(__file__, __name__)

# This package's background jobs by lane, found by the worker (core.platform.jobs).
WORKER_JOBS = {"messages": ("core.messaging.sender.run_outbox",)}
