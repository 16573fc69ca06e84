"""The weekly recap e-mail's send log: one row per recipient, recap scope (a branch, or head office)
and week, so each head gets each week's recap once whatever the number of workers or restarts."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, IdMixin, UTCDateTime


class RecapMail(IdMixin, Base):
    """queued -> sending (claimed, leased) -> sent; retry (SMTP refused for now, waits
    next_attempt_at); failed (refused for good, or out of attempts). no_email (the head has no
    address) and no_head (the branch has nobody to send to) are reported, never sent.

    Not BranchOwned: head office's rows have no branch; readers scope by branch_id explicitly."""

    __tablename__ = "recap_mail"
    __table_args__ = (
        Index("ix_recap_mail_state_next", "state", "next_attempt_at"),  # the sender's claim
        Index("ix_recap_mail_branch_latest", "branch_id", "id"),  # the page's latest sends per branch
    )

    # <week yyyymmdd>:<B<branch id> | HO>:<user id | ->: inserting it claims the recipient's week.
    dedup_key: Mapped[str] = mapped_column(String(60), unique=True)
    week: Mapped[dt.date] = mapped_column(Date)  # Monday of the recapped week (branch-local days)
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branch.id", ondelete="CASCADE"))  # None: head office
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    email: Mapped[str | None] = mapped_column(String(120))
    lang: Mapped[str] = mapped_column(String(2), default="id")
    state: Mapped[str] = mapped_column(String(10), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
