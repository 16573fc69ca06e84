"""Leads closed by what happened to the vehicle: a service arrival closes leads as Won (one function for every
path a work order comes by: a booking's work order, a file import, the AHM DGI pull and the daily run), and KPB
leads whose claim period passed close as Lost when the setting says so. Each is set-based over every branch;
closing cancels the leads' remaining touches."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, exists, func, insert, literal, null, or_, select, update
from sqlalchemy.orm import Session, aliased

from core.leads.touches import cancel_lead_touches
from core.masterdata.lead_rules import kpb_rule_sql
from core.platform import clock, settings
from core.platform.sqlfuncs import add_days, json_change, rowcount
from db.base import UTCDateTime
from db.enums import ServiceKind, Stage, TouchState
from db.models import AuditLog, Lead, LostReason, Touch, Vehicle, WorkOrder

_CHUNK = 5_000  # ids per IN list: well inside SQLite's bound-parameter limit


def close_leads_served(session: Session, *, actor_id: int | None = None, since: dt.date | None = None,
                       work_order_ids: list[int] | None = None) -> int:
    """Rule (DOMAIN.md): a lead is Won when its vehicle comes in for the due service or a later one, at any
    branch of the group. A KPB n lead closes on a KPB n or later job; a regular lead on any job after the
    lead's last service. The lead records the first such work order and its branch, and credits the last touch
    done by that day; its remaining touches are cancelled and each close is audited. A lead an admin marked
    Won before the unit came gets its work order recorded the same way.

    The work orders looked at: those in `work_order_ids`, or serviced on or after `since`, or all of them.
    One UPDATE for every lead, one INSERT ... SELECT of audit rows."""
    wo = aliased(WorkOrder)
    matches = and_(
        wo.vehicle_id == Lead.vehicle_id,
        or_(and_(Lead.service_kind == ServiceKind.KPB, wo.kpb_number >= Lead.kpb_number),
            and_(Lead.service_kind == ServiceKind.REG,
                 wo.service_date > func.coalesce(Lead.last_service_date, literal(dt.date(1900, 1, 1))))))
    recent = select(WorkOrder.vehicle_id)
    if since is not None:
        matches = and_(matches, wo.service_date >= since)
        recent = recent.where(WorkOrder.service_date >= since)
    if work_order_ids is not None:
        matches = and_(matches, wo.id.in_(work_order_ids))
        recent = recent.where(WorkOrder.id.in_(work_order_ids))
    first = (select(wo.id).where(matches).order_by(wo.service_date, wo.id).limit(1)
             .correlate(Lead).scalar_subquery())
    came = aliased(WorkOrder)
    served_on = select(came.service_date).where(came.id == first).scalar_subquery()
    credited = (select(Touch.id).where(Touch.lead_id == Lead.id, Touch.state == TouchState.DONE,
                                       Touch.due_on <= served_on)
                .order_by(Touch.done_at.desc(), Touch.id.desc()).limit(1).correlate(Lead).scalar_subquery())
    still_open = or_(Lead.closed_at.is_(None), and_(Lead.stage == Stage.WON, Lead.won_work_order_id.is_(None)))
    now = clock.now()
    closed = list(session.execute(
        update(Lead).where(still_open, Lead.vehicle_id.is_not(None), Lead.vehicle_id.in_(recent),
                           exists().where(matches))
        .values(stage=Stage.WON, closed_at=func.coalesce(Lead.closed_at, literal(now, UTCDateTime())),
                updated_at=now, version=Lead.version + 1, won_work_order_id=first,
                won_branch_id=select(came.branch_id).where(came.id == first).scalar_subquery(),
                won_touch_id=credited)
        .returning(Lead.id)
        .execution_options(include_all_branches=True, synchronize_session=False)).scalars())
    for start in range(0, len(closed), _CHUNK):
        chunk = closed[start:start + _CHUNK]
        cancel_lead_touches(session, chunk)
        _audit(session, chunk, actor_id, now)
    return len(closed)


def _audit(session: Session, lead_ids: list[int], actor_id: int | None, now: dt.datetime) -> None:
    """One audit row per closed lead, naming its work order: a single INSERT ... SELECT."""
    rows: Any = (select(literal(now, UTCDateTime()), literal(actor_id) if actor_id else null(),
                        literal("lead.won_by_service"), literal("lead"), Lead.id, Lead.branch_id,
                        json_change("work_order", WorkOrder.number))
                 .join(WorkOrder, WorkOrder.id == Lead.won_work_order_id).where(Lead.id.in_(lead_ids)))
    session.execute(insert(AuditLog).from_select(
        ["at", "user_id", "action", "object_type", "object_id", "branch_id", "changes"], rows)
        .execution_options(include_all_branches=True))


def expire_kpb_leads(session: Session, today: dt.date) -> int:
    """A KPB lead whose deadline plus the claim grace of its own engine code's rule passed with no service: by
    default it stays open and shows as expired in the worklist; with the setting on, it closes as Lost 'KPB
    expired'."""
    if not settings.get(session, "leads.expired_kpb_becomes_lost"):
        return 0
    reason_id = session.scalar(select(LostReason.id).where(LostReason.code == "KPB_EXPIRED"))
    engine_no = func.coalesce(Lead.engine_no, select(Vehicle.engine_no).where(Vehicle.id == Lead.vehicle_id)
                              .scalar_subquery())
    grace = kpb_rule_sql(session, engine_no, Lead.kpb_number, "grace_days")
    now = clock.now()
    result = session.execute(
        update(Lead).where(Lead.closed_at.is_(None), Lead.service_kind == ServiceKind.KPB,
                           add_days(Lead.deadline, func.coalesce(grace, 0)) < today)
        .values(stage=Stage.LOST, closed_at=now, updated_at=now, lost_reason_id=reason_id,
                lost_note="otomatis: masa KPB habis", version=Lead.version + 1)
        .execution_options(include_all_branches=True, synchronize_session=False))
    cancel_lead_touches(session, select(Lead.id).where(Lead.closed_at == now, Lead.lost_reason_id == reason_id))
    return rowcount(result)
