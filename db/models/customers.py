"""Customers (CDDB), their vehicles, sales (H1) and work orders (H2)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, Numeric, String, null, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, BigId, BranchOwned, IdMixin, OdooSynced, TimestampMixin, UTCDateTime
from db.models.master import Occupation


class Customer(IdMixin, TimestampMixin, OdooSynced, BranchOwned, Base):
    """The CDDB record AHM requires; owned by the branch that registered the customer."""

    __tablename__ = "customer"
    __table_args__ = (
        # One customer per NIK across the dealer; rows without a NIK are matched by phone + name.
        Index("uq_customer_nik", "nik", unique=True, sqlite_where=text("nik IS NOT NULL"),
              postgresql_where=text("nik IS NOT NULL")),
        Index("ix_customer_phone", "phone"),
        Index("ix_customer_branch_name", "branch_id", "name"),
    )

    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"), index=False)
    code: Mapped[str] = mapped_column(String(30), unique=True)  # BPA/yymm/nnnnnnn
    name: Mapped[str] = mapped_column(String(120))
    nik: Mapped[str | None] = mapped_column(String(16))
    phone: Mapped[str | None] = mapped_column(String(16))  # E.164, +628...
    phone2: Mapped[str | None] = mapped_column(String(16))
    address: Mapped[str | None] = mapped_column(String(255))
    province_code: Mapped[str | None] = mapped_column(String(2))
    city_code: Mapped[str | None] = mapped_column(String(4))
    district_code: Mapped[str | None] = mapped_column(String(7))
    village_code: Mapped[str | None] = mapped_column(String(10))
    postal_code: Mapped[str | None] = mapped_column(String(5))
    occupation_id: Mapped[int | None] = mapped_column(ForeignKey("occupation.id"))
    birth_date: Mapped[dt.date | None] = mapped_column(Date)
    gender: Mapped[str | None] = mapped_column(String(1))
    # UU PDP: recorded consent; withdrawal stops messaging.
    consent_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_message: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    consent_source: Mapped[str | None] = mapped_column(String(60))
    anonymised_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    occupation: Mapped[Occupation | None] = relationship()
    vehicles: Mapped[list[Vehicle]] = relationship(back_populates="customer", order_by="Vehicle.id")


class Vehicle(IdMixin, TimestampMixin, OdooSynced, BranchOwned, Base):
    """A motorcycle, keyed by engine number; owned by its selling (or first-service) branch."""

    __tablename__ = "vehicle"
    __table_args__ = (
        Index("ix_vehicle_plate", "plate"),
        Index("ix_vehicle_branch_purchase", "branch_id", "purchase_date"),
        Index("ix_vehicle_customer", "customer_id"),
        Index("ix_vehicle_purchase", "purchase_date"),  # the lead engine's KPB windows
        Index("ix_vehicle_last_service", "last_service_date"),  # ...and its regular-service windows
    )

    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"))
    engine_no: Mapped[str] = mapped_column(String(12), unique=True)
    engine_code: Mapped[str] = mapped_column(String(5))  # first chars of the engine no, for KPB rules
    frame_no: Mapped[str | None] = mapped_column(String(17))
    plate: Mapped[str | None] = mapped_column(String(12))
    unit_type_code: Mapped[str | None] = mapped_column(String(30))
    unit_name: Mapped[str | None] = mapped_column(String(120))
    colour: Mapped[str | None] = mapped_column(String(60))
    purchase_date: Mapped[dt.date | None] = mapped_column(Date)  # SMH date: KPB deadlines count from it
    premium: Mapped[bool] = mapped_column(Boolean, default=False)
    # The latest work order, kept by core.bookings.workorders.refresh_last_service: 'not back for N days' is then
    # one indexed range on this table instead of a search for each vehicle's latest work order.
    last_service_date: Mapped[dt.date | None] = mapped_column(Date)
    last_job_type: Mapped[str | None] = mapped_column(String(5))
    last_service_branch_id: Mapped[int | None] = mapped_column(BigId)  # a cache of the work order's: no FK

    customer: Mapped[Customer | None] = relationship(back_populates="vehicles")

    @property
    def label(self) -> str:
        return f"{self.plate or '-'} - {self.engine_no}"


class Sale(IdMixin, TimestampMixin, OdooSynced, BranchOwned, Base):
    """H1: a motorcycle sold by a branch."""

    __tablename__ = "sale"
    # The re-import's freshness check (core.intake.hashing.stored_unchanged) reads only this index on sale.
    __table_args__ = (Index("ix_sale_branch_date", "branch_id", "sale_date"),
                      Index("ix_sale_row_hash_fresh", "row_hash", "vehicle_id", "customer_id", "updated_at",
                            "branch_id"))

    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"))
    number: Mapped[str | None] = mapped_column(String(40), unique=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicle.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), index=True)
    sale_date: Mapped[dt.date] = mapped_column(Date)
    sales_source: Mapped[str | None] = mapped_column(String(30))  # Showroom, CRM, ...
    payment: Mapped[str | None] = mapped_column(String(10))  # cash / credit
    # The hash of the import row this sale was last stored from (core.intake.hashing), so a re-import skips
    # unchanged rows without validating them. Any other update of the sale clears it (onupdate NULL).
    row_hash: Mapped[int | None] = mapped_column(BigInteger, onupdate=null())


class WorkOrder(IdMixin, TimestampMixin, OdooSynced, BranchOwned, Base):
    """H2: a unit entry (PKB), arriving from the dealer system or created from a booking."""

    __tablename__ = "work_order"
    __table_args__ = (
        Index("ix_work_order_vehicle_date", "vehicle_id", "service_date"),
        Index("ix_work_order_branch_date", "branch_id", "service_date"),
        Index("ix_work_order_date", "service_date"),  # the lead engine's regular-service windows
        Index("ix_work_order_updated", "updated_at"),  # the usage refresh's late imports (core.prediction.usage)
    )

    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"))
    number: Mapped[str] = mapped_column(String(40), unique=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicle.id"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), index=True)
    service_date: Mapped[dt.date] = mapped_column(Date)
    km: Mapped[int | None] = mapped_column(Integer)
    job_type: Mapped[str] = mapped_column(String(5))  # AHM code: ASS1-4, QS, LR, HR, JR, C1, C2, ...
    kpb_number: Mapped[int | None] = mapped_column(Integer)  # 1-4 when job_type is ASS1-4
    pit_id: Mapped[int | None] = mapped_column(ForeignKey("pit.id"))
    mechanic_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    service_advisor_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    amount: Mapped[float | None] = mapped_column(Numeric(14, 2))
