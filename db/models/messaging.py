"""Messaging: per-branch channels and templates, the outbox of automatic messages, and the events
(delivery receipts, customer replies) the providers report back."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, BigId, BranchOwned, IdMixin, UTCDateTime


class MessagingConfig(IdMixin, BranchOwned, Base):
    """Head office's messaging settings for one branch (no row: every touch stays manual)."""

    __tablename__ = "messaging_config"

    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id", ondelete="CASCADE"), unique=True)
    # {touch kind: "whatsapp" | "sms" | "manual"}; a kind not listed is manual.
    channels: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    send_start: Mapped[str] = mapped_column(String(5), default="08:00")  # branch local time
    send_end: Mapped[str] = mapped_column(String(5), default="20:00")
    cap_messages: Mapped[int] = mapped_column(Integer, default=2)  # at most this many per customer...
    cap_days: Mapped[int] = mapped_column(Integer, default=7)  # ...in this many days
    wa_phone_number_id: Mapped[str | None] = mapped_column(String(40))  # the branch's WhatsApp number
    booking_link: Mapped[str | None] = mapped_column(String(200))  # {booking}: a link or a number
    cost_whatsapp: Mapped[int] = mapped_column(Integer, default=450)  # Rupiah per message (estimate)
    cost_sms: Mapped[int] = mapped_column(Integer, default=350)
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))


class MessageTemplate(IdMixin, BranchOwned, Base):
    """A branch's Indonesian text for one touch kind, with {variables}; the approved WhatsApp
    template of the same wording is named by wa_template (its {{1}}..{{n}} follow the variables)."""

    __tablename__ = "message_template"
    __table_args__ = (UniqueConstraint("branch_id", "kind"),)

    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    wa_template: Mapped[str | None] = mapped_column(String(80))
    wa_category: Mapped[str] = mapped_column(String(20), default="utility")  # utility | marketing
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))


class OutboxMessage(IdMixin, BranchOwned, Base):
    """One automatic message. `idem_key` (t<touch id>) makes it exist once per touch, ever; the
    worker claims rows by state and next_attempt_at, and a claim expires at lease_until."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        Index("ix_outbox_message_state_next", "state", "next_attempt_at"),
        Index("ix_outbox_message_provider_id", "provider_id"),
        Index("ix_outbox_message_customer_created", "customer_id", "created_at"),
        Index("ix_outbox_message_branch_created", "branch_id", "created_at"),
        Index("ix_outbox_message_touch", "touch_id"),  # queueing skips touches that have their message
    )

    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"))
    idem_key: Mapped[str] = mapped_column(String(60), unique=True)
    touch_id: Mapped[int | None] = mapped_column(ForeignKey("touch.id", ondelete="SET NULL"))
    lead_id: Mapped[int | None] = mapped_column(BigId)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"))
    kind: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(20))  # whatsapp | sms
    to_phone: Mapped[str] = mapped_column(String(16))  # E.164
    body: Mapped[str] = mapped_column(Text)
    wa_template: Mapped[str | None] = mapped_column(String(80))
    wa_category: Mapped[str | None] = mapped_column(String(20))
    wa_sender: Mapped[str | None] = mapped_column(String(40))
    params: Mapped[list[Any] | None] = mapped_column(JSON)
    # queued -> sending -> sent -> delivered -> read; failed; cancelled (no consent / cap / closed).
    state: Mapped[str] = mapped_column(String(20), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    provider_id: Mapped[str | None] = mapped_column(String(120))
    error_code: Mapped[str | None] = mapped_column(String(40))
    error: Mapped[str | None] = mapped_column(Text)
    cost: Mapped[int] = mapped_column(Integer, default=0)  # Rupiah estimate, set once sent
    outcome_logged: Mapped[str | None] = mapped_column(String(20))  # contact status written to the lead
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class MessageEvent(IdMixin, Base):
    """What a provider reported: a status of one of our messages, or a message from a customer.
    `event_key` makes a webhook delivered twice count once. The branch may be unknown (a number we
    do not know), so this is not BranchOwned: reads filter by branch explicitly."""

    __tablename__ = "message_event"
    __table_args__ = (
        Index("ix_message_event_lead_at", "lead_id", "at"),
        Index("ix_message_event_customer_at", "customer_id", "at"),
        Index("ix_message_event_branch_at", "branch_id", "at"),
    )

    event_key: Mapped[str] = mapped_column(String(200), unique=True)
    direction: Mapped[str] = mapped_column(String(10))  # status | inbound
    provider: Mapped[str] = mapped_column(String(20))
    provider_id: Mapped[str | None] = mapped_column(String(120))
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_message.id", ondelete="SET NULL"))
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branch.id", ondelete="SET NULL"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id", ondelete="SET NULL"))
    lead_id: Mapped[int | None] = mapped_column(BigId)
    status: Mapped[str | None] = mapped_column(String(20))
    error_code: Mapped[str | None] = mapped_column(String(40))
    from_phone: Mapped[str | None] = mapped_column(String(16))
    text: Mapped[str | None] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
