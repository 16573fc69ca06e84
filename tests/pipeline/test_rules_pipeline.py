"""DOMAIN.md, "The pipeline": Follow Up 1/2/3, next plan, temperature, Won and Lost."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.leads.lead import LeadInput, convert_to_opportunity, save_lead
from core.pipeline.stages import (
    FollowUpInput,
    edit_current_followup,
    enter_followup,
    mark_lost,
    mark_won,
    next_plan_date,
    temperature_from_promise,
)
from core.platform import clock
from core.platform.errors import DomainError, ValidationError
from db.enums import ContactStatus, Stage, Temperature
from db.models import FollowUp, Lead, LostReason
from tests.helpers import FIXED_NOW, new_lead, opportunity_at

D = dt.date


def _fu(done_on, status=ContactStatus.TERHUBUNG, **kw):
    return FollowUpInput(done_on=done_on, contact_status=status, **kw)


def test_followup_requires_its_date(world):
    opp = opportunity_at(world, 0)
    with clock.frozen(FIXED_NOW), world.db.transaction(world.admin_sam.scope) as s:
        with pytest.raises(ValidationError) as err:
            enter_followup(s, world.admin_sam, opp.id, 1, FollowUpInput(done_on=None,
                                                                      contact_status=ContactStatus.TERHUBUNG))
    assert err.value.field == "followup_date"


def test_followup_requires_the_contact_status(world):
    opp = opportunity_at(world, 0)
    with clock.frozen(FIXED_NOW), world.db.transaction(world.admin_sam.scope) as s:
        with pytest.raises(ValidationError) as err:
            enter_followup(s, world.admin_sam, opp.id, 1, FollowUpInput(done_on=D(2020, 7, 1), contact_status=None))
    assert err.value.field == "contact_status"


def test_followup_records_temperature_and_contact_status_and_keeps_the_attempt(world):
    opp = opportunity_at(world, 0)
    with clock.frozen(FIXED_NOW), world.db.transaction(world.admin_sam.scope) as s:
        lead = enter_followup(s, world.admin_sam, opp.id, 1, _fu(D(2020, 7, 1), ContactStatus.REJECTED,
                                                                temperature=Temperature.MEDIUM, note="sibuk"))
        assert (lead.stage, lead.fu1_date, lead.temperature, lead.contact_status) == (
            Stage.FU1, D(2020, 7, 1), Temperature.MEDIUM, ContactStatus.REJECTED)
        attempts = s.scalars(select(FollowUp).where(FollowUp.lead_id == opp.id)).all()
        assert [(a.stage_number, a.contact_status, a.user_id) for a in attempts] == [
            (1, ContactStatus.REJECTED, world.admin_sam.user_id)]


def test_followup_date_cannot_be_in_the_future_in_branch_time(world):
    opp = opportunity_at(world, 0)
    with clock.frozen(FIXED_NOW), world.db.transaction(world.admin_sam.scope) as s:
        with pytest.raises(ValidationError) as err:
            enter_followup(s, world.admin_sam, opp.id, 1, _fu(D(2020, 7, 11)))
    assert err.value.code == "pipeline.date_in_future"


def test_followups_come_in_order_1_2_3(world):
    opp = opportunity_at(world, 0)
    with clock.frozen(FIXED_NOW), world.db.transaction(world.admin_sam.scope) as s:
        with pytest.raises(DomainError) as err:
            enter_followup(s, world.admin_sam, opp.id, 2, _fu(D(2020, 7, 1)))
    assert err.value.code == "pipeline.wrong_stage"


def test_followup_needs_an_opportunity_not_a_lead(world):
    lead = new_lead(world)
    with clock.frozen(FIXED_NOW), world.db.transaction(world.admin_sam.scope) as s:
        with pytest.raises(DomainError) as err:
            enter_followup(s, world.admin_sam, lead.id, 1, _fu(D(2020, 7, 1)))
    assert err.value.code == "pipeline.not_opportunity"


def test_entering_a_followup_freezes_earlier_stages(world):
    opp = opportunity_at(world, 2)  # FU1 on 01/07, FU2 on 02/07
    with clock.frozen(FIXED_NOW), world.db.transaction(world.admin_sam.scope) as s:
        # FU2's own fields stay editable...
        lead = edit_current_followup(s, world.admin_sam, opp.id, _fu(D(2020, 7, 3), ContactStatus.REJECTED))
        assert lead.fu2_date == D(2020, 7, 3)
        # ...but FU1's date and the plan for FU2 are frozen.
        assert lead.fu1_date == D(2020, 7, 1)
        from core.pipeline.stages import set_next_plan
        with pytest.raises(DomainError) as err:
            set_next_plan(lead, 2, D(2020, 7, 5))
        assert err.value.code == "pipeline.plan_not_editable"
        # The plan for FU3 is editable while in FU2.
        set_next_plan(lead, 3, D(2020, 7, 9))
        assert lead.next_plan_fu3 == D(2020, 7, 9)


def test_next_plan_is_previous_followup_plus_7_days():
    assert next_plan_date(D(2020, 7, 11), None) == D(2020, 7, 18)  # the seed's screen
    assert next_plan_date(D(2020, 7, 1), D(2020, 9, 30)) == D(2020, 7, 8)


def test_next_plan_is_never_after_deadline_minus_3_days():
    assert next_plan_date(D(2020, 7, 22), D(2020, 7, 31)) == D(2020, 7, 28)
    # H-3 already passed: the next day, still before the deadline.
    assert next_plan_date(D(2020, 7, 29), D(2020, 7, 31)) == D(2020, 7, 30)


def test_followup_sets_the_next_plan_from_the_deadline(world):
    opp = opportunity_at(world, 0, deadline=D(2020, 7, 12))
    with clock.frozen(FIXED_NOW), world.db.transaction(world.admin_sam.scope) as s:
        lead = enter_followup(s, world.admin_sam, opp.id, 1, _fu(D(2020, 7, 1)))
    assert lead.next_plan_fu2 == D(2020, 7, 8)  # 01/07 + 7 = 08/07 <= 12/07 - 3 = 09/07
    with clock.frozen(FIXED_NOW), world.db.transaction(world.admin_sam.scope) as s:
        lead = enter_followup(s, world.admin_sam, opp.id, 2, _fu(D(2020, 7, 4)))
    assert lead.next_plan_fu3 == D(2020, 7, 9)  # 04/07 + 7 = 11/07, capped at H-3 = 09/07


def test_temperature_follows_the_promised_date():
    day = D(2020, 7, 1)
    assert temperature_from_promise(day, D(2020, 7, 2)) == Temperature.HOT
    assert temperature_from_promise(day, D(2020, 7, 4)) == Temperature.HOT
    assert temperature_from_promise(day, D(2020, 7, 5)) == Temperature.MEDIUM
    assert temperature_from_promise(day, D(2020, 7, 8)) == Temperature.MEDIUM
    assert temperature_from_promise(day, D(2020, 7, 9)) == Temperature.COLD
    assert temperature_from_promise(day, D(2020, 7, 11)) == Temperature.COLD


def test_promised_date_overrides_the_typed_temperature(world):
    opp = opportunity_at(world, 0)
    with clock.frozen(FIXED_NOW), world.db.transaction(world.admin_sam.scope) as s:
        lead = enter_followup(s, world.admin_sam, opp.id, 1, _fu(
            D(2020, 7, 1), temperature=Temperature.COLD, promised_date=D(2020, 7, 3)))
    assert lead.temperature == Temperature.HOT and lead.promised_date == D(2020, 7, 3)


def test_lost_needs_a_reason(world):
    opp = opportunity_at(world, 1)
    with world.db.transaction(world.admin_sam.scope) as s, pytest.raises(ValidationError) as err:
        mark_lost(s, world.admin_sam, opp.id, None)
    assert err.value.field == "lost_reason"


def test_lost_is_final(world):
    opp = opportunity_at(world, 1)
    with world.db.transaction(world.admin_sam.scope) as s:
        reason = s.scalars(select(LostReason).where(LostReason.code == "SOLD")).one()
        lead = mark_lost(s, world.admin_sam, opp.id, reason.id, note="dijual ke tetangga")
        assert lead.stage == Stage.LOST and lead.closed_at is not None
    for attempt in (
        lambda s: mark_won(s, world.admin_sam, opp.id),
        lambda s: mark_lost(s, world.admin_sam, opp.id, reason.id),
        lambda s: enter_followup(s, world.admin_sam, opp.id, 2, _fu(D(2020, 7, 2))),
    ):
        with world.db.transaction(world.admin_sam.scope) as s, pytest.raises(DomainError) as err:
            attempt(s)
        assert err.value.code == "lead.closed"


@pytest.mark.parametrize("stage_n", [0, 1, 2, 3])
def test_won_is_possible_from_any_opportunity_stage(world, stage_n):
    opp = opportunity_at(world, stage_n)
    with world.db.transaction(world.admin_sam.scope) as s:
        assert mark_won(s, world.admin_sam, opp.id).stage == Stage.WON


def test_won_freezes_everything(world):
    opp = opportunity_at(world, 1)
    with world.db.transaction(world.admin_sam.scope) as s:
        mark_won(s, world.admin_sam, opp.id)
    with clock.frozen(FIXED_NOW), world.db.transaction(world.admin_sam.scope) as s, pytest.raises(DomainError) as e:
        edit_current_followup(s, world.admin_sam, opp.id, _fu(D(2020, 7, 2)))
    assert e.value.code == "lead.closed"
    with world.db.transaction(world.admin_sam.scope) as s, pytest.raises(DomainError):
        save_lead(s, world.admin_sam, LeadInput(customer_id=world.customer_sam.id, phone="085845164510",
                                                occupation_id=world.customer_sam.occupation_id), lead_id=opp.id)


def test_a_lead_must_be_converted_before_an_admin_marks_it_won(world):
    lead = new_lead(world)
    with world.db.transaction(world.admin_sam.scope) as s, pytest.raises(DomainError) as err:
        mark_won(s, world.admin_sam, lead.id)
    assert err.value.code == "pipeline.won_needs_opportunity"
    with world.db.transaction(world.admin_sam.scope) as s:
        convert_to_opportunity(s, world.admin_sam, lead.id)
        assert s.get(Lead, lead.id).stage == Stage.NEW


def test_a_stale_save_is_refused_naming_who_changed_the_opportunity(world):
    opp = opportunity_at(world, 0)
    seen_version = opp.version  # both admins opened the opportunity at this version
    with clock.frozen(FIXED_NOW), world.db.transaction(world.admin_sam.scope) as s:
        enter_followup(s, world.admin_sam, opp.id, 1, _fu(D(2020, 7, 1)), expected_version=seen_version)
    with clock.frozen(FIXED_NOW), world.db.transaction(None, system=True) as s, pytest.raises(DomainError) as err:
        mark_won(s, world.ho, opp.id, expected_version=seen_version)
    assert err.value.code == "error.stale"
    assert "Admin Samarinda" in err.value.message("id")
    with world.db.session(None, system=True) as s:
        assert s.get(Lead, opp.id).stage == Stage.FU1  # the first save stands; nothing was lost
