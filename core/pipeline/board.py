"""The opportunity board: for each opportunity stage (Follow Up 1/2/3, Won, Lost, and New) its count
and its first N cards, in two statements (one GROUP BY, one UNION ALL of per-stage LIMIT queries that
each walk the (branch, stage, deadline) index)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select, union_all
from sqlalchemy.orm import Session

from core.accounts.access import Perm, Viewer
from core.leads.queries import stage_counts
from core.platform.sqlfilters import in_branches, visible_branch_ids
from db.enums import Stage, Temperature
from db.models import Branch, Lead

BOARD_STAGES = (Stage.NEW, Stage.FU1, Stage.FU2, Stage.FU3, Stage.WON, Stage.LOST)


@dataclass(frozen=True)
class Card:
    lead_id: int
    number: str
    stage: Stage
    contact_name: str | None
    plate: str | None
    kpb_number: int | None
    deadline: dt.date | None
    temperature: Temperature | None
    branch_code: str
    customer_id: int | None


@dataclass(frozen=True)
class Column:
    stage: Stage
    count: int
    cards: list[Card]


def board(session: Session, viewer: Viewer, branch_ids: Iterable[int] | None = None, top: int = 8) -> list[Column]:
    """Open stages show the soonest deadlines first; Won and Lost the latest closed first."""
    viewer.require(Perm.LEAD_VIEW)
    scope = visible_branch_ids(viewer, branch_ids)
    top = max(1, min(top, 50))
    counts = stage_counts(session, viewer, branch_ids)
    parts = []
    for stage in BOARD_STAGES:
        order = ((Lead.closed_at.desc(), Lead.id.desc()) if stage in (Stage.WON, Stage.LOST)
                 else (Lead.deadline.is_(None), Lead.deadline, Lead.id))
        part = (select(Lead.id, Lead.number, Lead.stage, Lead.contact_name, Lead.plate, Lead.kpb_number,
                       Lead.deadline, Lead.temperature, Lead.branch_id, Lead.customer_id, Lead.closed_at)
                .where(Lead.stage == stage, in_branches(Lead.branch_id, scope))
                .order_by(*order).limit(top).subquery())
        parts.append(select(part))
    cards = union_all(*parts).subquery("cards")
    rows = session.execute(select(cards, Branch.code).join(Branch, Branch.id == cards.c.branch_id)).all()
    by_stage: dict[Stage, list[Card]] = {s: [] for s in BOARD_STAGES}
    closed: dict[int, dt.datetime] = {}
    for r in rows:
        if r.closed_at is not None:
            closed[r.id] = r.closed_at
        by_stage[Stage(r.stage)].append(Card(r.id, r.number, Stage(r.stage), r.contact_name, r.plate, r.kpb_number,
                                             r.deadline, Temperature(r.temperature) if r.temperature else None,
                                             r.code, r.customer_id))
    # The UNION ALL keeps no order across parts: restore each column's own order.
    for stage, items in by_stage.items():
        if stage in (Stage.WON, Stage.LOST):
            items.sort(key=lambda c: (closed.get(c.lead_id, dt.datetime.min.replace(tzinfo=dt.UTC)), c.lead_id),
                       reverse=True)
        else:
            items.sort(key=lambda c: (c.deadline is None, c.deadline or dt.date.min, c.lead_id))
    return [Column(s, counts[s], by_stage[s]) for s in BOARD_STAGES]
