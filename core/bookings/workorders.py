"""Work orders (unit entries) and what their arrival does to open leads."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, aliased

from core.accounts.access import Viewer
from core.customers.job_types import kpb_number_of_job, normalize_job_type
from core.leads.closing import close_leads_served
from core.leads.touches import plan_feedback_calls
from core.privacy import audit
from db.models import Vehicle, WorkOrder


def record_work_order(session: Session, viewer: Viewer, *, branch_id: int, number: str, vehicle_id: int,
                      customer_id: int | None, service_date: dt.date, job_type: str, km: int | None = None,
                      pit_id: int | None = None, mechanic_id: int | None = None,
                      service_advisor_id: int | None = None) -> WorkOrder:
    """Store a unit entry, close the vehicle's leads it serves as Won (core.leads.closing) and plan its H+3
    feedback call."""
    viewer.require_branch(branch_id)
    job = normalize_job_type(job_type)
    wo = WorkOrder(branch_id=branch_id, number=number, vehicle_id=vehicle_id, customer_id=customer_id,
                   service_date=service_date, job_type=job, kpb_number=kpb_number_of_job(job), km=km,
                   pit_id=pit_id, mechanic_id=mechanic_id, service_advisor_id=service_advisor_id)
    session.add(wo)
    session.flush()
    audit.record(session, viewer, "work_order.create", wo)
    refresh_last_service(session, [vehicle_id])
    close_leads_served(session, actor_id=viewer.user_id, work_order_ids=[wo.id])
    plan_feedback_calls(session, work_order_ids=[wo.id])
    return wo


def refresh_last_service(session: Session, vehicle_ids: list[int] | None = None) -> None:
    """Set-based: each vehicle's latest work order (date, job, branch) onto the vehicle row, for the
    lead engine's 'not back for N days' windows. Any path that stores work orders calls this for the
    vehicles it touched (None: every vehicle)."""
    latest = aliased(WorkOrder)

    def of_latest(col: Any) -> Any:
        return (select(col).where(latest.vehicle_id == Vehicle.id)
                .order_by(latest.service_date.desc(), latest.id.desc()).limit(1).scalar_subquery())

    stmt = update(Vehicle).values(last_service_date=of_latest(latest.service_date),
                                  last_job_type=of_latest(latest.job_type),
                                  last_service_branch_id=of_latest(latest.branch_id))
    if vehicle_ids is not None:
        stmt = stmt.where(Vehicle.id.in_(vehicle_ids))
    session.execute(stmt.execution_options(include_all_branches=True, synchronize_session=False))
