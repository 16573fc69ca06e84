"""Master data head office maintains: occupations, unit types, KPB rules, lost reasons, pits, staff."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, BranchOwned, IdMixin, OdooKey, str_enum
from db.enums import StaffKind


class Occupation(IdMixin, Base):
    """Pekerjaan: the CDDB occupation list."""

    __tablename__ = "occupation"

    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    sort: Mapped[int] = mapped_column(Integer, default=0)


class UnitType(IdMixin, OdooKey, Base):
    """A Honda model/variant, e.g. X1H02N35S2 'New Vario Techno 150 Plus'."""

    __tablename__ = "unit_type"

    code: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    engine_code: Mapped[str | None] = mapped_column(String(5), index=True)
    segment: Mapped[str | None] = mapped_column(String(20))  # matic / cub / sport
    # Premium models get the H+3 feedback call after any job (the SOP).
    premium: Mapped[bool] = mapped_column(Boolean, default=False)


class KpbRule(IdMixin, Base):
    """Free-service deadline per engine code and KPB number; engine_code '*' is the default row."""

    __tablename__ = "kpb_rule"
    __table_args__ = (UniqueConstraint("engine_code", "kpb_number"),)

    engine_code: Mapped[str] = mapped_column(String(5))
    kpb_number: Mapped[int] = mapped_column(Integer)
    days: Mapped[int] = mapped_column(Integer)  # nominal days after purchase
    km: Mapped[int] = mapped_column(Integer)
    grace_days: Mapped[int] = mapped_column(Integer, default=0)  # dealer's claim grace
    grace_km: Mapped[int] = mapped_column(Integer, default=0)


class LostReason(IdMixin, Base):
    __tablename__ = "lost_reason"

    code: Mapped[str] = mapped_column(String(30), unique=True)
    name_id: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    sort: Mapped[int] = mapped_column(Integer, default=0)


class Pit(IdMixin, BranchOwned, Base):
    """A service bay; one booking per pit per slot."""

    __tablename__ = "pit"
    __table_args__ = (UniqueConstraint("branch_id", "name"),)

    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Staff(IdMixin, BranchOwned, Base):
    """Mechanics and service advisors (not app users: they need no login)."""

    __tablename__ = "staff"
    __table_args__ = (UniqueConstraint("branch_id", "code"),)

    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id", ondelete="CASCADE"), index=True)
    kind: Mapped[StaffKind] = mapped_column(str_enum(StaffKind))
    code: Mapped[str] = mapped_column(String(20))  # employee number, e.g. 18060009
    name: Mapped[str] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    @property
    def label(self) -> str:
        return f"[{self.code}] {self.name}"
