"""Read-only queries for the lead list: filters, search, sorting and paging in SQL, and the stage counts.

Every function applies the viewer's branch scope explicitly (the session's safety net is the second
line) and selects plain columns with joins, so each call runs a fixed number of statements whatever
the page size. Personal data is shaped here: the NIK is masked unless the viewer may see it whole.
One lead with everything its form shows is core.leads.detail; the lead form's lookups core.leads.lookups.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, case, func, or_, select
from sqlalchemy.orm import Session

from core.accounts.access import Perm, Viewer
from core.customers.vehicle_ids import normalize_plate
from core.leads import search_index
from core.leads.nik import show_nik
from core.platform import clock
from core.platform.errors import ValidationError
from core.platform.paging import Paged
from core.platform.sqlfilters import (
    contains,
    in_branches,
    phone_condition,
    phone_pattern,
    prefix,
    visible_branch_ids,
)
from core.platform.sqlfuncs import sorted_after, stage_scanned, unindexed
from db.enums import ContactStatus, Stage, Temperature
from db.models import Branch, Lead, User

Sort = Literal["created_desc", "created_asc", "deadline_asc", "deadline_desc", "number_asc", "number_desc",
               "name_asc", "name_desc", "stage_asc"]
SORTS: tuple[Sort, ...] = ("created_desc", "created_asc", "deadline_asc", "deadline_desc", "number_asc",
                           "number_desc", "name_asc", "name_desc", "stage_asc")
OPPORTUNITY_STAGES = (Stage.NEW, Stage.FU1, Stage.FU2, Stage.FU3, Stage.WON, Stage.LOST)
FEW_TO_SORT = 5_000  # search matches fetched and sorted rather than found by walking the newest first


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
    tz: str = clock.HEAD_OFFICE  # the day boundaries of created_from/created_to (pages pass the branch's)
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
    unit_name: str | None = None  # the motorcycle's model (a phone's list shows it with the plate)

    @property
    def branch_label(self) -> str:
        return f"[{self.branch_code}] {self.branch_name}"


@dataclass(frozen=True)
class LeadPage(Paged):
    rows: list[LeadRow]
    total: int
    page: int
    page_size: int


def _search_arms(text: str) -> list[tuple[ColumnElement[bool], str, str]]:
    """The search box's arms as (condition, column, needle): lead number, contact name, phone, plate, engine
    number (all kept on the lead and on ix_lead_branch_created_search, so a branch's search never reads its
    rows). The needle is a text every lead the arm matches holds in that column, case aside (what
    core.leads.search_index asks the trigram index for)."""
    text = text.strip()
    if not text:
        return []
    upper = text.upper()
    arms = [(contains(Lead.number, upper), "number", upper),
            (contains(Lead.contact_name, upper), "contact_name", upper)]
    phone = phone_pattern(text)
    condition = phone_condition(Lead.phone, text)
    if phone is not None and condition is not None:
        arms.append((condition, "phone", phone[1]))
    with contextlib.suppress(ValidationError):
        plate = normalize_plate(text)
        arms.append((prefix(Lead.plate, plate), "plate", plate))  # 'KT 2146' finds KT 2146 FK
    compact = upper.replace(" ", "").replace("-", "")
    if len(compact) >= 4 and compact.isalnum():
        arms.append((prefix(Lead.engine_no, compact), "engine_no", compact))
    return arms


def _search_condition(text: str, *, every_branch_on: str | None = None) -> ColumnElement[bool] | None:
    """The search box's condition; over every branch (every_branch_on = the dialect) asked of the head
    office search index (core.leads.search_index): the same leads, found without a scan."""
    arms = _search_arms(text)
    if not arms:
        return None
    condition = or_(*(c for c, _, _ in arms))
    if every_branch_on is None:
        return condition
    return search_index.narrowed(condition, [(col, needle) for _, col, needle in arms], every_branch_on)


def _lead_conditions(viewer: Viewer, f: LeadFilter, dialect: str | None = None) -> list[ColumnElement[bool]]:
    """The list's WHERE; given the dialect, a search over every branch goes through the search index."""
    scope = visible_branch_ids(viewer, f.branch_ids)
    conditions = [in_branches(Lead.branch_id, scope)]
    search = _search_condition(f.text, every_branch_on=dialect if scope is None else None)
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


# The pipeline's order (Lead, New, Follow Up 1..3, Won, Lost), not the codes' alphabetical one.
_STAGE_RANK = case({stage: rank for rank, stage in enumerate(
    (Stage.LEAD, Stage.NEW, Stage.FU1, Stage.FU2, Stage.FU3, Stage.WON, Stage.LOST))}, value=Lead.stage, else_=9)

_ORDER: dict[str, tuple[ColumnElement[Any], ...]] = {
    "created_desc": (Lead.created_at.desc(), Lead.id.desc()),
    "deadline_asc": (Lead.deadline.asc().nulls_last(), Lead.id.asc()),
    "number_asc": (Lead.number.asc(),),
    # The list's columns sort in SQL (the list is paged: sorting one page in the browser would mislead).
    "created_asc": (Lead.created_at.asc(), Lead.id.asc()),
    "deadline_desc": (Lead.deadline.desc().nulls_last(), Lead.id.desc()),
    "number_desc": (Lead.number.desc(),),
    "name_asc": (Lead.contact_name.asc().nulls_last(), Lead.id.asc()),
    "name_desc": (Lead.contact_name.desc().nulls_last(), Lead.id.desc()),
    "stage_asc": (_STAGE_RANK.asc(), Lead.deadline.asc().nulls_last(), Lead.id.asc()),
}


def list_leads(session: Session, viewer: Viewer, f: LeadFilter, page: int = 1, page_size: int = 50) -> LeadPage:
    """One page of the lead list and the total count: two statements, whatever the page size."""
    viewer.require(Perm.LEAD_VIEW)
    page, page_size = max(1, page), max(1, min(page_size, 500))
    conditions = _lead_conditions(viewer, f, session.get_bind().dialect.name)
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
               Lead.customer_id, User.full_name, Lead.nik, Lead.unit_name)
        .join(page_ids, page_ids.c.id == Lead.id)
        .join(Branch, Branch.id == Lead.branch_id)
        .outerjoin(User, User.id == Lead.assigned_user_id)
        .order_by(*_ORDER.get(f.sort, _ORDER["created_desc"]))
    ).all()
    return LeadPage([LeadRow(*tuple(r)[:-2], nik=show_nik(viewer, r[-2]), unit_name=r[-1])  # type: ignore[misc]
                     for r in rows],
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
