"""The closed vocabularies of the domain, stored as their string values."""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    PIC_CRM = "pic_crm"  # head-office CRM PIC: all branches, settings
    KACAB = "kacab"  # Kepala Cabang: branch head
    KABENG = "kabeng"  # Kepala Bengkel: workshop head
    ADMIN_CRM = "admin_crm"  # Admin CRM H23 / frontdesk: does the follow-ups
    SA = "sa"  # service advisor: bookings, visits


class LeadCategory(enum.StrEnum):
    H1_H2 = "h1_h2"  # from sales: KPB window, or regular after KPB 4
    H2_H2 = "h2_h2"  # from service history: not back for N days
    MANUAL = "manual"  # typed in by a user


class ServiceKind(enum.StrEnum):
    KPB = "KPB"
    REG = "REG"


class Stage(enum.StrEnum):
    """One record goes through its whole life: lead, then opportunity stages."""

    LEAD = "lead"  # Lead, stage New
    NEW = "new"  # Opportunity, stage New (converted)
    FU1 = "fu1"
    FU2 = "fu2"
    FU3 = "fu3"
    WON = "won"
    LOST = "lost"


class Priority(enum.StrEnum):
    NORMAL = "normal"
    HIGH = "high"


class Temperature(enum.StrEnum):
    """Prospect temperature (the seed's 'Opportunity Status')."""

    HOT = "hot"  # will come within 1-3 days (>70%)
    MEDIUM = "medium"  # 4-7 days (>50%)
    COLD = "cold"  # 7-10 days (>25%)


class ContactStatus(enum.StrEnum):
    """The seed's 'Status Customer': the outcome of a contact attempt."""

    TERHUBUNG = "terhubung"  # WA/SMS delivered, or the call was answered
    TIDAK_TERHUBUNG = "tidak_terhubung"  # not delivered, invalid or inactive number
    REJECTED = "rejected"  # connected but not picked up, or refused


class Channel(enum.StrEnum):
    WHATSAPP = "whatsapp"
    SMS = "sms"
    CALL = "call"
    VISIT = "visit"


class BookingState(enum.StrEnum):
    DRAFT = "draft"
    POSTED = "posted"
    WORK_ORDER = "work_order"  # work order created from the booking
    CANCELLED = "cancelled"


class StaffKind(enum.StrEnum):
    MECHANIC = "mechanic"
    SERVICE_ADVISOR = "sa"


class TouchKind(enum.StrEnum):
    """The SOP's planned contacts (DOMAIN.md "The follow-up cadence")."""

    MESSAGE_H7 = "message_h7"  # WhatsApp/SMS reminder at H-7
    CALL_H3 = "call_h3"  # phone call at H-3
    BOOKING_CONFIRM = "booking_confirm"  # call on the morning of the booking
    FEEDBACK_H3 = "feedback_h3"  # thank-you/feedback call at H+3 after service
    VISIT = "visit"  # monthly home-service visit list (ring coverage)


class TouchState(enum.StrEnum):
    PLANNED = "planned"
    DONE = "done"
    CANCELLED = "cancelled"  # no longer needed (lead closed, booking cancelled)


class JobState(enum.StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
