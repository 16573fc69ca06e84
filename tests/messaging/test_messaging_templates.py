"""Templates and the manual channel: variables, validation, the wa.me link, the worklist's text,
and the worker job sending with the installation's credentials."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest

from core.leads.today import worklist
from core.messaging import sender, templates
from core.messaging.config import WhatsAppCredentials, save_branch_messaging, within_sending_hours
from core.messaging.providers.base import Outgoing
from core.messaging.providers.manual import wa_me_link
from core.messaging.providers.whatsapp import WhatsAppProvider
from core.pipeline.followup_log import message_text, wa_link
from core.platform import clock, worker
from core.platform.errors import PermissionDenied, ValidationError
from db.enums import TouchKind
from tests.fakes.messaging_setup import configure_branch, due_reminder, in_hours
from tests.fakes.whatsapp_server import FakeProvider


def test_a_template_may_use_only_the_known_variables():
    body = "Halo {nama}, KPB {kpb} sampai {deadline}"
    assert templates.validate(f" {body} ") == body
    with pytest.raises(ValidationError) as e:
        templates.validate("Halo {name}")
    assert (e.value.field, e.value.value) == ("body", "name")
    for bad in ("", "Halo {nama", "Halo {0}"):
        with pytest.raises(ValidationError):
            templates.validate(bad)


def test_whatsapp_body_parameters_follow_the_order_of_the_variables():
    body = "Halo {nama}, {plat} sampai {deadline}; {nama}"
    values = templates.MessageVars(nama="SULTJE", plat="DB 4042 BW", deadline=dt.date(2020, 8, 1))
    assert templates.wa_params(body, values) == ["SULTJE", "DB 4042 BW", "01/08/2020", "SULTJE"]
    assert templates.render(body, values) == "Halo SULTJE, DB 4042 BW sampai 01/08/2020; SULTJE"


def test_the_manual_link_is_wa_me_with_the_digits_and_the_encoded_text():
    link = wa_me_link("+6285845164510", "Halo Bapak/Ibu & KPB 3?")
    assert link == "https://wa.me/6285845164510?text=Halo%20Bapak%2FIbu%20%26%20KPB%203%3F"
    assert parse_qs(urlsplit(link).query)["text"] == ["Halo Bapak/Ibu & KPB 3?"]
    assert wa_link("+6285845164510", "x") == wa_me_link("+6285845164510", "x")


def test_the_worklist_link_uses_the_branchs_own_template(world):
    due_reminder(world)
    with world.db.transaction(None, system=True) as s:
        templates.save_template(s, world.ho, world.sam.id, TouchKind.MESSAGE_H7,
                                "Yth. {nama}: KPB {kpb} untuk {plat} berakhir {deadline}. AHASS {cabang}")
        body = templates.branch_texts(s, "SAM01").bodies[TouchKind.MESSAGE_H7]
    with world.db.session(world.admin_sam.scope) as s:
        item = worklist(s, world.admin_sam, dt.date(2020, 7, 10)).items[0]
    assert message_text(item.kind, item, "SAMARINDA", body) == \
        "Yth. RESTU ANDIKA PRADANA PUTRA: KPB 3 untuk KT 2146 FK berakhir 15/07/2020. AHASS SAMARINDA"


def test_only_head_office_sets_templates_and_channels(world):
    with world.db.transaction(None, system=True) as s:
        with pytest.raises(PermissionDenied):
            templates.save_template(s, world.admin_sam, world.sam.id, TouchKind.MESSAGE_H7, "Halo {nama}")
        with pytest.raises(PermissionDenied):
            save_branch_messaging(s, world.kabeng_sam, world.sam.id, channels={}, send_start="08:00",
                                  send_end="20:00", cap_messages=2, cap_days=7)
        with pytest.raises(ValidationError):
            save_branch_messaging(s, world.ho, world.sam.id, channels={"message_h7": "telegram"},
                                  send_start="08:00", send_end="20:00", cap_messages=2, cap_days=7)
        with pytest.raises(ValidationError):
            save_branch_messaging(s, world.ho, world.sam.id, channels={}, send_start="20:00",
                                  send_end="08:00", cap_messages=2, cap_days=7)


def test_sending_hours_are_the_branchs_local_time():
    from core.messaging.config import BranchMessaging

    wita = BranchMessaging(1, "Asia/Makassar")  # 08:00-20:00 by default
    assert within_sending_hours(wita, clock.at_local(dt.date(2020, 7, 10), 8, 0, "Asia/Makassar"))
    assert within_sending_hours(wita, clock.at_local(dt.date(2020, 7, 10), 19, 59, "Asia/Makassar"))
    assert not within_sending_hours(wita, clock.at_local(dt.date(2020, 7, 10), 20, 0, "Asia/Makassar"))
    # 07:30 WIB is 08:30 WITA: open in Samarinda, still closed in Jakarta
    at = clock.at_local(dt.date(2020, 7, 10), 7, 30, "Asia/Jakarta")
    assert within_sending_hours(wita, at) and not within_sending_hours(BranchMessaging(2, "Asia/Jakarta"), at)


def test_marketing_templates_use_the_marketing_endpoint_when_enabled():
    with FakeProvider() as fake:
        msg = Outgoing(1, "t1", "whatsapp", "+6285845164510", "x", "promo", "marketing", "PN1", [])
        WhatsAppProvider(WhatsAppCredentials(api_url=f"{fake.url}/v21.0", token="t")).send(msg)
        WhatsAppProvider(WhatsAppCredentials(api_url=f"{fake.url}/v21.0", token="t",
                                             marketing_endpoint=True)).send(msg)
        assert [m["endpoint"] for m in fake.messages] == ["messages", "marketing_messages"]


def test_the_worker_sends_due_reminders_with_the_installations_credentials(world, monkeypatch):
    assert sender.run_outbox in worker.JOBS
    configure_branch(world.db, world)
    touch = due_reminder(world)
    with FakeProvider() as fake:
        monkeypatch.setenv("H23_WA_API_URL", f"{fake.url}/v21.0")
        monkeypatch.setenv("H23_WA_TOKEN", "token")
        sender._process_providers.cache_clear()
        try:
            with clock.frozen(in_hours()):
                done = sender.run_outbox(world.db, "w1")
        finally:
            sender._process_providers.cache_clear()
        assert fake.count_by_key() == {f"t{touch.id}": 1}
    assert "queued 1" in done[0]
    with world.db.session(world.admin_sam.scope) as s:
        [item] = [i for i in worklist(s, world.admin_sam, dt.date(2020, 7, 10)).items if i.touch_id == touch.id]
    assert item.auto_message == "WhatsApp otomatis: terkirim"


def test_without_credentials_nothing_is_claimed_and_the_message_waits(world, monkeypatch):
    configure_branch(world.db, world)
    due_reminder(world)
    for name in ("H23_WA_TOKEN", "H23_SMS_URL"):
        monkeypatch.delenv(name, raising=False)
    sender._process_providers.cache_clear()
    with clock.frozen(in_hours()):
        sender.run_outbox(world.db, "w1")
    sender._process_providers.cache_clear()
    with world.db.session(world.admin_sam.scope) as s:
        [item] = worklist(s, world.admin_sam, dt.date(2020, 7, 10)).items
    assert item.auto_message == "WhatsApp otomatis: antre"
