"""ARCHITECTURE.md "Access": a branch user sees and changes only their branches; head office all.
Every core function is called as own-branch user, other-branch user and head office."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text, update

from core.accounts.access import Perm, session_for
from core.bookings.booking import BookingInput, create_booking
from core.customers.customer import CustomerInput, get_customer, update_customer
from core.leads.lead import LeadInput, convert_to_opportunity, get_lead, save_lead
from core.pipeline.stages import FollowUpInput, enter_followup, mark_lost, mark_won
from core.platform import clock
from core.platform.errors import DomainError, NotFound, PermissionDenied
from db.enums import ContactStatus
from db.models import Customer, Lead, Vehicle
from db.scoping import ScopeError
from tests.helpers import new_lead, opportunity_at


def test_a_branch_session_reads_only_its_branch_rows(world):
    new_lead(world)
    new_lead(world, world.admin_man, customer=world.customer_man, vehicle=world.vehicle_man)
    with session_for(world.db, world.admin_sam) as s:
        assert {v.engine_no for v in s.scalars(select(Vehicle))} == {"KF41E1693525"}
        assert {lead.branch_id for lead in s.scalars(select(Lead))} == {world.sam.id}
        # Joins and relationship loads are filtered too.
        rows = s.execute(select(Lead.number, Customer.name).join(Customer, Lead.customer_id == Customer.id)).all()
        assert [r.name for r in rows] == ["RESTU ANDIKA PRADANA PUTRA"]
        assert s.get(Customer, world.customer_man.id) is None


def test_head_office_reads_every_branch(world):
    new_lead(world)
    new_lead(world, world.admin_man, customer=world.customer_man, vehicle=world.vehicle_man)
    with session_for(world.db, world.ho) as s:
        assert {lead.branch_id for lead in s.scalars(select(Lead))} == {world.sam.id, world.man.id}


def test_orm_bulk_update_is_scoped_too(world):
    lead_man = new_lead(world, world.admin_man, customer=world.customer_man, vehicle=world.vehicle_man)
    with session_for(world.db, world.admin_sam, write=True) as s, s.begin():
        s.execute(update(Lead).values(note="disentuh"))
    with session_for(world.db, world.ho) as s:
        assert s.get(Lead, lead_man.id).note is None


def test_a_write_outside_the_session_branches_is_refused(world):
    with session_for(world.db, world.admin_sam, write=True) as s, pytest.raises(ScopeError), s.begin():
        s.add(Customer(branch_id=world.man.id, code="BPA/2007/0000001", name="X"))


def test_a_session_without_a_scope_cannot_read_branch_rows(world):
    from sqlalchemy.orm import Session
    with Session(world.db.engine) as s, pytest.raises(ScopeError):
        s.scalars(select(Lead)).all()
    # Reference data has no branch and needs no scope.
    from db.models import LostReason
    with Session(world.db.engine) as s:
        assert isinstance(s.scalars(select(LostReason)).all(), list)


@pytest.mark.parametrize("action", ["get", "save", "convert", "followup", "won", "lost"])
def test_another_branch_user_cannot_see_or_change_a_lead(world, action):
    lead = opportunity_at(world, 0) if action in ("followup", "won") else new_lead(world)
    intruder = world.admin_man
    with world.db.transaction(intruder.scope) as s, pytest.raises((NotFound, PermissionDenied)):
        if action == "get":
            get_lead(s, intruder, lead.id)
        elif action == "save":
            save_lead(s, intruder, LeadInput(customer_id=world.customer_sam.id, phone="085845164510",
                                             occupation_id=world.customer_sam.occupation_id), lead_id=lead.id)
        elif action == "convert":
            convert_to_opportunity(s, intruder, lead.id)
        elif action == "followup":
            enter_followup(s, intruder, lead.id, 1, FollowUpInput(dt.date(2020, 7, 1), ContactStatus.TERHUBUNG))
        elif action == "won":
            mark_won(s, intruder, lead.id)
        else:
            mark_lost(s, intruder, lead.id, None)


def test_another_branch_user_cannot_create_a_lead_or_booking_in_my_branch(world):
    with world.db.transaction(world.admin_man.scope) as s, pytest.raises((NotFound, PermissionDenied)):
        save_lead(s, world.admin_man, LeadInput(branch_id=world.sam.id, customer_id=world.customer_sam.id,
                                                phone="085845164510", occupation_id=world.customer_sam.occupation_id))
    with clock.frozen(dt.datetime(2020, 7, 10, tzinfo=dt.UTC)), world.db.transaction(world.admin_man.scope) as s:
        with pytest.raises((NotFound, PermissionDenied, DomainError)):
            create_booking(s, world.admin_man, BookingInput(
                branch_id=world.sam.id, day=dt.date(2020, 7, 11), hour=9, minute=0,
                customer_id=world.customer_sam.id, pit_id=world.pit_sam.id))


def test_another_branch_user_cannot_read_or_edit_my_customer(world):
    with world.db.transaction(world.admin_man.scope) as s:
        with pytest.raises(NotFound):
            get_customer(s, world.admin_man, world.customer_sam.id)
        with pytest.raises(NotFound):
            update_customer(s, world.admin_man, world.customer_sam.id, CustomerInput(address="X"))


def test_head_office_can_work_any_branch_lead(world):
    lead = new_lead(world)
    with world.db.transaction(None, system=True) as s:
        assert convert_to_opportunity(s, world.ho, lead.id).branch_id == world.sam.id


def test_permissions_follow_the_role(world):
    assert world.ho.can(Perm.SETTINGS_MANAGE) and world.ho.all_branches
    assert not world.admin_sam.can(Perm.SETTINGS_MANAGE) and not world.admin_sam.all_branches
    assert world.kabeng_sam.can(Perm.LEAD_ASSIGN) and not world.admin_sam.can(Perm.LEAD_ASSIGN)
    assert not world.kabeng_sam.can(Perm.NIK_FULL)
    lead = new_lead(world)
    with world.db.transaction(world.sa_sam.scope) as s, pytest.raises(PermissionDenied):
        convert_to_opportunity(s, world.sa_sam, lead.id)


def test_raw_sql_is_not_scoped_so_core_keeps_it_to_system_jobs(world):
    """Documented limit of the safety net: a text() query sees everything. This test pins the limit
    so nobody mistakes the net for a guarantee on raw SQL."""
    new_lead(world, world.admin_man, customer=world.customer_man, vehicle=world.vehicle_man)
    with session_for(world.db, world.admin_sam) as s:
        assert s.execute(text("select count(*) from lead")).scalar_one() == 1
