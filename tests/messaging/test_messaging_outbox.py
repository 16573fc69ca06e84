"""The outbox: one message per touch ever, consent, sending hours, the frequency cap, retries for
transient errors only, and what the provider actually receives (checked at the local fake)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import select

from core.messaging import outbox
from core.messaging.outbox import SendOptions, run_sender
from core.messaging.sender import prepare
from core.platform import clock
from core.privacy import consent as privacy
from db.enums import ContactStatus, Stage, TouchState
from db.models import Customer, Lead, OutboxMessage, Touch, Vehicle
from tests.fakes.messaging_setup import (
    PNID,
    configure_branch,
    credentials,
    due_reminder,
    in_hours,
    local_time,
    providers,
)
from tests.fakes.whatsapp_server import FakeProvider


@pytest.fixture
def fake():
    with FakeProvider() as server:
        yield server


def _send(db, fake, at=None, **opts):
    with clock.frozen(at or in_hours()):
        prepare(db)
        return run_sender(db, "w1", providers(credentials(fake)), SendOptions(**opts))


def _rows(db):
    with db.session(None, system=True) as s:
        return s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()


def test_one_message_per_touch_ever(world, fake):
    configure_branch(world.db, world)
    touch = due_reminder(world)
    _send(world.db, fake)
    _send(world.db, fake)
    with clock.frozen(in_hours() + dt.timedelta(days=1)):  # another day, the worker runs again
        prepare(world.db)
    rows = _rows(world.db)
    assert [r.idem_key for r in rows] == [f"t{touch.id}"]
    assert fake.count_by_key() == {f"t{touch.id}": 1}


def test_the_whatsapp_template_goes_out_in_indonesian_with_its_variables(world, fake):
    configure_branch(world.db, world)
    due_reminder(world)
    report = _send(world.db, fake)
    assert report.sent == 1
    [msg] = fake.messages
    assert msg["template"] == "kpb_reminder_h7" and msg["language"] == "id"
    assert msg["to"] == "6285845164510" and msg["phone_number_id"] == PNID
    # {nama}, {kpb}, {unit}, {plat}, {deadline}, {cabang} in the order the text uses them
    assert msg["params"] == ["RESTU ANDIKA PRADANA PUTRA", "3", "New Vario Techno 150 Plus", "KT 2146 FK",
                             "15/07/2020", "SAMARINDA"]
    [row] = _rows(world.db)
    assert row.state == "sent" and row.provider_id == msg["id"] and row.cost == 450
    assert "berlaku sampai 15/07/2020" in row.body


def test_customer_without_consent_is_never_messaged(world, fake):
    configure_branch(world.db, world)
    with world.db.transaction(None, system=True) as s:
        s.get(Customer, world.customer_sam.id).consent_message = False
    due_reminder(world)
    _send(world.db, fake)
    assert fake.messages == [] and _rows(world.db) == []


def test_consent_withdrawn_after_queueing_is_honoured_before_sending(world, fake):
    configure_branch(world.db, world)
    due_reminder(world)
    with clock.frozen(in_hours()):
        prepare(world.db)
    assert [r.state for r in _rows(world.db)] == ["queued"]
    with world.db.transaction(None, system=True) as s:
        privacy.withdraw_consent(s, world.customer_sam.id, channel="telepon", proof="minta berhenti",
                                 purposes=["message"])
    _send(world.db, fake)
    assert fake.messages == []
    assert [r.state for r in _rows(world.db)] == ["cancelled"]


@pytest.mark.parametrize("hour", [7, 20, 23])
def test_nothing_is_sent_outside_sending_hours(world, fake, hour):
    configure_branch(world.db, world)
    due_reminder(world)
    _send(world.db, fake, at=local_time(hour, 59 if hour == 7 else 0))
    assert fake.messages == []
    opens = local_time(8, 0) + dt.timedelta(days=1 if hour >= 20 else 0)
    _send(world.db, fake, at=opens)  # the window opens: it goes
    assert len(fake.messages) == 1


def test_frequency_cap_holds_back_a_customers_extra_messages(world, fake):
    configure_branch(world.db, world, cap=1, cap_days=7)
    with world.db.transaction(None, system=True) as s:
        second = Vehicle(branch_id=world.sam.id, customer_id=world.customer_sam.id, engine_no="JFZ1E1234567",
                         engine_code="JFZ1", plate="KT 1 AB", unit_name="Scoopy")
        s.add(second)
    due_reminder(world)
    due_reminder(world, vehicle=second)
    _send(world.db, fake)
    assert len(fake.messages) == 1
    assert len(_rows(world.db)) == 1
    with world.db.session(None, system=True) as s:  # the other reminder stays in the worklist, unsent
        unsent = select(Touch.id).where(Touch.state == TouchState.PLANNED, Touch.kind == "message_h7",
                                        ~Touch.id.in_(select(OutboxMessage.touch_id)))
        assert len(s.scalars(unsent).all()) == 1


def test_transient_errors_are_retried_with_backoff(world, fake):
    configure_branch(world.db, world)
    due_reminder(world)
    fake.configure(fail_next=[(500, "131000"), (429, "130429")])
    _send(world.db, fake, backoff=dt.timedelta(seconds=30))
    [row] = _rows(world.db)
    assert (row.state, row.error_code, row.attempts) == ("retry", "131000", 1)
    assert row.next_attempt_at == in_hours() + dt.timedelta(seconds=30)
    _send(world.db, fake, at=in_hours() + dt.timedelta(seconds=10))  # not yet
    assert _rows(world.db)[0].attempts == 1
    _send(world.db, fake, at=in_hours() + dt.timedelta(seconds=31))  # second try: rate limited, 4x longer
    row = _rows(world.db)[0]
    assert (row.state, row.attempts) == ("retry", 2)
    assert row.next_attempt_at == in_hours() + dt.timedelta(seconds=31 + 120)
    _send(world.db, fake, at=in_hours() + dt.timedelta(seconds=200))
    assert _rows(world.db)[0].state == "sent" and len(fake.messages) == 1


def test_permanent_errors_are_not_retried_and_an_undeliverable_number_is_tidak_terhubung(world, fake):
    configure_branch(world.db, world)
    touch = due_reminder(world)
    fake.configure(fail_numbers={"6285845164510": "131026"})
    _send(world.db, fake)
    _send(world.db, fake, at=in_hours() + dt.timedelta(hours=2))
    [row] = _rows(world.db)
    assert (row.state, row.error_code, row.attempts) == ("failed", "131026", 1)
    assert fake.requests == 1
    with world.db.session(None, system=True) as s:
        lead = s.get(Lead, touch.lead_id)
        assert (lead.stage, lead.contact_status) == (Stage.FU1, ContactStatus.TIDAK_TERHUBUNG)
        assert s.get(Touch, touch.id).state == TouchState.DONE


def test_sms_goes_out_in_twilio_format(world, fake):
    configure_branch(world.db, world, channel="sms")
    touch = due_reminder(world)
    _send(world.db, fake)
    [msg] = fake.messages
    assert msg["channel"] == "sms" and msg["to"] == "6285845164510" and msg["from"] == "AHASS"
    assert msg["body"].startswith("Halo Bapak/Ibu RESTU ANDIKA PRADANA PUTRA, servis KPB 3")
    assert _rows(world.db)[0].idem_key == f"t{touch.id}" and _rows(world.db)[0].cost == 350


def test_two_workers_claim_disjoint_batches(committed_db, fake):
    from tests.conftest import build_world

    world = build_world(committed_db)
    configure_branch(committed_db, world, start="00:00", end="23:59")
    now = clock.now()
    with committed_db.transaction(None, system=True) as s:
        outbox.insert_ignoring_duplicates(s, [{
            "branch_id": world.sam.id, "idem_key": f"x{i}", "customer_id": world.customer_sam.id,
            "kind": "message_h7", "channel": "whatsapp", "to_phone": "+6285845164510", "body": "hi",
            "wa_template": "t", "wa_category": "utility", "wa_sender": PNID, "params": [], "state": "queued",
            "attempts": 0, "next_attempt_at": now, "cost": 0, "created_at": now} for i in range(400)])
    fake.configure(delay=0.002)
    provs = providers(credentials(fake))
    threads = [threading.Thread(target=run_sender, args=(committed_db, f"w{i}", provs,
                                                         SendOptions(batch=25, concurrency=4)))
               for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    counts = fake.count_by_key()
    assert len(counts) == 400 and set(counts.values()) == {1}
    with committed_db.session(None, system=True) as s:
        assert set(s.scalars(select(OutboxMessage.state))) == {"sent"}
        assert set(s.scalars(select(OutboxMessage.claimed_by))) == {"w0", "w1"}


def test_a_generic_sms_gateway_is_configured_by_url_auth_and_field_names(world, fake):
    from core.messaging.config import SmsCredentials
    from core.messaging.providers.base import Outgoing
    from core.messaging.providers.sms import SmsGatewayProvider, delivery_report_ok, parse_delivery_report

    creds = SmsCredentials(preset="generic", url=f"{fake.url}/2010-04-01/Accounts/AC1/Messages.json",
                           username="u", password="p", auth="basic", to_field="To", text_field="Body",
                           sender_field="From", sender="AHASS", callback_field="StatusCallback",
                           callback_url="https://crm.example/webhooks/sms?token=s3cret", id_field="sid",
                           webhook_token="s3cret")
    result = SmsGatewayProvider(creds).send(Outgoing(1, "t9", "sms", "+6285845164510", "Halo"))
    assert result.ok and result.provider_id == fake.messages[0]["id"]
    assert fake.messages[0]["key"] == "t9" and fake.messages[0]["body"] == "Halo"
    query = {"token": "s3cret", "key": "t9"}
    assert delivery_report_ok(creds, "", {"id": "x", "status": "delivered"}, {}, query)
    assert not delivery_report_ok(creds, "", {"id": "x", "status": "delivered"}, {}, {"token": "guess"})
    event = parse_delivery_report(creds, {"id": "x", "status": "delivered"}, query)
    assert (event.provider_id, event.status, event.idem_key) == ("x", "delivered", "t9")
