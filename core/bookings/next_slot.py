"""The booking dialogs' default slot: the first slot from now on that a pit is free for, within the
branch's service hours, so a booking opened at 21:00 proposes tomorrow morning, not 09:00 today."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.accounts.access import Perm, Viewer
from core.platform import clock, settings
from db.enums import BookingState
from db.models import Booking, Branch, Pit

STEP_MINUTES = 15  # the dialogs offer :00, :15, :30 and :45
MINUTES = list(range(0, 60, STEP_MINUTES))
HORIZON_DAYS = 14


@dataclass(frozen=True)
class SlotPlan:
    open_hour: int
    close_hour: int
    day: dt.date
    hour: int
    minute: int
    found: bool  # False: no pit free in the horizon (the dialog still opens on the next opening hour)

    @property
    def hours(self) -> list[int]:
        return list(range(self.open_hour, self.close_hour))


def next_free_slot(session: Session, viewer: Viewer, branch_id: int, after: dt.datetime | None = None) -> SlotPlan:
    """The first :00/:15/:30/:45 start after `after` (now) inside service hours with a free pit."""
    viewer.require(Perm.BOOKING_VIEW)
    viewer.require_branch(branch_id)
    branch = session.get(Branch, branch_id)
    assert branch is not None
    slot = dt.timedelta(minutes=settings.get(session, "booking.slot_minutes"))
    open_hour, close_hour = settings.get(session, "booking.open_hour"), settings.get(session, "booking.close_hour")
    now = after or clock.now()
    today = clock.local(now, branch.timezone).date()
    end = clock.at_local(today + dt.timedelta(days=HORIZON_DAYS + 1), 0, 0, branch.timezone)
    pits = set(session.scalars(select(Pit.id).where(Pit.branch_id == branch_id, Pit.active.is_(True))))
    # The horizon's live bookings in one read; the slots are then tested in memory (14 days x a few dozen).
    taken = session.execute(select(Booking.booking_at, Booking.pit_id).where(
        Booking.branch_id == branch_id, Booking.state.in_([BookingState.DRAFT, BookingState.POSTED]),
        Booking.booking_at > now - slot, Booking.booking_at < end, Booking.pit_id.is_not(None))).all()
    first: tuple[dt.date, int, int] | None = None
    for offset in range(HORIZON_DAYS + 1):
        day = today + dt.timedelta(days=offset)
        for minutes in range(open_hour * 60, close_hour * 60, STEP_MINUTES):
            start = clock.at_local(day, minutes // 60, minutes % 60, branch.timezone)
            if start <= now or minutes + slot.total_seconds() / 60 > close_hour * 60:
                continue
            first = first or (day, minutes // 60, minutes % 60)
            busy = {pit for at, pit in taken if start - slot < at < start + slot}
            if pits - busy:
                return SlotPlan(open_hour, close_hour, day, minutes // 60, minutes % 60, True)
    day, hour, minute = first or (today + dt.timedelta(days=1), open_hour, 0)
    return SlotPlan(open_hour, close_hour, day, hour, minute, False)
