"""A lead's bookings stay consistent with it: at most one open booking per lead (a second is refused, naming the
first, which can be moved instead), and a lead whose unit already came (its work order exists) is not booked
again. When the unit comes, core.leads.closing cancels the lead's pending touches, the booking-morning call
included, and core.bookings.workorders plans the H+3 feedback."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.accounts.access import Perm, Viewer
from core.bookings.slots import check_slot
from core.platform import clock
from core.platform.concurrency import check_version
from core.platform.errors import DomainError, NotFound, ValidationError
from core.platform.i18n import register
from core.privacy import audit
from db.enums import BookingState, TouchKind, TouchState
from db.models import Booking, Branch, Lead, Touch, WorkOrder

register({
    "booking.lead_has_booking": {
        "id": "Lead {number} sudah punya booking {booking} ({when}); ubah jadwal booking itu, jangan buat yang baru.",
        "en": "Lead {number} already has booking {booking} ({when}); reschedule that booking instead of adding one.",
    },
    "booking.lead_served": {
        "id": "Lead {number} sudah dilayani (work order {work_order}); tidak bisa dibooking lagi.",
        "en": "Lead {number} has been served (work order {work_order}); it cannot be booked again.",
    },
    "booking.not_open": {
        "id": "Booking {number} berstatus {state}; jadwalnya tidak bisa diubah.",
        "en": "Booking {number} is {state}; it cannot be rescheduled.",
    },
})

OPEN = (BookingState.DRAFT, BookingState.POSTED)


def check_lead_bookable(session: Session, lead: Lead) -> None:
    """Rule: a lead holds at most one open booking, and none once its work order exists. Called with the lead
    row locked (so two admins booking the same lead at once are served one after the other)."""
    served = session.scalar(select(WorkOrder.number).where(
        WorkOrder.id == lead.won_work_order_id)) if lead.won_work_order_id else session.scalar(
        select(WorkOrder.number).join(Booking, Booking.work_order_id == WorkOrder.id)
        .where(Booking.lead_id == lead.id).limit(1))
    if served:
        raise DomainError("booking.lead_served", number=lead.number, work_order=served)
    first = session.execute(select(Booking, Branch.timezone).join(Branch, Branch.id == Booking.branch_id).where(
        Booking.lead_id == lead.id, Booking.state.in_(OPEN)).order_by(Booking.id).limit(1)).first()
    if first is not None:
        booking, tz = first
        raise DomainError("booking.lead_has_booking", number=lead.number, booking=booking.number,
                          when=clock.local(booking.booking_at, tz).strftime("%d/%m/%Y %H:%M"), booking_id=booking.id)


def reschedule_booking(session: Session, viewer: Viewer, booking_id: int, day: dt.date, hour: int, minute: int,
                       expected_version: int | None = None) -> Booking:
    """Move an open booking to another slot (same pit and mechanic); its booking-morning call moves with it."""
    viewer.require(Perm.BOOKING_CHANGE)
    booking = session.get(Booking, booking_id, with_for_update=True)
    if booking is None or not viewer.may_see_branch(booking.branch_id):
        raise NotFound("error.not_found", what="booking")
    check_version(session, booking, expected_version)
    if booking.state not in OPEN:
        raise DomainError("booking.not_open", number=booking.number, state=booking.state.value)
    branch = session.get(Branch, booking.branch_id)
    assert branch is not None and booking.pit_id is not None
    at = clock.at_local(day, hour, minute, branch.timezone)
    if at < clock.now():
        raise ValidationError("booking.in_past", field="booking_at", value=at.strftime("%d/%m/%Y %H:%M"))
    check_slot(session, branch, at, booking.pit_id, booking.mechanic_id, exclude_id=booking.id)
    changes = audit.apply(booking, {"booking_at": at})
    session.flush()
    session.execute(update(Touch).where(Touch.booking_id == booking.id, Touch.state == TouchState.PLANNED,
                                        Touch.kind == TouchKind.BOOKING_CONFIRM).values(due_on=day)
                    .execution_options(synchronize_session=False))
    audit.record(session, viewer, "booking.reschedule", booking, changes=changes)
    return booking
