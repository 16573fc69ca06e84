"""One vehicle's predicted next service, as the lead form and the customer page show it ("perkiraan servis
berikutnya"), with the km per day it came from: the same rule and rate the lead engine plans leads on."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.masterdata.reference import DEFAULT_ENGINE_CODE
from core.platform import settings
from core.prediction import arrival
from core.prediction.next_due import km_day, whichever_first
from db.models import ArrivalCalendar, KpbRule, Vehicle, VehicleUsage


@dataclass(frozen=True)
class NextService:
    due_on: dt.date
    decided_by: str  # 'km' (the km limit comes first) or 'days'
    kind: str  # KPB | REG
    kpb_number: int | None
    km_per_day: float
    basis: str  # 'own' (its readings), 'shrunk' (own leaning on the typical), 'typical' (model and branch)
    readings: int
    ignored: int
    # When its customer is expected: due_on moved by the branch's arrival habit (core.prediction.arrival);
    # None until the habit is measured.
    expected_on: dt.date | None = None
    by_calendar: bool = False  # its customer comes by the day limit whatever the km


def _basis(weight: float) -> str:
    return "typical" if weight <= 0 else "own" if weight >= 0.9 else "shrunk"


def next_service(session: Session, vehicle_id: int) -> NextService | None:
    """None until the daily run has measured the vehicle (or when nothing is due: no dates known)."""
    row = session.execute(select(Vehicle, VehicleUsage).join(VehicleUsage, VehicleUsage.vehicle_id == Vehicle.id)
                          .where(Vehicle.id == vehicle_id)).one_or_none()
    if row is None:
        return None
    vehicle, usage = row
    if usage.next_kind == "KPB" and usage.next_kpb_number is not None and vehicle.purchase_date is not None:
        rule = _kpb_rule(session, vehicle.engine_no, usage.next_kpb_number)
        if rule is None:
            return None
        day_limit, by_km = kpb_limits(vehicle.purchase_date, rule.days, rule.km, usage.km_per_day,
                                      usage.last_km, usage.last_km_on)
    else:
        if vehicle.last_service_date is None:
            return None
        day_limit, by_km = regular_limits(session, vehicle.last_service_date, vehicle.last_job_type,
                                          usage.km_per_day)
    due_on, decided_by = whichever_first(day_limit, by_km)
    service = arrival.service_of(usage.next_kpb_number if usage.next_kind == "KPB" else None, vehicle.last_job_type)
    habit = arrival.offset_days(session, service, vehicle.branch_id)
    by_calendar = session.get(ArrivalCalendar, vehicle.id) is not None
    expected = None if habit is None and not by_calendar else \
        (day_limit if by_calendar else due_on) + dt.timedelta(days=round(habit or 0))
    return NextService(due_on, decided_by, usage.next_kind, usage.next_kpb_number, usage.km_per_day,
                       _basis(usage.weight), usage.readings, usage.ignored, expected, by_calendar)


def kpb_limits(purchase: dt.date, days: int, km: int, km_per_day: float | None, last_km: int | None,
               last_km_on: dt.date | None) -> tuple[dt.date, dt.date | None]:
    """KPB n's day limit and the day its odometer reaches the km limit (from the last accepted reading)."""
    return purchase + dt.timedelta(days=days), km_day(last_km_on or purchase, km - (last_km or 0), km_per_day)


def regular_limits(session: Session, last_service: dt.date, last_job: str | None,
                   km_per_day: float | None) -> tuple[dt.date, dt.date | None]:
    """The regular service's day limit (after a KPB job the regular interval, else 'not back for N days') and
    the day the interval's km are done since the last service."""
    after_kpb = (last_job or "").startswith("ASS")
    days = settings.get(session, "leads.regular_interval_days" if after_kpb else "leads.not_back_days")
    return (last_service + dt.timedelta(days=days),
            km_day(last_service, settings.get(session, "leads.regular_interval_km"), km_per_day))


def _kpb_rule(session: Session, engine_no: str, number: int) -> KpbRule | None:
    """The rule of the longest engine-code prefix with a row for KPB `number`, else the default row."""
    rules = session.scalars(select(KpbRule).where(KpbRule.kpb_number == number)).all()
    specific = sorted((r for r in rules if r.engine_code != DEFAULT_ENGINE_CODE
                       and engine_no.startswith(r.engine_code)), key=lambda r: -len(r.engine_code))
    return specific[0] if specific else next((r for r in rules if r.engine_code == DEFAULT_ENGINE_CODE), None)
