"""The follow-up plan: which touches each lead, booking and work order gets, and when.

Every function is one set-based statement (INSERT ... SELECT / UPDATE), idempotent through the
touch's dedup_key, so the daily job, the screens and a rerun never plan a touch twice."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import exists, func, insert, literal, null, or_, select, update
from sqlalchemy.orm import Session

from core.platform import clock, settings
from core.platform.sqlfuncs import add_days, rowcount, text_concat
from core.prediction import arrival
from db.base import UTCDateTime
from db.enums import Channel, TouchKind, TouchState
from db.models import Booking, BranchRing, Customer, Lead, Touch, Vehicle, WorkOrder

# Jobs after which a regular (non-premium) customer gets the H+3 feedback call (the SOP).
FEEDBACK_JOBS = ("HR", "C1", "C2", "JR", "LR")

_TOUCH_COLS = ["branch_id", "dedup_key", "kind", "channel", "due_on", "state", "lead_id", "customer_id",
               "vehicle_id", "booking_id", "work_order_id", "created_at"]


def _insert_touches(session: Session, select_stmt: Any) -> int:
    stmt = insert(Touch).from_select(_TOUCH_COLS, select_stmt)
    if session.get_bind().dialect.name == "postgresql":
        # psycopg reports no row count (-1) for a parametrised INSERT ... SELECT: count what it returns.
        inserted = stmt.returning(Touch.id).cte("inserted")
        return session.scalar(select(func.count()).select_from(inserted)) or 0
    return rowcount(session.execute(stmt))


def _not_planned(key: Any) -> Any:
    return ~exists().where(Touch.dedup_key == key)


def plan_lead_touches(session: Session, *, min_lead_id: int = 0, lead_ids: list[int] | None = None) -> int:
    """H-7 message and H-3 call for open leads with a deadline (new ones: id > min_lead_id)."""
    msg_days = settings.get(session, "sop.message_days_before")
    call_days = settings.get(session, "sop.call_days_before")
    total = 0
    for kind, channel, days in ((TouchKind.MESSAGE_H7, Channel.WHATSAPP, msg_days),
                                (TouchKind.CALL_H3, Channel.CALL, call_days)):
        key = text_concat("L", Lead.id.cast(_text()), ":" + kind.value)
        where = [Lead.closed_at.is_(None), Lead.deadline.is_not(None), Lead.id > min_lead_id, _not_planned(key)]
        if lead_ids is not None:
            where.append(Lead.id.in_(lead_ids))
        total += _insert_touches(session, select(
            Lead.branch_id, key, literal(kind.value), literal(channel.value), add_days(arrival.touch_day(), -days),
            literal(TouchState.PLANNED.value), Lead.id, Lead.customer_id, Lead.vehicle_id, null(),
            null(), literal(clock.now(), UTCDateTime())).where(*where))
    return total


def plan_booking_confirmation(session: Session, booking: Booking, tz: str) -> None:
    """The call on the morning of the booking day (branch local)."""
    key = f"B{booking.id}:{TouchKind.BOOKING_CONFIRM.value}"
    if session.scalar(select(Touch.id).where(Touch.dedup_key == key)) is None:
        session.add(Touch(branch_id=booking.branch_id, dedup_key=key, kind=TouchKind.BOOKING_CONFIRM,
                          channel=Channel.CALL, due_on=clock.local(booking.booking_at, tz).date(),
                          state=TouchState.PLANNED, lead_id=booking.lead_id, customer_id=booking.customer_id,
                          vehicle_id=booking.vehicle_id, booking_id=booking.id, created_at=clock.now()))


def plan_feedback_calls(session: Session, *, since: dt.date | None = None,
                        work_order_ids: list[int] | None = None) -> int:
    """Rule: H+3 after service, a thank-you/feedback call for premium customers after any job,
    and for everyone after heavy repair, claims, job return or light repair."""
    days = settings.get(session, "sop.feedback_days_after")
    key = text_concat("W", WorkOrder.id.cast(_text()), ":" + TouchKind.FEEDBACK_H3.value)
    where = [or_(Vehicle.premium.is_(True), WorkOrder.job_type.in_(FEEDBACK_JOBS)), _not_planned(key)]
    if since is not None:
        where.append(WorkOrder.service_date >= since)
    if work_order_ids is not None:
        where.append(WorkOrder.id.in_(work_order_ids))
    return _insert_touches(session, select(
        WorkOrder.branch_id, key, literal(TouchKind.FEEDBACK_H3.value), literal(Channel.CALL.value),
        add_days(WorkOrder.service_date, days), literal(TouchState.PLANNED.value), null(),
        WorkOrder.customer_id, WorkOrder.vehicle_id, null(), WorkOrder.id, literal(clock.now(), UTCDateTime()),
    ).join(Vehicle, Vehicle.id == WorkOrder.vehicle_id).where(*where))


def plan_monthly_visits(session: Session, branch_ids: list[int], day: dt.date) -> int:
    """On the visit day (the 1st): open leads whose customer lives in the branch's ring coverage."""
    if day.day != settings.get(session, "sop.visit_day_of_month"):
        return 0
    key = text_concat("V", Lead.id.cast(_text()), ":" + day.strftime("%Y-%m"))
    in_ring = exists().where(BranchRing.branch_id == Lead.branch_id,
                             BranchRing.district_code == Customer.district_code)
    return _insert_touches(session, select(
        Lead.branch_id, key, literal(TouchKind.VISIT.value), literal(Channel.VISIT.value), literal(day),
        literal(TouchState.PLANNED.value), Lead.id, Lead.customer_id, Lead.vehicle_id, null(),
        null(), literal(clock.now(), UTCDateTime()),
    ).join(Customer, Customer.id == Lead.customer_id).where(
        Lead.closed_at.is_(None), Lead.branch_id.in_(branch_ids), in_ring, _not_planned(key)))


def cancel_lead_touches(session: Session, leads: Any) -> int:
    """Planned touches of leads that just closed are no longer anyone's work (the reminders, the calls, the
    booking-morning call; the H+3 feedback belongs to the work order and stays). `leads`: a list of lead ids
    or a SELECT of them."""
    result = session.execute(
        update(Touch).where(Touch.state == TouchState.PLANNED, Touch.lead_id.in_(leads),
                            Touch.kind.in_([TouchKind.MESSAGE_H7, TouchKind.CALL_H3, TouchKind.VISIT,
                                          TouchKind.BOOKING_CONFIRM]))
        .values(state=TouchState.CANCELLED)
        .execution_options(include_all_branches=True, synchronize_session=False))
    return rowcount(result)


def cancel_booking_touches(session: Session, booking_id: int) -> int:
    result = session.execute(
        update(Touch).where(Touch.state == TouchState.PLANNED, Touch.booking_id == booking_id)
        .values(state=TouchState.CANCELLED)
        .execution_options(include_all_branches=True, synchronize_session=False))
    return rowcount(result)


def _text() -> Any:
    from sqlalchemy import String

    return String()


def count_planned(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Touch).where(Touch.state == TouchState.PLANNED)) or 0
