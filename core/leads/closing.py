"""Leads closed by the daily run: open leads whose service arrived close as Won (also right after a work-order
import, core.intake.importer), and KPB leads whose claim period passed close as Lost when the setting says so.
Each is one set-based UPDATE over every branch; closing cancels the leads' remaining touches."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, exists, func, literal, or_, select, update
from sqlalchemy.orm import Session, aliased

from core.leads.touches import cancel_lead_touches
from core.masterdata.reference import DEFAULT_ENGINE_CODE
from core.platform import clock, settings
from core.platform.sqlfuncs import add_days, rowcount
from db.enums import ServiceKind, Stage
from db.models import KpbRule, Lead, LostReason, WorkOrder


def close_leads_served(session: Session, *, since: dt.date | None = None) -> int:
    """Rule: open leads whose service arrived (any branch, any intake path) close as Won, crediting the
    work order's branch. KPB n leads close on a KPB n (or later) job; regular leads on any job done
    after the lead's last service. One UPDATE for all of them."""
    wo = aliased(WorkOrder)
    matches = and_(
        wo.vehicle_id == Lead.vehicle_id,
        or_(and_(Lead.service_kind == ServiceKind.KPB, wo.kpb_number >= Lead.kpb_number),
            and_(Lead.service_kind == ServiceKind.REG,
                 wo.service_date > func.coalesce(Lead.last_service_date, literal(dt.date(1900, 1, 1))))))
    recent: list[Any] = []
    if since is not None:
        matches = and_(matches, wo.service_date >= since)
        # Start from the recent work orders' vehicles, not from every open lead.
        recent = [Lead.vehicle_id.in_(select(WorkOrder.vehicle_id).where(WorkOrder.service_date >= since))]
    first_match = (select(wo.id).where(matches).order_by(wo.service_date, wo.id).limit(1)
                   .correlate(Lead).scalar_subquery())
    credited = aliased(WorkOrder)
    now = clock.now()
    closed = session.execute(
        update(Lead).where(Lead.closed_at.is_(None), Lead.vehicle_id.is_not(None), *recent, exists().where(matches))
        .values(stage=Stage.WON, closed_at=now, updated_at=now, version=Lead.version + 1,
                won_work_order_id=first_match,
                won_branch_id=select(credited.branch_id).where(credited.id == first_match).scalar_subquery())
        .returning(Lead.id)
        .execution_options(include_all_branches=True, synchronize_session=False)).scalars().all()
    if closed:
        cancel_lead_touches(session, list(closed))
    return len(closed)


def expire_kpb_leads(session: Session, today: dt.date) -> int:
    """A KPB lead whose deadline (plus the claim grace) passed with no service: by default it stays
    open and shows as expired in the worklist; with the setting on, it closes as Lost 'KPB expired'."""
    if not settings.get(session, "leads.expired_kpb_becomes_lost"):
        return 0
    reason_id = session.scalar(select(LostReason.id).where(LostReason.code == "KPB_EXPIRED"))
    grace = (select(KpbRule.grace_days).where(KpbRule.engine_code == DEFAULT_ENGINE_CODE,
                                              KpbRule.kpb_number == Lead.kpb_number).scalar_subquery())
    now = clock.now()
    result = session.execute(
        update(Lead).where(Lead.closed_at.is_(None), Lead.service_kind == ServiceKind.KPB,
                           add_days(Lead.deadline, func.coalesce(grace, 0)) < today)
        .values(stage=Stage.LOST, closed_at=now, updated_at=now, lost_reason_id=reason_id,
                lost_note="otomatis: masa KPB habis", version=Lead.version + 1)
        .execution_options(include_all_branches=True, synchronize_session=False))
    cancel_lead_touches(session, select(Lead.id).where(Lead.closed_at == now, Lead.lost_reason_id == reason_id))
    return rowcount(result)
