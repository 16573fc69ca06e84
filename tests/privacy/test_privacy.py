"""Issue 8, UU PDP: consent records with proof, withdrawal, export of a customer's data, anonymisation."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from core.platform.errors import NotFound, PermissionDenied, ValidationError
from core.privacy import consent as privacy
from db.enums import Channel, TouchState
from db.models import AuditLog, ConsentRecord, Customer, Lead, Touch, Vehicle
from tests.helpers import new_lead

AT = dt.datetime(2020, 7, 1, 2, 0, tzinfo=dt.UTC)


def test_granting_consent_sets_the_flag_and_keeps_how_and_the_proof(world):
    c = world.customer_man
    with world.db.transaction(world.admin_man.scope) as s:
        privacy.grant_consent(s, world.admin_man, c.id, purpose="message", channel="formulir CDDB",
                              proof="Formulir no 123, ditandatangani", at=AT)
    with world.db.session(world.admin_man.scope) as s:
        customer = s.get(Customer, c.id)
        assert (customer.consent_message, customer.consent_contact) == (True, False)
        assert customer.consent_source == "formulir CDDB"
        [event] = privacy.consent_history(s, world.admin_man, c.id)
        assert (event.purpose, event.granted, event.proof, event.by) == (
            "message", True, "Formulir no 123, ditandatangani", "Admin Manado")
        assert s.scalar(select(AuditLog.action).where(AuditLog.object_id == c.id,
                                                      AuditLog.object_type == "customer")) == "customer.consent_grant"


def test_consent_needs_proof_and_a_known_purpose(world):
    with world.db.transaction(world.admin_sam.scope) as s:
        with pytest.raises(ValidationError) as err:
            privacy.grant_consent(s, world.admin_sam, world.customer_sam.id, purpose="message",
                                  channel="telepon", proof="  ")
        assert (err.value.field, err.value.code) == ("proof", "privacy.proof_required")
        with pytest.raises(ValidationError) as err:
            privacy.grant_consent(s, world.admin_sam, world.customer_sam.id, purpose="spam",
                                  channel="telepon", proof="ok")
        assert (err.value.field, err.value.value) == ("purpose", "spam")


def test_another_branch_cannot_record_consent_and_sa_may_not(world):
    with world.db.transaction(world.admin_man.scope) as s, pytest.raises(NotFound):
        privacy.grant_consent(s, world.admin_man, world.customer_sam.id, purpose="message",
                              channel="telepon", proof="ya")
    with world.db.transaction(world.sa_sam.scope) as s, pytest.raises(PermissionDenied):
        privacy.grant_consent(s, world.sa_sam, world.customer_sam.id, purpose="message",
                              channel="telepon", proof="ya")


def test_withdrawal_stops_messaging_at_once(world):
    new_lead(world)  # plans the H-7 WhatsApp and the H-3 call for customer_sam
    c = world.customer_sam
    with world.db.transaction(None, system=True) as s:
        cancelled = privacy.withdraw_consent(s, c.id, channel="whatsapp", proof="reply STOP, msg wamid.X1")
    assert cancelled == 2
    with world.db.session(None, system=True) as s:
        customer = s.get(Customer, c.id)
        assert (customer.consent_message, customer.consent_contact) == (False, False)
        states = s.scalars(select(Touch.state).where(Touch.customer_id == c.id)).all()
        assert states and set(states) == {TouchState.CANCELLED}
        records = s.execute(select(ConsentRecord.purpose, ConsentRecord.granted, ConsentRecord.by_user_id)
                            .where(ConsentRecord.customer_id == c.id).order_by(ConsentRecord.purpose)).all()
        assert [tuple(r) for r in records] == [("contact", False, None), ("message", False, None)]


def test_withdrawing_only_messages_keeps_the_calls(world):
    new_lead(world)
    c = world.customer_sam
    with world.db.transaction(world.admin_sam.scope) as s:
        privacy.withdraw_consent(s, c.id, channel="telepon", proof="minta tidak di-WA", viewer=world.admin_sam,
                                 purposes=["message"])
    with world.db.session(None, system=True) as s:
        customer = s.get(Customer, c.id)
        assert (customer.consent_message, customer.consent_contact) == (False, True)
        planned = s.scalars(select(Touch.channel).where(Touch.customer_id == c.id,
                                                        Touch.state == TouchState.PLANNED)).all()
        assert planned == [Channel.CALL]
        assert s.scalar(select(func.count()).select_from(ConsentRecord)) == 1


def _counts(s, customer_id):
    return {m.__tablename__: s.scalar(select(func.count()).select_from(m).where(m.customer_id == customer_id))
            for m in (Lead, Vehicle, Touch)}


def test_export_my_data_holds_everything_about_the_customer_and_is_audited(world):
    from core.privacy import rights as privacy_rights
    lead = new_lead(world)
    c = world.customer_sam
    with world.db.transaction(None, system=True) as s:
        privacy.grant_consent(s, world.ho, c.id, purpose="message", channel="form", proof="F-1", at=AT)
        body = privacy_rights.export_customer(s, world.ho, c.id, "json")
        xlsx = privacy_rights.export_customer(s, world.ho, c.id, "xlsx")
    data = json.loads(body)
    assert data["customer"][0]["nik"] == "6472020504010003"
    assert [v["engine_no"] for v in data["vehicle"]] == ["KF41E1693525"]
    assert [r["number"] for r in data["lead"]] == [lead.number]
    assert {r["kind"] for r in data["touch"]} == {"message_h7", "call_h3"}
    assert [r["proof"] for r in data["consent_record"]] == ["F-1"]
    sheets = load_workbook(io.BytesIO(xlsx), read_only=True).sheetnames
    assert {"customer", "vehicle", "lead", "touch", "consent_record"} <= set(sheets)
    with world.db.session(None, system=True) as s:
        notes = s.scalars(select(AuditLog.note).where(AuditLog.action == "customer.data_export")).all()
        assert len(notes) == 2 and "lead=1" in notes[0]


def test_anonymisation_blanks_the_person_but_keeps_the_statistics(world):
    from core.privacy import rights as privacy_rights
    new_lead(world)
    c = world.customer_sam
    with world.db.transaction(world.admin_sam.scope) as s:  # an earlier edit leaves the old phone in the audit
        from core.customers.customer import CustomerInput, update_customer
        update_customer(s, world.admin_sam, c.id, CustomerInput(phone="081234567890"))
    with world.db.session(None, system=True) as s:
        before = _counts(s, c.id)
    with world.db.transaction(None, system=True) as s:
        with pytest.raises(ValidationError):
            privacy_rights.anonymise_customer(s, world.ho, c.id, confirm_code="wrong")
        privacy_rights.anonymise_customer(s, world.ho, c.id, confirm_code=c.code.lower())
    with world.db.session(None, system=True) as s:
        customer = s.get(Customer, c.id)
        assert (customer.name, customer.nik, customer.phone, customer.address, customer.birth_date) == (
            "ANONIM", None, None, None, None)
        assert customer.anonymised_at is not None and customer.city_code == "6472"
        assert _counts(s, c.id) == before
        lead = s.scalar(select(Lead).where(Lead.customer_id == c.id))
        assert (lead.phone, lead.nik, lead.plate) == (None, None, None)
        assert s.scalar(select(Vehicle.plate).where(Vehicle.customer_id == c.id)) is None
        assert not s.scalars(select(Touch).where(Touch.customer_id == c.id,
                                                 Touch.state == TouchState.PLANNED)).all()
        changes = [r for r in s.scalars(select(AuditLog.changes).where(AuditLog.action == "customer.update"))]
        assert changes and "+6281234567890" not in json.dumps(changes)
        assert s.scalar(select(func.count()).select_from(AuditLog)
                        .where(AuditLog.action == "customer.anonymise")) == 1


def test_only_head_office_may_export_or_anonymise(world):
    from core.privacy import rights as privacy_rights
    c = world.customer_sam
    for viewer in (world.admin_sam, world.kabeng_sam, world.sa_sam, world.admin_man):
        with world.db.transaction(viewer.scope) as s:
            with pytest.raises(PermissionDenied):
                privacy_rights.export_customer(s, viewer, c.id)
            with pytest.raises(PermissionDenied):
                privacy_rights.anonymise_customer(s, viewer, c.id, confirm_code=c.code)
    with world.db.session(None, system=True) as s:
        assert s.get(Customer, c.id).anonymised_at is None
