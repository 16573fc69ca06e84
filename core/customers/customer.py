"""The customer master (CDDB): completeness, in-place completion, and edits from a lead."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.accounts.access import Perm, Viewer
from core.customers.nik import normalize_nik
from core.customers.phone import normalize_phone
from core.platform import clock, numbering
from core.platform.errors import DomainError, FieldList, MultipleErrors, NotFound, ValidationError
from core.platform.i18n import register
from core.privacy import audit
from db.models import Customer, Occupation

register({
    "customer.no_cddb": {
        "id": "Customer belum memiliki CDDB, silakan lengkapi CDDB terlebih dahulu: {missing}.",
        "en": "The customer has no CDDB yet; complete it first: {missing}.",
    },
    "customer.nik_taken": {
        "id": "No KTP ini sudah dipakai customer {owner}.",
        "en": "This KTP number already belongs to customer {owner}.",
    },
    "customer.required": {"id": "wajib diisi", "en": "is required"},
    "customer.unknown_occupation": {"id": "pekerjaan tidak dikenal", "en": "unknown occupation"},
})

# What a CDDB needs before the customer can carry a lead (AHM's customer database record).
CDDB_FIELDS = ("name", "nik", "phone", "address", "city_code", "occupation")


def cddb_missing_fields(customer: Customer) -> list[str]:
    """Rule: a customer has a CDDB when all of CDDB_FIELDS are filled; lists what is missing."""
    values = {
        "name": customer.name, "nik": customer.nik, "phone": customer.phone, "address": customer.address,
        "city_code": customer.city_code, "occupation": customer.occupation_id,
    }
    return [f for f in CDDB_FIELDS if values[f] in (None, "")]


def require_cddb(customer: Customer) -> None:
    missing = cddb_missing_fields(customer)
    if missing:
        raise cddb_error(missing)


def cddb_error(missing: list[str]) -> DomainError:
    """The seed's 'customer has no CDDB yet' naming each missing field in the reader's language."""
    return DomainError("customer.no_cddb", missing=FieldList(missing), fields=missing)


@dataclass
class CustomerInput:
    """Fields a user may type for a customer; None = leave as is."""

    name: str | None = None
    nik: str | None = None
    phone: str | None = None
    address: str | None = None
    city_code: str | None = None
    district_code: str | None = None
    occupation_id: int | None = None


def clean_customer_fields(session: Session, data: CustomerInput) -> dict[str, Any]:
    """Validate and normalise every given field at once; all errors reported together."""
    errors: list[DomainError] = []
    out: dict[str, Any] = {}
    checks = {"nik": normalize_nik, "phone": normalize_phone}
    for field in ("name", "nik", "phone", "address", "city_code", "district_code"):
        raw = getattr(data, field)
        if raw is None:
            continue
        raw = str(raw).strip()
        if raw == "":
            if field == "name":
                errors.append(ValidationError("customer.required", field="name", value=raw))
            else:
                out[field] = None
            continue
        try:
            out[field] = checks[field](raw) if field in checks else (raw.upper() if field == "name" else raw)
        except ValidationError as e:
            errors.append(e)
    if data.occupation_id is not None:
        if session.get(Occupation, data.occupation_id) is None:
            errors.append(ValidationError("customer.unknown_occupation", field="occupation",
                                          value=data.occupation_id))
        else:
            out["occupation_id"] = data.occupation_id
    if errors:
        raise errors[0] if len(errors) == 1 else MultipleErrors(errors)
    return out


def _check_nik_free(session: Session, nik: str | None, customer_id: int | None) -> None:
    if not nik:
        return
    # The NIK is unique across the dealer: look beyond the viewer's branches (only the code is shown).
    owner = session.execute(
        select(Customer.id, Customer.code).where(Customer.nik == nik),
        execution_options={"include_all_branches": True},
    ).first()
    if owner is not None and owner.id != customer_id:
        raise ValidationError("customer.nik_taken", field="nik", value=nik, owner=owner.code)


def get_customer(session: Session, viewer: Viewer, customer_id: int) -> Customer:
    viewer.require(Perm.CUSTOMER_VIEW)
    customer = session.get(Customer, customer_id)
    if customer is None or not viewer.may_see_branch(customer.branch_id):
        raise NotFound("error.not_found", what="customer")
    return customer


def update_customer(session: Session, viewer: Viewer, customer_id: int, data: CustomerInput) -> Customer:
    """Edit the CDDB (in place from a lead, or on the customer page)."""
    viewer.require(Perm.CUSTOMER_CHANGE)
    customer = get_customer(session, viewer, customer_id)
    fields = clean_customer_fields(session, data)
    _check_nik_free(session, fields.get("nik"), customer.id)
    changes = audit.apply(customer, fields)
    if changes:
        audit.record(session, viewer, "customer.update", customer, changes=changes)
    session.flush()
    return customer


def create_customer(session: Session, viewer: Viewer, branch_id: int, data: CustomerInput) -> Customer:
    viewer.require(Perm.CUSTOMER_CHANGE)
    viewer.require_branch(branch_id)
    if not data.name:
        raise ValidationError("customer.required", field="name", value=data.name)
    fields = clean_customer_fields(session, data)
    _check_nik_free(session, fields.get("nik"), None)
    customer = Customer(branch_id=branch_id, code=numbering.next_customer_code(session, clock.now().date()),
                        **fields)
    session.add(customer)
    session.flush()
    audit.record(session, viewer, "customer.create", customer)
    return customer
