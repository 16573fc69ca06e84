"""Issue 5: logging a worklist touch's outcome moves the lead through the pipeline in one operation,
and the WhatsApp reminder link."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from sqlalchemy import select

from core.leads.today import worklist
from core.pipeline.followup_log import OutcomeInput, log_outcome, message_text, wa_link
from core.platform import clock
from core.platform.errors import DomainError, NotFound
from db.enums import Channel, ContactStatus, Stage, Temperature, TouchKind, TouchState
from db.models import Customer, FollowUp, Lead, LostReason, Touch
from tests.helpers import new_lead

D = dt.date
H7_DAY = dt.datetime(2020, 7, 24, 1, 0, tzinfo=dt.UTC)  # 24/07/2020 09:00 WITA: H-7 of 31/07
H3_DAY = dt.datetime(2020, 7, 28, 1, 0, tzinfo=dt.UTC)  # 28/07/2020 09:00 WITA: H-3


def _touch(world, lead_id, kind) -> Touch:
    with world.db.session(None, system=True) as s:
        return s.scalars(select(Touch).where(Touch.lead_id == lead_id, Touch.kind == kind)).one()


def _lead(world, lead_id) -> Lead:
    with world.db.session(None, system=True) as s:
        return s.get(Lead, lead_id)


def _log(world, touch_id, outcome, viewer=None):
    viewer = viewer or world.admin_sam
    with world.db.transaction(viewer.scope, system=viewer.all_branches) as s:
        return log_outcome(s, viewer, touch_id, outcome)


def test_terhubung_on_the_h7_touch_converts_the_lead_and_enters_follow_up_1(world):
    lead = new_lead(world, deadline=D(2020, 7, 31))
    h7 = _touch(world, lead.id, TouchKind.MESSAGE_H7)
    with clock.frozen(H7_DAY):
        result = _log(world, h7.id, OutcomeInput(ContactStatus.TERHUBUNG, temperature=Temperature.MEDIUM,
                                                 note="WA terkirim"))
    assert (result.converted, result.stage, result.followup_number) == (True, Stage.FU1, 1)
    after = _lead(world, lead.id)
    assert (after.stage, after.fu1_date, after.contact_status) == (Stage.FU1, D(2020, 7, 24), ContactStatus.TERHUBUNG)
    assert after.temperature == Temperature.MEDIUM and after.converted_at is not None
    touch = _touch(world, lead.id, TouchKind.MESSAGE_H7)
    assert touch.state == TouchState.DONE and touch.followup_id == result.followup_id
    with world.db.session(None, system=True) as s:
        fu = s.get(FollowUp, result.followup_id)
    assert (fu.lead_id, fu.stage_number, fu.channel, fu.note) == (lead.id, 1, Channel.WHATSAPP, "WA terkirim")


def test_the_h3_call_then_enters_follow_up_2(world):
    lead = new_lead(world, deadline=D(2020, 7, 31))
    with clock.frozen(H7_DAY):
        _log(world, _touch(world, lead.id, TouchKind.MESSAGE_H7).id, OutcomeInput(ContactStatus.TIDAK_TERHUBUNG))
    with clock.frozen(H3_DAY):
        with world.db.session(world.admin_sam.scope) as s:
            items = worklist(s, world.admin_sam, D(2020, 7, 28)).items
        assert [i.kind for i in items] == [TouchKind.CALL_H3]
        result = _log(world, items[0].touch_id, OutcomeInput(ContactStatus.TERHUBUNG,
                                                             promised_date=D(2020, 7, 30)))
    after = _lead(world, lead.id)
    assert (after.stage, after.fu2_date, after.promised_date) == (Stage.FU2, D(2020, 7, 28), D(2020, 7, 30))
    assert after.temperature == Temperature.HOT  # from the promise: within 3 days
    assert result.followup_number == 2 and not result.converted
    with world.db.session(None, system=True) as s:
        assert s.get(FollowUp, result.followup_id).channel == Channel.CALL


def test_will_not_come_with_a_reason_marks_lost_and_cancels_the_other_touches(world):
    lead = new_lead(world, deadline=D(2020, 7, 31))
    with world.db.session(None, system=True) as s:
        reason_id = s.scalars(select(LostReason.id).order_by(LostReason.id)).first()
    h7 = _touch(world, lead.id, TouchKind.MESSAGE_H7)
    with clock.frozen(H7_DAY):
        with pytest.raises(DomainError) as refused:
            _log(world, h7.id, OutcomeInput(ContactStatus.TERHUBUNG, will_not_come=True))
        assert refused.value.code == "pipeline.lost_needs_reason"
        assert _lead(world, lead.id).stage == Stage.LEAD  # refused as a whole
        result = _log(world, h7.id, OutcomeInput(ContactStatus.TERHUBUNG, will_not_come=True,
                                                 lost_reason_id=reason_id, note="motor dijual"))
    after = _lead(world, lead.id)
    assert result.lost and after.fu1_date == D(2020, 7, 24)
    assert (after.stage, after.lost_reason_id) == (Stage.LOST, reason_id)
    assert _touch(world, lead.id, TouchKind.MESSAGE_H7).state == TouchState.DONE
    assert _touch(world, lead.id, TouchKind.CALL_H3).state == TouchState.CANCELLED


def test_a_lead_whose_customer_has_no_cddb_is_refused_and_nothing_changes(world):
    lead = new_lead(world, deadline=D(2020, 7, 31))
    with world.db.transaction(None, system=True) as s:
        s.get(Customer, world.customer_sam.id).nik = None
    h7 = _touch(world, lead.id, TouchKind.MESSAGE_H7)
    with clock.frozen(H7_DAY), pytest.raises(DomainError) as refused:
        _log(world, h7.id, OutcomeInput(ContactStatus.TERHUBUNG))
    assert refused.value.code == "customer.no_cddb" and "nik" in refused.value.params["fields"]
    assert _lead(world, lead.id).stage == Stage.LEAD
    assert _touch(world, lead.id, TouchKind.MESSAGE_H7).state == TouchState.PLANNED
    with world.db.session(None, system=True) as s:
        assert s.scalars(select(FollowUp).where(FollowUp.lead_id == lead.id)).first() is None


def test_another_branchs_admin_gets_not_found(world):
    lead = new_lead(world, deadline=D(2020, 7, 31))
    h7 = _touch(world, lead.id, TouchKind.MESSAGE_H7)
    with clock.frozen(H7_DAY), pytest.raises(NotFound):
        _log(world, h7.id, OutcomeInput(ContactStatus.TERHUBUNG), viewer=world.admin_man)
    assert _lead(world, lead.id).stage == Stage.LEAD
    assert _touch(world, lead.id, TouchKind.MESSAGE_H7).state == TouchState.PLANNED


def test_follow_up_3_is_edited_not_entered_again(world):
    lead = new_lead(world, deadline=D(2020, 7, 31))
    with world.db.transaction(None, system=True) as s:
        s.get(Lead, lead.id).stage = Stage.FU3  # as if three follow-ups were done already
    with clock.frozen(H3_DAY), pytest.raises(DomainError):  # no contact status: the pipeline's own refusal
        _log(world, _touch(world, lead.id, TouchKind.CALL_H3).id, OutcomeInput())
    with clock.frozen(H3_DAY):
        result = _log(world, _touch(world, lead.id, TouchKind.CALL_H3).id, OutcomeInput(ContactStatus.REJECTED))
    after = _lead(world, lead.id)
    assert (after.stage, after.fu3_date, after.contact_status) == (Stage.FU3, D(2020, 7, 28), ContactStatus.REJECTED)
    assert result.followup_number == 3


def test_a_touch_without_a_lead_is_only_marked_done_with_its_note(world):
    with world.db.transaction(None, system=True) as s:
        touch = Touch(branch_id=world.sam.id, dedup_key="W1:feedback_h3", kind=TouchKind.FEEDBACK_H3,
                      channel=Channel.CALL, due_on=D(2020, 7, 24), state=TouchState.PLANNED,
                      customer_id=world.customer_sam.id, created_at=H7_DAY)
        s.add(touch)
        s.flush()
        touch_id = touch.id
    with clock.frozen(H7_DAY):
        result = _log(world, touch_id, OutcomeInput(note="puas, usul ruang tunggu ber-AC"))
    assert result.lead_id is None and result.followup_number is None
    with world.db.session(None, system=True) as s:
        done = s.get(Touch, touch_id)
    assert (done.state, done.note) == (TouchState.DONE, "puas, usul ruang tunggu ber-AC")


def test_the_whatsapp_link_carries_the_reminder(world):
    new_lead(world, deadline=D(2020, 7, 31))
    with world.db.session(world.admin_sam.scope) as s:
        item = worklist(s, world.admin_sam, D(2020, 7, 24)).items[0]
    text = message_text(item.kind, item, "SAMARINDA")
    assert text.startswith("Halo Bapak/Ibu RESTU ANDIKA PRADANA PUTRA, servis KPB 3 motor New Vario Techno 150 Plus")
    assert "(KT 2146 FK)" in text and "31/07/2020" in text and "AHASS SAMARINDA" in text
    url = wa_link(item.phone, text)
    assert url.startswith("https://wa.me/6285845164510?text=") and "+" not in url.split("?")[0]
    assert quote("KT 2146 FK", safe="") in url and quote("31/07/2020", safe="") in url
    assert parse_qs(urlsplit(url).query)["text"] == [text]
    for kind in TouchKind:
        assert message_text(kind, item, "SAMARINDA").startswith("Halo Bapak/Ibu RESTU")
