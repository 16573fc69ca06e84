"""The demo's building blocks: weighted picks, day strings, the bulk writer, the row layouts and the
master data (branches with their pits, staff and rings; the demo users)."""

from __future__ import annotations

import bisect
import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from core.accounts.auth import create_user, hash_password
from core.demo.catalogue import (
    _DISTRICTS_PER_CITY,
    _MUSLIM_LAST,
    _MUSLIM_M,
    _STREETS,
    BRANCHES,
    DEMO_PASSWORD,
    DEMO_USERS,
    UNIT_TYPES,
    _BranchSeed,
)
from core.masterdata import reference
from core.platform.numbering import yymm
from db.enums import (
    LeadCategory,
    Role,
    ServiceKind,
    StaffKind,
)
from db.models import (
    Branch,
    BranchRing,
    LostReason,
    Occupation,
    Pit,
    Staff,
    UnitType,
)

# --- helpers ---------------------------------------------------------------------------------------

class _Weighted:
    """Fast weighted choice from a uniform draw: bisect on cumulative weights."""

    def __init__(self, items: Sequence[Any], weights: Sequence[float]) -> None:
        self.items = list(items)
        total, cum = 0.0, []
        for w in weights:
            total += w
            cum.append(total)
        self.cum = [c / total for c in cum]

    def pick(self, u: float) -> Any:
        return self.items[min(bisect.bisect_right(self.cum, u), len(self.items) - 1)]


class _Days:
    """Day ordinals as the strings each database takes for dates and UTC timestamps."""

    def __init__(self, dialect: str) -> None:
        self.suffix = ".000000" if dialect == "sqlite" else "+00"
        self._date: dict[int, str] = {}
        self._yymm: dict[int, str] = {}

    def date(self, day: int) -> str:
        s = self._date.get(day)
        if s is None:
            s = self._date[day] = dt.date.fromordinal(day).isoformat()
        return s

    def yymm(self, day: int) -> str:
        s = self._yymm.get(day)
        if s is None:
            s = self._yymm[day] = yymm(dt.date.fromordinal(day))
        return s

    def ts(self, day: int, hour_utc: int, minute: int) -> str:
        return f"{self.date(day)} {hour_utc:02d}:{minute:02d}:00{self.suffix}"


class _Writer:
    """Bulk insert of plain tuples on the session's own connection: COPY on PostgreSQL,
    executemany of one prepared INSERT on SQLite (both far faster than ORM or Core per-row binds)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.dialect = session.get_bind().dialect.name

    def write(self, table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        missing = [c for c in columns if c not in table.c]
        if missing:
            raise RuntimeError(f"demo: {table.name} has no column(s) {missing}")
        raw = self.session.connection().connection.driver_connection
        cols = ", ".join(columns)
        if self.dialect == "postgresql":
            with raw.cursor() as cur, cur.copy(f"COPY {table.name} ({cols}) FROM STDIN") as copy:  # type: ignore[union-attr]
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(columns))
            cur = raw.cursor()  # type: ignore[union-attr]
            cur.executemany(f"INSERT INTO {table.name} ({cols}) VALUES ({marks})", rows)
            cur.close()


_CUSTOMER_COLS = ("id", "branch_id", "code", "name", "nik", "phone", "phone2", "address", "province_code",
                  "city_code", "district_code", "village_code", "postal_code", "occupation_id", "birth_date",
                  "gender", "consent_contact", "consent_message", "consent_at", "consent_source", "created_at",
                  "updated_at")
_VEHICLE_COLS = ("id", "branch_id", "customer_id", "engine_no", "engine_code", "frame_no", "plate",
                 "unit_type_code", "unit_name", "colour", "purchase_date", "premium", "created_at", "updated_at")
_SALE_COLS = ("id", "branch_id", "number", "vehicle_id", "customer_id", "sale_date", "sales_source", "payment",
              "created_at", "updated_at")
_WO_COLS = ("id", "branch_id", "number", "vehicle_id", "customer_id", "service_date", "km", "job_type",
            "kpb_number", "pit_id", "mechanic_id", "service_advisor_id", "amount", "created_at", "updated_at")
_WO_NUMBER = _WO_COLS.index("number")


@dataclass
class _BranchInfo:
    seed: _BranchSeed
    id: int
    utc_offset: int  # hours ahead of UTC (no daylight saving in Indonesia)
    districts: list[str]  # 6-digit district codes customers live in (ring districts first)
    district_pick: _Weighted
    pits: list[int]
    mechanics: list[int]
    advisors: list[int]
    admins: list[int] = field(default_factory=list)


@dataclass
class _Master:
    branches: list[_BranchInfo]
    occupations: dict[str, int]
    lost_reasons: dict[str, int]
    users: int


@dataclass
class _Customer:
    """What a lead copies from its customer."""

    id: int
    name: str
    nik: str | None
    phone: str | None
    address: str
    occupation_id: int | None

    @property
    def cddb_complete(self) -> bool:
        return bool(self.nik and self.phone and self.address and self.occupation_id)


@dataclass
class _LeadPlan:
    """A lead decided while its vehicle's history was at hand; written after all vehicles."""

    branch: int  # index into _Master.branches
    vehicle_id: int
    customer: _Customer
    category: LeadCategory
    kind: ServiceKind
    kpb: int | None
    due_key: str
    deadline: int  # day ordinal
    created: int
    outcome: str  # open | won_service | won_booking | won_future | lost
    came: int | None  # day the unit came (or will come, for won_future)
    wo: list[Any] | None  # the work order row that served it (its number is filled per chunk)
    wo_branch: int | None
    last_service: tuple[int, str] | None
    sales_source: str | None
    source_document: Any  # sale number, or the work order row of the last service


