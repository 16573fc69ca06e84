"""Helpers for the messaging tests: a branch sending H-7 reminders by WhatsApp, a due touch, our
webhook routes served over real HTTP (uvicorn on a free loopback port), providers pointed at the fake."""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from sqlalchemy import select
from starlette.applications import Starlette

from core.leads.touches import plan_lead_touches
from core.messaging import config as mcfg
from core.messaging.config import ProviderCredentials, SmsCredentials, WhatsAppCredentials
from core.messaging.providers.base import Provider, http_pool
from core.messaging.providers.sms import SmsGatewayProvider
from core.messaging.providers.whatsapp import WhatsAppProvider
from core.platform import clock
from db.engine import Database
from db.enums import TouchKind
from db.models import Touch
from tests.fakes.whatsapp_server import FakeProvider
from tests.helpers import new_lead

APP_SECRET = "app-secret-for-tests"
VERIFY_TOKEN = "verify-me"
SMS_TOKEN = "twilio-auth-token"
PNID = "109876543210"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def credentials(fake: FakeProvider, hooks_url: str = "") -> ProviderCredentials:
    return ProviderCredentials(
        WhatsAppCredentials(api_url=f"{fake.url}/v21.0", token="test-token", app_secret=APP_SECRET,
                            verify_token=VERIFY_TOKEN),
        SmsCredentials(preset="twilio", url=f"{fake.url}/2010-04-01/Accounts/ACtest/Messages.json",
                       username="ACtest", password=SMS_TOKEN, sender="AHASS",
                       callback_url=f"{hooks_url}/webhooks/sms" if hooks_url else ""))


def providers(creds: ProviderCredentials) -> dict[str, Provider]:
    return {"whatsapp": WhatsAppProvider(creds.whatsapp, http_pool(8)),
            "sms": SmsGatewayProvider(creds.sms, http_pool(8))}


def configure_branch(db: Database, world, *, channel: str = "whatsapp", start: str = "08:00", end: str = "20:00",
                     cap: int = 2, cap_days: int = 7, branch=None) -> None:
    from core.messaging.templates import save_template

    branch = branch or world.sam
    with db.transaction(None, system=True) as s:
        mcfg.save_branch_messaging(s, world.ho, branch.id, channels={TouchKind.MESSAGE_H7.value: channel},
                                   send_start=start, send_end=end, cap_messages=cap, cap_days=cap_days,
                                   wa_phone_number_id=PNID, booking_link="https://ahass.example/b/SAM01")
        from core.messaging.templates import DEFAULTS

        save_template(s, world.ho, branch.id, TouchKind.MESSAGE_H7, DEFAULTS[TouchKind.MESSAGE_H7],
                      wa_template="kpb_reminder_h7")


def due_reminder(world, *, customer=None, vehicle=None, deadline: dt.date = dt.date(2020, 7, 15)) -> Touch:
    """A lead whose H-7 reminder is due (deadline 15/07/2020: H-7 was 08/07) and its planned touch."""
    lead = new_lead(world, customer=customer, vehicle=vehicle, deadline=deadline)
    with world.db.transaction(None, system=True) as s:
        plan_lead_touches(s, lead_ids=[lead.id])
        return s.scalars(select(Touch).where(Touch.lead_id == lead.id,
                                             Touch.kind == TouchKind.MESSAGE_H7)).one()


@contextmanager
def serve_routes(db: Database, creds: ProviderCredentials) -> Iterator[str]:
    """Our webhook routes (the same list st.App mounts) on a real loopback port."""
    from web.routes import routes

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(Starlette(routes=routes(db, creds)), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(5)


def in_hours() -> dt.datetime:
    """11:00 WITA on 10/07/2020 (the tests' usual 'now'), inside the default 08:00-20:00."""
    return dt.datetime(2020, 7, 10, 3, 0, tzinfo=dt.UTC)


def local_time(hour: int, minute: int = 0) -> dt.datetime:
    return clock.at_local(dt.date(2020, 7, 10), hour, minute, "Asia/Makassar")
