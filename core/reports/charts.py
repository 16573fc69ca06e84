"""The chart pages' numbers, read from the pre-aggregated `report_daily` counts (what they count:
core.reports.chart_counts; kept fresh by the worker: core.reports.chart_refresh): the pages only sum a
few thousand of those rows, so they stay fast over millions of leads. How fresh: `freshness()`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import cast, func, select
from sqlalchemy.orm import Session

from core.accounts.access import Perm, Viewer
from core.platform.sqlfilters import in_branches, visible_branch_ids
from core.reports.chart_counts import _str
from core.reports.chart_refresh import NEVER, REFRESH_NAME
from core.reports.recap import Period
from core.reports.sql import week_start
from db.enums import Stage
from db.models import Branch, ReportDaily, ReportRefresh, User


def freshness(session: Session) -> dt.datetime | None:
    """When the counts were last rebuilt (the pages show 'data per ...')."""
    at = session.scalar(select(ReportRefresh.refreshed_at).where(ReportRefresh.name == REFRESH_NAME))
    return at if at is not None and at > NEVER else None


# The charts ask for the recap's period: inclusive branch-local days and branches, start <= end checked once.
ChartQuery = Period


def _where(viewer: Viewer, q: ChartQuery, metric: str) -> list[Any]:
    return [ReportDaily.metric == metric, ReportDaily.day >= q.start, ReportDaily.day <= q.end,
            in_branches(ReportDaily.branch_id, visible_branch_ids(viewer, q.branch_ids))]


def by_branch(session: Session, viewer: Viewer, q: ChartQuery, metric: str) -> list[tuple[str, str, int]]:
    """(branch code, key, count) summed over the period."""
    viewer.require(Perm.REPORT_VIEW)
    rows = session.execute(
        select(Branch.code, ReportDaily.key, func.sum(ReportDaily.n)).join(Branch, Branch.id == ReportDaily.branch_id)
        .where(*_where(viewer, q, metric)).group_by(Branch.code, ReportDaily.key)
        .order_by(Branch.code, ReportDaily.key))
    return [(code, key, int(n)) for code, key, n in rows]


def by_key(session: Session, viewer: Viewer, q: ChartQuery, metric: str) -> dict[str, int]:
    """key -> count summed over the period and branches."""
    viewer.require(Perm.REPORT_VIEW)
    rows = session.execute(select(ReportDaily.key, func.sum(ReportDaily.n)).where(*_where(viewer, q, metric))
                           .group_by(ReportDaily.key))
    return {key: int(n) for key, n in rows}


def by_week(session: Session, viewer: Viewer, q: ChartQuery, metric: str) -> list[tuple[dt.date, str, int]]:
    """(Monday, key, count) week by week."""
    viewer.require(Perm.REPORT_VIEW)
    week = week_start(ReportDaily.day)
    rows = session.execute(select(week.label("week"), ReportDaily.key, func.sum(ReportDaily.n))
                           .where(*_where(viewer, q, metric)).group_by(week, ReportDaily.key).order_by(week))
    return [(_date(w), key, int(n)) for w, key, n in rows]


def by_month(session: Session, viewer: Viewer, q: ChartQuery, metric: str) -> list[tuple[dt.date, str, int]]:
    """(day, key, count) per stored day: for metrics stored per month (retention: purchase month)."""
    viewer.require(Perm.REPORT_VIEW)
    rows = session.execute(select(ReportDaily.day, ReportDaily.key, func.sum(ReportDaily.n))
                           .where(*_where(viewer, q, metric)).group_by(ReportDaily.day, ReportDaily.key)
                           .order_by(ReportDaily.day))
    return [(_date(d), key, int(n)) for d, key, n in rows]


def funnel(session: Session, viewer: Viewer, q: ChartQuery) -> list[tuple[str, int]]:
    """Leads -> contacted -> opportunity -> booked -> came, over leads created in the period."""
    stages = by_key(session, viewer, q, "stage")
    extra = by_key(session, viewer, q, "funnel")
    return [("Leads", sum(stages.values())), ("Contacted", extra.get("contacted", 0)),
            ("Opportunity", sum(n for k, n in stages.items() if k != Stage.LEAD.value)),
            ("Booked", extra.get("booked", 0)), ("Came", stages.get(Stage.WON.value, 0))]


def admin_productivity(session: Session, viewer: Viewer, q: ChartQuery) -> list[tuple[str, str, int]]:
    """(branch, admin name, follow-ups done) over the period."""
    viewer.require(Perm.REPORT_VIEW)
    rows = session.execute(
        select(Branch.code, User.full_name, func.sum(ReportDaily.n))
        .join(Branch, Branch.id == ReportDaily.branch_id)
        .join(User, cast(User.id, _str()) == ReportDaily.key)
        .where(*_where(viewer, q, "admin")).group_by(Branch.code, User.full_name)
        .order_by(func.sum(ReportDaily.n).desc()))
    return [(code, name, int(n)) for code, name, n in rows]


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
