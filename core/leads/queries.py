"""Read-only queries for the screens: the lead list (filters, sorting, paging in SQL), one lead with
everything its form shows, stage counts, and the lookups the lead form needs.

Every function applies the viewer's branch scope explicitly (the session's safety net is the second
line) and selects plain columns with joins, so each call runs a fixed number of statements whatever
the page size. Personal data is shaped here: the NIK is masked unless the viewer may see it whole.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from core.accounts.access import Perm, Viewer
from core.customers.customer import require_cddb
from core.customers.nik import mask_nik
from core.customers.vehicle_ids import normalize_plate
from core.platform import clock
from core.platform.errors import DomainError, NotFound, ValidationError
from core.platform.paging import Paged
from core.platform.sqlfilters import contains, in_branches, phone_condition, prefix, visible_branch_ids
from core.platform.sqlfuncs import sorted_after, stage_scanned, unindexed
from db.enums import ContactStatus, Priority, ServiceKind, StaffKind, Stage, Temperature
from db.models import Branch, Customer, FollowUp, Lead, LostReason, Occupation, Staff, User, Vehicle

Sort = Literal["created_desc", "deadline_asc", "number_asc"]
SORTS: tuple[Sort, ...] = ("created_desc", "deadline_asc", "number_asc")
OPPORTUNITY_STAGES = (Stage.NEW, Stage.FU1, Stage.FU2, Stage.FU3, Stage.WON, Stage.LOST)
FEW_TO_SORT = 5_000  # search matches fetched and sorted rather than found by walking the newest first


# --- NIK ----------------------------------------------------------------------------------------


def _show_nik(viewer: Viewer, nik: str | None) -> str:
    if not nik:
        return ""
    return nik if viewer.can(Perm.NIK_FULL) else mask_nik(nik)


# --- Lead list ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LeadFilter:
    text: str = ""
    stages: tuple[Stage, ...] = ()
    branch_ids: tuple[int, ...] = ()
    kpb_number: int | None = None
    temperature: Temperature | None = None
    contact_status: ContactStatus | None = None
    source: str | None = None  # sales source: Showroom / CRM / ...
    created_from: dt.date | None = None
    created_to: dt.date | None = None  # inclusive
    sort: Sort = "created_desc"
    tz: str = "Asia/Jakarta"  # the day boundaries of created_from/created_to
    assigned_user_id: int | None = None  # the admin the lead is shared out to
    unassigned: bool = False  # only leads no admin has yet
    open_only: bool = False  # only leads not closed (distribution works on these)


@dataclass(frozen=True)
class LeadRow:
    id: int
    created_at: dt.datetime
    branch_code: str
    branch_name: str
    number: str
    contact_name: str | None
    phone: str | None
    stage: Stage
    source_document: str | None
    sales_source: str | None
    deadline: dt.date | None
    kpb_number: int | None
    plate: str | None
    engine_no: str | None
    temperature: Temperature | None
    contact_status: ContactStatus | None
    branch_timezone: str
    customer_id: int | None
    assigned_to: str | None  # the admin's name
    nik: str  # masked unless the viewer may see it whole

    @property
    def branch_label(self) -> str:
        return f"[{self.branch_code}] {self.branch_name}"


@dataclass(frozen=True)
class LeadPage(Paged):
    rows: list[LeadRow]
    total: int
    page: int
    page_size: int


def _search_condition(text: str) -> ColumnElement[bool] | None:
    """The search box: lead number, contact name, phone, plate, engine number (all kept on the lead and
    on ix_lead_branch_created_search, so a branch's search never reads its rows)."""
    text = text.strip()
    if not text:
        return None
    upper = text.upper()
    conditions: list[ColumnElement[bool]] = [contains(Lead.number, upper), contains(Lead.contact_name, upper)]
    phone = phone_condition(Lead.phone, text)
    if phone is not None:
        conditions.append(phone)
    with contextlib.suppress(ValidationError):
        conditions.append(prefix(Lead.plate, normalize_plate(text)))  # 'KT 2146' finds KT 2146 FK
    compact = upper.replace(" ", "").replace("-", "")
    if len(compact) >= 4 and compact.isalnum():
        conditions.append(prefix(Lead.engine_no, compact))
    return or_(*conditions)


def _lead_conditions(viewer: Viewer, f: LeadFilter) -> list[ColumnElement[bool]]:
    conditions = [in_branches(Lead.branch_id, visible_branch_ids(viewer, f.branch_ids))]
    search = _search_condition(f.text)
    if search is not None:
        conditions.append(search)
    if f.stages:
        conditions.append(stage_scanned(Lead.stage).in_(f.stages))
    if f.kpb_number is not None:
        conditions.append(Lead.kpb_number == f.kpb_number)
    if f.temperature is not None:
        conditions.append(Lead.temperature == f.temperature)
    if f.contact_status is not None:
        conditions.append(Lead.contact_status == f.contact_status)
    if f.source:
        conditions.append(Lead.sales_source == f.source)
    if f.created_from is not None:
        conditions.append(Lead.created_at >= clock.at_local(f.created_from, 0, 0, f.tz))
    if f.created_to is not None:
        conditions.append(Lead.created_at < clock.at_local(f.created_to + dt.timedelta(days=1), 0, 0, f.tz))
    if f.assigned_user_id is not None:
        conditions.append(Lead.assigned_user_id == f.assigned_user_id)
    if f.unassigned:
        conditions.append(Lead.assigned_user_id.is_(None))
    if f.open_only:
        conditions.append(Lead.closed_at.is_(None))
    return conditions


_ORDER: dict[str, tuple[ColumnElement[Any], ...]] = {
    "created_desc": (Lead.created_at.desc(), Lead.id.desc()),
    "deadline_asc": (Lead.deadline.asc().nulls_last(), Lead.id.asc()),
    "number_asc": (Lead.number.asc(),),
}


def list_leads(session: Session, viewer: Viewer, f: LeadFilter, page: int = 1, page_size: int = 50) -> LeadPage:
    """One page of the lead list and the total count: two statements, whatever the page size."""
    viewer.require(Perm.LEAD_VIEW)
    page, page_size = max(1, page), max(1, min(page_size, 500))
    conditions = _lead_conditions(viewer, f)
    # count(*), not count(id): PostgreSQL can then answer from an index alone (index-only scan), where
    # reading id sends it to the table for every one of a branch's 71,000 leads.
    count: Select[Any] = select(func.count()).select_from(Lead)
    total = session.scalar(count.where(*conditions)) or 0
    if total <= (page - 1) * page_size:  # nothing on this page (a search that found nothing): no second scan
        return LeadPage([], total, page, page_size)
    order = _ORDER.get(f.sort, _ORDER["created_desc"])
    few_found = bool(f.text.strip()) and total <= FEW_TO_SORT and visible_branch_ids(viewer, f.branch_ids) is None
    if f.sort == "created_desc" and few_found:
        # Over every branch, walking the creation-time index reads row after row to find a rare match
        # (54 s for one lead number among 5,000,000 on SQLite); the count says there are few: find
        # them through the search's own index and sort those.
        order = (unindexed(Lead.created_at).desc(), Lead.id.desc())
    elif f.sort == "created_desc" and f.stages:
        order = (sorted_after(Lead.created_at).desc(), Lead.id.desc())
    # The page's ids first, from the index alone where it can (a search's conditions are on the index's
    # columns: PostgreSQL would otherwise read every row it tests, 71,000 for a lead number the branch
    # lacks), then only those rows.
    page_ids = (select(Lead.id).where(*conditions).order_by(*order)
                .limit(page_size).offset((page - 1) * page_size).subquery())
    rows = session.execute(
        select(Lead.id, Lead.created_at, Branch.code, Branch.name, Lead.number, Lead.contact_name, Lead.phone,
               Lead.stage, Lead.source_document, Lead.sales_source, Lead.deadline, Lead.kpb_number,
               Lead.plate, Lead.engine_no, Lead.temperature, Lead.contact_status, Branch.timezone,
               Lead.customer_id, User.full_name, Lead.nik)
        .join(page_ids, page_ids.c.id == Lead.id)
        .join(Branch, Branch.id == Lead.branch_id)
        .outerjoin(User, User.id == Lead.assigned_user_id)
        .order_by(*_ORDER.get(f.sort, _ORDER["created_desc"]))
    ).all()
    return LeadPage([LeadRow(*tuple(r)[:-1], nik=_show_nik(viewer, r[-1])) for r in rows],  # type: ignore[misc]
                    total, page, page_size)


def stage_counts(session: Session, viewer: Viewer, branch_ids: Iterable[int] | None = None) -> dict[Stage, int]:
    """Leads per stage in the viewer's (requested) branches: one GROUP BY; every stage present."""
    viewer.require(Perm.LEAD_VIEW)
    scope = visible_branch_ids(viewer, branch_ids)
    counts = dict.fromkeys(Stage, 0)
    for stage, n in session.execute(
            select(Lead.stage, func.count()).where(in_branches(Lead.branch_id, scope)).group_by(Lead.stage)):
        counts[stage] = n
    return counts


# --- One lead -----------------------------------------------------------------------------------


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
        address=lead.address, nik=_show_nik(viewer, lead.nik), nik_is_full=viewer.can(Perm.NIK_FULL),
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


# --- Lookups for the lead form ------------------------------------------------------------------


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
    return CustomerHit(c.id, c.branch_id, c.code, c.name, c.phone, _show_nik(viewer, c.nik), c.address,
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
