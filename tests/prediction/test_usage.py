"""Issue 17: each motorcycle's km per day from its own readings (typos and resets ignored and counted, few
readings shrunk toward the model's and branch's typical rate), and the next service at its km limit or its
day limit, whichever first, timing the leads and their touches."""

from __future__ import annotations

import datetime as dt
import itertools

from sqlalchemy import select

from core.bookings.workorders import refresh_last_service
from core.leads import leadgen
from core.platform import clock, settings
from core.prediction import next_service, typical, usage
from core.prediction.next_due import whichever_first
from db.enums import ServiceKind, TouchKind
from db.models import Lead, Touch, UsageTypical, Vehicle, VehicleUsage, WorkOrder

D = dt.date
_numbers = itertools.count(1)


def _readings(s, vehicle, *readings, job="QS"):
    for day, km in readings:
        s.add(WorkOrder(branch_id=vehicle.branch_id, number=f"WO/T/{next(_numbers):05d}", vehicle_id=vehicle.id,
                        customer_id=vehicle.customer_id, service_date=day, km=km, job_type=job,
                        kpb_number=int(job[3]) if job.startswith("ASS") else None))
    s.flush()


def _usage(s, vehicle_id):
    return s.get(VehicleUsage, vehicle_id)


def test_rule_service_due_km_or_days_whichever_first():
    assert whichever_first(D(2020, 5, 9), D(2020, 3, 27)) == (D(2020, 3, 27), "km")
    assert whichever_first(D(2020, 5, 9), D(2020, 6, 1)) == (D(2020, 5, 9), "days")
    assert whichever_first(D(2020, 5, 9), None) == (D(2020, 5, 9), "days")  # standing still: the days


def test_rule_kpb_lead_is_timed_by_km_or_days_whichever_first(world):
    """A courier's Beat (60 km/day) reaches KPB 1's 1,000 km long before its 60 days: the lead and its
    H-7 / H-3 touches fall on the km day; the Vario of the seed's screenshot (no readings, typical rate)
    keeps its KPB 3 day limit."""
    with world.db.transaction(None, system=True) as s:
        settings.put(s, "usage.shrink_days", 0)  # its own rate alone, to read the arithmetic
        _readings(s, s.get(Vehicle, world.vehicle_man.id), (D(2020, 3, 20), 600))  # 600 km in 10 days
        refresh_last_service(s)
    with world.db.transaction(None, system=True) as s:
        leadgen.run(s, on=D(2020, 3, 21))
        lead = s.scalars(select(Lead).where(Lead.vehicle_id == world.vehicle_man.id)).one()
        # 400 km to go from the last reading at 60 km/day: 7 days after 20/03, not 60 days after 10/03.
        assert (lead.service_kind, lead.kpb_number, lead.deadline) == (ServiceKind.KPB, 1, D(2020, 3, 27))
        touches = {t.kind: t.due_on for t in s.scalars(select(Touch).where(Touch.lead_id == lead.id))}
        assert touches[TouchKind.CALL_H3] == D(2020, 3, 24) and touches[TouchKind.MESSAGE_H7] == D(2020, 3, 20)
        shown = next_service(s, world.vehicle_man.id)
        assert (shown.due_on, shown.decided_by, shown.km_per_day) == (D(2020, 3, 27), "km", 60.0)
    with world.db.transaction(None, system=True) as s:
        leadgen.run(s, on=D(2020, 7, 10))
        lead = s.scalars(select(Lead).where(Lead.vehicle_id == world.vehicle_sam.id, Lead.kpb_number == 3)).one()
        assert lead.deadline == D(2020, 7, 31)  # KPB 3's 240 days come before its 8,000 km at 25 km/day


def test_regular_service_is_due_at_its_interval_km_when_that_comes_first(world):
    with world.db.transaction(None, system=True) as s:
        settings.put(s, "usage.shrink_days", 0)
        v = s.get(Vehicle, world.vehicle_man.id)
        v.purchase_date = None  # bought elsewhere: its first reading is at our workshop
        _readings(s, v, (D(2020, 1, 1), 20_000), (D(2020, 3, 1), 26_000))  # 100 km/day
        refresh_last_service(s)
    with world.db.transaction(None, system=True) as s:
        leadgen.run(s, on=D(2020, 3, 5))
        lead = s.scalars(select(Lead).where(Lead.vehicle_id == world.vehicle_man.id)).one()
        # 2,000 km at 100 km/day: 20 days after the last service, not its 60.
        assert (lead.service_kind, lead.deadline) == (ServiceKind.REG, D(2020, 3, 21))
        assert lead.due_key == "REG:2020-03-21"


