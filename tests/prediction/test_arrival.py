"""Issue 17: customers do not come on the due day. The branch's arrival habit, measured from its own work
orders, gives each lead the day its customer is expected; the H-7 / H-3 touches count back from that day
(never after the deadline, which stays the rule's)."""

from __future__ import annotations

import datetime as dt
import itertools

from sqlalchemy import delete, select

from core.bookings.workorders import refresh_last_service
from core.leads import leadgen
from core.platform import settings
from core.prediction import next_service, next_service_text, usage
from core.reports.prediction_chart import arrival_vs_predicted
from db.enums import TouchKind
from db.models import ArrivalCalendar, ArrivalOffset, Customer, Lead, Touch, Vehicle, WorkOrder

D = dt.date
_serial = itertools.count(1)


def _served_early(s, branch_id: int, n: int, *, days_early: int, purchase=D(2020, 1, 10)) -> None:
    """n motorcycles at the branch, each in for KPB 1 `days_early` days before its 60-day limit, ridden
    little (300 km: its 1,000 km would take months, so the day limit is the due day)."""
    customer = Customer(branch_id=branch_id, code=f"ARR/{next(_serial)}", name="PELANGGAN UJI")
    s.add(customer)
    s.flush()
    for _ in range(n):
        k = next(_serial)
        vehicle = Vehicle(branch_id=branch_id, customer_id=customer.id, engine_no=f"JM82E{k:07d}", engine_code="JM82",
                          unit_type_code="HK0", unit_name="Beat", purchase_date=purchase)
        s.add(vehicle)
        s.flush()
        s.add(WorkOrder(branch_id=branch_id, number=f"WO/ARR/{k:05d}", vehicle_id=vehicle.id,
                        customer_id=customer.id, service_date=purchase + dt.timedelta(days=60 - days_early),
                        km=300, job_type="ASS1", kpb_number=1))
    s.flush()


def _bought_and_ridden_little(s, *vehicle_ids: int, measured_on: dt.date) -> None:
    """Bought 10/03/2020 (KPB 1's day limit: 09/05/2020), 50 km by a check on 20/03: its 1,000 km would take
    months, so the day limit is its KPB 1 deadline. The rates measured on `measured_on` (the day's lead run
    then measures nothing again, and keeps the habit the test sets)."""
    settings.put(s, "usage.shrink_days", 0)  # its own rate alone
    for vehicle_id in vehicle_ids:
        vehicle = s.get(Vehicle, vehicle_id)
        vehicle.purchase_date = D(2020, 3, 10)
        s.add(WorkOrder(branch_id=vehicle.branch_id, number=f"WO/ARR/{next(_serial):05d}", vehicle_id=vehicle.id,
                        customer_id=vehicle.customer_id, service_date=D(2020, 3, 20), km=50, job_type="QS"))
    s.flush()
    refresh_last_service(s)
    usage.refresh(s, measured_on)


def _touch_days(s, lead) -> dict:
    return {t.kind: t.due_on for t in s.scalars(select(Touch).where(Touch.lead_id == lead.id))}


def _samarinda_lead_expected_six_days_early(world, s):
    """Samarinda's customers come six days before KPB 1 ends; the day's lead run opens the lead of its
    Vario (KPB 1's day limit 09/05/2020)."""
    _bought_and_ridden_little(s, world.vehicle_sam.id, measured_on=D(2020, 4, 25))
    _set_habit(s, "KPB1", world.sam.id, -6.0)
    leadgen.run(s, on=D(2020, 4, 25))
    return s.scalars(select(Lead).where(Lead.vehicle_id == world.vehicle_sam.id)).one()


def _habit(s, service: str, branch_id: int):
    row = s.get(ArrivalOffset, (service, branch_id))
    return None if row is None else (row.offset_days, row.services)


def _set_habit(s, service: str, branch_id: int, days: float) -> None:
    s.execute(delete(ArrivalOffset).where(ArrivalOffset.service == service, ArrivalOffset.branch_id == branch_id))
    s.add(ArrivalOffset(service=service, branch_id=branch_id, offset_days=days, services=50,
                        refreshed_on=D(2020, 3, 1)))
    s.flush()


