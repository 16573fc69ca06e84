"""Issue 5: Kepala Cabang / Kepala Bengkel distribute the branch's leads to its admins (round-robin,
bulk reassign) and see each admin's day; the admin's worklist can show only their own leads."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from core.accounts.auth import create_user, viewer_for_user
from core.leads import distribution
from core.leads.today import worklist
from core.pipeline import followup_log
from core.pipeline.followup_log import OutcomeInput
from core.platform import clock
from core.platform.errors import DomainError, PermissionDenied
from db.enums import ContactStatus, Role, TouchKind
from db.models import AuditLog, Lead, Touch, Vehicle
from tests.conftest import TEST_PASSWORD
from tests.helpers import new_lead

H3_DAY = dt.datetime(2020, 7, 28, 1, 0, tzinfo=dt.UTC)  # 28/07/2020 09:00 WITA


def _second_admin(world):
    with world.db.transaction(None, system=True) as s:
        user = create_user(s, username="admin2.sam01", full_name="Admin Dua", password=TEST_PASSWORD,
                           role=Role.ADMIN_CRM, branch_ids=[world.sam.id])
        return viewer_for_user(s, user)


def _leads(world, n, deadline=dt.date(2020, 7, 31)):
    """n open, unassigned leads in SAM01, each on its own motorcycle (one open lead per vehicle and due)."""
    out = []
    for k in range(n):
        with world.db.transaction(None, system=True) as s:
            v = Vehicle(branch_id=world.sam.id, customer_id=world.customer_sam.id, engine_no=f"KF41E10000{k:02d}",
                        engine_code="KF41", plate=f"KT {100 + k} AB", unit_name="Vario")
            s.add(v)
            s.flush()
        out.append(new_lead(world, vehicle=v, deadline=deadline + dt.timedelta(days=k)))
    with world.db.transaction(None, system=True) as s:  # as the lead engine opens them: nobody's yet
        s.execute(update(Lead).where(Lead.id.in_([x.id for x in out])).values(assigned_user_id=None))
    return out


def _assigned(world, leads):
    with world.db.session(None, system=True) as s:
        return dict(s.execute(select(Lead.id, Lead.assigned_user_id).where(Lead.id.in_([x.id for x in leads]))).all())


def test_round_robin_gives_unassigned_open_leads_to_the_admins_in_turn(world):
    admin2 = _second_admin(world)
    leads = _leads(world, 5)
    with world.db.transaction(world.kabeng_sam.scope) as s:
        given = distribution.distribute_round_robin(s, world.kabeng_sam, world.sam.id)
    by_admin = sorted([world.admin_sam.user_id, admin2.user_id])
    assigned = _assigned(world, leads)
    # Soonest deadline first, alternating: each admin gets every second lead.
    first = assigned[leads[0].id]
    assert [assigned[x.id] for x in leads] == [first, *[a for a in by_admin if a != first], first,
                                               *[a for a in by_admin if a != first], first]
    assert sorted(given.values()) == [2, 3]
    with world.db.session(None, system=True) as s:
        entry = s.scalars(select(AuditLog).where(AuditLog.action == "lead.distribute")).one()
    assert entry.user_id == world.kabeng_sam.user_id


def test_round_robin_leaves_assigned_and_other_branch_leads_alone(world):
    leads = _leads(world, 2)
    man = new_lead(world, world.admin_man, customer=world.customer_man, vehicle=world.vehicle_man)
    with world.db.transaction(None, system=True) as s:
        s.execute(update(Lead).where(Lead.id == man.id).values(assigned_user_id=None))
    with world.db.transaction(world.kabeng_sam.scope) as s:
        distribution.reassign(s, world.kabeng_sam, world.sam.id, [leads[0].id], world.admin_sam.user_id)
    admin2 = _second_admin(world)
    with world.db.transaction(world.kabeng_sam.scope) as s:
        given = distribution.distribute_round_robin(s, world.kabeng_sam, world.sam.id, [admin2.user_id])
    assert given == {admin2.user_id: 1}
    assigned = _assigned(world, [*leads, man])
    assert assigned == {leads[0].id: world.admin_sam.user_id, leads[1].id: admin2.user_id, man.id: None}


def test_an_admin_may_not_distribute_leads(world):
    _leads(world, 1)
    with world.db.transaction(world.admin_sam.scope) as s, pytest.raises(PermissionDenied):
        distribution.distribute_round_robin(s, world.admin_sam, world.sam.id)


def test_a_branch_head_may_not_distribute_another_branchs_leads(world):
    with world.db.transaction(world.kabeng_sam.scope) as s, pytest.raises(PermissionDenied):
        distribution.distribute_round_robin(s, world.kabeng_sam, world.man.id)


def test_bulk_reassign_moves_the_chosen_leads_and_audits_who_had_them(world):
    admin2 = _second_admin(world)
    leads = _leads(world, 3)
    with world.db.transaction(world.kabeng_sam.scope) as s:
        distribution.distribute_round_robin(s, world.kabeng_sam, world.sam.id)
        moved = distribution.reassign(s, world.kabeng_sam, world.sam.id, [leads[0].id, leads[1].id],
                                      admin2.user_id)
    assert moved == 2
    assigned = _assigned(world, leads)
    assert assigned[leads[0].id] == assigned[leads[1].id] == admin2.user_id
    with world.db.session(None, system=True) as s:
        entry = s.scalars(select(AuditLog).where(AuditLog.action == "lead.reassign")).one()
    assert entry.changes["leads"][1] == sorted([leads[0].id, leads[1].id])
    assert entry.changes["assigned_user_id"][1] == admin2.user_id


def test_reassigning_to_someone_who_is_not_an_admin_of_the_branch_is_refused(world):
    leads = _leads(world, 1)
    with world.db.transaction(world.kabeng_sam.scope) as s, pytest.raises(DomainError) as e:
        distribution.reassign(s, world.kabeng_sam, world.sam.id, [leads[0].id], world.admin_man.user_id)
    assert e.value.code == "distribution.not_admin"
    assert _assigned(world, leads)[leads[0].id] is None


def test_reassigning_another_branchs_lead_is_refused_and_nothing_moves(world):
    leads = _leads(world, 1)
    man = new_lead(world, world.admin_man, customer=world.customer_man, vehicle=world.vehicle_man)
    with world.db.transaction(None, system=True) as s, pytest.raises(DomainError) as e:
        distribution.reassign(s, world.ho, world.sam.id, [leads[0].id, man.id], world.admin_sam.user_id)
    assert e.value.code == "distribution.leads_unavailable"
    assert _assigned(world, [*leads, man]) == {leads[0].id: None, man.id: world.admin_man.user_id}


def test_progress_shows_each_admins_due_and_done_touches_and_outcomes(world):
    admin2 = _second_admin(world)
    leads = _leads(world, 2, deadline=dt.date(2020, 7, 31))  # H-3 calls due 28/07 and 29/07, H-7 overdue
    with world.db.transaction(world.kabeng_sam.scope) as s:
        distribution.reassign(s, world.kabeng_sam, world.sam.id, [leads[0].id], world.admin_sam.user_id)
        distribution.reassign(s, world.kabeng_sam, world.sam.id, [leads[1].id], admin2.user_id)
    with world.db.session(None, system=True) as s:
        call = s.scalar(select(Touch.id).where(Touch.lead_id == leads[0].id, Touch.kind == TouchKind.CALL_H3))
    with clock.frozen(H3_DAY), world.db.transaction(world.admin_sam.scope) as s:
        followup_log.log_outcome(s, world.admin_sam, call, OutcomeInput(contact_status=ContactStatus.TERHUBUNG))
    with clock.frozen(H3_DAY), world.db.session(world.kabeng_sam.scope) as s:
        rows = {p.admin.id: p for p in distribution.progress(s, world.kabeng_sam, world.sam.id)}
    mine, theirs = rows[world.admin_sam.user_id], rows[admin2.user_id]
    assert (mine.open_leads, mine.due, mine.done, mine.connected) == (1, 1, 1, 1)  # the H-7 is still to do
    assert (theirs.open_leads, theirs.due, theirs.done, theirs.connected) == (1, 1, 0, 0)  # H-7 only (H-3 tomorrow)


def test_an_admins_worklist_can_show_only_their_own_leads(world):
    admin2 = _second_admin(world)
    leads = _leads(world, 2)
    with world.db.transaction(world.kabeng_sam.scope) as s:
        distribution.reassign(s, world.kabeng_sam, world.sam.id, [leads[0].id], world.admin_sam.user_id)
        distribution.reassign(s, world.kabeng_sam, world.sam.id, [leads[1].id], admin2.user_id)
    with world.db.session(world.admin_sam.scope) as s:
        mine = worklist(s, world.admin_sam, dt.date(2020, 7, 30), assigned_user_id=world.admin_sam.user_id)
        everyone = worklist(s, world.admin_sam, dt.date(2020, 7, 30))
    assert {i.lead_id for i in mine.items} == {leads[0].id}
    assert {i.lead_id for i in everyone.items} == {leads[0].id, leads[1].id}
