"""Booking slots: service hours, one booking per pit per slot, a mechanic on one booking at a time."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from core.platform import clock, settings
from core.platform.errors import ValidationError
from core.platform.i18n import register
from db.enums import BookingState
from db.models import Booking, Branch, Pit

register({
    "booking.outside_hours": {
        "id": "di luar jam servis ({open:02d}:00-{close:02d}:00)",
        "en": "outside service hours ({open:02d}:00-{close:02d}:00)",
    },
    "booking.pit_taken": {
        "id": "{pit} sudah dibooking pada jam itu ({other})",
        "en": "{pit} is already booked at that time ({other})",
    },
    "booking.mechanic_taken": {
        "id": "mekanik sudah dibooking pada jam itu ({other})",
        "en": "the mechanic is already booked at that time ({other})",
    },
})


def check_slot(session: Session, branch: Branch, at: dt.datetime, pit_id: int, mechanic_id: int | None,
               exclude_id: int | None = None) -> None:
    """Rule: one booking per pit per slot, and a mechanic works one booking at a time."""
    slot = dt.timedelta(minutes=settings.get(session, "booking.slot_minutes"))
    open_hour, close_hour = settings.get(session, "booking.open_hour"), settings.get(session, "booking.close_hour")
    local = clock.local(at, branch.timezone)
    if not (open_hour * 60 <= local.hour * 60 + local.minute and (local + slot).hour * 60 + (local + slot).minute
            <= close_hour * 60 and (local + slot).date() == local.date()):
        raise ValidationError("booking.outside_hours", field="booking_at", value=local.strftime("%H:%M"),
                              open=open_hour, close=close_hour)
    live = [BookingState.DRAFT, BookingState.POSTED]
    overlap = and_(Booking.booking_at > at - slot, Booking.booking_at < at + slot,
                   Booking.state.in_(live), Booking.branch_id == branch.id)
    if exclude_id is not None:
        overlap = and_(overlap, Booking.id != exclude_id)
    clash = session.scalar(select(Booking.number).where(overlap, Booking.pit_id == pit_id).limit(1))
    if clash:
        pit = session.get(Pit, pit_id)
        raise ValidationError("booking.pit_taken", field="pit", value=pit.name if pit else pit_id,
                              pit=pit.name if pit else pit_id, other=clash)
    if mechanic_id is not None:
        clash = session.scalar(select(Booking.number).where(overlap, Booking.mechanic_id == mechanic_id).limit(1))
        if clash:
            raise ValidationError("booking.mechanic_taken", field="mechanic", value=mechanic_id, other=clash)
