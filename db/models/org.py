"""The dealer's organisation: branches, users and their access, settings, counters, audit."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, BigId, IdMixin, OdooSynced, TimestampMixin, UTCDateTime, str_enum
from db.enums import Role


class Branch(IdMixin, TimestampMixin, OdooSynced, Base):
    __tablename__ = "branch"

    code: Mapped[str] = mapped_column(String(20), unique=True)  # e.g. SAM01, A-BAN08
    name: Mapped[str] = mapped_column(String(120))
    ahass_code: Mapped[str | None] = mapped_column(String(20))
    timezone: Mapped[str] = mapped_column(String(40), default="Asia/Jakarta")  # WIB/WITA/WIT
    province: Mapped[str | None] = mapped_column(String(60))
    city_code: Mapped[str | None] = mapped_column(String(10))
    phone: Mapped[str | None] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    rings: Mapped[list[BranchRing]] = relationship(
        back_populates="branch", cascade="all, delete-orphan", order_by="BranchRing.ring"
    )

    @property
    def label(self) -> str:
        return f"[{self.code}] {self.name}"


class BranchRing(IdMixin, Base):
    """Coverage zones around a branch (ring 1/2/3) by district code, for home-service visits."""

    __tablename__ = "branch_ring"
    __table_args__ = (UniqueConstraint("branch_id", "district_code"),)

    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id", ondelete="CASCADE"), index=True)
    district_code: Mapped[str] = mapped_column(String(10))
    ring: Mapped[int] = mapped_column(Integer)

    branch: Mapped[Branch] = relationship(back_populates="rings")


class User(IdMixin, TimestampMixin, OdooSynced, Base):
    __tablename__ = "app_user"

    username: Mapped[str] = mapped_column(String(60), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(100))
    role: Mapped[Role] = mapped_column(str_enum(Role))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    language: Mapped[str] = mapped_column(String(2), default="id")
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Sessions and re-login cookies issued before this moment are no longer valid
    # (set on logout-everywhere, password change and disabling).
    sessions_valid_after: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    branches: Mapped[list[Branch]] = relationship(secondary="user_branch", order_by="Branch.code")


class UserBranch(Base):
    __tablename__ = "user_branch"

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id", ondelete="CASCADE"), primary_key=True)


class AuthSession(Base):
    """Server-side record of a login: checked on every run, so logout and disabling take effect at
    once. The browser's re-login cookie is bound to it by hash (core.accounts.login_cookie): it resumes this
    session and nothing else, so revoking the session revokes the cookie."""

    __tablename__ = "auth_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # random token
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    cookie_hash: Mapped[str | None] = mapped_column(String(64), unique=True)  # sha256 of the cookie secret
    cookie_ticket_hash: Mapped[str | None] = mapped_column(String(64), index=True)  # one-time, to set it
    cookie_ticket_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Setting(Base):
    """Per-dealer settings (SOP offsets, lead engine switches...); defaults live in core.platform.settings."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))


class Counter(Base):
    """Document number counters, one row per series (e.g. 'LDS/SAM01/2007')."""

    __tablename__ = "counter"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class AuditLog(Base):
    """Who did what to which record, with old and new values. Written by core, never edited."""

    __tablename__ = "audit_log"
    # The audit viewer's searches: one record's history, and one user's actions.
    __table_args__ = (
        Index("ix_audit_log_object", "object_type", "object_id"),
        Index("ix_audit_log_user_at", "user_id", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(60))  # dotted code, e.g. lead.followup
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None] = mapped_column(BigId)
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branch.id", ondelete="SET NULL"), index=True)
    changes: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)
