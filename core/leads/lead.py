"""Leads before they become opportunities: saving with mandatory fields, priority, the CDDB
check, contact edits that flow to the customer master, and conversion to an opportunity."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, case, select, update
from sqlalchemy.orm import Session, aliased

from core.accounts.access import Perm, Viewer
from core.customers.customer import (
    CustomerInput,
    cddb_error,
    cddb_missing_fields,
    clean_customer_fields,
    require_cddb,
    update_customer,
)
from core.leads.touches import plan_lead_touches
from core.platform import clock, concurrency, numbering
from core.platform.errors import DomainError, MultipleErrors, NotFound, ValidationError
from core.platform.i18n import register
from core.privacy import audit
from db.enums import LeadCategory, Priority, ServiceKind, Stage
from db.models import Booking, Branch, Customer, Lead, Vehicle, WorkOrder

register({
    "lead.required": {"id": "wajib diisi", "en": "is required"},
    "lead.not_a_lead": {
        "id": "Lead {number} sudah menjadi opportunity; ubah lewat tahap follow up.",
        "en": "Lead {number} is already an opportunity; change it through its follow-up stage.",
    },
    "lead.closed": {
        "id": "Lead {number} sudah {stage} dan tidak bisa diubah lagi.",
        "en": "Lead {number} is {stage} and can no longer be changed.",
    },
    "lead.vehicle_not_customers": {
        "id": "Motor ini bukan milik customer yang dipilih.",
        "en": "This motorcycle does not belong to the chosen customer.",
    },
    "lead.kpb_number_range": {"id": "KPB ke harus 1 sampai 4", "en": "KPB number must be 1 to 4"},
})

# The seed's blue fields: a lead cannot be saved without them.
MANDATORY_FIELDS = ("branch", "customer", "occupation", "phone")


@dataclass
class LeadInput:
    """What the lead form sends. Contact fields edit the customer master as well."""

    branch_id: int | None = None
    customer_id: int | None = None
    vehicle_id: int | None = None
    phone: str | None = None
    nik: str | None = None
    address: str | None = None
    occupation_id: int | None = None
    sales_source: str | None = "CRM"
    service_kind: ServiceKind = ServiceKind.REG
    kpb_number: int | None = None
    deadline: dt.date | None = None
    note: str | None = None
    extra: dict[str, object] = field(default_factory=dict)


def priority_for(nik: str | None, phone: str | None) -> Priority:
    """Rule: priority is High when the KTP number and the phone are both present."""
    return Priority.HIGH if nik and phone else Priority.NORMAL


def priority_sql(nik: Any, phone: Any) -> Any:
    """The same rule as a SQL expression, for leads created in bulk (core.leads.leadgen)."""
    return case((and_(nik.is_not(None), nik != "", phone.is_not(None), phone != ""), Priority.HIGH.value),
                else_=Priority.NORMAL.value)


def missing_mandatory(branch_id: int | None, customer_id: int | None, occupation_id: int | None,
                      phone: str | None) -> list[str]:
    """Rule: branch, customer, occupation (Pekerjaan) and phone are mandatory on a lead."""
    values = {"branch": branch_id, "customer": customer_id, "occupation": occupation_id, "phone": phone}
    return [f for f in MANDATORY_FIELDS if values[f] in (None, "")]


def _raise_missing(missing: list[str], values: dict[str, object]) -> None:
    if missing:
        errors: list[DomainError] = [ValidationError("lead.required", field=f, value=values.get(f))
                                     for f in missing]
        raise errors[0] if len(errors) == 1 else MultipleErrors(errors)


def get_lead(session: Session, viewer: Viewer, lead_id: int, *, for_update: bool = False) -> Lead:
    viewer.require(Perm.LEAD_VIEW)
    lead = session.get(Lead, lead_id, with_for_update=for_update or None)
    if lead is None or not viewer.may_see_branch(lead.branch_id):
        raise NotFound("error.not_found", what="lead")
    return lead


def check_open(lead: Lead) -> None:
    """Rule: Won and Lost are final; nothing on the record changes any more."""
    if lead.stage in (Stage.WON, Stage.LOST):
        raise DomainError("lead.closed", number=lead.number, stage=lead.stage.value.upper())


def check_version(session: Session, obj: Lead | Booking, expected_version: int | None) -> None:
    """Optimistic concurrency: refuse a save made on a stale copy (see core.platform.concurrency)."""
    concurrency.check_version(session, obj, expected_version)


def lead_for_change(session: Session, viewer: Viewer, lead_id: int, expected_version: int | None) -> Lead:
    """The lead, locked, for a change: permission, branch, still open, and not changed meanwhile."""
    viewer.require(Perm.LEAD_CHANGE)
    lead = get_lead(session, viewer, lead_id, for_update=True)
    check_open(lead)
    check_version(session, lead, expected_version)
    return lead


def save_lead(session: Session, viewer: Viewer, data: LeadInput, lead_id: int | None = None,
              expected_version: int | None = None) -> Lead:
    """Create or edit a lead from the form. Contact edits also update the customer master."""
    viewer.require(Perm.LEAD_CHANGE)
    lead = None
    branch_id: int | None
    if lead_id is not None:
        lead = get_lead(session, viewer, lead_id, for_update=True)
        check_open(lead)
        check_version(session, lead, expected_version)
        if lead.stage != Stage.LEAD:
            raise DomainError("lead.not_a_lead", number=lead.number)
        branch_id = lead.branch_id  # a lead stays in its branch
    else:
        branch_id = data.branch_id if data.branch_id is not None else _only_branch(viewer)
    contact = clean_customer_fields(session, CustomerInput(
        phone=data.phone, nik=data.nik, address=data.address, occupation_id=data.occupation_id))
    customer = session.get(Customer, data.customer_id) if data.customer_id is not None else None
    if data.customer_id is not None and (customer is None or not viewer.may_see_branch(customer.branch_id)):
        raise NotFound("error.not_found", what="customer")
    # The form starts from the customer's CDDB values; what the user typed wins.
    phone = contact.get("phone", customer.phone if customer else None)
    occupation_id = contact.get("occupation_id") or (customer.occupation_id if customer else None)
    _raise_missing(missing_mandatory(branch_id, data.customer_id, occupation_id, phone),
                   {"branch": branch_id, "customer": data.customer_id, "occupation": occupation_id,
                    "phone": data.phone})
    assert branch_id is not None and customer is not None
    viewer.require_branch(branch_id)
    vehicle = _vehicle_of(session, data.vehicle_id, customer)
    if data.kpb_number is not None and not 1 <= data.kpb_number <= 4:
        raise ValidationError("lead.kpb_number_range", field="kpb_number", value=data.kpb_number)
    # Edits of address/NIK/phone/occupation on the lead update the customer master.
    update_customer(session, viewer, customer.id, CustomerInput(**{
        k: v for k, v in contact.items() if k in ("phone", "nik", "address", "occupation_id")}))
    require_cddb(customer)

    values = {
        "customer_id": customer.id, "vehicle_id": vehicle.id if vehicle else None,
        "customer_code": customer.code, **vehicle_snapshot(vehicle), "contact_name": customer.name,
        "phone": customer.phone, "nik": customer.nik,
        "address": customer.address, "occupation_id": customer.occupation_id,
        "sales_source": data.sales_source, "service_kind": data.service_kind,
        "kpb_number": data.kpb_number if data.service_kind == ServiceKind.KPB else None,
        "deadline": data.deadline, "note": data.note,
        "priority": priority_for(customer.nik, customer.phone),
    }
    if lead is None:
        branch = session.get(Branch, branch_id)
        assert branch is not None
        today = clock.today_in(branch.timezone)
        last = _last_service(session, vehicle.id) if vehicle else None
        lead = Lead(branch_id=branch_id, category=LeadCategory.MANUAL, stage=Stage.LEAD,
                    last_service_type=last[0] if last else None, last_service_date=last[1] if last else None,
                    number=numbering.next_lead_number(session, branch.code, today),
                    due_key=_due_key(data), created_by_id=viewer.user_id, assigned_user_id=viewer.user_id,
                    **values)
        session.add(lead)
        session.flush()
        plan_lead_touches(session, lead_ids=[lead.id])
        audit.record(session, viewer, "lead.create", lead)
    else:
        changes = audit.apply(lead, values)
        if changes:  # an unchanged form writes nothing: no UPDATE, no new version, no audit row
            session.flush()
            audit.record(session, viewer, "lead.update", lead, changes=changes)
    return lead


def vehicle_snapshot(vehicle: Vehicle | None) -> dict[str, object]:
    """The unit's fields a lead keeps (see Lead: the unit may belong to another branch)."""
    return {
        "engine_no": vehicle.engine_no if vehicle else None, "plate": vehicle.plate if vehicle else None,
        "unit_type_code": vehicle.unit_type_code if vehicle else None,
        "unit_name": vehicle.unit_name if vehicle else None, "colour": vehicle.colour if vehicle else None,
        "sales_date": vehicle.purchase_date if vehicle else None,
    }


