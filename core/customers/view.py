"""The customer and vehicle view: the CDDB record as the viewer may see it, the customer's motorcycles,
and an audit entry for each viewing of the personal data (UU PDP: who viewed what)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.accounts.access import Perm, Viewer
from core.customers.customer import cddb_missing_fields
from core.customers.nik import mask_nik
from core.leads.lookups import VehicleRow, vehicles_of
from core.platform.errors import NotFound
from core.platform.sqlfilters import in_branches, visible_branch_ids
from core.privacy import consent as privacy
from db.models import Branch, Customer, Lead, Occupation


@dataclass(frozen=True)
class CustomerProfile:
    id: int
    code: str
    name: str
    branch_label: str
    nik: str  # masked unless the viewer may see it whole
    nik_is_full: bool
    phone: str | None
    address: str | None
    city_code: str | None
    district_code: str | None
    occupation: str | None
    birth_date: dt.date | None
    consent_contact: bool
    consent_message: bool
    cddb_missing: list[str]
    open_leads: int
    vehicles: list[VehicleRow]
    timezone: str  # the customer's branch's: its timeline is shown in that branch's time


def customer_profile(session: Session, viewer: Viewer, customer_id: int) -> CustomerProfile:
    """The customer's CDDB and motorcycles; NotFound outside the viewer's branches. The viewing is
    logged by the privacy rule (core.privacy.consent.record_personal_view: once per user, customer and window,
    so the page's reruns do not flood the log)."""
    viewer.require(Perm.CUSTOMER_VIEW)
    row = session.execute(
        select(Customer, Branch.code, Branch.name, Occupation.name, Branch.timezone)
        .join(Branch, Branch.id == Customer.branch_id)
        .outerjoin(Occupation, Occupation.id == Customer.occupation_id)
        .where(Customer.id == customer_id, in_branches(Customer.branch_id, visible_branch_ids(viewer)))).first()
    if row is None:
        raise NotFound("error.not_found", what="Customer")
    customer, b_code, b_name, occupation, tz = row
    full = viewer.can(Perm.NIK_FULL)
    open_leads = int(session.scalar(select(func.count(Lead.id)).where(
        Lead.customer_id == customer.id, Lead.closed_at.is_(None),
        in_branches(Lead.branch_id, visible_branch_ids(viewer)))) or 0)
    privacy.record_personal_view(session, viewer, "customer.view", customer,
                                 note="nik_full" if full else "nik_masked")
    return CustomerProfile(
        id=customer.id, code=customer.code, name=customer.name, branch_label=f"[{b_code}] {b_name}",
        nik=(customer.nik or "") if full else mask_nik(customer.nik), nik_is_full=full,
        phone=customer.phone, address=customer.address, city_code=customer.city_code,
        district_code=customer.district_code, occupation=occupation, birth_date=customer.birth_date,
        consent_contact=customer.consent_contact, consent_message=customer.consent_message,
        cddb_missing=cddb_missing_fields(customer), open_leads=open_leads,
        vehicles=vehicles_of(session, viewer, customer.id), timezone=tz)
