"""Delivery receipts and replies through our webhook routes over real HTTP: signatures, the
handshake, statuses in any order, opt-outs, replies on the lead; and the served st.App mounting them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import httpx
import pytest
from sqlalchemy import func, select

from core import clock
from core.messaging.outbox import run_sender
from core.messaging.replies import latest_replies, lead_messages
from core.messaging.sender import prepare
from db.enums import ContactStatus, Stage, TouchState
from db.models import ConsentRecord, Customer, FollowUp, Lead, MessageEvent, OutboxMessage, Touch
from tests.conftest import ROOT
from tests.fakes.messaging_setup import (
    APP_SECRET,
    SMS_TOKEN,
    VERIFY_TOKEN,
    configure_branch,
    credentials,
    due_reminder,
    free_port,
    in_hours,
    providers,
    serve_routes,
)
from tests.fakes.whatsapp_server import FakeProvider


@pytest.fixture
def fake():
    with FakeProvider() as server:
        server.configure(app_secret=APP_SECRET, sms_auth_token=SMS_TOKEN)
        yield server


@pytest.fixture
def hooks(world, fake):
    with serve_routes(world.db, credentials(fake, "")) as url:
        fake.configure(webhook_url=f"{url}/webhooks/whatsapp")
        yield url


def _sent_reminder(world, fake, channel="whatsapp", hooks_url=""):
    configure_branch(world.db, world, channel=channel)
    touch = due_reminder(world)
    with clock.frozen(in_hours()):
        prepare(world.db)
        run_sender(world.db, "w1", providers(credentials(fake, hooks_url)))
    [msg] = fake.messages
    return touch, msg


def _state(world, touch):
    with world.db.session(None, system=True) as s:
        row = s.scalars(select(OutboxMessage).where(OutboxMessage.touch_id == touch.id)).one()
        lead = s.get(Lead, touch.lead_id)
        followups = s.scalar(select(func.count()).select_from(FollowUp).where(FollowUp.lead_id == lead.id))
        return row.state, lead.stage, lead.contact_status, followups, s.get(Touch, touch.id).state


def _report(fake, msg, *statuses, error_code=None):
    with clock.frozen(in_hours()):
        for status in statuses:
            fake.report(msg, status, error_code)
            fake.wait_webhooks()


def test_a_bad_webhook_signature_is_rejected_and_changes_nothing(world, fake, hooks):
    touch, msg = _sent_reminder(world, fake)
    body = json.dumps({"entry": [{"changes": [{"value": {"statuses": [
        {"id": msg["id"], "status": "delivered", "timestamp": "1594350000"}]}}]}]}).encode()
    for signature in ("sha256=" + "0" * 64, None, "sha1=abc"):
        headers = {"Content-Type": "application/json"} | ({"X-Hub-Signature-256": signature} if signature else {})
        r = httpx.post(f"{hooks}/webhooks/whatsapp", content=body, headers=headers)
        assert r.status_code == 401
    assert _state(world, touch) == ("sent", Stage.LEAD, None, 0, TouchState.PLANNED)
    with world.db.session(None, system=True) as s:
        assert s.scalar(select(func.count()).select_from(MessageEvent)) == 0


def test_the_webhook_handshake_echoes_the_challenge_only_for_our_verify_token(hooks):
    ok = httpx.get(f"{hooks}/webhooks/whatsapp", params={"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN,
                                                         "hub.challenge": "1158201444"})
    assert (ok.status_code, ok.text) == (200, "1158201444")
    bad = httpx.get(f"{hooks}/webhooks/whatsapp", params={"hub.mode": "subscribe", "hub.verify_token": "guess",
                                                          "hub.challenge": "1"})
    assert bad.status_code == 403


def test_healthz_needs_no_login(hooks):
    assert httpx.get(f"{hooks}/healthz").json() == {"status": "ok"}


def test_delivered_or_read_makes_the_lead_terhubung_whatever_the_order_of_the_statuses(world, fake, hooks):
    touch, msg = _sent_reminder(world, fake)
    _report(fake, msg, "read", "sent", "delivered", "read", "failed")
    assert _state(world, touch) == ("read", Stage.FU1, ContactStatus.TERHUBUNG, 1, TouchState.DONE)


def test_a_late_failure_never_undoes_a_delivery(world, fake, hooks):
    touch, msg = _sent_reminder(world, fake)
    _report(fake, msg, "delivered", "failed", "sent")
    assert _state(world, touch) == ("delivered", Stage.FU1, ContactStatus.TERHUBUNG, 1, TouchState.DONE)


def test_an_undeliverable_number_is_tidak_terhubung(world, fake, hooks):
    touch, msg = _sent_reminder(world, fake)
    _report(fake, msg, "sent", "failed", error_code="131026")
    assert _state(world, touch) == ("failed", Stage.FU1, ContactStatus.TIDAK_TERHUBUNG, 1, TouchState.DONE)


def test_a_customer_who_stopped_messages_is_rejected_and_their_consent_withdrawn(world, fake, hooks):
    touch, msg = _sent_reminder(world, fake)
    _report(fake, msg, "failed", error_code="131050")
    assert _state(world, touch) == ("failed", Stage.FU1, ContactStatus.REJECTED, 1, TouchState.DONE)
    with world.db.session(None, system=True) as s:
        assert s.get(Customer, world.customer_sam.id).consent_message is False
        record = s.scalars(select(ConsentRecord).where(ConsentRecord.customer_id == world.customer_sam.id)).one()
        assert (record.purpose, record.granted) == ("message", False)


def test_a_reply_shows_on_the_leads_timeline_and_in_the_worklist(world, fake, hooks):
    touch, _msg = _sent_reminder(world, fake)
    with clock.frozen(in_hours()):
        fake.inbound("6285845164510", "Siap, saya datang Sabtu pagi")
        fake.inbound("6285845164510", "Siap, saya datang Sabtu pagi", message_id="wamid.DUP")
        fake.inbound("6285845164510", "Siap, saya datang Sabtu pagi", message_id="wamid.DUP")  # Meta retried
        fake.wait_webhooks()
    with world.db.session(None, system=True) as s:
        timeline = lead_messages(s, world.admin_sam, touch.lead_id)
        assert [(m.direction, m.text) for m in timeline][-2:] == [("inbound", "Siap, saya datang Sabtu pagi")] * 2
        assert timeline[0].direction == "outbound" and timeline[0].text.startswith("Halo Bapak/Ibu RESTU")
        assert latest_replies(s, [touch.lead_id]) == {touch.lead_id: "Siap, saya datang Sabtu pagi"}
        with pytest.raises(Exception):  # noqa: B017  another branch's admin may not read it
            lead_messages(s, world.admin_man, touch.lead_id)
    from core.worklist import worklist

    with world.db.session(world.admin_sam.scope) as s:
        items = worklist(s, world.admin_sam, in_hours().date()).items
        assert [i.last_reply for i in items if i.touch_id == touch.id] == ["Siap, saya datang Sabtu pagi"]


def test_a_stop_reply_withdraws_consent_at_once(world, fake, hooks):
    touch, _msg = _sent_reminder(world, fake)
    with clock.frozen(in_hours()):
        fake.inbound("6285845164510", "stop")
        fake.wait_webhooks()
    assert _state(world, touch)[1:3] == (Stage.FU1, ContactStatus.REJECTED)
    with world.db.session(None, system=True) as s:
        assert s.get(Customer, world.customer_sam.id).consent_message is False


def test_sms_delivery_reports_are_checked_and_set_the_contact_status(world, fake, hooks):
    touch, msg = _sent_reminder(world, fake, channel="sms", hooks_url=hooks)
    assert msg["callback"] == f"{hooks}/webhooks/sms?key={msg['key']}"
    bad = httpx.post(msg["callback"], data={"MessageSid": msg["id"], "MessageStatus": "delivered"},
                     headers={"X-Twilio-Signature": "forged"})
    assert bad.status_code == 401
    assert _state(world, touch)[0] == "sent"
    _report(fake, msg, "delivered")
    assert _state(world, touch) == ("delivered", Stage.FU1, ContactStatus.TERHUBUNG, 1, TouchState.DONE)


def test_the_served_app_mounts_the_webhooks_next_to_the_pages(tmp_path):
    """`streamlit run web/asgi.py` (what run.sh serves): pages, /healthz and the webhook routes."""
    port = free_port()
    env = {**os.environ, "H23_DEMO": "1", "H23_DATA_DIR": str(tmp_path), "H23_WA_APP_SECRET": APP_SECRET,
           "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}"}
    log = open(tmp_path / "log.txt", "w")  # noqa: SIM115
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "web/asgi.py", "--server.port", str(port),
                             "--server.headless", "true"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(150):
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        assert httpx.get(f"{base}/healthz").json() == {"status": "ok"}
        assert httpx.get(f"{base}/_stcore/health").status_code == 200  # streamlit's own routes still there
        assert httpx.get(base).status_code == 200
        r = httpx.post(f"{base}/webhooks/whatsapp", content=b"{}", headers={"X-Hub-Signature-256": "sha256=00"})
        assert r.status_code == 401
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()
