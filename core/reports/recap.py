"""The weekly monitoring recap (the seed's "form monitoring follow up reminder service") and PICA
(why follow-ups failed), per branch; every number is one GROUP BY, and PICA's lists are paged in SQL.

Recap: a lead is counted in the week (Monday to Sunday) of its first reminder (its first recorded
follow-up), once, so the weeks add up. Of those reminded: came for KPB (Won, KPB lead: the unit came
to a branch of the dealer), came for regular service (Won, regular lead), did not come (the rest),
split by the reason given (the lost reason; "masih di-follow up" while the lead is open).

PICA: each failed follow-up by cause: the customer rejected (FollowUp 'rejected'), could not be
reached (FollowUp 'tidak terhubung'), or the branch did not follow up (a reminder touch still planned
after its day). Per branch and admin: the admin who logged the attempt; for a missed touch, the
admin the lead is assigned to."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from openpyxl import Workbook
from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.orm import Session

from core.accounts.access import Perm, Viewer
from core.platform import clock, xlsx_layout
from core.platform.cell_safety import xlsx_row
from core.platform.errors import ValidationError
from core.platform.sqlfilters import in_branches, visible_branch_ids
from core.reports.sql import count_when, week_start
from db.enums import ContactStatus, ServiceKind, Stage, TouchKind, TouchState
from db.models import Branch, FollowUp, Lead, LostReason, Touch, User

Cause = Literal["rejected", "not_connected", "not_followed"]
CAUSES: tuple[Cause, ...] = ("rejected", "not_connected", "not_followed")
CAUSE_LABEL: dict[Cause, str] = {"rejected": "Rejected", "not_connected": "Tidak Terhubung",
                                 "not_followed": "Cabang tidak follow up"}
# The reminders the SOP plans for a lead (H-7 message, H-3 call): one left planned past its day is a
# follow-up the branch did not do.
REMINDER_KINDS = (TouchKind.MESSAGE_H7, TouchKind.CALL_H3)
STILL_OPEN = "Masih di-follow up"
NO_REASON = "Tanpa alasan"
UNASSIGNED = "(belum dibagi)"


@dataclass(frozen=True)
class Period:
    """Inclusive branch-local days; the branches (empty = every branch the viewer may see)."""

    start: dt.date
    end: dt.date
    branch_ids: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise ValidationError("report.period", field="end", value=self.end)


@dataclass(frozen=True)
class RecapRow:
    branch: str
    week: dt.date  # Monday
    reminded: int
    came_kpb: int
    came_reg: int
    not_came: int


@dataclass(frozen=True)
class PicaRow:
    branch_id: int
    branch: str
    user_id: int | None
    admin: str
    rejected: int
    not_connected: int
    not_followed: int

    @property
    def total(self) -> int:
        return self.rejected + self.not_connected + self.not_followed


def _first_reminders(viewer: Viewer, p: Period) -> Any:
    """(lead_id, first_on): each lead's first follow-up, for leads first reminded in the period."""
    first = func.min(FollowUp.done_on)
    return (select(FollowUp.lead_id, first.label("first_on"))
            .where(in_branches(FollowUp.branch_id, visible_branch_ids(viewer, p.branch_ids)))
            .group_by(FollowUp.lead_id)
            .having(first >= p.start, first <= p.end)
            .subquery())


def weekly_recap(session: Session, viewer: Viewer, p: Period) -> list[RecapRow]:
    """One row per branch and week: reminded, came for KPB, came for regular service, did not come."""
    viewer.require(Perm.REPORT_VIEW)
    fr = _first_reminders(viewer, p)
    week = week_start(fr.c.first_on)
    won = Lead.stage == Stage.WON
    rows = session.execute(
        select(Branch.code, week.label("week"), func.count(),
               count_when(and_(won, Lead.service_kind == ServiceKind.KPB)),
               count_when(and_(won, Lead.service_kind == ServiceKind.REG)), count_when(Lead.stage != Stage.WON))
        .select_from(fr).join(Lead, Lead.id == fr.c.lead_id).join(Branch, Branch.id == Lead.branch_id)
        .group_by(Branch.code, week).order_by(Branch.code, week))
    return [RecapRow(code, _as_date(wk), int(n), int(kpb), int(reg), int(no)) for code, wk, n, kpb, reg, no in rows]


