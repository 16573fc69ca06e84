"""WhatsApp Cloud API: approved template messages (language "id", body parameters), the webhook's
X-Hub-Signature-256 check and hub.challenge handshake, and reading its statuses and messages."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import urllib3

from core.identifiers import wa_me_digits
from core.messaging.config import WhatsAppCredentials
from core.messaging.providers.base import Outgoing, SendResult, http_pool, json_or_none, network_failure

# Error codes worth a later retry (rate limits, temporary outages); any other error is final.
TRANSIENT_CODES = {"1", "2", "4", "80007", "130429", "131000", "131016", "131048", "131056", "133004"}
# Error codes that say something about the customer (core.messaging.receipts maps them to outcomes).
UNDELIVERABLE = "131026"  # not on WhatsApp, old app, or could not be delivered
REENGAGEMENT = "131047"  # more than 24 h since the customer's last reply: a template is needed
STOPPED_MARKETING = "131050"  # the customer stopped marketing messages from the business


class WhatsAppProvider:
    name = "whatsapp"

    def __init__(self, creds: WhatsAppCredentials, pool: urllib3.PoolManager | None = None) -> None:
        self.creds = creds
        self.pool = pool or http_pool()
        self.headers = {"Authorization": f"Bearer {creds.token}", "Content-Type": "application/json"}

    def endpoint(self, msg: Outgoing) -> str:
        """Marketing templates may use the Marketing Messages endpoint; everything else /messages."""
        path = "marketing_messages" if msg.wa_category == "marketing" and self.creds.marketing_endpoint \
            else "messages"
        return f"{self.creds.api_url}/{msg.wa_sender}/{path}"

    @staticmethod
    def payload(msg: Outgoing) -> dict[str, Any]:
        return {
            "messaging_product": "whatsapp", "recipient_type": "individual", "to": wa_me_digits(msg.to_phone),
            "type": "template",
            "template": {"name": msg.wa_template, "language": {"code": "id"},
                         "components": [{"type": "body", "parameters": [
                             {"type": "text", "text": p} for p in (msg.params or [])]}]},
            # Echoed back in every status webhook: lets a message whose send response was lost (worker
            # killed, timeout) be recognised instead of sent twice.
            "biz_opaque_callback_data": msg.idem_key,
        }

    def send(self, msg: Outgoing) -> SendResult:
        if not msg.wa_template or not msg.wa_sender:
            return SendResult(False, error_code="not_configured",
                              error="no approved template name or no WhatsApp number for this branch")
        try:
            r = self.pool.request("POST", self.endpoint(msg), body=json.dumps(self.payload(msg)).encode(),
                                  headers=self.headers)
        except urllib3.exceptions.HTTPError as e:
            return network_failure(e)
        data = json_or_none(r.data) or {}
        if r.status == 200 and data.get("messages"):
            return SendResult(True, provider_id=str(data["messages"][0]["id"]))
        err = data.get("error") or {}
        code = str(err.get("code") or f"http{r.status}")
        transient = code in TRANSIENT_CODES or r.status == 429 or r.status >= 500
        return SendResult(False, error_code=code, error=str(err.get("message") or r.data[:300]), transient=transient)


def signature_ok(app_secret: str, body: bytes, header: str | None) -> bool:
    """X-Hub-Signature-256: "sha256=" + HMAC-SHA256 of the raw body with the app secret."""
    if not app_secret or not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header[len("sha256="):].encode())  # bytes: any header, no TypeError


def sign(app_secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def handshake(params: Mapping[str, str], verify_token: str) -> str | None:
    """The hub.challenge to echo when Meta subscribes the webhook with our verify token, else None."""
    if (verify_token and params.get("hub.mode") == "subscribe"
            and hmac.compare_digest(params.get("hub.verify_token", "").encode(), verify_token.encode())):
        return params.get("hub.challenge", "")
    return None


@dataclass(frozen=True)
class StatusEvent:
    provider: str
    provider_id: str
    status: str  # sent | delivered | read | failed
    at: dt.datetime
    idem_key: str | None = None
    error_code: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class InboundEvent:
    provider: str
    provider_id: str
    from_phone: str  # E.164
    text: str
    at: dt.datetime


def _ts(value: Any) -> dt.datetime:
    try:
        return dt.datetime.fromtimestamp(int(value), dt.UTC)
    except (TypeError, ValueError):
        return dt.datetime.now(dt.UTC)


def parse_webhook(payload: Any) -> list[StatusEvent | InboundEvent]:
    """The statuses and customer messages in one webhook delivery (entry[].changes[].value)."""
    events: list[StatusEvent | InboundEvent] = []
    for entry in (payload or {}).get("entry") or []:
        for change in entry.get("changes") or []:
            value = change.get("value") or {}
            for s in value.get("statuses") or []:
                errors = s.get("errors") or [{}]
                code = errors[0].get("code")
                events.append(StatusEvent(
                    "whatsapp", str(s.get("id")), str(s.get("status")), _ts(s.get("timestamp")),
                    s.get("biz_opaque_callback_data"), str(code) if code is not None else None,
                    errors[0].get("title") or errors[0].get("message")))
            for m in value.get("messages") or []:
                text = (m.get("text") or {}).get("body") or (m.get("button") or {}).get("text") \
                    or ((m.get("interactive") or {}).get("button_reply") or {}).get("title") or f"[{m.get('type')}]"
                events.append(InboundEvent("whatsapp", str(m.get("id")), "+" + str(m.get("from", "")).lstrip("+"),
                                           str(text), _ts(m.get("timestamp"))))
    return events