def test_rule_arrival_habit_is_the_median_offset_from_the_due_day_per_branch(world):
    """25 customers at SAM01 came for KPB 1 five days before its day limit, 25 at MAN01 two days before:
    each branch's habit is its own median, the all-branch row the median of all; too few services (the
    KPB 2 ones below) measure nothing."""
    with world.db.transaction(None, system=True) as s:
        _served_early(s, world.sam.id, 25, days_early=5)
        _served_early(s, world.man.id, 24, days_early=2)
        _served_early(s, world.man.id, 1, days_early=40)  # an outlier does not move a median
        refresh_last_service(s)
        usage.refresh(s, D(2020, 6, 1))
        assert _habit(s, "KPB1", world.sam.id) == (-5.0, 25)
        assert _habit(s, "KPB1", world.man.id) == (-2.0, 25)
        assert _habit(s, "KPB1", 0)[1] == 50 and _habit(s, "KPB1", 0)[0] in (-2.0, -3.5, -5.0)
        assert _habit(s, "KPB2", world.sam.id) is None


def test_rule_touches_are_planned_on_the_day_the_customer_is_expected(world):
    """Samarinda's customers come six days before their KPB's end: the lead keeps the rule's deadline,
    and is expected six days earlier; its H-7 message and H-3 call count back from that day, so the
    customer hears from the branch before coming, not after."""
    with world.db.transaction(None, system=True) as s:
        lead = _samarinda_lead_expected_six_days_early(world, s)
        assert (lead.kpb_number, lead.deadline, lead.expected_on) == (1, D(2020, 5, 9), D(2020, 5, 3))
        touches = _touch_days(s, lead)
        assert touches[TouchKind.MESSAGE_H7] == D(2020, 4, 26) and touches[TouchKind.CALL_H3] == D(2020, 4, 30)


def test_rule_touches_never_fall_after_the_deadline_nor_before_the_lead_opens(world):
    """A branch whose customers come weeks late keeps H-7 / H-3 on the deadline (the KPB still ends on its
    day); one whose customers came a month early is capped at the lead's open window (21 days - H-7)."""
    with world.db.transaction(None, system=True) as s:
        _bought_and_ridden_little(s, world.vehicle_sam.id, world.vehicle_man.id, measured_on=D(2020, 4, 20))
        _set_habit(s, "KPB1", world.sam.id, 25.0)
        _set_habit(s, "KPB1", world.man.id, -30.0)
    with world.db.transaction(None, system=True) as s:
        leadgen.run(s, on=D(2020, 4, 20))
        late = s.scalars(select(Lead).where(Lead.vehicle_id == world.vehicle_sam.id)).one()
        early = s.scalars(select(Lead).where(Lead.vehicle_id == world.vehicle_man.id)).one()
        assert late.expected_on == D(2020, 6, 3) and early.expected_on == early.deadline - dt.timedelta(days=14)
        for lead, h7 in ((late, late.deadline - dt.timedelta(days=7)), (early, early.deadline - dt.timedelta(days=21))):
            touches = _touch_days(s, lead)
            assert touches[TouchKind.MESSAGE_H7] == h7


def test_a_branch_without_a_measured_habit_keeps_its_touches_on_the_deadline(world):
    """No habit yet (a new dealer, or before the first weekly refresh): H-7 is seven days before the deadline."""
    with world.db.transaction(None, system=True) as s:
        _bought_and_ridden_little(s, world.vehicle_sam.id, measured_on=D(2020, 4, 25))
    with world.db.transaction(None, system=True) as s:
        leadgen.run(s, on=D(2020, 4, 25))
        lead = s.scalars(select(Lead).where(Lead.vehicle_id == world.vehicle_sam.id)).one()
        assert lead.expected_on == lead.deadline == D(2020, 5, 9)
        touches = _touch_days(s, lead)
        assert touches[TouchKind.MESSAGE_H7] == D(2020, 5, 2)