def not_came_reasons(session: Session, viewer: Viewer, p: Period) -> list[tuple[str, dt.date, str, int]]:
    """(branch, week, reason, leads) for the reminded leads that did not come."""
    viewer.require(Perm.REPORT_VIEW)
    fr = _first_reminders(viewer, p)
    week = week_start(fr.c.first_on)
    reason = case((Lead.stage == Stage.LOST, func.coalesce(LostReason.name_id, literal(NO_REASON))),
                  else_=literal(STILL_OPEN))
    rows = session.execute(
        select(Branch.code, week.label("week"), reason.label("reason"), func.count())
        .select_from(fr).join(Lead, Lead.id == fr.c.lead_id).join(Branch, Branch.id == Lead.branch_id)
        .outerjoin(LostReason, LostReason.id == Lead.lost_reason_id)
        .where(Lead.stage != Stage.WON)
        .group_by(Branch.code, week, reason)
        .order_by(Branch.code, week, reason))
    return [(code, _as_date(wk), why, int(n)) for code, wk, why, n in rows]


def _as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


# --- PICA ---------------------------------------------------------------------------------------


def _missed_today(today: dt.date | None) -> dt.date:
    # Western Indonesia's date is the earliest of the three zones: a touch due before it has ended
    # in every branch's own day.
    return today or clock.today_in(clock.WIB)


def _followup_cause(cause: Cause) -> ContactStatus:
    return ContactStatus.REJECTED if cause == "rejected" else ContactStatus.TIDAK_TERHUBUNG


def _cause_select(viewer: Viewer, p: Period, cause: Cause, today: dt.date | None, *columns: Any) -> Any:
    """The rows behind one cause, with `columns` chosen by the caller (a summary or a list)."""
    branches = visible_branch_ids(viewer, p.branch_ids)
    if cause == "not_followed":
        return (select(*columns).select_from(Touch).join(Lead, Lead.id == Touch.lead_id)
                .join(Branch, Branch.id == Touch.branch_id)
                .outerjoin(User, User.id == Lead.assigned_user_id)
                .where(in_branches(Touch.branch_id, branches), Touch.kind.in_(REMINDER_KINDS),
                       Touch.state == TouchState.PLANNED, Touch.due_on >= p.start, Touch.due_on <= p.end,
                       Touch.due_on < _missed_today(today)))
    return (select(*columns).select_from(FollowUp).join(Lead, Lead.id == FollowUp.lead_id)
            .join(Branch, Branch.id == FollowUp.branch_id)
            .outerjoin(User, User.id == FollowUp.user_id)
            .where(in_branches(FollowUp.branch_id, branches), FollowUp.contact_status == _followup_cause(cause),
                   FollowUp.done_on >= p.start, FollowUp.done_on <= p.end))


def _user_column(cause: Cause) -> Any:
    return Lead.assigned_user_id if cause == "not_followed" else FollowUp.user_id


def pica_summary(session: Session, viewer: Viewer, p: Period, *, today: dt.date | None = None) -> list[PicaRow]:
    """Failed follow-ups per branch and admin, by cause (one GROUP BY per cause)."""
    viewer.require(Perm.REPORT_VIEW)
    counts: dict[tuple[int, str, int | None, str], dict[Cause, int]] = {}
    for cause in CAUSES:
        user = _user_column(cause)
        stmt = _cause_select(viewer, p, cause, today, Branch.id, Branch.code, user, User.full_name, func.count())
        for b_id, code, u_id, name, n in session.execute(stmt.group_by(Branch.id, Branch.code, user, User.full_name)):
            key = (int(b_id), code, int(u_id) if u_id is not None else None, name or UNASSIGNED)
            counts.setdefault(key, dict.fromkeys(CAUSES, 0))[cause] += int(n)
    return [PicaRow(b_id, code, u_id, name, c["rejected"], c["not_connected"], c["not_followed"])
            for (b_id, code, u_id, name), c in sorted(counts.items(), key=lambda kv: (kv[0][1], kv[0][3]))]


