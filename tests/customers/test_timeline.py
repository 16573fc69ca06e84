"""Issue 5: the customer and vehicle view: CDDB with the NIK masked by role (viewing audited), the
customer's motorcycles, and one timeline of every lead, touch, follow-up, booking and work order."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event, select

from core.accounts.access import Viewer
from core.bookings.booking import BookingInput, create_booking, create_work_order, post_booking
from core.customers import timeline
from core.customers.view import customer_profile
from core.pipeline.stages import mark_won
from core.platform import clock
from core.platform.errors import NotFound
from db.enums import Role, ServiceKind
from db.models import AuditLog
from tests.helpers import FIXED_NOW, opportunity_at


def _booked(world):
    lead = opportunity_at(world, 2)
    with clock.frozen(FIXED_NOW), world.db.transaction(world.admin_sam.scope) as s:
        mark_won(s, world.admin_sam, lead.id)
        booking = create_booking(s, world.admin_sam, BookingInput(
            branch_id=world.sam.id, day=dt.date(2020, 7, 14), hour=9, minute=0, service_kind=ServiceKind.KPB,
            kpb_number=3, lead_id=lead.id, customer_id=world.customer_sam.id, vehicle_id=world.vehicle_sam.id,
            mobile=world.customer_sam.phone, pit_id=world.pit_sam.id))
    with clock.frozen(FIXED_NOW), world.db.transaction(world.kabeng_sam.scope) as s:
        post_booking(s, world.kabeng_sam, booking.id)
        create_work_order(s, world.kabeng_sam, booking.id, km=7800)
    return lead, booking


def test_the_timeline_holds_every_lead_touch_followup_booking_and_work_order_newest_first(world):
    lead, booking = _booked(world)
    with world.db.session(world.admin_sam.scope) as s:
        page = timeline.timeline(s, world.admin_sam, world.customer_sam.id, page_size=100)
    kinds = {e.kind for e in page.events}
    assert {"lead", "followup", "touch", "booking", "work_order"} <= kinds
    assert page.total == len(page.events)
    assert [e.at for e in page.events] == sorted((e.at for e in page.events), reverse=True)
    followups = sorted(e.n or 0 for e in page.events if e.kind == "followup")
    assert followups == [1, 2]
    assert any(e.kind == "booking" and e.ref == booking.number for e in page.events)
    assert any(e.kind == "lead" and e.ref == lead.number for e in page.events)


def test_the_timeline_is_paged_in_sql_with_the_same_statement_count_whatever_the_page_size(world, engine):
    _booked(world)
    counts = []
    for size in (2, 50):
        statements: list[str] = []

        def count(conn, cursor, sql, params, context, many, statements=statements):
            statements.append(sql)

        event.listen(engine, "before_cursor_execute", count)
        try:
            with world.db.session(world.admin_sam.scope) as s:
                page = timeline.timeline(s, world.admin_sam, world.customer_sam.id, page_size=size)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        counts.append(len([x for x in statements if x.lstrip().upper().startswith(("SELECT", "WITH"))]))
        assert len(page.events) == min(size, page.total)
    assert counts[0] == counts[1] == 2


def test_another_branchs_customer_has_no_timeline_and_no_profile_for_a_branch_user(world):
    _booked(world)
    with world.db.session(world.admin_man.scope) as s:
        assert timeline.timeline(s, world.admin_man, world.customer_sam.id).total == 0
        with pytest.raises(NotFound):
            customer_profile(s, world.admin_man, world.customer_sam.id)
    with world.db.session(None, system=True) as s:
        assert timeline.timeline(s, world.ho, world.customer_sam.id).total > 0


def test_the_nik_is_masked_unless_the_role_may_see_it_and_each_viewing_is_audited(world):
    with world.db.transaction(world.kabeng_sam.scope) as s:  # Kepala Bengkel: no NIK_FULL
        masked = customer_profile(s, world.kabeng_sam, world.customer_sam.id)
    with world.db.transaction(world.admin_sam.scope) as s:
        full = customer_profile(s, world.admin_sam, world.customer_sam.id)
    assert masked.nik == "647202********03" and not masked.nik_is_full
    assert full.nik == "6472020504010003"
    assert [v.engine_no for v in full.vehicles] == ["KF41E1693525"]
    with world.db.session(None, system=True) as s:
        entries = s.scalars(select(AuditLog).where(AuditLog.action == "customer.view").order_by(AuditLog.id)).all()
    assert [(e.user_id, e.object_id, e.note) for e in entries] == [
        (world.kabeng_sam.user_id, world.customer_sam.id, "nik_masked"),
        (world.admin_sam.user_id, world.customer_sam.id, "nik_full")]


def test_a_service_advisor_sees_the_customer_with_the_nik_masked(world):
    sa: Viewer = world.sa_sam
    assert sa.role == Role.SA
    with world.db.transaction(sa.scope) as s:
        assert customer_profile(s, sa, world.customer_sam.id).nik == "647202********03"


def test_automatic_messages_and_the_customers_replies_are_on_the_timeline_of_their_branch_only(world):
    """Issue 6: a reply from the customer shows on the timeline, next to the message it answers."""
    from db.models import MessageEvent, OutboxMessage

    lead = opportunity_at(world, 1)
    sent_at = dt.datetime(2020, 7, 24, 1, 0, tzinfo=dt.UTC)
    with world.db.transaction(None, system=True) as s:
        s.add(OutboxMessage(branch_id=world.sam.id, idem_key="t-timeline", lead_id=lead.id,
                            customer_id=world.customer_sam.id, kind="message_h7", channel="whatsapp",
                            to_phone=world.customer_sam.phone, body="Halo, KPB 3 Anda berakhir 31/07/2020",
                            state="read", next_attempt_at=sent_at, created_at=sent_at))
        s.add(MessageEvent(event_key="wa:in:1", direction="inbound", provider="whatsapp",
                           branch_id=world.sam.id, customer_id=world.customer_sam.id, lead_id=lead.id,
                           from_phone=world.customer_sam.phone, text="Besok saya datang",
                           at=sent_at + dt.timedelta(hours=2), received_at=sent_at + dt.timedelta(hours=2)))
    with world.db.session(world.admin_sam.scope) as s:
        events = timeline.timeline(s, world.admin_sam, world.customer_sam.id, page_size=100).events
    message = [e for e in events if e.kind == "message"]
    reply = [e for e in events if e.kind == "reply"]
    assert [(m.status, m.note) for m in message] == [("read", "Halo, KPB 3 Anda berakhir 31/07/2020")]
    assert [(r.note, r.ref_id) for r in reply] == [("Besok saya datang", lead.id)]
    assert events.index(reply[0]) < events.index(message[0])  # newest first
    with world.db.session(world.admin_man.scope) as s:  # another branch's admin sees none of it
        assert timeline.timeline(s, world.admin_man, world.customer_sam.id, page_size=100).total == 0
