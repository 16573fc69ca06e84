"""Issue 20 point 8, "The audit says what changed": an audit row's changes hold exactly the fields a save
changed, old and new, and nothing that stayed the same; a save that changes nothing writes no row; a stale
save's refusal names only the fields changed since the reader's version."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.customers.customer import CustomerInput, update_customer
from core.leads.lead import LeadInput, save_lead
from core.masterdata.settings import put_setting
from core.pipeline.stages import FollowUpInput, edit_current_followup, enter_followup, mark_lost
from core.platform import clock
from core.platform.concurrency import StaleRecord
from core.privacy import audit, consent as privacy
from db.enums import ContactStatus, ServiceKind, Temperature
from db.models import AuditLog, Lead, LostReason
from tests.helpers import FIXED_NOW, new_lead, opportunity_at

D = dt.date


def _rows(world, object_id, action):
    with world.db.session(None, system=True) as s:
        return s.scalars(select(AuditLog.changes).where(AuditLog.action == action, AuditLog.object_id == object_id)
                         .order_by(AuditLog.id)).all()


def _version(world, lead_id):
    with world.db.session(None, system=True) as s:
        return s.get(Lead, lead_id).version


def _edit_fu1(world, lead, **kw):
    """The Follow Up 1 form as the page sends it: every field, prefilled from the opportunity."""
    values = {"done_on": D(2020, 7, 1), "contact_status": ContactStatus.TERHUBUNG, "temperature": Temperature.COLD,
              "promised_date": None, "note": "", **kw}
    plan = values.pop("next_plan", D(2020, 7, 8))
    with clock.frozen(FIXED_NOW), world.db.transaction(world.admin_sam.scope) as s:
        return edit_current_followup(s, world.admin_sam, lead.id, FollowUpInput(**values), next_plan=plan,
                                     expected_version=_version(world, lead.id))


def test_editing_a_followup_note_audits_only_the_note(world):
    opp = opportunity_at(world, 1)  # Follow Up 1 on 01/07, COLD, Terhubung, next plan 08/07, no note
    _edit_fu1(world, opp, note="minta dihubungi sore")
    _edit_fu1(world, opp, note="besok pagi")
    assert _rows(world, opp.id, "lead.followup_edit") == [
        {"note": [None, "minta dihubungi sore"]}, {"note": ["minta dihubungi sore", "besok pagi"]}]


def test_changing_only_the_followup_date_audits_only_the_date(world):
    opp = opportunity_at(world, 1)
    _edit_fu1(world, opp, done_on=D(2020, 7, 2))
    assert _rows(world, opp.id, "lead.followup_edit") == [{"fu1_date": ["2020-07-01", "2020-07-02"]}]


def test_a_followup_save_that_changes_nothing_writes_no_audit_row_and_keeps_the_version(world):
    opp = opportunity_at(world, 1)
    before = _version(world, opp.id)
    _edit_fu1(world, opp)  # the form saved as it was shown (an empty note box is no note)
    assert _rows(world, opp.id, "lead.followup_edit") == [] and _version(world, opp.id) == before


def test_entering_a_followup_audits_every_field_it_writes(world):
    opp = opportunity_at(world, 0)
    with clock.frozen(FIXED_NOW), world.db.transaction(world.admin_sam.scope) as s:
        enter_followup(s, world.admin_sam, opp.id, 1, FollowUpInput(
            done_on=D(2020, 7, 9), contact_status=ContactStatus.REJECTED, temperature=Temperature.HOT,
            note="sibuk"))
    assert _rows(world, opp.id, "lead.followup") == [{
        "stage": ["new", "fu1"], "fu1_date": [None, "2020-07-09"], "next_plan_fu2": [None, "2020-07-16"],
        "contact_status": [None, "rejected"], "temperature": [None, "hot"], "note": [None, "sibuk"]}]


def test_a_stale_save_names_only_the_field_that_changed(world):
    opp = opportunity_at(world, 1)
    seen = opp.version  # two people opened Follow Up 1
    _edit_fu1(world, opp, note="minta dihubungi sore")  # one of them changes the note
    with world.db.transaction(None, system=True) as s:  # someone else only looks at the lead (a view row)
        privacy.record_personal_view(s, world.ho, "lead.view_nik", s.get(Lead, opp.id))
    with world.db.session(None, system=True) as s:
        reason = s.scalars(select(LostReason.id)).first()
    with clock.frozen(FIXED_NOW), world.db.transaction(world.kabeng_sam.scope) as s, \
            pytest.raises(StaleRecord) as err:
        mark_lost(s, world.kabeng_sam, opp.id, reason, expected_version=seen)
    assert err.value.fields == ["note"]
    assert err.value.message("en").endswith("What changed: Note.")


def test_saving_an_unchanged_lead_form_writes_no_audit_row(world):
    lead = new_lead(world)
    c = world.customer_sam
    with world.db.transaction(world.admin_sam.scope) as s:  # what the form sends back untouched
        save_lead(s, world.admin_sam, LeadInput(
            branch_id=c.branch_id, customer_id=c.id, vehicle_id=world.vehicle_sam.id, phone=c.phone, nik=c.nik,
            address=c.address or "", occupation_id=c.occupation_id, sales_source="CRM",
            service_kind=ServiceKind.KPB, kpb_number=3, deadline=D(2020, 7, 31), note=None),
            lead_id=lead.id, expected_version=lead.version)
    assert _rows(world, lead.id, "lead.update") == [] and _rows(world, c.id, "customer.update") == []


def test_a_cddb_edit_audits_only_the_field_that_changed(world):
    c = world.customer_sam
    local_phone = "0" + c.phone.removeprefix("+62")  # the same number as typed on the form
    with world.db.transaction(world.admin_sam.scope) as s:
        update_customer(s, world.admin_sam, c.id, CustomerInput(address="JL. BARU 2", phone=local_phone, nik=c.nik,
                                                                occupation_id=c.occupation_id))
    assert _rows(world, c.id, "customer.update") == [{"address": ["JL.CIPTO MANGUNKUSUMO", "JL. BARU 2"]}]


def test_putting_a_setting_at_its_current_value_audits_no_unchanged_pair(world):
    with world.db.transaction(None, system=True) as s:
        put_setting(s, world.ho, "followup.next_plan_days", 7)  # the default, never stored yet
        put_setting(s, world.ho, "followup.next_plan_days", 5)
    with world.db.session(None, system=True) as s:
        rows = s.scalars(select(AuditLog.changes).where(AuditLog.action == "masterdata.setting.put")).all()
    assert rows == [{"followup.next_plan_days": [7, 5]}]


def test_the_diff_compares_values_as_the_database_keeps_them():
    class Row:
        note, day, when, temperature, price = None, D(2020, 7, 1), dt.datetime(2020, 7, 1, 3, tzinfo=dt.UTC), \
            Temperature.HOT, 10
    from decimal import Decimal
    same = {"note": "", "day": dt.datetime(2020, 7, 1), "when": dt.datetime(2020, 7, 1, 10, tzinfo=dt.timezone(
        dt.timedelta(hours=7))), "temperature": "hot", "price": Decimal("10.00")}
    assert audit.diff(Row(), same) == {}
    assert audit.diff(Row(), {"note": "x", "day": D(2020, 7, 2), "temperature": Temperature.COLD}) == {
        "note": [None, "x"], "day": ["2020-07-01", "2020-07-02"], "temperature": ["hot", "cold"]}


def test_the_followup_note_edited_on_the_form_lead_page_audits_only_the_note(world, run_page):
    opp = opportunity_at(world, 1)
    with clock.frozen(FIXED_NOW):
        at = run_page("pages/lead.py", world.admin_sam, query={"id": str(opp.id)})
        at.text_area(key="fucur_note").set_value("minta dihubungi sore")
        at.button(key="fucur_submit").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert _rows(world, opp.id, "lead.followup_edit") == [{"note": [None, "minta dihubungi sore"]}]