def test_the_rate_ignores_an_odometer_reset_and_a_typo_jump_and_counts_them(world):
    with world.db.transaction(None, system=True) as s:
        v = s.get(Vehicle, world.vehicle_sam.id)  # sold 04/12/2019: 0 km that day
        _readings(s, v, (D(2020, 1, 3), 1_000), (D(2020, 2, 2), 500),  # lower than the last: a reset or typo
                  (D(2020, 3, 3), 3_000), (D(2020, 3, 13), 90_000),  # 8,700 km a day: a typo
                  (D(2020, 4, 2), 4_000))
        usage.refresh(s, D(2020, 4, 3))
        u = _usage(s, v.id)
        assert (u.readings, u.ignored, u.last_km, u.last_km_on) == (4, 2, 4_000, D(2020, 4, 2))
        assert round(u.own_km_per_day, 2) == round(4_000 / 120, 2)  # 0 -> 4,000 km in 120 days


def test_a_reading_lower_than_every_later_one_after_a_reset_stays_ignored(world):
    with world.db.transaction(None, system=True) as s:
        v = s.get(Vehicle, world.vehicle_sam.id)
        _readings(s, v, (D(2020, 1, 3), 3_000), (D(2020, 2, 2), 100), (D(2020, 3, 3), 1_100))
        usage.refresh(s, D(2020, 4, 3))
        u = _usage(s, v.id)
        assert (u.readings, u.ignored, u.last_km) == (2, 2, 3_000)
        assert round(u.own_km_per_day, 1) == 100.0  # 3,000 km in the 30 days after the sale


def _fleet(s, world, n, rate, *, days=60):
    """n more Beats at Manado, each with one reading after `days` at `rate` km/day."""
    for k in range(n):
        v = Vehicle(branch_id=world.man.id, engine_no=f"JM82E{2000000 + k:07d}", engine_code="JM82",
                    unit_type_code="D1B02N12L2", purchase_date=D(2020, 1, 1))
        s.add(v)
        s.flush()
        _readings(s, v, (D(2020, 1, 1) + dt.timedelta(days=days), int(rate * days)))


def test_fewer_than_two_readings_take_the_model_and_branch_typical_rate(world):
    with world.db.transaction(None, system=True) as s:
        _fleet(s, world, 21, 40.0)
        usage.refresh(s, D(2020, 3, 11))  # the first: every vehicle, then the typical rates
        u = _usage(s, world.vehicle_man.id)  # sold 10/03/2020, no work order: the sale is its one reading
        assert (u.readings, u.own_km_per_day, u.weight, u.km_per_day) == (1, None, 0.0, 40.0)
        assert next_service(s, world.vehicle_man.id).basis == "typical"


def test_a_short_history_is_shrunk_toward_the_typical_rate_a_long_one_much_less(world):
    with world.db.transaction(None, system=True) as s:
        _fleet(s, world, 21, 40.0)
        usage.refresh(s, D(2020, 3, 1))  # typical Beat at Manado: 40 km/day
        short = s.get(Vehicle, world.vehicle_man.id)  # 10 days at 100 km/day
        _readings(s, short, (D(2020, 3, 20), 1_000))
        long = Vehicle(branch_id=world.man.id, engine_no="JM82E3000001", engine_code="JM82",
                       unit_type_code="D1B02N12L2", purchase_date=D(2019, 5, 26))
        s.add(long)
        s.flush()
        _readings(s, long, (D(2020, 3, 21), 30_000))  # 300 days at 100 km/day
        usage.refresh(s, D(2020, 3, 22), since=D(2020, 3, 2))  # a later daily run: the new readings only
        k = settings.get(s, "usage.shrink_days")  # w = D / (D + K)
        assert round(_usage(s, short.id).km_per_day, 3) == round(10 / (10 + k) * 100 + k / (10 + k) * 40, 3)
        assert round(_usage(s, long.id).km_per_day, 3) == round(300 / (300 + k) * 100 + k / (300 + k) * 40, 3)
        assert _usage(s, short.id).km_per_day < 60 < 90 < _usage(s, long.id).km_per_day


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


