"""Issue 19.8: booking like the seed's memo: the next free slot from now on is the default, the
service type (and KPB number, mobile) can be chosen on the booking, and the work order's job type
follows the booking's service type."""

from __future__ import annotations

import dataclasses
import datetime as dt

from core.bookings.booking import BookingInput, create_booking, create_work_order, post_booking
from core.bookings.next_slot import next_free_slot
from core.pipeline.stages import mark_won
from core.platform import clock
from db.enums import ServiceKind
from tests.helpers import opportunity_at

WITA = "Asia/Makassar"


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return clock.at_local(day, hour, minute, WITA)


DAY = dt.date(2020, 7, 10)


def _plan(world, now):
    with world.db.session(world.admin_sam.scope) as s:
        return next_free_slot(s, world.admin_sam, world.sam.id, after=now)


def _book(world, at: dt.datetime, pit, **kw):
    local = clock.local(at, WITA)
    data = BookingInput(branch_id=world.sam.id, day=local.date(), hour=local.hour, minute=local.minute,
                        customer_id=world.customer_sam.id, vehicle_id=world.vehicle_sam.id, pit_id=pit.id)
    with clock.frozen(_at(DAY, 7)), world.db.transaction(world.admin_sam.scope) as s:
        return create_booking(s, world.admin_sam, dataclasses.replace(data, **kw))


def test_a_booking_opened_in_the_evening_proposes_tomorrow_morning(world):
    plan = _plan(world, _at(DAY, 21))  # 21:00, after the workshop has closed (08:00-17:00)
    assert (plan.day, plan.hour, plan.minute, plan.found) == (DAY + dt.timedelta(days=1), 8, 0, True)


def test_the_default_slot_is_the_next_quarter_hour_in_the_future(world):
    plan = _plan(world, _at(DAY, 10, 7))
    assert (plan.day, plan.hour, plan.minute) == (DAY, 10, 15)
    plan = _plan(world, _at(DAY, 16, 1))  # a 60-minute slot from 16:15 would end after 17:00
    assert (plan.day, plan.hour, plan.minute) == (DAY + dt.timedelta(days=1), 8, 0)


def test_the_default_slot_skips_a_time_every_pit_is_booked(world):
    _book(world, _at(DAY, 10, 15), world.pit_sam)
    _book(world, _at(DAY, 10, 15), world.pit2_sam)
    plan = _plan(world, _at(DAY, 10, 7))
    assert (plan.day, plan.hour, plan.minute) == (DAY, 11, 15)  # both pits busy until 11:15


def _won(world):
    opp = opportunity_at(world, 1)  # a KPB 3 lead
    with world.db.transaction(world.admin_sam.scope) as s:
        return mark_won(s, world.admin_sam, opp.id)


def _work_order(world, booking):
    with clock.frozen(_at(DAY, 9)), world.db.transaction(world.kabeng_sam.scope) as s:
        post_booking(s, world.kabeng_sam, booking.id)
        return create_work_order(s, world.kabeng_sam, booking.id)


def test_a_booking_from_a_kpb_lead_may_be_regular_and_its_work_order_is_quick_service(world):
    lead = _won(world)
    booking = _book(world, _at(DAY + dt.timedelta(days=1), 9), world.pit_sam, lead_id=lead.id,
                    service_kind=ServiceKind.REG, mobile="0812 5432 1098")
    assert (booking.service_kind, booking.kpb_number, booking.mobile) == (ServiceKind.REG, None, "+6281254321098")
    assert _work_order(world, booking).job_type == "QS"


def test_the_work_order_job_follows_the_bookings_kpb_number(world):
    lead = _won(world)
    booking = _book(world, _at(DAY + dt.timedelta(days=1), 9), world.pit_sam, lead_id=lead.id,
                    service_kind=ServiceKind.KPB, kpb_number=2)
    assert (booking.service_kind, booking.kpb_number) == (ServiceKind.KPB, 2)
    wo = _work_order(world, booking)
    assert (wo.job_type, wo.number.startswith("WO")) == ("ASS2", True), wo.number


def test_a_booking_from_a_lead_without_a_choice_takes_the_leads_service(world):
    lead = _won(world)
    booking = _book(world, _at(DAY + dt.timedelta(days=1), 9), world.pit_sam, lead_id=lead.id)
    assert (booking.service_kind, booking.kpb_number) == (ServiceKind.KPB, 3)
