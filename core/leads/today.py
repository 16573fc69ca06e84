"""Today's work for a branch or an admin: the touches due and overdue, grouped by kind, in deadline
order, one page at a time. Everything is filtered, ordered, counted and paged in SQL."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from core.accounts.access import Perm, Viewer
from core.messaging.replies import auto_messages, latest_replies
from core.platform import clock
from core.platform.errors import DomainError, NotFound
from core.platform.i18n import register
from core.platform.sqlfilters import in_branches, visible_branch_ids
from db.enums import TouchKind, TouchState
from db.models import Branch, Customer, Lead, Touch, Vehicle

register({
    "touch.not_planned": {"id": "Tugas ini sudah {state}.", "en": "This task is already {state}."},
})

# The order the SOP works in: reminders first, calls, confirmations, feedback, visits.
KIND_ORDER = [TouchKind.MESSAGE_H7, TouchKind.CALL_H3, TouchKind.BOOKING_CONFIRM, TouchKind.FEEDBACK_H3,
              TouchKind.VISIT]


@dataclass(frozen=True)
class WorkItem:
    touch_id: int
    kind: TouchKind
    due_on: dt.date
    overdue: bool
    branch_code: str
    lead_id: int | None
    lead_number: str | None
    customer_name: str | None
    phone: str | None
    unit_name: str | None
    plate: str | None
    kpb_number: int | None
    deadline: dt.date | None
    last_reply: str | None = None  # the customer's latest WhatsApp/SMS reply (core.messaging)
    auto_message: str | None = None  # the automatic message of this touch and its state, if any


@dataclass
class Worklist:
    items: list[WorkItem]
    total: int
    due_by_kind: dict[TouchKind, int] = field(default_factory=dict)
    overdue_by_kind: dict[TouchKind, int] = field(default_factory=dict)


def worklist(session: Session, viewer: Viewer, day: dt.date, *, branch_ids: list[int] | None = None,
             kinds: list[TouchKind] | None = None, assigned_user_id: int | None = None,
             page: int = 0, page_size: int = 50) -> Worklist:
    """Planned touches due on or before `day` (earlier ones are overdue: they count against the SLA)."""
    viewer.require(Perm.LEAD_VIEW)
    where = [Touch.state == TouchState.PLANNED, Touch.due_on <= day,
             in_branches(Touch.branch_id, visible_branch_ids(viewer, branch_ids))]
    if assigned_user_id is not None:
        where.append(Lead.assigned_user_id == assigned_user_id)
    counts_q = select(Touch.kind, func.count(), func.sum(case((Touch.due_on < day, 1), else_=0))).where(*where)
    if assigned_user_id is not None:
        counts_q = counts_q.join(Lead, Lead.id == Touch.lead_id)
    counts = session.execute(counts_q.group_by(Touch.kind)).all()
    if kinds:
        where.append(Touch.kind.in_(kinds))
    kind_rank = case({k.value: i for i, k in enumerate(KIND_ORDER)}, value=Touch.kind)
    # Within one kind a touch is due a fixed number of days before its lead's deadline, so the due
    # day orders like the deadline, and the (branch, state, kind, due_on) index hands the first
    # page over without sorting the whole day's list.
    order = ((Touch.due_on, Touch.id) if kinds and len(kinds) == 1
             else (kind_rank, Lead.deadline.is_(None), Lead.deadline, Touch.due_on, Touch.id))
    rows = session.execute(
        select(Touch.id, Touch.kind, Touch.due_on, Branch.code, Lead.id, Lead.number, Customer.name,
               Customer.phone, Vehicle.unit_name, Vehicle.plate, Lead.kpb_number, Lead.deadline)
        .join(Branch, Branch.id == Touch.branch_id)
        .outerjoin(Lead, Lead.id == Touch.lead_id)
        .outerjoin(Customer, Customer.id == Touch.customer_id)
        .outerjoin(Vehicle, Vehicle.id == Touch.vehicle_id)
        .where(*where)
        .order_by(*order)
        .limit(page_size).offset(page * page_size)).all()
    replies = latest_replies(session, [r[4] for r in rows if r[4] is not None])
    auto = auto_messages(session, [r[0] for r in rows])
    items = [WorkItem(r[0], TouchKind(r[1]), r[2], r[2] < day, r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10],
                      r[11], replies.get(r[4]), auto.get(r[0])) for r in rows]
    due = {TouchKind(k): int(n) for k, n, _ in counts}
    overdue = {TouchKind(k): int(o or 0) for k, _, o in counts}
    total = sum(n for k, n in due.items() if not kinds or k in kinds)
    return Worklist(items, total, due, overdue)


def complete_touch(session: Session, viewer: Viewer, touch_id: int, *, note: str | None = None,
                   followup_id: int | None = None) -> Touch:
    """Mark a touch done (the follow-up outcome itself is recorded through core.pipeline.stages)."""
    viewer.require(Perm.LEAD_CHANGE)
    touch = session.get(Touch, touch_id, with_for_update=True)
    if touch is None or not viewer.may_see_branch(touch.branch_id):
        raise NotFound("error.not_found", what="touch")
    if touch.state != TouchState.PLANNED:
        raise DomainError("touch.not_planned", state=touch.state.value)
    touch.state, touch.done_at, touch.done_by_id = TouchState.DONE, clock.now(), viewer.user_id
    touch.note, touch.followup_id = note, followup_id
    session.flush()
    return touch