def _beats(s, world, base, n, rate, reading_on):
    """n more Beats at Manado bought 01/01/2020, each with one reading on `reading_on` at `rate` km/day."""
    made = []
    for k in range(n):
        v = Vehicle(branch_id=world.man.id, engine_no=f"JM82E{base + k:07d}", engine_code="JM82",
                    unit_type_code="D1B02N12L2", purchase_date=D(2020, 1, 1))
        s.add(v)
        s.flush()
        _readings(s, v, (reading_on, int(rate * (reading_on - D(2020, 1, 1)).days)))
        made.append(v.id)
    return made


def _beat_typical(s, world):
    return s.get(UsageTypical, ("D1B02N12L2", world.man.id))


def test_the_daily_run_refreshes_only_the_vehicles_with_new_readings_and_the_weekly_job_the_typical_rates(world):
    """The daily lead run's cost follows the vehicles it refreshes: a vehicle without a new reading keeps its
    row, and the typical rates (a median over every vehicle) wait for their weekly worker job, however old."""
    with clock.frozen(_at(D(2020, 2, 15))):
        with world.db.transaction(None, system=True) as s:
            steady = _beats(s, world, 2_000_000, 21, 40.0, D(2020, 2, 10))
            usage.refresh(s, D(2020, 3, 1))  # the first: every vehicle, and the typical Beat at Manado: 40 km/day
    with clock.frozen(_at(D(2020, 3, 10))):
        with world.db.transaction(None, system=True) as s:
            couriers = _beats(s, world, 3_000_000, 21, 100.0, D(2020, 3, 10))
    with clock.frozen(_at(D(2020, 3, 20), 0)), world.db.transaction(None, system=True) as s:
        leadgen.run(s, on=D(2020, 3, 20))  # the typical rates are 19 days old
        beat = _beat_typical(s, world)
        assert (beat.km_per_day, beat.refreshed_on) == (40.0, D(2020, 3, 1))
        refreshed = dict(s.execute(select(VehicleUsage.vehicle_id, VehicleUsage.refreshed_on)
                                   .where(VehicleUsage.vehicle_id.in_(steady + couriers))).all())
        assert {refreshed[v] for v in steady} == {D(2020, 3, 1)}  # no new reading: not refreshed
        assert {refreshed[v] for v in couriers} == {D(2020, 3, 20)}
        assert 40 < _usage(s, couriers[0]).km_per_day < 100  # its own 100 km/day, shrunk toward 40
    with clock.frozen(_at(D(2020, 3, 23), 2)):  # Monday 09:00 WIB
        assert typical.run_weekly(world.db, "test") == ["usage_typical:2020-03-23"]
        assert typical.run_weekly(world.db, "test") == []  # once a week
        with world.db.session(None, system=True) as s:
            beat = _beat_typical(s, world)
            assert (beat.km_per_day, beat.refreshed_on) == (70.0, D(2020, 3, 23))  # the median of 21 x 40, 21 x 100


def test_a_late_imported_reading_is_refreshed_by_the_next_daily_run_whatever_its_service_date(world):
    with clock.frozen(_at(D(2020, 2, 15))), world.db.transaction(None, system=True) as s:
        usage.refresh(s, D(2020, 3, 1))
    with clock.frozen(_at(D(2020, 3, 19))), world.db.transaction(None, system=True) as s:
        # imported on 19/03, served on 03/01: before the last refresh and the lead engine's 45-day lookback
        _readings(s, s.get(Vehicle, world.vehicle_sam.id), (D(2020, 1, 3), 1_000))
        usage.refresh(s, D(2020, 3, 20), since=D(2020, 3, 20) - dt.timedelta(days=leadgen.CLOSE_LOOKBACK_DAYS))
        u = _usage(s, world.vehicle_sam.id)
        assert (u.readings, u.last_km, u.last_km_on, u.refreshed_on) == (2, 1_000, D(2020, 1, 3), D(2020, 3, 20))
