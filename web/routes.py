"""Starlette routes served next to the app by st.App: GET /healthz, and the providers' webhooks
(WhatsApp Cloud API statuses and messages; SMS delivery reports). Thin: check the caller, parse,
hand to core.messaging.receipts in one transaction off the event loop."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import lru_cache
from urllib.parse import urlsplit

from sqlalchemy import text
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from core.messaging import receipts
from core.messaging.config import ProviderCredentials, credentials_from_env
from core.messaging.providers import sms, whatsapp
from db.engine import Database, make_engine

log = logging.getLogger("h23.web")


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
        body = await request.body()
        if not whatsapp.signature_ok(credentials.whatsapp.app_secret, body,
                                     request.headers.get("x-hub-signature-256")):
            return PlainTextResponse("bad signature", status_code=401)
        try:
            events = whatsapp.parse_webhook(json.loads(body))
        except (ValueError, TypeError, AttributeError, KeyError, IndexError):  # any malformed payload: 400
            return PlainTextResponse("bad payload", status_code=400)

        def apply() -> None:
            with database().transaction(None, system=True) as s:
                for event in events:
                    if isinstance(event, whatsapp.StatusEvent):
                        receipts.apply_status(s, event)
                    else:
                        receipts.apply_inbound(s, event)
        await run_in_threadpool(apply)
        return JSONResponse({"ok": True, "events": len(events)})

    async def sms_report(request: Request) -> Response:
        form = await request.form()
        params = {k: str(v) for k, v in form.items()}
        query = dict(request.query_params)
        if not sms.delivery_report_ok(credentials.sms, _public_url(request, credentials), params,
                                      request.headers, query):
            return PlainTextResponse("bad signature", status_code=401)
        event = sms.parse_delivery_report(credentials.sms, params, query)
        if event is not None:
            def apply() -> None:
                with database().transaction(None, system=True) as s:
                    receipts.apply_status(s, event)
            await run_in_threadpool(apply)
        return JSONResponse({"ok": True})

    return [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/webhooks/whatsapp", whatsapp_verify, methods=["GET"]),
        Route("/webhooks/whatsapp", whatsapp_events, methods=["POST"]),
        Route("/webhooks/sms", sms_report, methods=["POST"]),
    ]


def _public_url(request: Request, creds: ProviderCredentials) -> str:
    """The URL the gateway signed: our configured public callback URL (we may sit behind a proxy)
    with the query string it was called with (which holds the message key we appended)."""
    base = creds.sms.callback_url
    if not base:
        return str(request.url)
    parts = urlsplit(base)
    query = request.url.query
    return f"{parts.scheme}://{parts.netloc}{parts.path}" + (f"?{query}" if query else "")
