"""Lead distribution: Kepala Cabang / Kepala Bengkel hand the branch's leads to its admins
(round-robin by default, or a chosen set of leads to one admin) and watch each admin's day.

Distribution is one set-based UPDATE however many leads move (the leads are numbered with
ROW_NUMBER and admin = n mod k); each call writes one audit entry naming what moved.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, case, func, select, update
from sqlalchemy.orm import Session

from core.accounts.access import Perm, Viewer
from core.platform import clock
from core.platform.errors import DomainError, NotFound
from core.platform.i18n import register
from core.privacy import audit
from db.enums import ContactStatus, Role, Stage, TouchState
from db.models import Branch, FollowUp, Lead, Touch, User, UserBranch

register({
    "distribution.no_admins": {"id": "Cabang ini belum punya Admin CRM aktif.",
                               "en": "This branch has no active CRM admin."},
    "distribution.not_admin": {"id": "{name} bukan Admin CRM aktif cabang ini.",
                               "en": "{name} is not an active CRM admin of this branch."},
    "distribution.leads_unavailable": {
        "id": "{count} lead tidak bisa dipindah (sudah ditutup, atau di cabang lain). Muat ulang daftar.",
        "en": "{count} leads cannot be moved (closed, or in another branch). Reload the list."},
})

OPEN_STAGES = (Stage.LEAD, Stage.NEW, Stage.FU1, Stage.FU2, Stage.FU3)


@dataclass(frozen=True)
class Admin:
    id: int
    name: str
    username: str


def admins_of(session: Session, viewer: Viewer, branch_id: int) -> list[Admin]:
    """The branch's active Admin CRM users, by name."""
    viewer.require_branch(branch_id)
    return [Admin(i, n, u) for i, n, u in session.execute(
        select(User.id, User.full_name, User.username)
        .join(UserBranch, UserBranch.user_id == User.id)
        .where(UserBranch.branch_id == branch_id, User.role == Role.ADMIN_CRM, User.active.is_(True))
        .order_by(User.full_name, User.id))]


def _open_in_branch(branch_id: int) -> list:
    return [Lead.branch_id == branch_id, Lead.closed_at.is_(None), Lead.stage.in_(OPEN_STAGES)]


def unassigned_count(session: Session, viewer: Viewer, branch_id: int) -> int:
    viewer.require_branch(branch_id)
    return int(session.scalar(select(func.count(Lead.id)).where(
        *_open_in_branch(branch_id), Lead.assigned_user_id.is_(None))) or 0)


def _branch(session: Session, viewer: Viewer, branch_id: int) -> Branch:
    viewer.require(Perm.LEAD_ASSIGN)
    viewer.require_branch(branch_id)
    branch = session.get(Branch, branch_id)
    if branch is None:
        raise NotFound("error.not_found", what="Branch")
    return branch


def distribute_round_robin(session: Session, viewer: Viewer, branch_id: int,
                           admin_ids: Sequence[int] | None = None) -> dict[int, int]:
    """Give every open, unassigned lead of the branch to its admins in turn (soonest deadline first),
    in one UPDATE. Returns {admin id: leads given}. `admin_ids` narrows the admins (default: all)."""
    branch = _branch(session, viewer, branch_id)
    admins = admins_of(session, viewer, branch_id)
    if admin_ids is not None:
        admins = [a for a in admins if a.id in set(admin_ids)]
    if not admins:
        raise DomainError("distribution.no_admins")
    k = len(admins)
    numbered = (select(Lead.id.label("lead_id"),
                       (func.row_number().over(order_by=(Lead.deadline.is_(None), Lead.deadline, Lead.id)) - 1)
                       .label("n"))
                .where(*_open_in_branch(branch_id), Lead.assigned_user_id.is_(None))
                .subquery("numbered"))
    turn = case({i: a.id for i, a in enumerate(admins)}, value=numbered.c.n % k)
    session.execute(update(Lead).where(Lead.id == numbered.c.lead_id)
                    .values(assigned_user_id=turn, updated_at=clock.now())
                    .execution_options(synchronize_session=False))
    given = dict(session.execute(
        select(Lead.assigned_user_id, func.count(Lead.id))
        .where(*_open_in_branch(branch_id), Lead.assigned_user_id.in_([a.id for a in admins]))
        .group_by(Lead.assigned_user_id)).tuples().all())
    audit.record(session, viewer, "lead.distribute", branch,
                 changes={"round_robin": [None, {str(a.id): given.get(a.id, 0) for a in admins}]})
    return {a.id: int(given.get(a.id, 0)) for a in admins}


