"""Each motorcycle's usage (km per day from its own odometer readings) and the next service it predicts,
kept by core.prediction.usage with the daily lead run; and the typical rate per model and branch."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, BigId


class VehicleUsage(Base):
    """One row per vehicle with at least one odometer reading (a vehicle without one reads the typical
    rate of its model and branch from usage_typical)."""

    __tablename__ = "vehicle_usage"
    # km_due_on: the lead engine's km window; refreshed_on: when the last refresh ran (one index read).
    __table_args__ = (Index("ix_vehicle_usage_km_due", "km_due_on"),
                      Index("ix_vehicle_usage_refreshed", "refreshed_on"))

    vehicle_id: Mapped[int] = mapped_column(BigId, ForeignKey("vehicle.id", ondelete="CASCADE"), primary_key=True)
    readings: Mapped[int] = mapped_column(Integer, default=0)  # accepted, the purchase (0 km) included
    ignored: Mapped[int] = mapped_column(Integer, default=0)  # lower than the last, or an impossible jump
    own_km_per_day: Mapped[float | None] = mapped_column(Float)  # None with fewer than two readings
    km_per_day: Mapped[float] = mapped_column(Float)  # own rate shrunk toward the typical one
    weight: Mapped[float] = mapped_column(Float, default=0.0)  # the own rate's share in km_per_day
    span_days: Mapped[int | None] = mapped_column(Integer)  # days between the first and last accepted readings
    # sum of dk^2/dd over the accepted steps less S^2/D: the noise of its km around its own rate (3+ readings)
    resid_ss: Mapped[float | None] = mapped_column(Float)
    last_km: Mapped[int | None] = mapped_column(Integer)  # the last accepted reading
    last_km_on: Mapped[dt.date | None] = mapped_column(Date)
    # The next service and the day its km limit is reached at km_per_day (the day limit is the lead
    # engine's own: purchase + KPB days, last service + interval); indexed for the lead engine's window.
    next_kind: Mapped[str] = mapped_column(String(3))  # KPB | REG
    next_kpb_number: Mapped[int | None] = mapped_column(Integer)
    km_due_on: Mapped[dt.date | None] = mapped_column(Date)
    refreshed_on: Mapped[dt.date] = mapped_column(Date)


class UsageTypical(Base):
    """The typical km per day of a model at a branch (branch_id 0: every branch; unit_type_code '*':
    every model), the median of its vehicles' own rates; refreshed with the vehicles' rates."""

    __tablename__ = "usage_typical"

    unit_type_code: Mapped[str] = mapped_column(String(30), primary_key=True)
    branch_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    km_per_day: Mapped[float] = mapped_column(Float)
    vehicles: Mapped[int] = mapped_column(Integer)
    # The estimated shrinkage K = s^2 / tau^2 in days (core.prediction.usage), on the '*' row only.
    shrink_days: Mapped[float | None] = mapped_column(Float)
    refreshed_on: Mapped[dt.date] = mapped_column(Date)


class ArrivalOffset(Base):
    """When customers come relative to the day their service falls due (core.prediction.arrival): the median
    of (service date - due day) over a year's services, per service ('KPB1'..'KPB4', 'H1H2' the first regular
    after a KPB, 'H2H2' the regular after a regular) and branch (0: every branch)."""

    __tablename__ = "arrival_offset"

    service: Mapped[str] = mapped_column(String(8), primary_key=True)
    branch_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    offset_days: Mapped[float] = mapped_column(Float)  # negative: they come before the due day
    services: Mapped[int] = mapped_column(Integer)
    refreshed_on: Mapped[dt.date] = mapped_column(Date)


class ArrivalCalendar(Base):
    """A motorcycle whose customer comes by the calendar whatever its km (core.prediction.arrival): where its
    km limit came well before its day limit, its services came near the day limit. Its expected day counts
    from the day limit; its deadline stays the rule's."""

    __tablename__ = "arrival_calendar"

    vehicle_id: Mapped[int] = mapped_column(BigId, ForeignKey("vehicle.id", ondelete="CASCADE"), primary_key=True)
    services: Mapped[int] = mapped_column(Integer)  # the services that told km from calendar
    refreshed_on: Mapped[dt.date] = mapped_column(Date)
