"""Issue 3, the lead engine: KPB and regular leads, the touch plan, automatic Won; idempotent."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from core.bookings.workorders import record_work_order, refresh_last_service
from core.leads import leadgen
from db.enums import LeadCategory, Priority, ServiceKind, Stage, TouchKind, TouchState
from db.models import Customer, Lead, Sale, Touch, Vehicle, WorkOrder

D = dt.date


def _run(world, on):
    with world.db.transaction(None, system=True) as s:
        return leadgen.run(s, on=on)


def _leads(world, vehicle_id=None):
    with world.db.session(None, system=True) as s:
        q = select(Lead).order_by(Lead.id)
        if vehicle_id:
            q = q.where(Lead.vehicle_id == vehicle_id)
        return list(s.scalars(q))


def _touches(world, lead_id):
    with world.db.session(None, system=True) as s:
        return {t.kind: t for t in s.scalars(select(Touch).where(Touch.lead_id == lead_id))}


def test_kpb3_lead_for_a_sale_of_2019_12_04_has_deadline_2020_07_31(world):
    # world.vehicle_sam was sold 04/12/2019 (the seed's screenshot); KPB 3 = +240 days.
    _run(world, D(2020, 7, 9))  # 22 days before, as the seed's lead was created
    assert _leads(world, world.vehicle_sam.id) == []  # opens 21 days before the deadline
    result = _run(world, D(2020, 7, 10))
    (lead,) = _leads(world, world.vehicle_sam.id)
    assert (lead.service_kind, lead.kpb_number, lead.deadline) == (ServiceKind.KPB, 3, D(2020, 7, 31))
    assert lead.due_key == "KPB3"
    assert lead.category == LeadCategory.H1_H2 and lead.stage == Stage.LEAD
    assert lead.branch_id == world.sam.id and lead.number.startswith("LDS/SAM01/2007/")
    assert lead.contact_name == "RESTU ANDIKA PRADANA PUTRA" and lead.phone == "+6285845164510"
    assert lead.priority == Priority.HIGH  # NIK and phone present, the same rule as the lead form
    assert (lead.engine_no, lead.plate, lead.sales_date) == ("KF41E1693525", "KT 2146 FK", D(2019, 12, 4))
    assert (result.kpb_leads, result.touches) == (1, 2)  # the run reports what it made, on both databases


def test_kpb_touches_fall_at_h_minus_7_message_and_h_minus_3_call(world):
    _run(world, D(2020, 7, 10))
    (lead,) = _leads(world, world.vehicle_sam.id)
    touches = _touches(world, lead.id)
    assert touches[TouchKind.MESSAGE_H7].due_on == D(2020, 7, 24)
    assert touches[TouchKind.CALL_H3].due_on == D(2020, 7, 28)
    assert {t.state for t in touches.values()} == {TouchState.PLANNED}


def test_a_second_run_the_same_day_creates_nothing(world):
    first = _run(world, D(2020, 7, 10))
    second = _run(world, D(2020, 7, 10))
    assert first.kpb_leads >= 1 and (second.kpb_leads, second.regular_leads, second.touches) == (0, 0, 0)
    later = _run(world, D(2020, 7, 15))  # still inside the window: no duplicate either
    assert later.kpb_leads == 0
    assert len(_leads(world, world.vehicle_sam.id)) == 1


def test_kpb3_work_order_closes_the_lead_as_won_without_feedback_for_a_regular_customer(world):
    _run(world, D(2020, 7, 10))
    (lead,) = _leads(world, world.vehicle_sam.id)
    with world.db.transaction(world.admin_sam.scope) as s:
        record_work_order(s, world.admin_sam, branch_id=world.sam.id, number="WO/SAM01/2007/00001",
                          vehicle_id=world.vehicle_sam.id, customer_id=world.customer_sam.id,
                          service_date=D(2020, 7, 20), job_type="ASS3", km=7900)
    (lead,) = _leads(world, world.vehicle_sam.id)
    assert lead.stage == Stage.WON and lead.won_branch_id == world.sam.id
    with world.db.session(None, system=True) as s:
        assert s.scalar(select(func.count()).select_from(Touch).where(Touch.kind == TouchKind.FEEDBACK_H3)) == 0
        # The lead's own touches are no longer anyone's work once it is closed (after the next run).
    _run(world, D(2020, 7, 21))
    assert {t.state for t in _touches(world, lead.id).values()} == {TouchState.CANCELLED}


def test_premium_customer_gets_the_h_plus_3_feedback_call_after_a_kpb_job(world):
    with world.db.transaction(None, system=True) as s:
        s.get(Vehicle, world.vehicle_sam.id).premium = True
    _run(world, D(2020, 7, 10))
    with world.db.transaction(world.admin_sam.scope) as s:
        wo = record_work_order(s, world.admin_sam, branch_id=world.sam.id, number="WO/SAM01/2007/00001",
                               vehicle_id=world.vehicle_sam.id, customer_id=world.customer_sam.id,
                               service_date=D(2020, 7, 20), job_type="ASS3")
    with world.db.session(None, system=True) as s:
        (touch,) = s.scalars(select(Touch).where(Touch.work_order_id == wo.id)).all()
    assert (touch.kind, touch.due_on) == (TouchKind.FEEDBACK_H3, D(2020, 7, 23))


def test_heavy_repair_gets_the_feedback_call_for_any_customer(world):
    with world.db.transaction(world.admin_sam.scope) as s:
        wo = record_work_order(s, world.admin_sam, branch_id=world.sam.id, number="WO/SAM01/2007/00002",
                               vehicle_id=world.vehicle_sam.id, customer_id=world.customer_sam.id,
                               service_date=D(2020, 7, 20), job_type="HR")
    with world.db.session(None, system=True) as s:
        kinds = s.scalars(select(Touch.kind).where(Touch.work_order_id == wo.id)).all()
    assert kinds == [TouchKind.FEEDBACK_H3]


def test_work_orders_arriving_by_import_close_leads_on_the_next_run(world):
    _run(world, D(2020, 7, 10))
    with world.db.transaction(None, system=True) as s:  # as an import does: a plain insert, then the refresh
        s.add(WorkOrder(branch_id=world.man.id, number="PKB/X/1", vehicle_id=world.vehicle_sam.id,
                        service_date=D(2020, 7, 22), job_type="ASS3", kpb_number=3))
        s.flush()
        refresh_last_service(s, [world.vehicle_sam.id])
    result = _run(world, D(2020, 7, 23))
    (lead,) = _leads(world, world.vehicle_sam.id)
    assert result.won_by_service == 1 and lead.stage == Stage.WON and lead.won_branch_id == world.man.id


def test_regular_lead_after_not_coming_back_for_60_days(world):
    with world.db.transaction(None, system=True) as s:
        s.add(WorkOrder(branch_id=world.man.id, number="WO/MAN01/2103/00001", vehicle_id=world.vehicle_man.id,
                        service_date=D(2021, 3, 1), job_type="QS"))
        s.flush()
        refresh_last_service(s, [world.vehicle_man.id])
    _run(world, D(2021, 4, 9))  # due 30/04: 21 days ahead is 09/04... (30/04 - 21 = 09/04)
    leads = [lead for lead in _leads(world, world.vehicle_man.id) if lead.service_kind == ServiceKind.REG]
    assert [(lead.deadline, lead.due_key, lead.category, lead.branch_id) for lead in leads] == [
        (D(2021, 4, 30), "REG:2021-04-30", LeadCategory.H2_H2, world.man.id)]
    assert (leads[0].last_service_type, leads[0].last_service_date) == ("QS", D(2021, 3, 1))
    assert _run(world, D(2021, 4, 10)).regular_leads == 0


def test_kpb_rule_by_engine_code_overrides_the_default(world):
    with world.db.transaction(None, system=True) as s:
        cust = s.get(Customer, world.customer_sam.id)
        v = Vehicle(branch_id=world.sam.id, customer_id=cust.id, engine_no="MC81E1000001", engine_code="MC81",
                    plate="KT 1 A", purchase_date=D(2020, 1, 1), premium=True)
        s.add(v)
        s.flush()
        s.add(Sale(branch_id=world.sam.id, vehicle_id=v.id, customer_id=cust.id, sale_date=D(2020, 1, 1)))
        vid = v.id
    # CBR250: KPB 2 at 180 days (default 120): 01/01/2020 + 180 = 29/06/2020.
    _run(world, D(2020, 6, 10))
    leads = _leads(world, vid)
    assert [(lead.kpb_number, lead.deadline) for lead in leads] == [(2, D(2020, 6, 29))]


def test_expired_kpb_lead_is_kept_open_by_default_and_lost_when_configured(world):
    from core.platform import settings
    _run(world, D(2020, 7, 10))
    _run(world, D(2020, 8, 20))
    (lead,) = _leads(world, world.vehicle_sam.id)
    assert lead.closed_at is None and lead.deadline < D(2020, 8, 20)
    with world.db.transaction(None, system=True) as s:
        settings.put(s, "leads.expired_kpb_becomes_lost", True)
    assert _run(world, D(2020, 8, 20)).expired_lost == 1
    with world.db.session(None, system=True) as s:
        lead = s.scalars(select(Lead).where(Lead.vehicle_id == world.vehicle_sam.id)).one()
        assert lead.stage == Stage.LOST and lead.lost_reason.code == "KPB_EXPIRED"


def test_a_booking_plans_the_confirmation_call_on_the_booking_morning(world):
    from core.bookings.booking import BookingInput, cancel_booking, create_booking
    from core.platform import clock
    with clock.frozen(dt.datetime(2020, 7, 10, 1, 0, tzinfo=dt.UTC)), world.db.transaction(world.admin_sam.scope) as s:
        booking = create_booking(s, world.admin_sam, BookingInput(
            branch_id=world.sam.id, day=D(2020, 7, 11), hour=8, minute=0, customer_id=world.customer_sam.id,
            vehicle_id=world.vehicle_sam.id, pit_id=world.pit_sam.id))
    with world.db.session(None, system=True) as s:
        (touch,) = s.scalars(select(Touch).where(Touch.booking_id == booking.id)).all()
    assert (touch.kind, touch.due_on, touch.state) == (TouchKind.BOOKING_CONFIRM, D(2020, 7, 11), TouchState.PLANNED)
    with world.db.transaction(world.kabeng_sam.scope) as s:
        cancel_booking(s, world.kabeng_sam, booking.id, "batal")
    with world.db.session(None, system=True) as s:
        assert s.get(Touch, touch.id).state == TouchState.CANCELLED


def test_a_manual_lead_with_a_deadline_gets_its_touches_at_once(world):
    from tests.helpers import new_lead
    lead = new_lead(world, deadline=D(2020, 7, 31))
    touches = _touches(world, lead.id)
    assert {k: t.due_on for k, t in touches.items()} == {
        TouchKind.MESSAGE_H7: D(2020, 7, 24), TouchKind.CALL_H3: D(2020, 7, 28)}


def test_monthly_visit_list_on_the_first_for_customers_inside_the_ring(world):
    from db.models import BranchRing
    with world.db.transaction(None, system=True) as s:
        s.get(Customer, world.customer_sam.id).district_code = "6472020"
        s.add(BranchRing(branch_id=world.sam.id, district_code="6472020", ring=1))
    _run(world, D(2020, 7, 10))
    (lead,) = _leads(world, world.vehicle_sam.id)
    assert TouchKind.VISIT not in _touches(world, lead.id)
    _run(world, D(2020, 7, 1) .replace(month=8))  # 01/08: visit day (the lead is still open, expired)
    assert _touches(world, lead.id)[TouchKind.VISIT].due_on == D(2020, 8, 1)


def test_two_runs_at_once_never_duplicate_a_lead_or_touch(committed_db):
    import threading

    from tests.conftest import build_world
    world = build_world(committed_db)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with committed_db.transaction(None, system=True) as s:
                leadgen.run(s, on=D(2020, 7, 10))
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with committed_db.session(None, system=True) as s:
        leads = s.scalars(select(Lead).where(Lead.vehicle_id == world.vehicle_sam.id)).all()
        assert len(leads) == 1
        keys = s.scalars(select(Touch.dedup_key)).all()
        assert len(keys) == len(set(keys)) == 2
