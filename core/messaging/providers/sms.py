"""SMS through an HTTP gateway: a generic one (URL, auth, field names from settings) and the
Twilio Programmable Messaging format as the implemented real provider (send, StatusCallback
delivery reports, X-Twilio-Signature)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from urllib.parse import urlencode

import urllib3

from core.messaging.config import SmsCredentials
from core.messaging.providers.base import Outgoing, SendResult, http_pool, json_or_none, network_failure
from core.messaging.providers.whatsapp import ID_MAX, BadPayload, StatusEvent
from core.platform import clock, text_input

# Twilio error codes: the number cannot receive SMS; the customer replied STOP.
UNDELIVERABLE_CODES = {"21211", "21614", "30003", "30005", "30006"}
STOPPED_CODES = {"21610"}
# Twilio MessageStatus -> our status; queued/accepted/sending say nothing new.
TWILIO_STATUS = {"sent": "sent", "delivered": "delivered", "read": "read", "undelivered": "failed",
                 "failed": "failed"}


class SmsGatewayProvider:
    name = "sms"

    def __init__(self, creds: SmsCredentials, pool: urllib3.PoolManager | None = None) -> None:
        self.creds = creds
        self.pool = pool or http_pool()
        self.twilio = creds.preset == "twilio"
        headers = {}
        if creds.auth == "basic" or self.twilio:
            headers = urllib3.make_headers(basic_auth=f"{creds.username}:{creds.password}")
        elif creds.auth == "bearer":
            headers = {"Authorization": f"Bearer {creds.password}"}
        self.headers = headers

    def fields(self, msg: Outgoing) -> dict[str, str]:
        c = self.creds
        callback = f"{c.callback_url}{'&' if '?' in c.callback_url else '?'}key={msg.idem_key}" \
            if c.callback_url else ""
        if self.twilio:
            out = {"To": msg.to_phone, "From": c.sender, "Body": msg.body}
            if callback:
                out["StatusCallback"] = callback
            return out
        out = {c.to_field: msg.to_phone, c.text_field: msg.body}
        if c.sender:
            out[c.sender_field] = c.sender
        if callback:
            out[c.callback_field] = callback
        return out

    def send(self, msg: Outgoing) -> SendResult:
        fields = self.fields(msg)
        if self.creds.body_format == "json" and not self.twilio:
            body, ctype = json.dumps(fields).encode(), "application/json"
        else:
            body, ctype = urlencode(fields).encode(), "application/x-www-form-urlencoded"
        try:
            r = self.pool.request("POST", self.creds.url, body=body, headers={**self.headers, "Content-Type": ctype})
        except urllib3.exceptions.HTTPError as e:
            return network_failure(e)
        data = json_or_none(r.data) or {}
        id_field = "sid" if self.twilio else self.creds.id_field
        if 200 <= r.status < 300 and data.get(id_field):
            return SendResult(True, provider_id=str(data[id_field]))
        code = str(data.get("code") or f"http{r.status}")
        transient = r.status == 429 or r.status >= 500
        return SendResult(False, error_code=code, error=str(data.get("message") or r.data[:300]), transient=transient)


def twilio_signature(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """X-Twilio-Signature: base64 HMAC-SHA1 of the full URL followed by each POST key+value, sorted."""
    data = url + "".join(k + params[k] for k in sorted(params))
    return base64.b64encode(hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def delivery_report_ok(creds: SmsCredentials, url: str, params: Mapping[str, str], headers: Mapping[str, str],
                       query: Mapping[str, str]) -> bool:
    """Twilio: the signature with the auth token; generic gateways: the shared ?token= we gave them."""
    if creds.preset == "twilio":
        given = headers.get("x-twilio-signature", "")
        expected = twilio_signature(creds.password, url, params)
        # As bytes: compare_digest raises TypeError on a non-ASCII str, which would be a 500.
        return bool(creds.password) and hmac.compare_digest(expected.encode(), given.encode())
    return bool(creds.webhook_token) and hmac.compare_digest(query.get("token", "").encode(),
                                                             creds.webhook_token.encode())


def parse_delivery_report(creds: SmsCredentials, params: Mapping[str, str],
                          query: Mapping[str, str]) -> StatusEvent | None:
    if creds.preset == "twilio":
        sid, raw, code = params.get("MessageSid", ""), params.get("MessageStatus", ""), params.get("ErrorCode")
    else:
        sid, raw, code = params.get("id", ""), params.get("status", ""), params.get("error")
    status = TWILIO_STATUS.get(raw.lower())
    if not sid or status is None:
        return None
    key = query.get("key")
    for what, value, limit in (("sid", sid, ID_MAX), ("error code", code, 40), ("key", key, 200)):
        if value and (len(value) > limit or text_input.has_bad(value)):  # text_input: refused, as for WhatsApp
            raise BadPayload(f"{what} too long or with control characters")
    return StatusEvent("sms", sid, status, clock.now(), key or None, code or None, None)