def fill_snapshots(session: Session, *, created_at: object | None = None) -> None:
    """Set-based: copy unit and customer code onto leads that lack them (bulk-created leads)."""
    v, c = aliased(Vehicle), aliased(Customer)

    def from_vehicle(col: Any) -> Any:
        return select(col).where(v.id == Lead.vehicle_id).scalar_subquery()

    where: list[Any] = [Lead.engine_no.is_(None), Lead.vehicle_id.is_not(None)]
    if created_at is not None:
        where.append(Lead.created_at == created_at)
    session.execute(
        update(Lead).where(*where).values(
            engine_no=from_vehicle(v.engine_no), plate=from_vehicle(v.plate),
            unit_type_code=from_vehicle(v.unit_type_code), unit_name=from_vehicle(v.unit_name),
            colour=from_vehicle(v.colour), sales_date=from_vehicle(v.purchase_date),
            customer_code=select(c.code).where(c.id == Lead.customer_id).scalar_subquery())
        .execution_options(include_all_branches=True, synchronize_session=False))


def _last_service(session: Session, vehicle_id: int) -> tuple[str, dt.date] | None:
    """The seed's 'Type/Date Last Service': the vehicle's latest work order, at any branch."""
    row = session.execute(
        select(WorkOrder.job_type, WorkOrder.service_date).where(WorkOrder.vehicle_id == vehicle_id)
        .order_by(WorkOrder.service_date.desc(), WorkOrder.id.desc()).limit(1),
        execution_options={"include_all_branches": True}).first()
    return (row[0], row[1]) if row else None


