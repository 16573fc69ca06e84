"""Starlette routes served next to the app by st.App: GET /healthz, and the providers' webhooks
(WhatsApp Cloud API statuses and messages; SMS delivery reports). Thin: check the caller, parse,
hand to core.messaging.receipts in one transaction off the event loop.

No payload, signed or not, can make a webhook answer 500 (issue 20): a body is read with a cap
(Content-Length first, then counted as it arrives: 413 above MAX_BODY), JSON nested deeper than
MAX_DEPTH is refused before it is parsed, and any payload the provider parser does not accept (wrong
shape or types, timestamps out of range, identifiers with control characters: core.platform.text_input) is a
400. Meta redelivers a refused delivery with backoff whatever the 4xx/5xx; what matters is that a bad one
changes nothing. A database outage is a 503 (the provider retries later and the retry succeeds);
a row the database refuses (DataError, IntegrityError) is the payload's fault: 400."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from functools import lru_cache
from urllib.parse import urlsplit

import numpy as np
from sqlalchemy import exc as sa_exc, text
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Message

from core.messaging import ProviderCredentials, credentials_from_env, receipts, sms, whatsapp
from core.platform import DomainError
from db.engine import Database, make_engine

log = logging.getLogger("h23.web")

# Meta's webhook deliveries are a few KB (it batches up to 1,000 updates: still well under 1 MB); Twilio's
# status callbacks are a form of about 20 short fields.
MAX_BODY = 1024 * 1024
MAX_FORM_BODY = 64 * 1024
MAX_FORM_FIELDS = 100
MAX_DEPTH = 32  # Meta's payloads nest about 10 deep
# A database that is down or busy: the provider should retry later.
OUTAGE = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.DisconnectionError, sa_exc.TimeoutError)
# A row the database refuses, or a rule of ours: retrying the same payload cannot help.
REFUSED = (sa_exc.DataError, sa_exc.IntegrityError, DomainError, ValueError)


class _Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.response = PlainTextResponse(reason, status_code=status)


async def read_capped(request: Request, limit: int) -> bytes:
    """The body, refused with 413 once it passes limit bytes: the declared Content-Length is checked
    first, but not trusted (a chunked or lying client is counted as it sends)."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise _Refused(413 if declared.isdigit() else 400, "payload too large" if declared.isdigit()
                       else "bad content-length")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _Refused(413, "payload too large")
        chunks.append(chunk)
    return b"".join(chunks)


_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')


def json_depth(body: bytes) -> int:
    """How deep the JSON in body nests, without parsing it (strings taken out, then [ { ] } counted):
    a 100,000-deep document is measured in milliseconds instead of recursing the parser."""
    if body.count(b"[") + body.count(b"{") <= MAX_DEPTH:
        return 0
    shape = np.frombuffer(_JSON_STRING.sub(b"", body), dtype=np.uint8)
    steps = (np.isin(shape, (ord("["), ord("{"))).astype(np.int32)
             - np.isin(shape, (ord("]"), ord("}"))).astype(np.int32))
    return int(np.cumsum(steps).max(initial=0))


def parse_json(body: bytes) -> object:
    if json_depth(body) > MAX_DEPTH:
        raise _Refused(400, "bad payload: nested too deep")
    try:
        return json.loads(body)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, an int of more than 4,300 digits
        raise _Refused(400, "bad payload: not JSON") from None


async def _apply(work: Callable[[], None]) -> Response | None:
    """Run the database work of a delivery; a refusal becomes 400, an outage 503, success None."""
    try:
        await run_in_threadpool(work)
    except OUTAGE:
        log.exception("webhook: database unavailable")
        return PlainTextResponse("database unavailable", status_code=503, headers={"Retry-After": "60"})
    except REFUSED as e:
        log.warning("webhook delivery refused by the database or a rule: %s", type(e).__name__, exc_info=True)
        return PlainTextResponse("bad payload", status_code=400)
    return None


@lru_cache(maxsize=1)
def _default_db() -> Database:
    return Database(make_engine())


