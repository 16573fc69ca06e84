"""The lookups the lead form needs, within the viewer's branches: customers by name, phone, NIK or code,
a customer's motorcycles, and the pick lists (branches, occupations, lost reasons, mechanics and advisors)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from core.accounts.access import Perm, Viewer
from core.customers.customer import require_cddb
from core.leads.nik import show_nik
from core.platform import clock
from core.platform.errors import DomainError, NotFound
from core.platform.sqlfilters import contains, in_branches, phone_condition, prefix, visible_branch_ids
from db.enums import StaffKind
from db.models import Branch, Customer, LostReason, Occupation, Staff, Vehicle


@dataclass(frozen=True)
class CustomerHit:
    id: int
    branch_id: int
    code: str
    name: str
    phone: str | None
    nik: str  # masked unless the viewer may see it whole
    address: str | None
    city_code: str | None
    district_code: str | None
    occupation_id: int | None
    cddb_error: DomainError | None

    @property
    def label(self) -> str:
        return f"[{self.code}] {self.name}"


def _customer_hit(viewer: Viewer, c: Customer) -> CustomerHit:
    try:
        require_cddb(c)
        problem: DomainError | None = None
    except DomainError as e:
        problem = e
    return CustomerHit(c.id, c.branch_id, c.code, c.name, c.phone, show_nik(viewer, c.nik), c.address,
                       c.city_code, c.district_code, c.occupation_id, problem)


def find_customers(session: Session, viewer: Viewer, text: str, limit: int = 20) -> list[CustomerHit]:
    """Customers of the viewer's branches by name, phone (08... or +628...), NIK or customer code."""
    viewer.require(Perm.CUSTOMER_VIEW)
    text = text.strip()
    if len(text) < 2:
        return []
    upper = text.upper()
    conditions = [contains(Customer.name, upper), prefix(Customer.code, upper)]
    phone = phone_condition(Customer.phone, text)
    if phone is not None:
        conditions.append(phone)
    digits = text.replace(" ", "").replace(".", "")
    if digits.isdigit() and len(digits) >= 6:
        conditions.append(prefix(Customer.nik, digits))
    customers = session.scalars(
        select(Customer).where(or_(*conditions), in_branches(Customer.branch_id, visible_branch_ids(viewer)))
        .order_by(Customer.name, Customer.id).limit(max(1, min(limit, 100))))
    return [_customer_hit(viewer, c) for c in customers]


def customer_by_id(session: Session, viewer: Viewer, customer_id: int) -> CustomerHit:
    viewer.require(Perm.CUSTOMER_VIEW)
    customer = session.scalar(select(Customer).where(
        Customer.id == customer_id, in_branches(Customer.branch_id, visible_branch_ids(viewer))))
    if customer is None:
        raise NotFound("error.not_found", what="Customer")
    return _customer_hit(viewer, customer)


@dataclass(frozen=True)
class VehicleRow:
    id: int
    engine_no: str
    plate: str | None
    unit_name: str | None
    colour: str | None
    purchase_date: dt.date | None

    @property
    def label(self) -> str:
        return f"{self.plate or '-'} - {self.engine_no}" + (f" ({self.unit_name})" if self.unit_name else "")


def vehicles_of(session: Session, viewer: Viewer, customer_id: int) -> list[VehicleRow]:
    """The customer's motorcycles; NotFound for a customer outside the viewer's branches."""
    viewer.require(Perm.CUSTOMER_VIEW)
    scope = visible_branch_ids(viewer)
    rows = session.execute(
        select(Customer.id, Vehicle.id, Vehicle.engine_no, Vehicle.plate, Vehicle.unit_name, Vehicle.colour,
               Vehicle.purchase_date)
        .outerjoin(Vehicle, Vehicle.customer_id == Customer.id)
        .where(Customer.id == customer_id, in_branches(Customer.branch_id, scope))
        .order_by(Vehicle.id)).all()
    if not rows:
        raise NotFound("error.not_found", what="Customer")
    return [VehicleRow(*r[1:]) for r in rows if r[1] is not None]


@dataclass(frozen=True)
class Option:
    id: int
    label: str
    code: str = ""


def branches(session: Session, viewer: Viewer) -> list[Option]:
    """The active branches the viewer may pick."""
    return [Option(i, f"[{code}] {name}", code) for i, code, name in session.execute(
        select(Branch.id, Branch.code, Branch.name)
        .where(Branch.active.is_(True), in_branches(Branch.id, visible_branch_ids(viewer)))
        .order_by(Branch.code))]


def timezone(session: Session, viewer: Viewer, branch_ids: Iterable[int | None] = ()) -> str:
    """The zone a page's 'today', week start and times are in: the chosen branches' when they share one, else
    the viewer's own branches' when they share one, else head office's clock (a WITA branch sees WITA)."""
    own: tuple[int, ...] = () if viewer.all_branches else tuple(viewer.branch_ids)
    for ids in (tuple(i for i in branch_ids if i is not None), own):
        zones = set(session.scalars(select(Branch.timezone).where(Branch.id.in_(ids)))) if ids else set()
        if len(zones) == 1:
            return zones.pop()
    return clock.HEAD_OFFICE


def latest_today(session: Session, viewer: Viewer) -> dt.date:
    """The latest date it is now in any of the viewer's branches: a period "up to today" that ends on it
    leaves out nothing made in a branch east of head office (at 00:30 WITA it is still yesterday in WIB)."""
    own = select(Branch.timezone).distinct()
    if not viewer.all_branches:
        own = own.where(Branch.id.in_(viewer.branch_ids))
    zones = set(session.scalars(own)) or {clock.HEAD_OFFICE}
    return max(clock.today_in(z) for z in zones)


def occupations(session: Session) -> list[Option]:
    return [Option(i, n) for i, n in session.execute(
        select(Occupation.id, Occupation.name).where(Occupation.active.is_(True))
        .order_by(Occupation.sort, Occupation.name))]


def lost_reasons(session: Session, lang: str = "id") -> list[Option]:
    return [Option(i, en if lang == "en" else name) for i, name, en in session.execute(
        select(LostReason.id, LostReason.name_id, LostReason.name_en).where(LostReason.active.is_(True))
        .order_by(LostReason.sort, LostReason.id))]


def staff_of(session: Session, viewer: Viewer, branch_id: int, kind: StaffKind) -> list[Option]:
    """Active mechanics or service advisors of one of the viewer's branches."""
    if not viewer.may_see_branch(branch_id):
        return []
    return [Option(i, f"[{code}] {name}") for i, code, name in session.execute(
        select(Staff.id, Staff.code, Staff.name)
        .where(and_(Staff.branch_id == branch_id, Staff.kind == kind, Staff.active.is_(True)))
        .order_by(Staff.name))]
