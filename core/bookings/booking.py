"""Booking service (the seed's dealer memo): slots that respect pit and mechanic capacity, and
the states Draft -> Posted -> (work order | cancelled)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.accounts.access import Perm, Viewer
from core.bookings.choices import DEFAULT_RELATION, reason_code, relation_code
from core.bookings.lead_bookings import check_lead_bookable
from core.bookings.slots import check_slot
from core.bookings.workorders import record_work_order
from core.customers.phone import normalize_phone
from core.leads.touches import cancel_booking_touches, plan_booking_confirmation
from core.platform import clock, numbering, settings
from core.platform.concurrency import check_version
from core.platform.errors import DomainError, NotFound, ValidationError
from core.platform.i18n import register
from core.privacy import audit
from db.enums import BookingState, ServiceKind, StaffKind, Stage
from db.models import Booking, Branch, Customer, Lead, Pit, Staff, Vehicle, WorkOrder

register({
    "booking.lead_not_won": {
        "id": "Booking dari lead hanya bisa dibuat setelah lead {number} Won.",
        "en": "A booking from a lead can only be made once lead {number} is Won.",
    },
    "booking.required": {"id": "wajib diisi", "en": "is required"},
    "booking.in_past": {"id": "waktu booking sudah lewat", "en": "the booking time has passed"},
    "booking.wrong_branch_resource": {
        "id": "bukan milik cabang booking ini",
        "en": "does not belong to this booking's branch",
    },
    "booking.bad_transition": {
        "id": "Booking {number} berstatus {state}; tidak bisa {action}.",
        "en": "Booking {number} is {state}; cannot {action}.",
    },
    "booking.kpb_number_range": {"id": "KPB ke harus 1 sampai 4", "en": "KPB number must be 1 to 4"},
})


@dataclass
class BookingInput:
    branch_id: int | None
    day: dt.date | None
    hour: int | None
    minute: int | None
    service_kind: ServiceKind | None = None  # from the lead when not chosen, else regular
    kpb_number: int | None = None
    lead_id: int | None = None
    customer_id: int | None = None
    vehicle_id: int | None = None
    mobile: str | None = None
    reason_to_come: str | None = None  # a code of core.bookings.choices (its text is taken too)
    complaint: str | None = None
    carrier_relation: str | None = DEFAULT_RELATION
    pit_id: int | None = None
    mechanic_id: int | None = None
    service_advisor_id: int | None = None


def _get(session: Session, viewer: Viewer, booking_id: int) -> Booking:
    viewer.require(Perm.BOOKING_VIEW)
    booking = session.get(Booking, booking_id, with_for_update=True)
    if booking is None or not viewer.may_see_branch(booking.branch_id):
        raise NotFound("error.not_found", what="booking")
    return booking


def _require(value: object, field: str) -> None:
    if value in (None, ""):
        raise ValidationError("booking.required", field=field, value=value)


def _check_resources(session: Session, branch_id: int, data: BookingInput) -> None:
    pit = session.get(Pit, data.pit_id) if data.pit_id else None
    if pit is None or pit.branch_id != branch_id or not pit.active:
        raise ValidationError("booking.wrong_branch_resource", field="pit", value=data.pit_id)
    for field, staff_id, kind in (("mechanic", data.mechanic_id, StaffKind.MECHANIC),
                                  ("service_advisor", data.service_advisor_id, StaffKind.SERVICE_ADVISOR)):
        if staff_id is None:
            continue
        staff = session.get(Staff, staff_id)
        if staff is None or staff.branch_id != branch_id or staff.kind != kind:
            raise ValidationError("booking.wrong_branch_resource", field=field, value=staff_id)


def create_booking(session: Session, viewer: Viewer, data: BookingInput) -> Booking:
    """A Draft booking; from a lead only once it is Won (its customer, unit and KPB carried over), and only
    while it has no open booking and no work order (core.bookings.lead_bookings)."""
    viewer.require(Perm.BOOKING_CHANGE)
    if data.lead_id is not None:
        lead = session.get(Lead, data.lead_id)
        if lead is None or not viewer.may_see_branch(lead.branch_id):
            raise NotFound("error.not_found", what="lead")
        if lead.stage != Stage.WON:
            raise DomainError("booking.lead_not_won", number=lead.number)
        session.refresh(lead, with_for_update=True)  # one admin at a time books a lead
        check_lead_bookable(session, lead)
        data.branch_id = data.branch_id or lead.branch_id
        data.customer_id = data.customer_id or lead.customer_id
        data.vehicle_id = data.vehicle_id or lead.vehicle_id
        data.mobile = data.mobile or lead.phone
        # The lead's service is the memo's default; the customer may ask for another on the phone.
        if data.service_kind is None:
            data.service_kind, data.kpb_number = lead.service_kind, data.kpb_number or lead.kpb_number
    data.service_kind = data.service_kind or ServiceKind.REG
    if data.mobile:
        data.mobile = normalize_phone(data.mobile)
    data.reason_to_come, data.carrier_relation = reason_code(data.reason_to_come), relation_code(data.carrier_relation)
    for value, field in ((data.branch_id, "branch"), (data.day, "booking_at"), (data.hour, "booking_at"),
                         (data.minute, "booking_at"), (data.customer_id, "customer"), (data.pit_id, "pit")):
        _require(value, field)
    assert data.branch_id is not None and data.day is not None and data.hour is not None
    assert data.minute is not None and data.pit_id is not None
    viewer.require_branch(data.branch_id)
    if data.service_kind == ServiceKind.KPB and not (data.kpb_number and 1 <= data.kpb_number <= 4):
        raise ValidationError("booking.kpb_number_range", field="kpb_number", value=data.kpb_number)
    branch = session.get(Branch, data.branch_id)
    assert branch is not None
    customer = session.get(Customer, data.customer_id)
    if customer is None:
        raise NotFound("error.not_found", what="customer")
    if data.vehicle_id is not None:
        vehicle = session.get(Vehicle, data.vehicle_id)
        if vehicle is None:
            raise NotFound("error.not_found", what="vehicle")
    at = clock.at_local(data.day, data.hour, data.minute, branch.timezone)
    if at < clock.now():
        raise ValidationError("booking.in_past", field="booking_at", value=at.strftime("%d/%m/%Y %H:%M"))
    _check_resources(session, branch.id, data)
    check_slot(session, branch, at, data.pit_id, data.mechanic_id)
    booking = Booking(
        branch_id=branch.id, number=numbering.next_booking_number(session, branch.code, data.day),
        state=BookingState.DRAFT, booking_at=at, lead_id=data.lead_id, customer_id=customer.id,
        vehicle_id=data.vehicle_id, mobile=data.mobile or customer.phone, service_kind=data.service_kind,
        kpb_number=data.kpb_number if data.service_kind == ServiceKind.KPB else None,
        reason_to_come=data.reason_to_come, complaint=data.complaint, carrier_relation=data.carrier_relation,
        pit_id=data.pit_id, mechanic_id=data.mechanic_id, service_advisor_id=data.service_advisor_id,
        created_by_id=viewer.user_id)
    session.add(booking)
    session.flush()
    plan_booking_confirmation(session, booking, branch.timezone)
    audit.record(session, viewer, "booking.create", booking, changes=audit.created({
        "state": booking.state, "booking_at": at, "pit_id": booking.pit_id, "mechanic_id": booking.mechanic_id,
        "customer_id": booking.customer_id}))
    return booking


def _transition(booking: Booking, allowed_from: tuple[BookingState, ...], action: str) -> None:
    if booking.state not in allowed_from:
        raise DomainError("booking.bad_transition", number=booking.number, state=booking.state.value, action=action)


def post_booking(session: Session, viewer: Viewer, booking_id: int, expected_version: int | None = None) -> Booking:
    """Rule: Draft -> Posted (the workshop admin confirms it)."""
    viewer.require(Perm.BOOKING_POST)
    booking = _get(session, viewer, booking_id)
    check_version(session, booking, expected_version)
    _transition(booking, (BookingState.DRAFT,), "post")
    changes = audit.apply(booking, {"state": BookingState.POSTED})
    session.flush()
    audit.record(session, viewer, "booking.post", booking, changes=changes)
    return booking


def cancel_booking(session: Session, viewer: Viewer, booking_id: int, reason: str | None,
                   expected_version: int | None = None) -> Booking:
    """Rule: a Draft or Posted booking can be cancelled (with a reason); it frees its slot."""
    viewer.require(Perm.BOOKING_POST)
    booking = _get(session, viewer, booking_id)
    check_version(session, booking, expected_version)
    _transition(booking, (BookingState.DRAFT, BookingState.POSTED), "cancel")
    _require(reason, "cancel_reason")
    changes = audit.apply(booking, {"state": BookingState.CANCELLED, "cancel_reason": reason})
    session.flush()
    cancel_booking_touches(session, booking.id)
    audit.record(session, viewer, "booking.cancel", booking, changes=changes, note=reason)
    return booking


def create_work_order(session: Session, viewer: Viewer, booking_id: int, km: int | None = None,
                      expected_version: int | None = None, job_type: str | None = None) -> WorkOrder:
    """Rule: only a Posted booking becomes a work order; the unit's arrival closes its open leads."""
    viewer.require(Perm.BOOKING_POST)
    booking = _get(session, viewer, booking_id)
    check_version(session, booking, expected_version)
    _transition(booking, (BookingState.POSTED,), "create work order")
    branch = session.get(Branch, booking.branch_id)
    assert branch is not None
    today = clock.today_in(branch.timezone)
    # The unit arrives today (the work order's date), whatever day it was booked for. A KPB booking
    # is that KPB's job; otherwise the SA says the job, quick service by default.
    job = f"ASS{booking.kpb_number}" if booking.service_kind == ServiceKind.KPB else (job_type or "QS")
    if booking.vehicle_id is None:
        raise ValidationError("booking.required", field="engine_no", value=None)
    wo = record_work_order(session, viewer, branch_id=branch.id,
                           number=numbering.next_work_order_number(session, branch.code, today),
                           vehicle_id=booking.vehicle_id, customer_id=booking.customer_id, service_date=today,
                           job_type=job, km=km, pit_id=booking.pit_id, mechanic_id=booking.mechanic_id,
                           service_advisor_id=booking.service_advisor_id)
    changes = audit.apply(booking, {"state": BookingState.WORK_ORDER, "work_order_id": wo.id})
    session.flush()
    cancel_booking_touches(session, booking.id)  # the booking-morning call, if the unit came early
    audit.record(session, viewer, "booking.work_order", booking, changes=changes)
    return wo


