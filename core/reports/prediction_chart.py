"""Grafik "predicted vs actual arrival": for the last 12 weeks, per branch and week of the leads' predicted
due day (core.prediction times them), how many were due, how many came, and how far from the day they were
expected (the deadline moved by the branch's arrival habit) they came (mean absolute days) and how many came
before the H-7 touch. One GROUP BY in SQL."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from core.accounts.access import Perm, Viewer
from core.platform import settings
from core.platform.i18n import register
from core.platform.sqlfilters import in_branches, visible_branch_ids
from core.platform.sqlfuncs import day_number
from core.prediction import arrival
from core.reports.sql import week_start
from db.models import Branch, Lead, WorkOrder

WEEKS = 12

register({
    "chart.prediction": {"id": "Perkiraan vs kedatangan servis (12 minggu)",
                         "en": "Predicted vs actual service arrival (12 weeks)"},
    "chart.prediction.due": {"id": "Jatuh tempo (perkiraan)", "en": "Due (predicted)"},
    "chart.prediction.came": {"id": "Datang", "en": "Came"},
    "chart.prediction.error": {"id": "Selisih rata-rata (hari)", "en": "Mean error (days)"},
    "chart.prediction.early": {"id": "Datang sebelum H-7", "en": "Came before H-7"},
})


def arrival_vs_predicted(session: Session, viewer: Viewer, today: dt.date,
                         branch_ids: tuple[int, ...] = ()) -> list[tuple[dt.date, str, int, int, float | None, int]]:
    """(Monday, branch code, due, came, mean |came - predicted| days, came before H-7) per week and branch."""
    viewer.require(Perm.REPORT_VIEW)
    start = today - dt.timedelta(weeks=WEEKS)
    h7 = settings.get(session, "sop.message_days_before")
    # Against the day each lead's customer was expected (its deadline before the habit was measured), and
    # early: before the H-7 message, which counts back from that day (never after the deadline).
    gap = day_number(WorkOrder.service_date) - day_number(func.coalesce(Lead.expected_on, Lead.deadline))
    before_h7 = day_number(WorkOrder.service_date) - day_number(arrival.touch_day()) < -h7
    week = week_start(Lead.deadline)
    rows = session.execute(
        select(week.label("week"), Branch.code, func.count(Lead.id), func.count(WorkOrder.id),
               func.avg(func.abs(gap)), func.sum(case((before_h7, 1), else_=0)))
        .join(Branch, Branch.id == Lead.branch_id)
        .outerjoin(WorkOrder, WorkOrder.id == Lead.won_work_order_id)
        .where(Lead.deadline >= start, Lead.deadline <= today,
               in_branches(Lead.branch_id, visible_branch_ids(viewer, branch_ids)))
        .group_by(week, Branch.code).order_by(week, Branch.code))
    return [(_date(w), code, int(due), int(came), None if err is None else round(float(err), 1), int(early or 0))
            for w, code, due, came, err, early in rows]


def _date(value: object) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