# --- master data ---------------------------------------------------------------------------------

def _install_master(s: Session, rnd: random.Random) -> _Master:
    reference.install(s)
    occupations = dict(s.execute(select(Occupation.code, Occupation.id)).tuples().all())
    lost_reasons = dict(s.execute(select(LostReason.code, LostReason.id)).tuples().all())
    for code, name, engine_code, segment, premium, _w, _c in UNIT_TYPES:
        s.add(UnitType(code=code, name=name, engine_code=engine_code, segment=segment, premium=premium))
    infos: list[_BranchInfo] = []
    staff_codes: set[str] = set()
    for n, b in enumerate(BRANCHES):
        branch = Branch(code=b.code, name=b.name, timezone=b.timezone, province=b.province,
                        city_code=b.cities[0], ahass_code=f"{1200 + 37 * n:05d}",
                        phone=f"0{rnd.randint(21, 99)}{rnd.randint(100000, 999999)}",
                        address=f"JL. {rnd.choice(_STREETS)} NO. {rnd.randint(1, 250)}, {b.name}")
        s.add(branch)
        s.flush()
        districts = [f"{city}{d:02d}" for city in b.cities for d in range(1, _DISTRICTS_PER_CITY + 1)]
        # Ring 1: the branch's own two districts, ring 2 the next two, ring 3 two more; the rest outside.
        for ring, ring_codes in ((1, districts[0:2]), (2, districts[2:4]), (3, districts[4:6])):
            for code in ring_codes:
                s.add(BranchRing(branch_id=branch.id, district_code=code, ring=ring))
        pits = [Pit(branch_id=branch.id, name=f"PIT {k}") for k in range(1, b.pits + 1)]
        staff = []
        for kind, count in ((StaffKind.MECHANIC, 3), (StaffKind.SERVICE_ADVISOR, 2)):
            for _ in range(count):
                code = f"{rnd.randint(8, 23):02d}{rnd.randint(1, 12):02d}{rnd.randint(1, 120):04d}"
                while code in staff_codes:
                    code = f"{code[:4]}{rnd.randint(1, 999):04d}"
                staff_codes.add(code)
                name = f"{rnd.choice(_MUSLIM_M)} {rnd.choice(_MUSLIM_LAST)}"
                staff.append(Staff(branch_id=branch.id, kind=kind, code=code, name=name))
        s.add_all([*pits, *staff])
        s.flush()
        offset = ZoneInfo(b.timezone).utcoffset(dt.datetime(2020, 1, 1))
        assert offset is not None
        weights = [30, 25, 15, 12, 8, 5] + [5 / max(1, len(districts) - 6)] * (len(districts) - 6)
        infos.append(_BranchInfo(
            seed=b, id=branch.id, utc_offset=int(offset.total_seconds() // 3600), districts=districts,
            district_pick=_Weighted(range(len(districts)), weights), pits=[p.id for p in pits],
            mechanics=[x.id for x in staff if x.kind == StaffKind.MECHANIC],
            advisors=[x.id for x in staff if x.kind == StaffKind.SERVICE_ADVISOR]))
    by_code = {i.seed.code: i for i in infos}
    pw = hash_password(DEMO_PASSWORD)  # bcrypt is slow: hash once, reuse
    for username, full_name, role, codes in DEMO_USERS:
        user = create_user(s, username=username, full_name=full_name, password="", role=role,
                           branch_ids=[by_code[c].id for c in codes], password_hash=pw)
        if role == Role.ADMIN_CRM:
            for c in codes:
                by_code[c].admins.append(user.id)
    s.flush()
    return _Master(infos, occupations, lost_reasons, len(DEMO_USERS))


