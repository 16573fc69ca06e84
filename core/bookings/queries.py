"""Read helpers for the booking screen: the viewer's branches, a branch's pits and staff, and the
customer lookup of the walk-in booking form. Every query names its branch explicitly (on top of
the session's scope safety net)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.accounts.access import Perm, Viewer
from core.platform.sqlfilters import contains, phone_condition
from db.enums import StaffKind
from db.models import Branch, Customer, Pit, Staff, Vehicle


@dataclass(frozen=True)
class CustomerHit:
    id: int
    code: str
    name: str
    phone: str | None
    vehicles: list[tuple[int, str]] = field(default_factory=list)  # (vehicle id, "plate - engine no")

    @property
    def label(self) -> str:
        return f"{self.name} · {self.phone or '-'} · {self.code}"


@dataclass(frozen=True)
class BranchResources:
    pits: list[tuple[int, str]]
    mechanics: list[tuple[int, str]]
    advisors: list[tuple[int, str]]


def branches_for(session: Session, viewer: Viewer) -> list[Branch]:
    """Active branches the viewer may work on (all of them for head office)."""
    viewer.require(Perm.BOOKING_VIEW)
    query = select(Branch).where(Branch.active.is_(True)).order_by(Branch.code)
    if not viewer.all_branches:
        query = query.where(Branch.id.in_(viewer.branch_ids))
    return list(session.scalars(query))


def branch_resources(session: Session, viewer: Viewer, branch_id: int) -> BranchResources:
    """Active pits, mechanics and service advisors of a branch, for the booking form."""
    viewer.require(Perm.BOOKING_VIEW)
    viewer.require_branch(branch_id)
    pits = session.execute(select(Pit.id, Pit.name).where(Pit.branch_id == branch_id, Pit.active.is_(True))
                           .order_by(Pit.name)).tuples().all()
    staff = session.execute(select(Staff.id, Staff.kind, Staff.code, Staff.name).where(
        Staff.branch_id == branch_id, Staff.active.is_(True)).order_by(Staff.name)).tuples().all()
    return BranchResources(
        pits=[(i, n) for i, n in pits],
        mechanics=[(i, f"[{c}] {n}") for i, k, c, n in staff if k == StaffKind.MECHANIC],
        advisors=[(i, f"[{c}] {n}") for i, k, c, n in staff if k == StaffKind.SERVICE_ADVISOR])


def find_customers_for_booking(session: Session, viewer: Viewer, branch_id: int, text: str,
                               limit: int = 20) -> list[CustomerHit]:
    """Customers of the branch whose name contains the text or whose mobile matches it (the lead list's
    matching: 08... typed locally finds the stored +628...). Each with its vehicles."""
    viewer.require(Perm.BOOKING_CHANGE)
    viewer.require_branch(branch_id)
    text = (text or "").strip()
    if len(text) < 2:
        return []
    conditions = [contains(Customer.name, text)]
    phone = phone_condition(Customer.phone, text)
    if phone is not None:
        conditions.append(phone)
    rows = session.execute(
        select(Customer.id, Customer.code, Customer.name, Customer.phone)
        .where(Customer.branch_id == branch_id, Customer.anonymised_at.is_(None), or_(*conditions))
        .order_by(Customer.name, Customer.id).limit(limit)).tuples().all()
    ids = [r[0] for r in rows]
    vehicles: dict[int, list[tuple[int, str]]] = {}
    if ids:
        for vid, cid, plate, engine_no in session.execute(
                select(Vehicle.id, Vehicle.customer_id, Vehicle.plate, Vehicle.engine_no)
                .where(Vehicle.customer_id.in_(ids)).order_by(Vehicle.id)).tuples():
            vehicles.setdefault(cid or 0, []).append((vid, f"{plate or '-'} - {engine_no}"))
    return [CustomerHit(i, c, n, p, vehicles.get(i, [])) for i, c, n, p in rows]
