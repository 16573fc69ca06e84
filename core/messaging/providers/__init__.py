"""Providers behind one small interface: `send(Outgoing) -> SendResult`, one HTTP pool each."""

from __future__ import annotations

from core.messaging.providers.base import Outgoing, Provider, SendResult, http_pool

__all__ = ["Outgoing", "Provider", "SendResult", "http_pool"]
