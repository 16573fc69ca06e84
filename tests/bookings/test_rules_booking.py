"""DOMAIN.md, "Booking service": states, slots and the unit's arrival closing the lead."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import func, select

from core.bookings.booking import BookingInput, cancel_booking, create_booking, create_work_order, post_booking
from core.pipeline.stages import mark_won
from core.platform import clock
from core.platform.errors import DomainError, ValidationError
from db.enums import BookingState, ServiceKind, Stage, TouchKind, TouchState
from db.models import Booking, Lead, Touch, Vehicle, WorkOrder
from tests.helpers import new_lead, opportunity_at

NOW = dt.datetime(2020, 7, 10, 0, 30, tzinfo=dt.UTC)  # 10/07/2020 08:30 WITA
TOMORROW = dt.date(2020, 7, 11)


def _won(world):
    opp = opportunity_at(world, 1)
    with world.db.transaction(world.admin_sam.scope) as s:
        return mark_won(s, world.admin_sam, opp.id)


def _input(world, lead_id=None, **kw):
    base = BookingInput(branch_id=world.sam.id, day=TOMORROW, hour=9, minute=0, lead_id=lead_id,
                        customer_id=world.customer_sam.id, vehicle_id=world.vehicle_sam.id,
                        pit_id=world.pit_sam.id, mechanic_id=world.mechanic_sam.id,
                        service_advisor_id=world.advisor_sam.id, reason_to_come="PHONE_REMINDER",
                        complaint="rem kurang pakem")
    return dataclasses.replace(base, **kw)


def _book(world, viewer=None, **kw):
    viewer = viewer or world.admin_sam
    with clock.frozen(NOW), world.db.transaction(viewer.scope, system=viewer.all_branches) as s:
        return create_booking(s, viewer, _input(world, **kw))


def test_booking_from_a_lead_needs_the_lead_won(world):
    opp = opportunity_at(world, 1)
    with clock.frozen(NOW), world.db.transaction(world.admin_sam.scope) as s, pytest.raises(DomainError) as err:
        create_booking(s, world.admin_sam, _input(world, lead_id=opp.id))
    assert err.value.code == "booking.lead_not_won"


def test_booking_from_a_won_lead_carries_its_kpb_and_starts_as_draft(world):
    lead = _won(world)
    booking = _book(world, lead_id=lead.id)
    assert booking.state == BookingState.DRAFT
    assert (booking.service_kind, booking.kpb_number) == (ServiceKind.KPB, 3)
    assert booking.number == "BOS-W/SAM01/2007/00001"
    # 09:00 in Samarinda (WITA, UTC+8) is 01:00 UTC.
    assert booking.booking_at == dt.datetime(2020, 7, 11, 1, 0, tzinfo=dt.UTC)


def test_booking_respects_pit_capacity_one_booking_per_pit_per_slot(world):
    _book(world)
    with pytest.raises(ValidationError) as err:
        _book(world, mechanic_id=None, minute=30)
    assert err.value.code == "booking.pit_taken" and err.value.field == "pit"
    # Another pit at the same time is fine (with another mechanic), and the next slot on the same pit too.
    assert _book(world, pit_id=world.pit2_sam.id, mechanic_id=None).state == BookingState.DRAFT
    assert _book(world, hour=10, mechanic_id=None).state == BookingState.DRAFT


def test_a_mechanic_is_booked_once_per_slot(world):
    _book(world)
    with pytest.raises(ValidationError) as err:
        _book(world, pit_id=world.pit2_sam.id)
    assert err.value.code == "booking.mechanic_taken"


def test_booking_outside_service_hours_or_in_the_past_is_refused(world):
    with pytest.raises(ValidationError) as err:
        _book(world, hour=17)
    assert err.value.code == "booking.outside_hours"
    with pytest.raises(ValidationError) as err:
        _book(world, day=dt.date(2020, 7, 10), hour=8)
    assert err.value.code == "booking.in_past"


def test_booking_goes_draft_posted_work_order_and_the_arrival_closes_the_lead(world):
    lead = new_lead(world, kpb=2)
    booking = _book(world, service_kind=ServiceKind.KPB, kpb_number=2)
    with pytest.raises(DomainError):  # a draft cannot become a work order
        with clock.frozen(NOW), world.db.transaction(world.admin_sam.scope) as s:
            create_work_order(s, world.kabeng_sam, booking.id)
    with clock.frozen(NOW), world.db.transaction(world.kabeng_sam.scope) as s:
        assert post_booking(s, world.kabeng_sam, booking.id).state == BookingState.POSTED
        wo = create_work_order(s, world.kabeng_sam, booking.id, km=3900)
        assert (wo.job_type, wo.kpb_number) == ("ASS2", 2)
    with world.db.session(world.admin_sam.scope) as s:
        assert s.get(Booking, booking.id).state == BookingState.WORK_ORDER
        closed = s.get(Lead, lead.id)
        assert closed.stage == Stage.WON and closed.won_work_order_id == wo.id
        assert closed.won_branch_id == world.sam.id


def test_posting_and_work_orders_are_for_workshop_roles_not_admins(world):
    booking = _book(world)
    with world.db.transaction(world.admin_sam.scope) as s, pytest.raises(DomainError) as err:
        post_booking(s, world.admin_sam, booking.id)
    assert err.value.code == "error.permission"


def test_cancelling_needs_a_reason_and_frees_the_slot(world):
    booking = _book(world)
    with world.db.transaction(world.kabeng_sam.scope) as s, pytest.raises(ValidationError):
        cancel_booking(s, world.kabeng_sam, booking.id, reason="")
    with world.db.transaction(world.kabeng_sam.scope) as s:
        assert cancel_booking(s, world.kabeng_sam, booking.id, "customer sakit").state == BookingState.CANCELLED
    assert _book(world).state == BookingState.DRAFT
    with world.db.transaction(world.kabeng_sam.scope) as s, pytest.raises(DomainError) as err:
        post_booking(s, world.kabeng_sam, booking.id)
    assert err.value.code == "booking.bad_transition"


def test_a_pit_of_another_branch_cannot_be_booked(world):
    with world.db.transaction(None, system=True) as s:
        from db.models import Pit
        other = Pit(branch_id=world.man.id, name="PIT 9")
        s.add(other)
        s.flush()
        other_id = other.id
    with pytest.raises(ValidationError) as err:
        _book(world, pit_id=other_id)
    assert err.value.field == "pit"


def test_the_unit_arriving_at_another_branch_closes_the_lead_and_credits_that_branch(world):
    from core.bookings.workorders import record_work_order
    lead = new_lead(world, kpb=3)
    with world.db.transaction(world.admin_man.scope) as s:
        record_work_order(s, world.admin_man, branch_id=world.man.id, number="WO/MAN01/2007/00009",
                          vehicle_id=world.vehicle_sam.id, customer_id=None, service_date=dt.date(2020, 7, 20),
                          job_type="ASS3", km=7800)
    with world.db.session(None, system=True) as s:
        closed = s.get(Lead, lead.id)
        wo = s.scalars(select(WorkOrder).where(WorkOrder.number == "WO/MAN01/2007/00009")).one()
        assert closed.stage == Stage.WON and closed.won_branch_id == world.man.id and closed.won_work_order_id == wo.id


def test_a_regular_job_does_not_close_a_kpb_lead(world):
    from core.bookings.workorders import record_work_order
    lead = new_lead(world, kpb=3)
    with world.db.transaction(world.admin_sam.scope) as s:
        record_work_order(s, world.admin_sam, branch_id=world.sam.id, number="WO/SAM01/2007/00001",
                          vehicle_id=world.vehicle_sam.id, customer_id=None, service_date=dt.date(2020, 7, 20),
                          job_type="LR")
    with world.db.session(world.admin_sam.scope) as s:
        assert s.get(Lead, lead.id).closed_at is None


def test_a_lead_holds_at_most_one_open_booking_and_the_first_can_be_rescheduled(world):
    from core.bookings import reschedule_booking

    lead = _won(world)
    first = _book(world, lead_id=lead.id)
    with pytest.raises(DomainError) as err:
        _book(world, lead_id=lead.id, pit_id=world.pit2_sam.id, mechanic_id=None, hour=14)
    assert err.value.code == "booking.lead_has_booking" and err.value.params["booking_id"] == first.id
    assert err.value.message("id") == (f"Lead {lead.number} sudah punya booking {first.number} (11/07/2020 09:00); "
                                       "ubah jadwal booking itu, jangan buat yang baru.")
    with clock.frozen(NOW), world.db.transaction(world.admin_sam.scope) as s:
        moved = reschedule_booking(s, world.admin_sam, first.id, TOMORROW, 14, 0)
        assert moved.booking_at == dt.datetime(2020, 7, 11, 6, 0, tzinfo=dt.UTC)  # 14:00 WITA
    with world.db.session(None, system=True) as s:
        assert s.scalar(select(func.count()).select_from(Booking).where(Booking.lead_id == lead.id)) == 1
    with clock.frozen(NOW), world.db.transaction(world.kabeng_sam.scope) as s:
        cancel_booking(s, world.kabeng_sam, first.id, "customer berhalangan")
    assert _book(world, lead_id=lead.id).state == BookingState.DRAFT  # a cancelled booking frees the lead


def test_when_the_service_is_done_the_leads_pending_touches_end_and_the_feedback_is_planned(world):
    with world.db.transaction(None, system=True) as s:
        s.get(Vehicle, world.vehicle_sam.id).premium = True  # premium: H+3 feedback after any job
    lead = _won(world)
    booking = _book(world, lead_id=lead.id)
    with clock.frozen(NOW), world.db.transaction(world.sa_sam.scope) as s:
        post_booking(s, world.sa_sam, booking.id)
        wo = create_work_order(s, world.sa_sam, booking.id, km=7900)
    with world.db.session(None, system=True) as s:
        states = dict(s.execute(select(Touch.kind, Touch.state).where(Touch.booking_id == booking.id)).tuples().all())
        assert states == {TouchKind.BOOKING_CONFIRM: TouchState.CANCELLED}  # the unit came the day before
        assert s.scalars(select(Touch.state).where(Touch.lead_id == lead.id,
                                                   Touch.state == TouchState.PLANNED)).all() == []
        feedback = s.scalars(select(Touch).where(Touch.work_order_id == wo.id)).one()
        assert (feedback.kind, feedback.due_on) == (TouchKind.FEEDBACK_H3, dt.date(2020, 7, 13))
        assert s.get(Lead, lead.id).won_work_order_id == wo.id  # Won by the admin, now with its work order
    with pytest.raises(DomainError) as err:
        _book(world, lead_id=lead.id)
    assert err.value.code == "booking.lead_served" and wo.number in err.value.message("en")
