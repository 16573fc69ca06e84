"""Per-branch messaging figures: sent, delivered, read, failed, and the cost estimate (one query)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session

from core.accounts.access import Perm, Viewer
from core.platform import clock
from core.platform.sqlfilters import in_branches, visible_branch_ids
from db.models import Branch, OutboxMessage


@dataclass(frozen=True)
class BranchStats:
    branch_id: int
    code: str
    name: str
    queued: int
    sent: int  # got out (delivered and read included)
    delivered: int
    read: int
    failed: int
    cost: int  # Rupiah, estimated from the branch's price per message


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def branch_stats(session: Session, viewer: Viewer, since: dt.date, until: dt.date,
                 branch_ids: list[int] | None = None) -> list[BranchStats]:
    """Messages queued between two dates (inclusive, each branch's own calendar days), per branch the viewer
    sees."""
    viewer.require(Perm.REPORT_VIEW)
    zones = session.scalars(select(Branch.timezone).distinct()).all()
    o = OutboxMessage
    in_days = or_(*[and_(Branch.timezone == tz, o.created_at >= clock.at_local(since, 0, 0, tz),
                         o.created_at < clock.at_local(until + dt.timedelta(days=1), 0, 0, tz)) for tz in zones])
    rows = session.execute(
        select(Branch.id, Branch.code, Branch.name, _count(o.state.in_(("queued", "retry", "sending"))),
               _count(o.sent_at.is_not(None)), _count(o.delivered_at.is_not(None)), _count(o.read_at.is_not(None)),
               _count(o.state == "failed"), func.coalesce(func.sum(o.cost), 0))
        .join(Branch, Branch.id == o.branch_id)
        .where(in_days,
               in_branches(o.branch_id, visible_branch_ids(viewer, branch_ids)))
        .group_by(Branch.id, Branch.code, Branch.name).order_by(Branch.code)).all()
    return [BranchStats(int(r[0]), r[1], r[2], *(int(x or 0) for x in r[3:])) for r in rows]
