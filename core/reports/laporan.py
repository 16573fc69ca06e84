"""Report 'Laporan CRM' (the seed's export wizard): its filter, the rows it lists and the report charts'
aggregates. Every query applies the viewer's branch scope explicitly; the NIK is masked unless the
viewer may see it whole. The files (xlsx, CSV), their permission and audit: core.reports.laporan_export.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.orm import Session

from core.accounts.access import Perm, Viewer
from core.platform import clock
from core.platform.errors import ValidationError
from core.platform.sqlfilters import in_branches, visible_branch_ids
from core.reports.sql import count_when
from db.enums import Stage, Temperature
from db.models import Branch, Lead

Kind = Literal["all", "leads", "opportunity"]
KINDS: tuple[Kind, ...] = ("all", "leads", "opportunity")
REPORT_STAGES: tuple[Stage, ...] = (Stage.FU1, Stage.FU2, Stage.FU3, Stage.WON, Stage.LOST)
OPEN_OPPORTUNITY = (Stage.NEW, Stage.FU1, Stage.FU2, Stage.FU3)

LAPORAN_COLUMNS: tuple[str, ...] = (
    "Creation Date", "Branch", "Admin", "Subject", "Customer", "Phone", "No KTP", "Pekerjaan", "Sales Source",
    "Stage", "Type Last Service", "Date Last Service", "Rekomendasi Service", "KPB Ke", "KPB Date Expired",
    "Sales Date", "Type Unit", "Engine No", "Plate", "Follow Up 1", "Next Plan FU2", "Follow Up 2", "Next Plan FU3",
    "Follow Up 3", "Opportunity Status", "Status Customer", "Last Contact", "Last Contact Status", "Promised Date",
    "Lost Reason", "Lost Note", "Note",
)
# The columns that hold a date: real date cells in the xlsx (they sort and filter), dd/mm/yyyy in the CSV.
LAPORAN_DATE_COLUMNS: frozenset[str] = frozenset({
    "Creation Date", "Date Last Service", "KPB Date Expired", "Sales Date", "Follow Up 1", "Next Plan FU2",
    "Follow Up 2", "Next Plan FU3", "Follow Up 3", "Last Contact", "Promised Date"})



@dataclass(frozen=True)
class ReportFilter:
    """The wizard: type (all/leads/opportunity), stage (only with opportunity; None = all), the
    period of lead creation in branch-local days (inclusive; a day or a month are just ranges) and
    the branches (empty = every branch the viewer may see)."""

    kind: Kind = "all"
    stage: Stage | None = None
    created_from: dt.date | None = None
    created_to: dt.date | None = None
    branch_ids: tuple[int, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValidationError("report.kind", field="kind", value=self.kind)
        if self.stage is not None and (self.kind != "opportunity" or self.stage not in REPORT_STAGES):
            raise ValidationError("report.stage", field="stage", value=self.stage)
        if self.created_from and self.created_to and self.created_from > self.created_to:
            raise ValidationError("report.period", field="created_to", value=self.created_to)

    def describe(self) -> str:
        def day(d: dt.date | None) -> str:
            return d.strftime("%d/%m/%Y") if d else "-"
        return (f"tipe={self.kind} stage={self.stage.value if self.stage else 'all'} "
                f"tanggal={day(self.created_from)}..{day(self.created_to)} "
                f"cabang={','.join(map(str, sorted(self.branch_ids))) or 'semua'}")


# --- Conditions ---------------------------------------------------------------------------------


def _period(session: Session, f: ReportFilter) -> ColumnElement[bool] | None:
    """Lead creation within branch-local days: one range per time zone the branches use (WIB,
    WITA, WIT), matched on the joined branch's zone."""
    if f.created_from is None and f.created_to is None:
        return None
    parts = []
    for (tz,) in session.execute(select(Branch.timezone).distinct()):
        cond = [Branch.timezone == tz]
        if f.created_from is not None:
            cond.append(Lead.created_at >= clock.at_local(f.created_from, 0, 0, tz))
        if f.created_to is not None:
            cond.append(Lead.created_at < clock.at_local(f.created_to + dt.timedelta(days=1), 0, 0, tz))
        parts.append(and_(*cond))
    return or_(*parts) if parts else false()


def _conditions(session: Session, viewer: Viewer, f: ReportFilter, *, with_kind: bool = True
                ) -> list[ColumnElement[bool]]:
    conditions = [in_branches(Lead.branch_id, visible_branch_ids(viewer, f.branch_ids))]
    if with_kind:
        if f.kind == "leads":
            conditions.append(Lead.stage == Stage.LEAD)
        elif f.kind == "opportunity":
            conditions.append(Lead.stage == f.stage if f.stage else Lead.stage != Stage.LEAD)
    period = _period(session, f)
    if period is not None:
        conditions.append(period)
    return conditions


# --- Rows ---------------------------------------------------------------------------------------


def count_rows(session: Session, viewer: Viewer, f: ReportFilter) -> int:
    """How many rows the report has (the wizard's preview)."""
    viewer.require(Perm.REPORT_VIEW)
    return session.scalar(select(func.count(Lead.id)).select_from(Lead).join(Branch, Branch.id == Lead.branch_id)
                          .where(*_conditions(session, viewer, f))) or 0


# --- Chart aggregates ---------------------------------------------------------------------------


def prospect_status_by_branch(session: Session, viewer: Viewer, f: ReportFilter) -> list[tuple[str, int, int, int]]:
    """(branch code, HOT, MEDIUM, COLD) over the open opportunities the filter's period and branches
    select: one GROUP BY."""
    viewer.require(Perm.REPORT_VIEW)
    rows = session.execute(
        select(Branch.code, count_when(Lead.temperature == Temperature.HOT),
               count_when(Lead.temperature == Temperature.MEDIUM), count_when(Lead.temperature == Temperature.COLD))
        .select_from(Lead).join(Branch, Branch.id == Lead.branch_id)
        .where(*_conditions(session, viewer, f, with_kind=False), Lead.stage.in_(OPEN_OPPORTUNITY))
        .group_by(Branch.code).order_by(Branch.code))
    return [(code, int(hot), int(medium), int(cold)) for code, hot, medium, cold in rows]


def won_lost_by_branch(session: Session, viewer: Viewer, f: ReportFilter) -> list[tuple[str, int, int, int]]:
    """(branch code, won, lost, open) over the opportunities the filter's period and branches select:
    one GROUP BY."""
    viewer.require(Perm.REPORT_VIEW)
    rows = session.execute(
        select(Branch.code, count_when(Lead.stage == Stage.WON), count_when(Lead.stage == Stage.LOST),
               count_when(Lead.stage.in_(OPEN_OPPORTUNITY)))
        .select_from(Lead).join(Branch, Branch.id == Lead.branch_id)
        .where(*_conditions(session, viewer, f, with_kind=False), Lead.stage != Stage.LEAD)
        .group_by(Branch.code).order_by(Branch.code))
    return [(code, int(won), int(lost), int(open_)) for code, won, lost, open_ in rows]