def routes(db: Database | Callable[[], Database] | None = None,
           creds: ProviderCredentials | None = None) -> list[Route]:
    """The routes, bound to a database (default: DATABASE_URL) and credentials (default: H23_WA_* /
    H23_SMS_* environment variables)."""
    def database() -> Database:
        if db is None:
            return _default_db()
        return db if isinstance(db, Database) else db()

    credentials = creds or credentials_from_env()

    async def healthz(_request: Request) -> Response:
        def ping() -> None:
            with database().engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        try:
            await run_in_threadpool(ping)
        except Exception:  # the load balancer only needs to know
            log.exception("health check failed")
            return JSONResponse({"status": "database unavailable"}, status_code=503)
        return JSONResponse({"status": "ok"})

    async def whatsapp_verify(request: Request) -> Response:
        challenge = whatsapp.handshake(request.query_params, credentials.whatsapp.verify_token)
        if challenge is None:
            return PlainTextResponse("forbidden", status_code=403)
        return PlainTextResponse(challenge)

    async def whatsapp_events(request: Request) -> Response:
        try:
            body = await read_capped(request, MAX_BODY)
        except _Refused as refused:
            return refused.response
        if not whatsapp.signature_ok(credentials.whatsapp.app_secret, body,
                                     request.headers.get("x-hub-signature-256")):
            return PlainTextResponse("bad signature", status_code=401)
        try:
            events = whatsapp.parse_webhook(parse_json(body))
        except _Refused as refused:
            return refused.response
        except Exception as e:  # signed but malformed, however it fails: 400, never 500
            log.warning("whatsapp webhook: bad payload: %s: %.200s", type(e).__name__, e)
            return PlainTextResponse("bad payload", status_code=400)

        def apply() -> None:
            with database().transaction(None, system=True) as s:
                for event in events:
                    if isinstance(event, whatsapp.StatusEvent):
                        receipts.apply_status(s, event)
                    else:
                        receipts.apply_inbound(s, event)
        failed = await _apply(apply)
        return failed or JSONResponse({"ok": True, "events": len(events)})

    async def sms_report(request: Request) -> Response:
        try:
            form = await _capped_form(request)
        except _Refused as refused:
            return refused.response
        params = {k: str(v) for k, v in form.items()}
        query = dict(request.query_params)
        if not sms.delivery_report_ok(credentials.sms, _public_url(request, credentials), params,
                                      request.headers, query):
            return PlainTextResponse("bad signature", status_code=401)
        try:
            event = sms.parse_delivery_report(credentials.sms, params, query)
        except Exception as e:  # checked but malformed: 400, never 500
            log.warning("sms report: bad payload: %s: %.200s", type(e).__name__, e)
            return PlainTextResponse("bad payload", status_code=400)
        if event is not None:
            def apply() -> None:
                with database().transaction(None, system=True) as s:
                    receipts.apply_status(s, event)
            failed = await _apply(apply)
            if failed is not None:
                return failed
        return JSONResponse({"ok": True})

    return [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/webhooks/whatsapp", whatsapp_verify, methods=["GET"]),
        Route("/webhooks/whatsapp", whatsapp_events, methods=["POST"]),
        Route("/webhooks/sms", sms_report, methods=["POST"]),
    ]


async def _capped_form(request: Request) -> FormData:
    """The form of a delivery report: the body read with a cap, then parsed with Starlette's limits
    (no files, at most MAX_FORM_FIELDS fields)."""
    body = await read_capped(request, MAX_FORM_BODY)
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        return await Request(request.scope, replay).form(max_files=0, max_fields=MAX_FORM_FIELDS,
                                                         max_part_size=MAX_FORM_BODY)
    except HTTPException as e:  # Starlette's own refusal of the form (too many fields or files)
        raise _Refused(400, f"bad form: {e.detail}") from None
    except Exception as e:  # python-multipart on a broken multipart body
        raise _Refused(400, f"bad form: {type(e).__name__}") from None


def _public_url(request: Request, creds: ProviderCredentials) -> str:
    """The URL the gateway signed: our configured public callback URL (we may sit behind a proxy)
    with the query string it was called with (which holds the message key we appended)."""
    base = creds.sms.callback_url
    if not base:
        return str(request.url)
    parts = urlsplit(base)
    query = request.url.query
    return f"{parts.scheme}://{parts.netloc}{parts.path}" + (f"?{query}" if query else "")
