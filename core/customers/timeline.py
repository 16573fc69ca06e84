"""A customer's timeline: every lead, touch, follow-up, booking, work order, automatic message and
reply, newest first, in one UNION ALL statement paged in SQL (plus one count).

Each source is a function returning one SELECT of the same seven columns
(at, kind, ref_id, ref, status, n, note) for one customer in the viewer's branches. To show one more
kind of event (outbound messages and their replies, say), write one more such function and add it to
SOURCES; the page renders any `kind` it has a label for and shows the raw kind otherwise.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, String, Text, cast, func, literal, null, select, type_coerce, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.sql.selectable import Select

from core.accounts.access import Perm, Viewer
from core.platform.paging import Paged
from core.platform.sqlfilters import in_branches, visible_branch_ids
from db.base import UTCDateTime
from db.models import Booking, FollowUp, Lead, MessageEvent, OutboxMessage, Touch, WorkOrder

# A source: (customer id, the viewer's branch scope) -> one SELECT of the seven columns below.
Source = Callable[[int, frozenset[int] | None], Select[Any]]


class day_start(FunctionElement[Any]):
    """Midnight at the start of a DATE, as a timestamp (so dates sort among datetimes)."""

    type = UTCDateTime()
    inherit_cache = True


@compiles(day_start, "sqlite")
def _day_start_sqlite(element: day_start, compiler: Any, **kw: Any) -> str:
    return f"datetime({compiler.process(element.clauses, **kw)})"


@compiles(day_start, "postgresql")
def _day_start_pg(element: day_start, compiler: Any, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS timestamp) AT TIME ZONE 'UTC'"


def _cols(at: Any, kind: str, ref_id: Any, ref: Any, status: Any, n: Any, note: Any) -> list[Any]:
    # type_coerce, not CAST: SQLite's CAST(... AS DATETIME) would turn the text into a number.
    return [type_coerce(at, UTCDateTime).label("at"), cast(literal(kind), String(20)).label("kind"),
            cast(ref_id, Integer).label("ref_id"), cast(ref, String(60)).label("ref"),
            cast(status, String(30)).label("status"), cast(n, Integer).label("n"), cast(note, Text).label("note")]


def _leads(customer_id: int, scope: frozenset[int] | None) -> Select[Any]:
    return select(*_cols(Lead.created_at, "lead", Lead.id, Lead.number, Lead.stage, Lead.kpb_number,
                         Lead.due_key)).where(Lead.customer_id == customer_id, in_branches(Lead.branch_id, scope))


def _followups(customer_id: int, scope: frozenset[int] | None) -> Select[Any]:
    return (select(*_cols(FollowUp.created_at, "followup", Lead.id, Lead.number, FollowUp.contact_status,
                          FollowUp.stage_number, FollowUp.note))
            .join(Lead, Lead.id == FollowUp.lead_id)
            .where(Lead.customer_id == customer_id, in_branches(FollowUp.branch_id, scope)))


def _touches(customer_id: int, scope: frozenset[int] | None) -> Select[Any]:
    # A done touch sits at the moment it was done; a planned or cancelled one on its due day.
    at = func.coalesce(Touch.done_at, day_start(Touch.due_on))
    return select(*_cols(at, "touch", Touch.lead_id, Touch.kind, Touch.state, null(), Touch.note)).where(
        Touch.customer_id == customer_id, in_branches(Touch.branch_id, scope))


def _bookings(customer_id: int, scope: frozenset[int] | None) -> Select[Any]:
    return select(*_cols(Booking.booking_at, "booking", Booking.id, Booking.number, Booking.state,
                         Booking.kpb_number, Booking.complaint)).where(
        Booking.customer_id == customer_id, in_branches(Booking.branch_id, scope))


def _work_orders(customer_id: int, scope: frozenset[int] | None) -> Select[Any]:
    return select(*_cols(day_start(WorkOrder.service_date), "work_order", WorkOrder.id, WorkOrder.number,
                         WorkOrder.job_type, WorkOrder.km, null())).where(
        WorkOrder.customer_id == customer_id, in_branches(WorkOrder.branch_id, scope))


def _messages(customer_id: int, scope: frozenset[int] | None) -> Select[Any]:
    # An automatic WhatsApp/SMS message at the moment it was queued, with its furthest state.
    return select(*_cols(OutboxMessage.created_at, "message", OutboxMessage.lead_id, OutboxMessage.channel,
                         OutboxMessage.state, null(), OutboxMessage.body)).where(
        OutboxMessage.customer_id == customer_id, in_branches(OutboxMessage.branch_id, scope))


def _replies(customer_id: int, scope: frozenset[int] | None) -> Select[Any]:
    # What the customer wrote back (message_event is not branch-owned: filtered here explicitly).
    return select(*_cols(MessageEvent.at, "reply", MessageEvent.lead_id, MessageEvent.provider, null(), null(),
                         MessageEvent.text)).where(
        MessageEvent.customer_id == customer_id, MessageEvent.direction == "inbound",
        in_branches(MessageEvent.branch_id, scope))


SOURCES: list[Source] = [_leads, _followups, _touches, _bookings, _work_orders, _messages, _replies]


@dataclass(frozen=True)
class Event:
    at: dt.datetime
    kind: str  # lead, followup, touch, booking, work_order, message, reply
    ref_id: int | None  # the lead (lead, followup, touch), booking or work order id
    ref: str | None  # its number, or the touch kind
    status: str | None  # stage, contact status, touch state, booking state, job type
    n: int | None  # KPB number, follow-up number, or km
    note: str | None


@dataclass(frozen=True)
class TimelinePage(Paged):
    events: list[Event]
    total: int
    page: int
    page_size: int


def timeline(session: Any, viewer: Viewer, customer_id: int, page: int = 1, page_size: int = 25) -> TimelinePage:
    """One page of the customer's events, newest first: two statements whatever the page size."""
    viewer.require(Perm.CUSTOMER_VIEW)
    scope = visible_branch_ids(viewer)
    page, page_size = max(1, page), max(1, min(page_size, 200))
    events = union_all(*(source(customer_id, scope) for source in SOURCES)).subquery("events")
    total = int(session.scalar(select(func.count()).select_from(events)) or 0)
    rows = session.execute(select(events).order_by(events.c.at.desc(), events.c.kind, events.c.ref_id.desc())
                           .limit(page_size).offset((page - 1) * page_size)).all()
    return TimelinePage([Event(*r) for r in rows], total, page, page_size)