def _due_key(data: LeadInput) -> str:
    if data.service_kind == ServiceKind.KPB and data.kpb_number:
        return f"KPB{data.kpb_number}"
    return f"REG:{data.deadline.isoformat()}" if data.deadline else "MANUAL"


def _only_branch(viewer: Viewer) -> int | None:
    """A branch user with one branch gets it filled in (the seed's 'branch fills itself')."""
    return next(iter(viewer.branch_ids)) if len(viewer.branch_ids) == 1 else None


def _vehicle_of(session: Session, vehicle_id: int | None, customer: Customer) -> Vehicle | None:
    if vehicle_id is None:
        return None
    vehicle = session.get(Vehicle, vehicle_id)
    if vehicle is None or vehicle.customer_id != customer.id:
        raise ValidationError("lead.vehicle_not_customers", field="engine_no", value=vehicle_id)
    return vehicle


def _refuse_incomplete(session: Session, lead: Lead) -> None:
    """Rule: everything that stops a conversion is named at once, the lead's mandatory fields and the
    customer's CDDB fields together, so one round of filling in is enough."""
    values = {"branch": lead.branch_id, "customer": lead.customer_id, "occupation": lead.occupation_id,
              "phone": lead.phone}
    errors: list[DomainError] = [ValidationError("lead.required", field=f, value=values[f])
                                 for f in missing_mandatory(lead.branch_id, lead.customer_id, lead.occupation_id,
                                                            lead.phone)]
    # The lead's own customer, wherever registered (bought in Manado, serviced here): only which CDDB fields are
    # missing is read, and the viewer may change this lead (lead_for_change checked it).
    customer = session.scalars(select(Customer).where(Customer.id == lead.customer_id).execution_options(
        include_all_branches=True)).one_or_none() if lead.customer_id else None
    cddb = cddb_missing_fields(customer) if customer is not None else []
    if cddb:
        errors.append(cddb_error(cddb))
    if errors:
        raise errors[0] if len(errors) == 1 else MultipleErrors(errors)


def convert_to_opportunity(session: Session, viewer: Viewer, lead_id: int,
                           expected_version: int | None = None) -> Lead:
    """Rule: only a saved lead with its mandatory fields and a complete CDDB becomes an opportunity."""
    lead = lead_for_change(session, viewer, lead_id, expected_version)
    if lead.stage != Stage.LEAD:
        raise DomainError("lead.not_a_lead", number=lead.number)
    _refuse_incomplete(session, lead)
    changes = audit.apply(lead, {"stage": Stage.NEW})
    lead.converted_at = clock.now()  # when: the audit row's own time
    session.flush()
    audit.record(session, viewer, "lead.convert", lead, changes=changes)
    return lead
