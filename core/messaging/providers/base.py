"""The provider interface and the shared HTTP client (urllib3: a thread-safe keep-alive pool)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

import urllib3


@dataclass(frozen=True)
class Outgoing:
    """One claimed outbox row, as a provider needs it."""

    id: int
    idem_key: str
    channel: str
    to_phone: str  # E.164
    body: str
    wa_template: str | None = None
    wa_category: str | None = None
    wa_sender: str | None = None  # the branch's WhatsApp phone number id
    params: list[str] | None = None
    branch_id: int = 0
    attempts: int = 1  # this one included


@dataclass(frozen=True)
class SendResult:
    ok: bool
    provider_id: str | None = None
    error_code: str | None = None
    error: str | None = None
    transient: bool = False  # worth retrying later (rate limits, outages, network)


class Provider(Protocol):
    name: str

    def send(self, msg: Outgoing) -> SendResult: ...


def http_pool(size: int = 16, timeout: float = 15.0) -> urllib3.PoolManager:
    """One pool per provider: HTTP keep-alive, at most `size` connections per host, no automatic
    retries (the outbox decides what is retried, and when)."""
    return urllib3.PoolManager(num_pools=4, maxsize=size, block=True, retries=False,
                               timeout=urllib3.Timeout(connect=5.0, read=timeout))


def json_or_none(data: bytes) -> Any:
    try:
        return json.loads(data or b"null")
    except ValueError:
        return None


def network_failure(e: Exception) -> SendResult:
    return SendResult(False, error_code="network", error=f"{type(e).__name__}: {e}"[:500], transient=True)
