"""One lead with everything its form shows: its follow-ups, its customer's CDDB problem while it is a
lead, and the NIK masked unless the viewer may see it whole."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.accounts.access import Perm, Viewer
from core.customers.customer import require_cddb
from core.leads.nik import show_nik
from core.platform.errors import DomainError, NotFound
from core.platform.sqlfilters import in_branches, visible_branch_ids
from db.enums import ContactStatus, Priority, ServiceKind, Stage, Temperature
from db.models import Branch, Customer, FollowUp, Lead, LostReason, Occupation


@dataclass(frozen=True)
class FollowUpRow:
    stage_number: int
    done_on: dt.date
    channel: str
    contact_status: ContactStatus
    temperature: Temperature | None
    promised_date: dt.date | None
    note: str | None


@dataclass(frozen=True)
class LeadDetail:
    id: int
    number: str
    version: int
    stage: Stage
    priority: Priority
    branch_id: int
    branch_label: str
    branch_timezone: str
    created_at: dt.datetime
    customer_id: int | None
    customer_label: str
    contact_name: str | None
    address: str | None
    nik: str  # masked unless the viewer may see it whole
    nik_is_full: bool
    phone: str | None
    occupation_id: int | None
    occupation_name: str | None
    sales_source: str | None
    source_document: str | None
    last_service_type: str | None
    last_service_date: dt.date | None
    service_kind: ServiceKind
    kpb_number: int | None
    deadline: dt.date | None
    sales_date: dt.date | None
    vehicle_id: int | None
    unit_type: str | None
    product: str | None
    engine_no: str | None
    plate: str | None
    fu1_date: dt.date | None
    next_plan_fu2: dt.date | None
    fu2_date: dt.date | None
    next_plan_fu3: dt.date | None
    fu3_date: dt.date | None
    temperature: Temperature | None
    contact_status: ContactStatus | None
    promised_date: dt.date | None
    note: str | None
    lost_reason: str | None
    lost_note: str | None
    # Filled when the customer's CDDB is incomplete: the rule's own error (core.customers.customer).
    cddb_error: DomainError | None = None
    followups: list[FollowUpRow] = field(default_factory=list)

    @property
    def is_closed(self) -> bool:
        return self.stage in (Stage.WON, Stage.LOST)

    @property
    def vehicle_label(self) -> str:
        return f"{self.plate or '-'} - {self.engine_no}" if self.engine_no else "-"


def lead_detail(session: Session, viewer: Viewer, lead_id: int) -> LeadDetail:
    """Everything the lead form shows; NotFound for a lead outside the viewer's branches."""
    viewer.require(Perm.LEAD_VIEW)
    row = session.execute(
        select(Lead, Branch.code, Branch.name, Branch.timezone, Lead.customer_code, Lead.contact_name,
               Occupation.name, Lead.unit_type_code, Lead.unit_name, Lead.colour, Lead.engine_no, Lead.plate,
               Lead.sales_date, LostReason.name_id, LostReason.name_en)
        .join(Branch, Branch.id == Lead.branch_id)
        .outerjoin(Occupation, Occupation.id == Lead.occupation_id)
        .outerjoin(LostReason, LostReason.id == Lead.lost_reason_id)
        .where(Lead.id == lead_id, in_branches(Lead.branch_id, visible_branch_ids(viewer)))
    ).first()
    if row is None:
        raise NotFound("error.not_found", what="Lead")
    (lead, b_code, b_name, b_tz, c_code, c_name, occupation, unit_code, unit_name, colour, engine_no, plate,
     purchase_date, reason_id, reason_en) = row
    followups = [FollowUpRow(f.stage_number, f.done_on, f.channel.value, f.contact_status, f.temperature,
                             f.promised_date, f.note)
                 for f in session.scalars(select(FollowUp).where(FollowUp.lead_id == lead.id)
                                          .order_by(FollowUp.id))]
    return LeadDetail(
        id=lead.id, number=lead.number, version=lead.version, stage=lead.stage, priority=lead.priority,
        branch_id=lead.branch_id, branch_label=f"[{b_code}] {b_name}", branch_timezone=b_tz,
        created_at=lead.created_at, customer_id=lead.customer_id,
        customer_label=f"[{c_code}] {c_name}" if c_code else "-", contact_name=lead.contact_name,
        address=lead.address, nik=show_nik(viewer, lead.nik), nik_is_full=viewer.can(Perm.NIK_FULL),
        phone=lead.phone, occupation_id=lead.occupation_id, occupation_name=occupation,
        sales_source=lead.sales_source, source_document=lead.source_document,
        last_service_type=lead.last_service_type, last_service_date=lead.last_service_date,
        service_kind=lead.service_kind, kpb_number=lead.kpb_number, deadline=lead.deadline,
        sales_date=purchase_date, vehicle_id=lead.vehicle_id,
        unit_type=f"{unit_code} [{unit_name}]" if unit_code and unit_name else (unit_code or unit_name),
        product=f"{unit_code} ({colour})" if unit_code and colour else None, engine_no=engine_no, plate=plate,
        fu1_date=lead.fu1_date, next_plan_fu2=lead.next_plan_fu2, fu2_date=lead.fu2_date,
        next_plan_fu3=lead.next_plan_fu3, fu3_date=lead.fu3_date, temperature=lead.temperature,
        contact_status=lead.contact_status, promised_date=lead.promised_date, note=lead.note,
        lost_reason=(reason_en if viewer.lang == "en" else reason_id), lost_note=lead.lost_note,
        cddb_error=_cddb_error(session, lead.customer_id) if lead.stage == Stage.LEAD else None,
        followups=followups)


def _cddb_error(session: Session, customer_id: int | None) -> DomainError | None:
    customer = session.get(Customer, customer_id) if customer_id is not None else None
    if customer is None:
        return None
    try:
        require_cddb(customer)
    except DomainError as e:
        return e
    return None
