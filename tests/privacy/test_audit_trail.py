"""Issue 8: the audit trail keeps who changed what on leads, opportunities, bookings and customers, with the
old and the new values, and logs who viewed personal data (once per user and record in a short window)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core.bookings.booking import BookingInput, cancel_booking, create_booking
from core.customers.customer import CustomerInput, update_customer
from core.leads.lead import LeadInput, save_lead
from core.pipeline.stages import mark_won
from core.platform import clock
from core.privacy import consent as privacy
from core.privacy.audit_search import AuditFilter, search_audit
from db.enums import ServiceKind
from db.models import AuditLog, Customer
from tests.helpers import new_lead, opportunity_at

NOW = dt.datetime(2020, 7, 10, 0, 30, tzinfo=dt.UTC)


def _changes(world, action):
    with world.db.session(None, system=True) as s:
        return s.execute(select(AuditLog.changes, AuditLog.user_id).where(AuditLog.action == action)
                         .order_by(AuditLog.id.desc())).first()


def test_customer_lead_opportunity_and_booking_changes_keep_old_and_new_values(world):
    c = world.customer_sam
    with world.db.transaction(world.admin_sam.scope) as s:
        update_customer(s, world.admin_sam, c.id, CustomerInput(address="JL. BARU 2"))
    assert _changes(world, "customer.update") == (
        {"address": ["JL.CIPTO MANGUNKUSUMO", "JL. BARU 2"]}, world.admin_sam.user_id)

    lead = new_lead(world)
    with world.db.transaction(world.admin_sam.scope) as s:
        save_lead(s, world.admin_sam, LeadInput(customer_id=c.id, vehicle_id=world.vehicle_sam.id, phone=c.phone,
                                                occupation_id=c.occupation_id, service_kind=ServiceKind.KPB,
                                                kpb_number=3, deadline=dt.date(2020, 7, 31), note="minta sore"),
                  lead_id=lead.id, expected_version=lead.version)
    assert _changes(world, "lead.update")[0] == {"note": [None, "minta sore"]}

    opp = opportunity_at(world, 1, kpb=4)
    with world.db.transaction(world.admin_sam.scope) as s:
        mark_won(s, world.admin_sam, opp.id)
    assert _changes(world, "lead.won")[0] == {"stage": ["fu1", "won"]}

    with clock.frozen(NOW), world.db.transaction(world.admin_sam.scope) as s:
        booking = create_booking(s, world.admin_sam, BookingInput(
            branch_id=world.sam.id, day=dt.date(2020, 7, 11), hour=9, minute=0, customer_id=c.id,
            vehicle_id=world.vehicle_sam.id, pit_id=world.pit_sam.id))
        cancel_booking(s, world.kabeng_sam, booking.id, "customer batal")
    created = _changes(world, "booking.create")[0]
    assert created["state"] == [None, "draft"] and created["pit_id"] == [None, world.pit_sam.id]
    assert _changes(world, "booking.cancel") == (
        {"state": ["draft", "cancelled"], "cancel_reason": [None, "customer batal"]}, world.kabeng_sam.user_id)


def test_viewing_personal_data_is_logged_once_per_user_and_record_in_a_window(world):
    with world.db.transaction(None, system=True) as s:
        customer = s.get(Customer, world.customer_sam.id)
        assert privacy.record_personal_view(s, world.ho, "customer.view", customer, note="nik_full")
        assert not privacy.record_personal_view(s, world.ho, "customer.view", customer)  # a rerun
        assert privacy.record_personal_view(s, world.admin_sam, "customer.view", customer)  # someone else
    later = clock.now() + dt.timedelta(minutes=privacy.VIEW_LOG_MINUTES + 1)
    with clock.frozen(later), world.db.transaction(None, system=True) as s:
        assert privacy.record_personal_view(s, world.ho, "customer.view", s.get(Customer, world.customer_sam.id))
    with world.db.session(None, system=True) as s:
        page = search_audit(s, world.ho, AuditFilter(action="customer.view", object_type="customer",
                                                     object_id=world.customer_sam.id))
    assert [r.username for r in page.rows] == ["ho", "admin.sam01", "ho"]


def test_audit_search_filters_by_date_range_in_local_days(world):
    with clock.frozen(dt.datetime(2020, 7, 9, 16, 30, tzinfo=dt.UTC)), world.db.transaction(None, system=True) as s:
        privacy.grant_consent(s, world.ho, world.customer_sam.id, purpose="message", channel="form", proof="a")
    with world.db.session(None, system=True) as s:  # 23:30 WIB on 9/7 is the 9th in Jakarta
        on_9th = search_audit(s, world.ho, AuditFilter(date_from=dt.date(2020, 7, 9), date_to=dt.date(2020, 7, 9)))
        on_10th = search_audit(s, world.ho, AuditFilter(date_from=dt.date(2020, 7, 10), date_to=dt.date(2020, 7, 10)))
    assert [r.action for r in on_9th.rows] == ["customer.consent_grant"] and on_10th.total == 0


def test_viewing_a_whole_nik_on_the_lead_form_is_logged_once(world, run_page):
    """Rule: who viewed personal data is logged: an admin (whole NIK) opening a lead form leaves one
    audit row however often the page reruns; a Kepala Bengkel (masked NIK) leaves none."""
    from sqlalchemy import select

    from db.models import AuditLog
    from tests.helpers import new_lead

    lead = new_lead(world)
    at = run_page("pages/lead.py", world.admin_sam, query={"id": str(lead.id)})
    assert not at.exception, at.exception
    at.run()
    run_page("pages/lead.py", world.kabeng_sam, query={"id": str(lead.id)})
    with world.db.session(None, system=True) as s:
        views = s.execute(select(AuditLog.user_id, AuditLog.object_id)
                          .where(AuditLog.action == "lead.view_nik")).all()
    assert views == [(world.admin_sam.user_id, lead.id)]