@dataclass(frozen=True)
class PicaItem:
    day: dt.date
    lead_number: str
    customer: str | None
    phone: str | None
    channel: str
    note: str | None


def pica_items(session: Session, viewer: Viewer, p: Period, cause: Cause, *, branch_id: int,
               user_id: int | None, page: int = 1, page_size: int = 50, today: dt.date | None = None
               ) -> tuple[list[PicaItem], int]:
    """The follow-ups behind one PICA number (branch, admin, cause): one page, oldest first, and the
    total. A branch the viewer may not see gives nothing."""
    viewer.require(Perm.REPORT_VIEW)
    if cause not in CAUSES:
        raise ValidationError("report.cause", field="cause", value=cause)
    if not viewer.may_see_branch(branch_id):
        return [], 0
    one = Period(p.start, p.end, (branch_id,))
    user = _user_column(cause)
    who = user.is_(None) if user_id is None else user == user_id
    if cause == "not_followed":
        day, channel, note, order = Touch.due_on, Touch.channel, Touch.note, Touch.id
    else:
        day, channel, note, order = FollowUp.done_on, FollowUp.channel, FollowUp.note, FollowUp.id
    total = session.scalar(_cause_select(viewer, one, cause, today, func.count()).where(who)) or 0
    rows = session.execute(
        _cause_select(viewer, one, cause, today, day, Lead.number, Lead.contact_name, Lead.phone, channel, note)
        .where(who).order_by(day, order).limit(page_size).offset(max(page - 1, 0) * page_size))
    return [PicaItem(_as_date(d), num, name, phone, str(ch.value if hasattr(ch, "value") else ch), n)
            for d, num, name, phone, ch, n in rows], int(total)


def recap_sheets(session: Session, viewer: Viewer, p: Period) -> list[tuple[str, Sequence[str], list[tuple]]]:
    """The weekly recap as sheets (title, headers, rows) for the branch head's xlsx; weeks as dates (each the
    week's Monday), counts as numbers."""
    recap = [(r.branch, r.week, r.reminded, r.came_kpb, r.came_reg, r.not_came)
             for r in weekly_recap(session, viewer, p)]
    reasons = [(b, w, why, n) for b, w, why, n in not_came_reasons(session, viewer, p)]
    pica = [(r.branch, r.admin, r.rejected, r.not_connected, r.not_followed, r.total)
            for r in pica_summary(session, viewer, p)]
    return [
        ("Rekap Mingguan", ("Cabang", "Minggu", "Diingatkan", "Datang KPB", "Datang Reguler", "Tidak datang"), recap),
        ("Alasan tidak datang", ("Cabang", "Minggu", "Alasan", "Jumlah"), reasons),
        ("PICA", ("Cabang", "Admin", "Rejected", "Tidak Terhubung", "Cabang tidak follow up", "Total"), pica),
    ]


def recap_xlsx(session: Session, viewer: Viewer, p: Period) -> bytes:
    """The weekly recap workbook a branch head downloads (recap, reasons, PICA); needs export rights."""
    viewer.require(Perm.REPORT_EXPORT)
    wb = Workbook(write_only=True)
    for title, headers, rows in recap_sheets(session, viewer, p):
        ws = xlsx_layout.openpyxl_sheet(wb, title, headers, xlsx_layout.fit_widths(headers, rows))
        for row in rows:
            # Texts (branch, reason, admin names) as string cells, never formulas; weeks as date cells.
            ws.append(xlsx_row(ws, xlsx_layout.openpyxl_dates(ws, row)))
        xlsx_layout.openpyxl_finish(ws, len(headers), len(rows))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