def test_the_lead_form_says_when_the_branchs_customers_usually_come(world):
    with world.db.transaction(None, system=True) as s:
        _bought_and_ridden_little(s, world.vehicle_sam.id, measured_on=D(2020, 3, 20))
        _set_habit(s, "KPB1", 0, -4.0)
        shown = next_service(s, world.vehicle_sam.id)
        assert shown.expected_on == shown.due_on - dt.timedelta(days=4)
        day = f"{shown.expected_on:%d/%m/%Y}"
        assert f"biasanya datang sekitar {day}" in next_service_text(s, world.vehicle_sam.id, "id")
        assert f"usually come around {day}" in next_service_text(s, world.vehicle_sam.id, "en")


def test_grafik_measures_arrivals_against_the_expected_day(world):
    """A lead expected on 03/05 whose customer came on 04/05 is one day off, not five (its deadline 09/05)."""
    with world.db.transaction(None, system=True) as s:
        lead = _samarinda_lead_expected_six_days_early(world, s)
        wo = WorkOrder(branch_id=world.sam.id, number="WO/ARR/CAME", vehicle_id=lead.vehicle_id,
                       customer_id=lead.customer_id, service_date=D(2020, 5, 4), km=900, job_type="ASS1",
                       kpb_number=1)
        s.add(wo)
        s.flush()
        lead.won_work_order_id = wo.id
        s.flush()
        rows = arrival_vs_predicted(s, world.ho, D(2020, 5, 20))
        assert [(code, due, came, err, early) for _w, code, due, came, err, early in rows] == [("SAM01", 1, 1, 1.0, 0)]


def test_rule_a_customer_who_comes_by_the_calendar_is_expected_at_the_day_limit(world):
    """Samarinda's courier rides 60 km a day but came for KPB 1 and 2 near their 60 and 120 days, long after
    their 1,000 and 4,000 km: a calendar customer. Its KPB 3 deadline stays the km day (the rule), its
    expected day is the day limit, and its touches stay on the deadline. Manado's rider of the same km came
    at the km: not one."""
    start = D(2020, 1, 1)
    with world.db.transaction(None, system=True) as s:
        settings.put(s, "usage.shrink_days", 0)
        for vehicle, visits in ((world.vehicle_sam, ((1, 58), (2, 118))), (world.vehicle_man, ((1, 16), (2, 65)))):
            v = s.get(Vehicle, vehicle.id)
            v.purchase_date = start
            for kpb, day in visits:
                s.add(WorkOrder(branch_id=v.branch_id, number=f"WO/ARR/{next(_serial):05d}", vehicle_id=v.id,
                                customer_id=v.customer_id, service_date=start + dt.timedelta(days=day),
                                km=60 * day, job_type=f"ASS{kpb}", kpb_number=kpb))
        s.flush()
        refresh_last_service(s)
        usage.refresh(s, start + dt.timedelta(days=120))
        assert s.get(ArrivalCalendar, world.vehicle_sam.id).services == 2
        assert s.get(ArrivalCalendar, world.vehicle_man.id) is None
    with world.db.transaction(None, system=True) as s:
        leadgen.run(s, on=start + dt.timedelta(days=120))
        lead = s.scalars(select(Lead).where(Lead.vehicle_id == world.vehicle_sam.id)).one()
        # 920 km to KPB 3's 8,000 from the last reading on day 118 at 60 km/day: day 133; its day limit 240.
        assert (lead.kpb_number, lead.deadline) == (3, start + dt.timedelta(days=133))
        assert lead.expected_on == start + dt.timedelta(days=240)
        touches = _touch_days(s, lead)
        assert touches[TouchKind.MESSAGE_H7] == lead.deadline - dt.timedelta(days=7)
        assert next_service(s, world.vehicle_sam.id).expected_on == lead.expected_on
        assert "datang menurut tanggal, bukan km: sekitar" in next_service_text(s, world.vehicle_sam.id, "id")
