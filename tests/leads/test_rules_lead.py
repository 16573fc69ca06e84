"""DOMAIN.md, "The pipeline": the lead form's rules."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.customers.customer import cddb_missing_fields
from core.leads.lead import LeadInput, convert_to_opportunity, priority_for, save_lead
from core.platform.errors import DomainError, MultipleErrors, ValidationError
from db.enums import Priority, ServiceKind, Stage
from db.models import AuditLog, Customer, Lead
from tests.helpers import new_lead


def test_lead_number_is_lds_branch_yymm_sequence_per_branch_per_month(world):
    first = new_lead(world)
    second = new_lead(world, kpb=4)
    other_branch = new_lead(world, world.admin_man, customer=world.customer_man, vehicle=world.vehicle_man)
    yymm = first.created_at.strftime("%y%m")
    assert first.number == f"LDS/SAM01/{yymm}/00001"
    assert second.number == f"LDS/SAM01/{yymm}/00002"
    assert other_branch.number == f"LDS/MAN01/{yymm}/00001"


def test_lead_mandatory_fields_are_branch_customer_occupation_and_phone(world):
    with world.db.transaction(world.admin_sam.scope) as s, pytest.raises(MultipleErrors) as err:
        save_lead(s, world.admin_sam, LeadInput(branch_id=world.sam.id, customer_id=None, phone=None))
    assert {e.field for e in err.value.errors} == {"customer", "occupation", "phone"}
    # Head office belongs to no single branch, so it must pick one.
    with world.db.transaction(None, system=True) as s, pytest.raises(ValidationError) as one:
        save_lead(s, world.ho, LeadInput(customer_id=world.customer_sam.id))
    assert one.value.field == "branch"
    # A phone typed empty is missing even when the customer had one.
    with world.db.transaction(world.admin_sam.scope) as s, pytest.raises(ValidationError) as one:
        save_lead(s, world.admin_sam, LeadInput(customer_id=world.customer_sam.id, phone=""))
    assert one.value.field == "phone"
    with world.db.transaction(world.admin_sam.scope) as s:
        c = s.get(Customer, world.customer_sam.id)
        c.occupation_id = None
    with world.db.transaction(world.admin_sam.scope) as s, pytest.raises(ValidationError) as one:
        save_lead(s, world.admin_sam, LeadInput(customer_id=world.customer_sam.id, phone="085845164510"))
    assert one.value.field == "occupation"


def test_lead_branch_fills_itself_from_a_single_branch_user(world):
    lead = new_lead(world)
    assert lead.branch_id == world.sam.id


def test_customer_without_cddb_is_refused_naming_what_is_missing(world):
    with world.db.transaction(world.admin_sam.scope) as s:
        c = s.get(Customer, world.customer_sam.id)
        c.nik, c.address = None, None
        assert cddb_missing_fields(c) == ["nik", "address"]
    with world.db.transaction(world.admin_sam.scope) as s, pytest.raises(DomainError) as err:
        save_lead(s, world.admin_sam, LeadInput(customer_id=world.customer_sam.id, phone="085845164510",
                                                occupation_id=world.customer_sam.occupation_id))
    assert err.value.code == "customer.no_cddb"
    assert "No KTP" in err.value.message("id") and "Alamat" in err.value.message("id")
    assert "CDDB" in err.value.message("id")


def test_cddb_completed_in_place_from_the_lead_form_lets_the_lead_save(world):
    with world.db.transaction(world.admin_sam.scope) as s:
        s.get(Customer, world.customer_sam.id).nik = None
    with world.db.transaction(world.admin_sam.scope) as s:
        lead = save_lead(s, world.admin_sam, LeadInput(
            customer_id=world.customer_sam.id, phone="085845164510", nik="6472020504010003",
            occupation_id=world.customer_sam.occupation_id))
        assert s.get(Customer, world.customer_sam.id).nik == "6472020504010003"
        assert lead.stage == Stage.LEAD


def test_priority_is_high_when_nik_and_phone_are_both_present(world):
    assert priority_for("6472020504010003", "+6285845164510") == Priority.HIGH
    assert priority_for(None, "+6285845164510") == Priority.NORMAL
    assert priority_for("6472020504010003", None) == Priority.NORMAL
    assert new_lead(world).priority == Priority.HIGH


def test_lead_edits_of_address_nik_phone_update_the_customer_master(world):
    lead = new_lead(world)
    with world.db.transaction(world.admin_sam.scope) as s:
        save_lead(s, world.admin_sam, LeadInput(
            customer_id=world.customer_sam.id, vehicle_id=world.vehicle_sam.id, phone="0812-3456-7890",
            address="JL. JUANDA 7", occupation_id=world.customer_sam.occupation_id), lead_id=lead.id)
    with world.db.session(world.admin_sam.scope) as s:
        customer = s.get(Customer, world.customer_sam.id)
        assert customer.phone == "+6281234567890"
        assert customer.address == "JL. JUANDA 7"
        assert s.get(Lead, lead.id).phone == "+6281234567890"
        audit = s.scalars(select(AuditLog.action).where(AuditLog.object_type == "customer")).all()
        assert "customer.update" in audit


def test_bad_phone_on_the_lead_names_field_and_value(world):
    with world.db.transaction(world.admin_sam.scope) as s, pytest.raises(ValidationError) as err:
        save_lead(s, world.admin_sam, LeadInput(customer_id=world.customer_sam.id, phone="021-555",
                                                occupation_id=world.customer_sam.occupation_id))
    assert err.value.field == "phone" and err.value.value == "021-555"


def test_convert_to_opportunity_needs_mandatory_fields_and_cddb(world):
    lead = new_lead(world)
    with world.db.transaction(world.admin_sam.scope) as s:
        s.get(Customer, world.customer_sam.id).address = None
    with world.db.transaction(world.admin_sam.scope) as s, pytest.raises(DomainError) as err:
        convert_to_opportunity(s, world.admin_sam, lead.id)
    assert err.value.code == "customer.no_cddb"
    with world.db.transaction(world.admin_sam.scope) as s:
        s.get(Customer, world.customer_sam.id).address = "JL.CIPTO MANGUNKUSUMO"
    with world.db.transaction(world.admin_sam.scope) as s:
        opp = convert_to_opportunity(s, world.admin_sam, lead.id)
        assert opp.stage == Stage.NEW and opp.converted_at is not None


def test_a_converted_lead_is_no_longer_edited_through_the_lead_form(world):
    lead = new_lead(world)
    with world.db.transaction(world.admin_sam.scope) as s:
        convert_to_opportunity(s, world.admin_sam, lead.id)
    with world.db.transaction(world.admin_sam.scope) as s, pytest.raises(DomainError) as err:
        save_lead(s, world.admin_sam, LeadInput(customer_id=world.customer_sam.id, phone="085845164510",
                                                occupation_id=world.customer_sam.occupation_id), lead_id=lead.id)
    assert err.value.code == "lead.not_a_lead"


def test_stale_save_is_refused_not_lost(world):
    lead = new_lead(world)
    with world.db.transaction(world.admin_sam.scope) as s:
        convert_to_opportunity(s, world.admin_sam, lead.id)
    with world.db.transaction(world.admin_sam.scope) as s, pytest.raises(DomainError) as err:
        convert_to_opportunity(s, world.admin_sam, lead.id, expected_version=lead.version)
    assert err.value.code in ("error.stale", "lead.not_a_lead")


def test_kpb_lead_keeps_its_deadline_and_number(world):
    lead = new_lead(world, deadline=dt.date(2020, 7, 31), kpb=3)
    assert (lead.service_kind, lead.kpb_number, lead.deadline, lead.due_key) == (
        ServiceKind.KPB, 3, dt.date(2020, 7, 31), "KPB3")


@pytest.mark.parametrize("lang, labels", [
    ("id", ["Pekerjaan", "No HP", "No KTP", "Alamat", "CDDB"]),
    ("en", ["Occupation", "Mobile", "KTP number", "Address", "CDDB"]),
])
def test_a_refused_conversion_names_every_missing_field_of_the_lead_and_the_cddb_in_one_message(world, lang,
                                                                                                 labels):
    lead = new_lead(world)
    with world.db.transaction(None, system=True) as s:
        s.get(Lead, lead.id).occupation_id, s.get(Lead, lead.id).phone = None, None
        c = s.get(Customer, world.customer_sam.id)
        c.nik, c.address = None, None
    with world.db.transaction(world.admin_sam.scope) as s, pytest.raises(DomainError) as err:
        convert_to_opportunity(s, world.admin_sam, lead.id)
    message = err.value.message(lang)
    assert [label for label in labels if label in message] == labels
    other = {"id": "Alamat", "en": "Address"}["en" if lang == "id" else "id"]
    assert other not in message  # the reader's language only
    with world.db.session(None, system=True) as s:
        assert s.get(Lead, lead.id).stage == Stage.LEAD


def test_a_lead_whose_customer_is_registered_at_another_branch_is_checked_against_that_customer_s_cddb(world):
    """A customer who bought in Manado services in Samarinda: Samarinda's lead is theirs to convert, and the
    CDDB rule still reads that customer (the admin's branch scope alone would not see it and skip the check)."""
    lead = new_lead(world)
    with world.db.transaction(None, system=True) as s:
        c = s.get(Customer, world.customer_sam.id)
        c.branch_id, c.nik = world.man.id, None
    with world.db.transaction(world.admin_sam.scope) as s, pytest.raises(DomainError) as err:
        convert_to_opportunity(s, world.admin_sam, lead.id)
    assert err.value.code == "customer.no_cddb" and "No KTP" in err.value.message("id")
    with world.db.session(None, system=True) as s:
        assert s.get(Lead, lead.id).stage == Stage.LEAD
