"""UU PDP: the consent a customer gave or withdrew, with how and the proof."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, BranchOwned, IdMixin, UTCDateTime


class ConsentRecord(IdMixin, BranchOwned, Base):
    """One grant or withdrawal of one purpose (contact / message). Never edited: the customer's
    current consent is the flag on the customer, and this table is its history and evidence."""

    __tablename__ = "consent_record"
    __table_args__ = (Index("ix_consent_record_customer_at", "customer_id", "at"),)

    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"))  # the customer's branch
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(20))  # contact | message
    granted: Mapped[bool] = mapped_column(Boolean)  # False = withdrawn
    channel: Mapped[str] = mapped_column(String(40))  # how: form, phone call, whatsapp reply, ...
    proof: Mapped[str] = mapped_column(Text)  # the words, a document number, a message id...
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
