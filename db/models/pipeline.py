"""The follow-up pipeline: leads/opportunities, follow-up attempts, booking service."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, BranchOwned, IdMixin, OdooSynced, TimestampMixin, UTCDateTime, str_enum
from db.enums import (
    BookingState,
    Channel,
    ContactStatus,
    LeadCategory,
    Priority,
    ServiceKind,
    Stage,
    Temperature,
)
from db.models.customers import Customer, Vehicle
from db.models.master import LostReason, Occupation, Pit, Staff
from db.models.org import Branch, User


class Lead(IdMixin, TimestampMixin, OdooSynced, BranchOwned, Base):
    """One record from lead to Won/Lost, as in the seed's Odoo (crm.lead).

    Contact fields are kept on the lead as the admin saw and edited them; editing them also
    updates the customer master (core.leads.lead)."""

    __tablename__ = "lead"
    __table_args__ = (
        # One open lead per vehicle per due service (due_key = 'KPB3', 'REG:2020-09-01', ...).
        Index("uq_lead_open_due", "vehicle_id", "due_key", unique=True,
              sqlite_where=text("closed_at IS NULL"), postgresql_where=text("closed_at IS NULL")),
        Index("ix_lead_branch_stage_deadline", "branch_id", "stage", "deadline"),
        # The lead list: a branch's leads newest first (id: the tie-break, and what a page's rows are
        # fetched by), the list's most used filters and the search box's columns, so a search tests the
        # branch's index entries alone instead of its rows spread over the whole table.
        Index("ix_lead_branch_created_search", "branch_id", "created_at", "id", "stage", "kpb_number",
              "contact_name", "number", "phone", "plate", "engine_no"),
        Index("ix_lead_customer", "customer_id"),
        Index("ix_lead_assigned_stage", "assigned_user_id", "stage"),
        # 'Has this vehicle ever had a lead for this due?' (the lead engine's NOT EXISTS), open or closed.
        Index("ix_lead_vehicle_due", "vehicle_id", "due_key"),
        Index("ix_lead_plate", "plate"),
        Index("ix_lead_engine_no", "engine_no"),
        # The leads not yet in the search index (core.leads.search_index): a search over every branch
        # scans these few and asks the index for the rest. Spelled as each dialect compiles the test.
        Index("ix_lead_search_pending", "id", sqlite_where=text("search_indexed = 0"),
              postgresql_where=text("NOT search_indexed")),
    )

    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"))
    number: Mapped[str] = mapped_column(String(40), unique=True)  # LDS/<branch>/<yymm>/<nnnnn>
    category: Mapped[LeadCategory] = mapped_column(str_enum(LeadCategory))
    division: Mapped[str] = mapped_column(String(20), default="Workshop")
    sales_source: Mapped[str | None] = mapped_column(String(30))  # Showroom / CRM / Leads ...
    source_document: Mapped[str | None] = mapped_column(String(60))
    stage: Mapped[Stage] = mapped_column(str_enum(Stage), default=Stage.LEAD)
    priority: Mapped[Priority] = mapped_column(str_enum(Priority), default=Priority.NORMAL)

    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"))
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicle.id"))
    contact_name: Mapped[str | None] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(16))
    nik: Mapped[str | None] = mapped_column(String(16))
    address: Mapped[str | None] = mapped_column(String(255))
    occupation_id: Mapped[int | None] = mapped_column(ForeignKey("occupation.id"))
    customer_code: Mapped[str | None] = mapped_column(String(30))
    # The unit as the lead shows it (the seed's Engine No, Type Unit, Product, Sales Date). Kept on the
    # lead because the unit may be registered to another branch than the one working the lead.
    engine_no: Mapped[str | None] = mapped_column(String(12))
    plate: Mapped[str | None] = mapped_column(String(12))
    unit_type_code: Mapped[str | None] = mapped_column(String(30))
    unit_name: Mapped[str | None] = mapped_column(String(120))
    colour: Mapped[str | None] = mapped_column(String(60))
    sales_date: Mapped[dt.date | None] = mapped_column(Date)

    # What service the lead recommends and by when.
    service_kind: Mapped[ServiceKind] = mapped_column(str_enum(ServiceKind), default=ServiceKind.REG)
    kpb_number: Mapped[int | None] = mapped_column(Integer)
    deadline: Mapped[dt.date | None] = mapped_column(Date)  # KPB date expired / planned regular date
    # When the customer is expected: the deadline moved by the branch's arrival habit (core.prediction.arrival),
    # never after the deadline for the touches; None for a manual lead or before any habit was measured.
    expected_on: Mapped[dt.date | None] = mapped_column(Date)
    due_key: Mapped[str] = mapped_column(String(20), default="MANUAL")
    last_service_type: Mapped[str | None] = mapped_column(String(10))
    last_service_date: Mapped[dt.date | None] = mapped_column(Date)

    # Opportunity: the seed's Follow Up 1..3 and their plans.
    converted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    fu1_date: Mapped[dt.date | None] = mapped_column(Date)
    next_plan_fu2: Mapped[dt.date | None] = mapped_column(Date)
    fu2_date: Mapped[dt.date | None] = mapped_column(Date)
    next_plan_fu3: Mapped[dt.date | None] = mapped_column(Date)
    fu3_date: Mapped[dt.date | None] = mapped_column(Date)
    expected_closing: Mapped[dt.date | None] = mapped_column(Date)
    temperature: Mapped[Temperature | None] = mapped_column(str_enum(Temperature))
    contact_status: Mapped[ContactStatus | None] = mapped_column(str_enum(ContactStatus))
    promised_date: Mapped[dt.date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)

    # Closing.
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # In the head office search index yet (core.leads.search_index; the index itself is migration 0020's,
    # outside the models: db.migrate.UNMODELLED).
    search_indexed: Mapped[bool] = mapped_column(default=False, server_default=false())
    lost_reason_id: Mapped[int | None] = mapped_column(ForeignKey("lost_reason.id"))
    lost_note: Mapped[str | None] = mapped_column(Text)
    won_work_order_id: Mapped[int | None] = mapped_column(ForeignKey("work_order.id"))
    won_branch_id: Mapped[int | None] = mapped_column(ForeignKey("branch.id"))  # where the unit came
    # The last touch done before that service: it gets the credit. No foreign key: touch already points at
    # lead, and a cycle would order neither table first.
    won_touch_id: Mapped[int | None] = mapped_column(Integer)

    assigned_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    # Optimistic concurrency: a stale save is refused, never silently lost.
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}

    branch: Mapped[Branch] = relationship(foreign_keys=[branch_id])
    customer: Mapped[Customer | None] = relationship()
    vehicle: Mapped[Vehicle | None] = relationship()
    occupation: Mapped[Occupation | None] = relationship()
    lost_reason: Mapped[LostReason | None] = relationship()
    assigned_user: Mapped[User | None] = relationship(foreign_keys=[assigned_user_id])
    followups: Mapped[list[FollowUp]] = relationship(
        back_populates="lead", order_by="FollowUp.id", cascade="all, delete-orphan"
    )

    @property
    def is_opportunity(self) -> bool:
        return self.stage != Stage.LEAD

    @property
    def is_closed(self) -> bool:
        return self.stage in (Stage.WON, Stage.LOST)


class FollowUp(IdMixin, BranchOwned, Base):
    """One contact attempt or stage entry, kept forever: the timeline and PICA read these."""

    __tablename__ = "followup"
    __table_args__ = (Index("ix_followup_branch_done", "branch_id", "done_on"),)

    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"))
    lead_id: Mapped[int] = mapped_column(ForeignKey("lead.id", ondelete="CASCADE"), index=True)
    stage_number: Mapped[int] = mapped_column(Integer)  # 1..3; 0 = contact before conversion
    done_on: Mapped[dt.date] = mapped_column(Date)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel), default=Channel.CALL)
    contact_status: Mapped[ContactStatus] = mapped_column(str_enum(ContactStatus))
    temperature: Mapped[Temperature | None] = mapped_column(str_enum(Temperature))
    promised_date: Mapped[dt.date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    lead: Mapped[Lead] = relationship(back_populates="followups")


class Booking(IdMixin, TimestampMixin, OdooSynced, BranchOwned, Base):
    """Booking service (the seed's dealer memo): Draft -> Posted -> work order | cancelled."""

    __tablename__ = "booking"
    __table_args__ = (
        Index("ix_booking_branch_at", "branch_id", "booking_at"),
        Index("ix_booking_pit_at", "pit_id", "booking_at"),
        Index("ix_booking_customer", "customer_id"),  # the customer view's timeline
    )

    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"))
    number: Mapped[str] = mapped_column(String(40), unique=True)  # BOS-W/<branch>/<yymm>/<nnnnn>
    state: Mapped[BookingState] = mapped_column(str_enum(BookingState), default=BookingState.DRAFT)
    booking_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)  # aware; shown in branch time
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("lead.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"))
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicle.id"))
    mobile: Mapped[str | None] = mapped_column(String(16))
    service_kind: Mapped[ServiceKind] = mapped_column(str_enum(ServiceKind))
    kpb_number: Mapped[int | None] = mapped_column(Integer)
    reason_to_come: Mapped[str | None] = mapped_column(String(40))  # a code: PHONE_REMINDER, ... (choices)
    complaint: Mapped[str | None] = mapped_column(Text)  # keluhan
    carrier_relation: Mapped[str | None] = mapped_column(String(30))  # a code: SELF, FAMILY, ...
    pit_id: Mapped[int | None] = mapped_column(ForeignKey("pit.id"))
    mechanic_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    service_advisor_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    work_order_id: Mapped[int | None] = mapped_column(ForeignKey("work_order.id"))
    cancel_reason: Mapped[str | None] = mapped_column(String(255))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}

    branch: Mapped[Branch] = relationship()
    lead: Mapped[Lead | None] = relationship()
    customer: Mapped[Customer | None] = relationship()
    vehicle: Mapped[Vehicle | None] = relationship()
    pit: Mapped[Pit | None] = relationship()
    mechanic: Mapped[Staff | None] = relationship(foreign_keys=[mechanic_id])
    service_advisor: Mapped[Staff | None] = relationship(foreign_keys=[service_advisor_id])