def reassign(session: Session, viewer: Viewer, branch_id: int, lead_ids: Sequence[int], admin_id: int) -> int:
    """Give the chosen open leads of a branch to one of its admins; all or nothing. Returns the count."""
    branch = _branch(session, viewer, branch_id)
    admins = {a.id: a for a in admins_of(session, viewer, branch_id)}
    if admin_id not in admins:
        name = session.scalar(select(User.full_name).where(User.id == admin_id)) or str(admin_id)
        raise DomainError("distribution.not_admin", name=name)
    ids = sorted(set(lead_ids))
    if not ids:
        return 0
    before = dict(session.execute(select(Lead.id, Lead.assigned_user_id)
                                  .where(Lead.id.in_(ids), *_open_in_branch(branch_id))).tuples().all())
    if len(before) != len(ids):
        raise DomainError("distribution.leads_unavailable", count=len(ids) - len(before))
    session.execute(update(Lead).where(Lead.id.in_(ids), *_open_in_branch(branch_id))
                    .values(assigned_user_id=admin_id, updated_at=clock.now())
                    .execution_options(synchronize_session=False))
    audit.record(session, viewer, "lead.reassign", branch, changes={
        "leads": [None, ids], "assigned_user_id": [{str(k): v for k, v in before.items()}, admin_id]})
    return len(ids)


@dataclass(frozen=True)
class AdminProgress:
    admin: Admin
    open_leads: int  # open leads assigned to the admin
    due: int  # touches of their leads planned for the day or overdue, still to do
    done: int  # touches they completed during the day
    connected: int  # outcomes recorded during the day
    not_connected: int
    rejected: int


def progress(session: Session, viewer: Viewer, branch_id: int, day: dt.date | None = None) -> list[AdminProgress]:
    """Each admin's day: open leads, touches still due, done, and outcomes; three grouped statements."""
    viewer.require(Perm.LEAD_VIEW)
    viewer.require_branch(branch_id)
    branch = session.get(Branch, branch_id)
    if branch is None:
        raise NotFound("error.not_found", what="Branch")
    day = day or clock.today_in(branch.timezone)
    start, end = clock.at_local(day, 0, 0, branch.timezone), clock.at_local(day + dt.timedelta(days=1), 0, 0,
                                                                            branch.timezone)
    admins = admins_of(session, viewer, branch_id)
    ids = [a.id for a in admins]
    leads: dict[int, tuple[int, int]] = {}
    for user_id, n_open, n_due in session.execute(
            select(Lead.assigned_user_id, func.count(func.distinct(Lead.id)),
                   func.count(Touch.id))
            .outerjoin(Touch, and_(Touch.lead_id == Lead.id, Touch.state == TouchState.PLANNED,
                                   Touch.due_on <= day))
            .where(*_open_in_branch(branch_id), Lead.assigned_user_id.in_(ids))
            .group_by(Lead.assigned_user_id)):
        leads[user_id or 0] = (int(n_open), int(n_due))
    done = dict(session.execute(
        select(Touch.done_by_id, func.count(Touch.id))
        .where(Touch.branch_id == branch_id, Touch.state == TouchState.DONE, Touch.done_by_id.in_(ids),
               Touch.done_at >= start, Touch.done_at < end)
        .group_by(Touch.done_by_id)).tuples().all())
    outcomes: dict[int, dict[ContactStatus, int]] = {}
    for user_id, status, n in session.execute(
            select(FollowUp.user_id, FollowUp.contact_status, func.count(FollowUp.id))
            .where(FollowUp.branch_id == branch_id, FollowUp.user_id.in_(ids),
                   FollowUp.created_at >= start, FollowUp.created_at < end)
            .group_by(FollowUp.user_id, FollowUp.contact_status)):
        outcomes.setdefault(user_id or 0, {})[ContactStatus(status)] = int(n)
    rows = []
    for a in admins:
        n_open, n_due = leads.get(a.id, (0, 0))
        o = outcomes.get(a.id, {})
        rows.append(AdminProgress(a, n_open, n_due, int(done.get(a.id, 0)), o.get(ContactStatus.TERHUBUNG, 0),
                                  o.get(ContactStatus.TIDAK_TERHUBUNG, 0), o.get(ContactStatus.REJECTED, 0)))
    return rows

