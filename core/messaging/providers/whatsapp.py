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

from core.customers.phone import wa_me_digits
from core.messaging.config import WhatsAppCredentials
from core.messaging.providers.base import Outgoing, SendResult, http_pool, json_or_none, network_failure
from core.platform import text_input

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


# A webhook's timestamps: epoch seconds between these (2000-01-01 and 2100-01-01 UTC); anything else is a
# malformed payload (a 20-digit one overflowed datetime: a 500 before).
TS_MIN, TS_MAX = 946_684_800, 4_102_444_800
ID_MAX = 120  # message_event.provider_id; Meta's wamid ids are about 60 characters
TEXT_MAX = 4096  # Meta's text messages are at most 4096 characters
STATUSES = ("sent", "delivered", "read", "failed")


class BadPayload(ValueError):
    """A webhook delivery that does not have the shape or values Meta sends: answered 400."""


def _ts(value: Any) -> dt.datetime:
    if value is None or value == "":
        return dt.datetime.now(dt.UTC)
    if isinstance(value, bool) or not isinstance(value, int | str) or (
            isinstance(value, str) and not (value.isascii() and value.isdigit() and len(value) <= 12)):
        raise BadPayload(f"timestamp {value!r:.40}")
    seconds = int(value)
    if not TS_MIN <= seconds <= TS_MAX:
        raise BadPayload(f"timestamp {seconds} out of range")
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


def _ident(value: Any, what: str, *, required: bool = True, limit: int = ID_MAX) -> str | None:
    """An identifier (message id, status, phone, error code, our echoed key): a str or int, short, and
    without control characters. Refused, not cleaned: a different id would match nothing of ours and
    Meta's own ids never hold them."""
    if value is None or value == "":
        if required:
            raise BadPayload(f"{what} missing")
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise BadPayload(f"{what} is a {type(value).__name__}")
    text = str(value)
    if len(text) > limit or text_input.has_bad(text):
        raise BadPayload(f"{what} too long or with control characters")
    return text


def _free_text(value: Any) -> str | None:
    """A customer's or Meta's free text: control characters stripped (core.platform.text_input; refusing the
    delivery would lose the customer's reply and make Meta redeliver it), cut at TEXT_MAX."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise BadPayload(f"text is a {type(value).__name__}")
    return text_input.strip(value)[:TEXT_MAX]


def _objects(value: Any, what: str) -> list[dict[str, Any]]:
    """A list of objects (missing: empty)."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise BadPayload(f"{what} is not a list of objects")
    return value


def _object(value: Any, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadPayload(f"{what} is not an object")
    return value


def parse_webhook(payload: Any) -> list[StatusEvent | InboundEvent]:
    """The statuses and customer messages in one webhook delivery (entry[].changes[].value). Raises
    BadPayload for anything not in the shape and ranges Meta sends (wrong types, ids with control
    characters, timestamps out of range); statuses we do not know are skipped."""
    events: list[StatusEvent | InboundEvent] = []
    for entry in _objects(_object(payload, "payload").get("entry"), "entry"):
        for change in _objects(entry.get("changes"), "changes"):
            value = _object(change.get("value"), "value")
            for s in _objects(value.get("statuses"), "statuses"):
                errors = _objects(s.get("errors"), "errors") or [{}]
                status = _ident(s.get("status"), "status")
                provider_id, at = _ident(s.get("id"), "id"), _ts(s.get("timestamp"))
                key = _ident(s.get("biz_opaque_callback_data"), "biz_opaque_callback_data", required=False,
                             limit=200)
                code = _ident(errors[0].get("code"), "error code", required=False, limit=40)
                title = _free_text(errors[0].get("title") or errors[0].get("message"))
                if status not in STATUSES:
                    continue  # a status Meta added later: nothing we act on
                events.append(StatusEvent("whatsapp", str(provider_id), status, at, key, code,
                                          title[:500] if title else None))
            for m in _objects(value.get("messages"), "messages"):
                kind = _ident(m.get("type"), "type", required=False, limit=40)
                text = _free_text(_object(m.get("text"), "text").get("body")) \
                    or _free_text(_object(m.get("button"), "button").get("text")) \
                    or _free_text(_object(_object(m.get("interactive"), "interactive").get("button_reply"),
                                          "button_reply").get("title")) or f"[{kind}]"
                sender = _ident(m.get("from"), "from", limit=15)
                if not str(sender).lstrip("+").isdigit():
                    raise BadPayload("from is not a phone number")
                events.append(InboundEvent("whatsapp", str(_ident(m.get("id"), "id")), "+" + str(sender).lstrip("+"),
                                           text, _ts(m.get("timestamp"))))
    return events