def bookings_of_day(session: Session, viewer: Viewer, branch_id: int, day: dt.date) -> list[Booking]:
    """The branch's bookings on a local day, in time order (for the booking board)."""
    viewer.require(Perm.BOOKING_VIEW)
    viewer.require_branch(branch_id)
    branch = session.get(Branch, branch_id)
    assert branch is not None
    start = clock.at_local(day, 0, 0, branch.timezone)
    return list(session.scalars(select(Booking).where(
        Booking.branch_id == branch_id, Booking.booking_at >= start,
        Booking.booking_at < start + dt.timedelta(days=1)).order_by(Booking.booking_at, Booking.id)))


def free_pits(session: Session, viewer: Viewer, branch_id: int, at: dt.datetime) -> list[Pit]:
    """Pits with no live booking overlapping the slot starting at `at`."""
    viewer.require_branch(branch_id)
    slot = dt.timedelta(minutes=settings.get(session, "booking.slot_minutes"))
    busy = select(Booking.pit_id).where(
        Booking.branch_id == branch_id, Booking.state.in_([BookingState.DRAFT, BookingState.POSTED]),
        Booking.booking_at > at - slot, Booking.booking_at < at + slot, Booking.pit_id.is_not(None))
    return list(session.scalars(select(Pit).where(Pit.branch_id == branch_id, Pit.active.is_(True),
                                                  Pit.id.not_in(busy)).order_by(Pit.name)))


def count_live_bookings(session: Session, branch_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Booking).where(
        Booking.branch_id == branch_id, Booking.state.in_([BookingState.DRAFT, BookingState.POSTED]))) or 0
