"""Declarative base, naming convention and the column types every model shares."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import BigInteger, DateTime, Enum as SAEnum, ForeignKey, Integer, MetaData, String, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Stable constraint names, so migrations can alter them on both SQLite (batch mode) and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# 64-bit ids on PostgreSQL (millions of vehicles, tens of millions of work orders); on SQLite an
# INTEGER PRIMARY KEY is the rowid alias, which is already 64-bit and much faster.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware datetimes in, aware UTC datetimes out, on both databases (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware datetime (core.platform.clock.now())")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # raw SQL on SQLite may hand back text
            value = dt.datetime.fromisoformat(value)
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def str_enum(enum_cls: type[enum.Enum], length: int = 20) -> SAEnum:
    """Store an enum's values as plain strings: no native type, no CHECK, so adding a value needs no
    migration on either database; the Python enum still validates what we write."""
    return SAEnum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class IdMixin:
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)


def _now() -> dt.datetime:
    # The one clock of the application (tests freeze it), imported late: core builds on db, not back.
    from core.platform import clock

    return clock.now()


class TimestampMixin:
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=_now, nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=_now, onupdate=_now, nullable=False)


class BranchOwned:
    """Marker for rows that belong to one branch: every ORM read of them is scoped to the viewer's
    branches by db.scoping (the safety net), on top of the explicit scope in core queries."""

    # Declared here (models may redeclare it) so the scoping criteria can name cls.branch_id.
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"))


def code_column(length: int = 40, **kw: Any) -> Mapped[str]:
    return mapped_column(String(length), **kw)


class OdooKey:
    """The Odoo 8 record this row was migrated from (core.migration), to trace it and to re-sync it."""

    odoo_id: Mapped[int | None] = mapped_column(BigInteger, index=True, unique=True)


class OdooSynced(OdooKey):
    """...and when the sync last wrote it: a row updated later than that was edited in H23, and a later
    sync keeps H23's values (core.migration.writer)."""

    odoo_synced_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
