"""UU PDP data-subject rights: "export my data" and anonymisation of one customer.

Both are head-office acts (Perm.PRIVACY_MANAGE) and both are audited. The export walks every
table that refers to a customer (any `customer_id` column, plus follow-ups through their lead),
so a table added later (e.g. the messaging outbox) is exported without anyone remembering it.
Anonymisation blanks what identifies the person but keeps the rows, so counts of leads, work
orders and bookings per branch and month stay the same.
"""

from __future__ import annotations

import datetime as dt
import enum
import io
import json
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.accounts.access import Perm, Viewer
from core.platform import clock
from core.platform.cell_safety import xlsx_row
from core.platform.errors import DomainError, NotFound, ValidationError
from core.platform.i18n import register
from core.privacy import audit, consent as privacy
from db.base import Base
from db.models import AuditLog, Booking, Customer, FollowUp, Lead, Vehicle

register({
    "privacy.already_anonymised": {
        "id": "Customer ini sudah dianonimkan pada {at}.", "en": "This customer was anonymised on {at}.",
    },
    "privacy.confirm_code": {
        "id": "ketik kode customer untuk konfirmasi", "en": "type the customer code to confirm",
    },
    "privacy.export_format": {"id": "format harus xlsx atau json", "en": "format must be xlsx or json"},
})

ANONYMOUS_NAME = "ANONIM"
REDACTED = "[anonim]"
# Customer fields that identify the person; region down to the city is kept for the statistics.
_CUSTOMER_BLANKS = ("nik", "phone", "phone2", "address", "district_code", "village_code", "postal_code",
                    "birth_date", "consent_source")
_LEAD_BLANKS = ("contact_name", "phone", "nik", "address", "plate", "note", "lost_note")
# Audit rows keep who did what; the personal values in them go.
_PERSONAL_AUDIT_FIELDS = {"name", "nik", "phone", "phone2", "address", "birth_date", "contact_name", "plate",
                          "mobile", "district_code", "village_code", "postal_code"}


def _customer_for_rights(session: Session, viewer: Viewer, customer_id: int) -> Customer:
    viewer.require(Perm.PRIVACY_MANAGE)
    customer = session.get(Customer, customer_id)
    if customer is None or not viewer.may_see_branch(customer.branch_id):
        raise NotFound("error.not_found", what="customer")
    return customer


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _rows(session: Session, table: Any, where: Any) -> list[dict[str, Any]]:
    stmt = select(table).where(where)
    if "id" in table.c:
        stmt = stmt.order_by(table.c.id)
    return [{k: _plain(v) for k, v in row._mapping.items()} for row in session.execute(stmt)]


def customer_data(session: Session, viewer: Viewer, customer_id: int) -> dict[str, list[dict[str, Any]]]:
    """Everything we hold about the customer, table by table (tables with no rows left out)."""
    customer = _customer_for_rights(session, viewer, customer_id)
    # Core statements on tables bypass the ORM scope; the viewer was checked above (head office).
    out: dict[str, list[dict[str, Any]]] = {"customer": _rows(session, Customer.__table__, Customer.id == customer.id)}
    for table in Base.metadata.sorted_tables:
        if table.name != "customer" and "customer_id" in table.c:
            rows = _rows(session, table, table.c.customer_id == customer.id)
            if rows:
                out[table.name] = rows
    lead_ids = select(Lead.id).where(Lead.customer_id == customer.id).scalar_subquery()
    followups = _rows(session, FollowUp.__table__, FollowUp.lead_id.in_(lead_ids))
    if followups:
        out["followup"] = followups
    return out


def export_customer(session: Session, viewer: Viewer, customer_id: int, fmt: str = "json") -> bytes:
    """Rule: a customer's data can be exported on request (UU PDP), as JSON or xlsx; audited."""
    if fmt not in ("json", "xlsx"):
        raise ValidationError("privacy.export_format", field="fmt", value=fmt)
    data = customer_data(session, viewer, customer_id)
    if fmt == "json":
        body = json.dumps(data, ensure_ascii=False, indent=1, default=str).encode()
    else:
        wb = Workbook(write_only=True)
        for name, rows in data.items():
            ws = wb.create_sheet(name[:31])
            headers = list(rows[0])
            ws.append(headers)
            for row in rows:  # the customer's texts as string cells, never formulas (core.platform.cell_safety)
                ws.append(xlsx_row(ws, [row[h] if not isinstance(row[h], dict | list) else json.dumps(row[h])
                                        for h in headers]))
        buf = io.BytesIO()
        wb.save(buf)
        body = buf.getvalue()
    customer = session.get(Customer, customer_id)
    audit.record(session, viewer, "customer.data_export", customer,
                 note=f"{fmt}: " + ", ".join(f"{k}={len(v)}" for k, v in data.items()))
    session.flush()
    return body


def anonymise_customer(session: Session, viewer: Viewer, customer_id: int, *, confirm_code: str) -> Customer:
    """Rule: anonymisation keeps the statistics. Name, NIK, phones, address, birth date are blanked
    on the customer and copied fields on their leads and bookings; plates are cleared; consent is
    withdrawn and planned touches cancelled. The rows stay, so counts per branch and month do not
    change. `confirm_code` must repeat the customer code (the screen's confirm step)."""
    customer = _customer_for_rights(session, viewer, customer_id)
    if customer.anonymised_at is not None:
        raise DomainError("privacy.already_anonymised", at=customer.anonymised_at.strftime("%d/%m/%Y"))
    if (confirm_code or "").strip().upper() != customer.code.upper():
        raise ValidationError("privacy.confirm_code", field="confirm_code", value=confirm_code)
    now = clock.now()
    privacy.withdraw_consent(session, customer.id, channel="anonymisation", proof=f"anonymised by {viewer.username}",
                             at=now, viewer=viewer)
    customer.name = ANONYMOUS_NAME
    for field in _CUSTOMER_BLANKS:
        setattr(customer, field, None)
    customer.anonymised_at = now
    # Set-based: a customer may have many leads; the viewer (head office) was checked above.
    all_branches = {"include_all_branches": True, "synchronize_session": False}
    session.execute(update(Lead).where(Lead.customer_id == customer.id)
                    .values({f: None for f in _LEAD_BLANKS}).execution_options(**all_branches))
    session.execute(update(Booking).where(Booking.customer_id == customer.id)
                    .values(mobile=None, complaint=None).execution_options(**all_branches))
    session.execute(update(Vehicle).where(Vehicle.customer_id == customer.id)
                    .values(plate=None).execution_options(**all_branches))
    _redact_audit(session, customer.id)
    session.flush()
    audit.record(session, viewer, "customer.anonymise", customer,
                 note="blanked: name, " + ", ".join(_CUSTOMER_BLANKS) + "; leads, bookings, plates")
    session.flush()
    return customer


def _redact_audit(session: Session, customer_id: int) -> None:
    """Old and new values of personal fields in the customer's (and their leads') audit rows."""
    lead_ids = select(Lead.id).where(Lead.customer_id == customer_id).scalar_subquery()
    rows = session.scalars(select(AuditLog).where(
        ((AuditLog.object_type == "customer") & (AuditLog.object_id == customer_id))
        | ((AuditLog.object_type == "lead") & AuditLog.object_id.in_(lead_ids)))).all()
    for row in rows:
        if row.changes and _PERSONAL_AUDIT_FIELDS & set(row.changes):
            row.changes = {k: ([REDACTED, REDACTED] if k in _PERSONAL_AUDIT_FIELDS else v)
                           for k, v in row.changes.items()}
