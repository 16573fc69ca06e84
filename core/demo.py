"""A realistic demo dealer (the seed's Daya Motor, in small) at a chosen size, generated fast.

`generate(db, vehicles=N)` fills an empty, migrated database: branches with their pits, staff and
ring coverage, unit types, the demo users, then N motorcycles with their customers (CDDB), sales
(H1), two years of work orders (H2: the KPB services they came for, then regular service), and
leads in every stage of the pipeline with their follow-ups and a few bookings.

The big tables (customer, vehicle, sale, work_order) are streamed in chunks of plain tuples with
ids assigned here (children name their parents without reading back), written with the driver's
fastest bulk path (SQLite: executemany of prepared rows; PostgreSQL: COPY) and committed per chunk,
so a million vehicles take minutes and bounded memory. Everything follows from `seed`.
"""

from __future__ import annotations

import bisect
import datetime as dt
import random
import sys
import time
from array import array
from collections import Counter as Tally
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.orm import Session

from core import clock, reference, settings
from core.auth import create_user, hash_password
from core.leads import fill_snapshots, priority_for
from core.numbering import booking_series, format_number, lead_series, reserve, yymm
from core.pipeline import next_plan_date
from core.touches import plan_lead_touches
from core.workorders import refresh_last_service
from db.engine import Database
from db.enums import (
    BookingState,
    Channel,
    ContactStatus,
    LeadCategory,
    Role,
    ServiceKind,
    StaffKind,
    Stage,
    Temperature,
)
from db.models import (
    Booking,
    Branch,
    BranchRing,
    Customer,
    FollowUp,
    Lead,
    LostReason,
    Occupation,
    Pit,
    Sale,
    Staff,
    UnitType,
    Vehicle,
    WorkOrder,
)

DEMO_PASSWORD = "demo1234"


@dataclass(frozen=True)
class _BranchSeed:
    code: str
    name: str
    timezone: str
    province: str
    province_code: str
    cities: tuple[str, ...]  # 4-digit Kemendagri city codes its customers live in
    plate: str  # region letters on the plates it registers
    postal: str  # first 3 digits of its postal codes
    pits: int
    weight: float  # share of the dealer's sales
    religions: tuple[float, float, float]  # Muslim, Christian, Balinese names


# The seed's branches (codes, names) with the province and city codes, plates and time zones they have.
BRANCHES: tuple[_BranchSeed, ...] = (
    _BranchSeed("SAM01", "SAMARINDA", "Asia/Makassar", "KALIMANTAN TIMUR", "64", ("6472",), "KT", "751", 4,
                0.14, (0.84, 0.13, 0.03)),
    _BranchSeed("MAN01", "MANADO", "Asia/Makassar", "SULAWESI UTARA", "71", ("7171",), "DB", "951", 4,
                0.11, (0.30, 0.68, 0.02)),
    _BranchSeed("BEN01", "BENGKULU", "Asia/Jakarta", "BENGKULU", "17", ("1771",), "BD", "382", 3,
                0.09, (0.93, 0.06, 0.01)),
    _BranchSeed("IND01", "INDRAMAYU", "Asia/Jakarta", "JAWA BARAT", "32", ("3212",), "E", "452", 3,
                0.10, (0.97, 0.03, 0.00)),
    _BranchSeed("BNK01", "PANGKAL PINANG", "Asia/Jakarta", "KEPULAUAN BANGKA BELITUNG", "19", ("1971",), "BN",
                "331", 3, 0.07, (0.85, 0.14, 0.01)),
    _BranchSeed("GOW01", "GOWA", "Asia/Makassar", "SULAWESI SELATAN", "73", ("7306",), "DD", "921", 3,
                0.09, (0.94, 0.05, 0.01)),
    _BranchSeed("A-BAN08", "A TANJUNG LAYA", "Asia/Jakarta", "JAWA BARAT", "32", ("3204",), "D", "403", 3,
                0.08, (0.95, 0.05, 0.00)),
    _BranchSeed("SUM01", "JATINANGOR", "Asia/Jakarta", "JAWA BARAT", "32", ("3211", "3204"), "D", "453", 4,
                0.09, (0.95, 0.05, 0.00)),
    _BranchSeed("BAN04", "SOEKARNO HATTA", "Asia/Jakarta", "JAWA BARAT", "32", ("3273",), "D", "402", 4,
                0.09, (0.90, 0.09, 0.01)),
    _BranchSeed("A-PPT", "A JATI CEMPAKA", "Asia/Jakarta", "JAWA BARAT", "32", ("3275",), "B", "174", 3,
                0.07, (0.86, 0.12, 0.02)),
    _BranchSeed("MSE01", "MENGGALA", "Asia/Jakarta", "LAMPUNG", "18", ("1805",), "BE", "345", 3,
                0.07, (0.86, 0.06, 0.08)),
)
_DISTRICTS_PER_CITY = 8

_MAIN_USERS: list[tuple[str, str, Role, tuple[str, ...]]] = [
    ("ho.admin", "ANDRI PERMANA", Role.PIC_CRM, ()),
    ("kacab.sam01", "HERU SETIAWAN", Role.KACAB, ("SAM01",)),
    ("kabeng.sam01", "RUSDIANSYAH", Role.KABENG, ("SAM01",)),
    ("admin.sam01", "NUR AINI", Role.ADMIN_CRM, ("SAM01",)),
    ("admin.man01", "GRACE WAROUW", Role.ADMIN_CRM, ("MAN01",)),
    ("sa.sam01", "HENDRI STIAWAN", Role.SA, ("SAM01",)),
]
DEMO_USERS: list[tuple[str, str, Role, tuple[str, ...]]] = _MAIN_USERS + [
    (f"admin.{b.code.lower()}", f"ADMIN CRM {b.name}", Role.ADMIN_CRM, (b.code,))
    for b in BRANCHES if b.code not in ("SAM01", "MAN01")
]

# (code, name, engine code, segment, premium, share of sales, colours)
UNIT_TYPES: tuple[tuple[str, str, str, str, bool, float, tuple[str, ...]], ...] = (
    ("D1B02N12L2", "Beat Sporty CBS", "JM82", "matic", False, 0.22, ("BK-BLACK", "WR-WHITE RED", "BL-BLUE")),
    ("D1B02N11S2", "Beat CBS ISS", "JM81", "matic", False, 0.15, ("BK-BLACK", "RD-RED", "WH-WHITE")),
    ("F1C02N46L0", "Scoopy Stylish", "JM31", "matic", False, 0.11, ("BR-BROWN", "WH-WHITE", "RD-RED")),
    ("J1B02N22L0", "Genio CBS ISS", "JM91", "matic", False, 0.07, ("BL-BLUE", "BK-BLACK", "PK-PINK")),
    ("H1B02N41L0", "Vario 125 CBS ISS", "JFK1", "matic", False, 0.12, ("GR-GREY", "RD-RED", "BK-BLACK")),
    ("X1H02N35S2", "New Vario Techno 150 Plus", "KF41", "matic", False, 0.07, ("BL-BLUE", "MB-MATTE BLACK")),
    ("K1H02N14L0", "PCX 160 CBS", "KF51", "matic", True, 0.05, ("WH-WHITE", "BK-BLACK", "RD-RED")),
    ("K1A02N18L0", "ADV 160 CBS", "KF52", "matic", True, 0.03, ("RD-RED", "BK-BLACK", "WH-WHITE")),
    ("G5E02R21L0", "CB150R StreetFire", "KCE1", "sport", True, 0.02, ("RD-RED", "BK-BLACK")),
    ("P5E02R29L0", "CBR250RR SP", "MC81", "sport", True, 0.01, ("RD-RED", "MB-MATTE BLACK")),
    ("A1F02N36L2", "Supra X 125 FI CW", "JBP1", "cub", False, 0.06, ("BK-BLACK", "RD-RED")),
    ("B1F02N28L2", "Revo Fit", "JBK1", "cub", False, 0.09, ("BK-BLACK", "BL-BLUE", "RD-RED")),
)

_MUSLIM_M = ("MUHAMMAD", "AHMAD", "RIZKY", "ANDI", "BUDI", "AGUS", "HENDRA", "FAJAR", "DEDI", "IRFAN",
             "RESTU", "YUSUF", "ARIF", "DIMAS", "RUDI", "SURYADI", "HASAN", "ILHAM", "SYAHRUL", "KOSIM",
             "ANDIKA", "HANIF", "RAHMAT", "JEPRI", "IKHSAN", "ABDUL", "FIRMAN", "AKBAR", "WAHYU", "BAYU")
_MUSLIM_F = ("SITI", "NUR", "DEWI", "RINA", "PUTRI", "SRI", "AYU", "FITRI", "INDAH", "NURUL", "LIA",
             "WULAN", "RATNA", "YULI", "ANISA", "DINA", "AISYAH", "ZAHRA", "RAHMAWATI", "SUSI")
_MUSLIM_LAST = ("SAPUTRA", "PRATAMA", "HIDAYAT", "SETIAWAN", "KURNIAWAN", "WIJAYA", "NUGROHO", "SANTOSO",
                "RAHMAN", "HASANUDDIN", "SURYANA", "PERMANA", "FIRMANSYAH", "RAMADHAN", "GUNAWAN", "HAKIM",
                "SYAHPUTRA", "MAULANA", "PRADANA", "HIDAYATULLAH", "NURDIN", "DAENG", "BASRI", "IRAWAN")
_MUSLIM_LAST_F = ("LESTARI", "RAHAYU", "WULANDARI", "SARI", "PUSPITA", "HANDAYANI", "KURNIASIH",
                  "NURHAYATI", "FITRIANI", "MAHARANI", "APRILIANI", "SUSANTI")
_CHRISTIAN_M = ("YOHANES", "MARKUS", "STEVEN", "FRANKY", "DANIEL", "JONATHAN", "MICHAEL", "ROBERT",
                "YOSUA", "ALFRED", "REINHARD", "SAMUEL", "HENDRIK", "FERDINAND", "VICKY", "JOHNY")
_CHRISTIAN_F = ("MARIA", "GRACE", "STEFANI", "YULIANA", "MERRY", "CHRISTINE", "NATALIA", "OLIVIA",
                "DEBORA", "MARTHA", "SULTJE", "FEBRIANTI", "LIDYA", "MEYLAN")
_CHRISTIAN_LAST = ("WAROUW", "SUMAMPOW", "MANDAGI", "RUMENGAN", "PANGEMANAN", "LUMINGKEWAS", "ADOLONG",
                   "TAMBUNAN", "SIMANJUNTAK", "SIAHAAN", "LUMBANTOBING", "KALALO", "WOWOR", "RONDONUWU",
                   "SUMOLANG", "TUMEWU", "LONTOH", "NAPITUPULU")
_BALI_M = ("I MADE", "I WAYAN", "I NYOMAN", "I KETUT", "I GEDE", "I PUTU", "I KOMANG", "I GUSTI NGURAH")
_BALI_F = ("NI LUH", "NI MADE", "NI KADEK", "NI WAYAN", "NI KETUT", "NI PUTU", "NI NYOMAN")
_BALI_NAME = ("SUARDANA", "ARTAWAN", "SUPARTA", "WIRAWAN", "ASTUTI", "SUASTINI", "DARMAWAN", "SUDARSANA",
              "PUSPAYANTI", "MERTAYASA", "ARIASA", "WIDIASIH")
_STREETS = ("SUDIRMAN", "A. YANI", "DIPONEGORO", "GAJAH MADA", "HASANUDDIN", "CIPTO MANGUNKUSUMO",
            "SAM RATULANGI", "PAHLAWAN", "MERDEKA", "KH. AHMAD DAHLAN", "PANGERAN ANTASARI", "SISINGAMANGARAJA",
            "IMAM BONJOL", "TEUKU UMAR", "RA. KARTINI", "DR. SUTOMO", "SULTAN HASANUDDIN", "SOEKARNO HATTA",
            "RAYA JATINANGOR", "MAWAR", "MELATI", "KENANGA", "CEMPAKA", "FLAMBOYAN", "KAPTEN TENDEAN",
            "SIlIWANGI".upper(), "PERINTIS KEMERDEKAAN", "VETERAN", "GATOT SUBROTO", "WR. SUPRATMAN")
# Mobile prefixes (Telkomsel, Indosat, XL, Smartfren, Tri) with a rough market share.
_PHONE_PREFIXES = (("811", 3), ("812", 8), ("813", 8), ("814", 1), ("815", 2), ("816", 2), ("817", 2),
                   ("818", 2), ("819", 3), ("821", 8), ("822", 9), ("823", 6), ("851", 4), ("852", 8),
                   ("853", 8), ("855", 2), ("856", 5), ("857", 6), ("858", 4), ("859", 3), ("877", 5),
                   ("878", 6), ("881", 1), ("882", 1), ("883", 1), ("887", 1), ("889", 1), ("895", 3),
                   ("896", 3), ("897", 1), ("898", 2), ("899", 1))
# (occupation code, weight for men, weight for women)
_OCCUPATION_WEIGHTS = (("SWASTA", 30, 22), ("WIRASWASTA", 20, 16), ("PELAJAR", 12, 12), ("IRT", 0, 30),
                       ("PETANI", 9, 3), ("OJEK", 8, 0), ("PNS", 5, 5), ("GURU", 3, 5), ("TNI_POLRI", 3, 0),
                       ("PROFESIONAL", 2, 2), ("LAINNYA", 4, 3))
_SALES_SOURCES = (("Showroom", 80), ("CRM", 6), ("Leads", 4), ("Pameran", 5), ("Online", 3), ("Canvasser", 2))
_REG_JOBS = (("QS", 55), ("LR", 25), ("HR", 10), ("JR", 4), ("C1", 3), ("C2", 3))
_KPB_CAME = (0.8, 0.65, 0.5, 0.4)  # share of vehicles that come for KPB 1..4 before its deadline
_LOST_REASONS = (("ELSEWHERE", 25), ("NO_TIME", 20), ("KPB_EXPIRED", 15), ("NOT_INTERESTED", 12),
                 ("WRONG_NUMBER", 10), ("SOLD", 6), ("MOVED", 7), ("UNIT_GONE", 5))
_COMPLAINTS = (None, None, "Servis rutin", "Ganti oli", "Rem bunyi", "Tarikan berat", "Lampu depan mati",
               "Mesin susah hidup pagi hari", "Rantai kendor", "Getaran di setang")
_HISTORY_DAYS = 730  # purchases over the two years before today
# The demo's history follows the dealer's default settings (a fresh database has no overrides).
_LEAD_OPEN_DAYS = settings.DEFAULTS["leads.open_days_before_deadline"]
_REG_INTERVAL = settings.DEFAULTS["leads.regular_interval_days"]
_CHUNK = 50_000


@dataclass
class DemoSummary:
    branches: int = 0
    users: int = 0
    customers: int = 0
    vehicles: int = 0
    sales: int = 0
    work_orders: int = 0
    leads: int = 0
    followups: int = 0
    bookings: int = 0
    leads_by_stage: dict[str, int] = field(default_factory=dict)


class DemoError(RuntimeError):
    """The database is not empty: demo data only goes into a fresh database."""


def is_empty(db: Database) -> bool:
    """True when the database has no branches yet (the demo may be generated into it)."""
    with db.session(None, system=True) as s:
        return s.scalar(select(func.count()).select_from(Branch)) == 0


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


# --- the vehicle population ----------------------------------------------------------------------

@dataclass
class _Population:
    """Decided up front (a few small arrays): when and where each vehicle was sold, and whose it is."""

    day: Sequence[int]  # purchase day ordinal, ascending
    branch: Sequence[int]
    customer: Sequence[int]  # customer index (0-based) of each vehicle
    new_customer: Sequence[int]  # 1 when the vehicle's buyer is a new customer
    has_second: set[int]  # customers who will buy a second vehicle
    customers: int


def _population(n: int, seed: int, today: int, n_branches: int) -> _Population:
    gen = np.random.default_rng(seed)
    days = array("i", np.sort(gen.integers(today - _HISTORY_DAYS, today - 2, size=n)).astype(np.int32).tobytes())
    weights = np.array([b.weight for b in BRANCHES[:n_branches]])
    branch = gen.choice(n_branches, size=n, p=weights / weights.sum()).astype(np.uint8).tobytes()
    second = (gen.random(n) < 0.074).tobytes()
    picks = array("d", gen.random(n).tobytes())
    pools: list[list[int]] = [[] for _ in range(n_branches)]
    customer = array("i", bytes(4 * n))
    new = bytearray(b"\x01" * n)
    has_second: set[int] = set()
    count = 0
    for i in range(n):
        pool = pools[branch[i]]
        if second[i] and pool:
            k = int(picks[i] * len(pool))
            c = pool[k]
            pool[k] = pool[-1]
            pool.pop()
            customer[i], new[i] = c, 0
            has_second.add(c)
        else:
            customer[i] = count
            pool.append(count)
            if len(pool) > 400:
                pool.pop(0)
            count += 1
    return _Population(days, branch, customer, new, has_second, count)


class _Generator:
    def __init__(self, master: _Master, pop: _Population, seed: int, today: int, dialect: str,
                 lead_rate: float) -> None:
        self.m = master
        self.pop = pop
        self.rnd = random.Random(seed)
        rand = self.rnd.random
        # random.randint/choice cost ~1 us each; these are a few times faster and as deterministic.
        self.randint = lambda a, b: a + int(rand() * (b - a + 1))
        self.choice = lambda seq: seq[int(rand() * len(seq))]
        self.today = today
        self.days = _Days(dialect)
        self.lead_rate = lead_rate
        self.unit = _Weighted(UNIT_TYPES, [u[5] for u in UNIT_TYPES])
        self.phone_prefix = _Weighted([p for p, _ in _PHONE_PREFIXES], [w for _, w in _PHONE_PREFIXES])
        occ = [(master.occupations.get(c), wm, wf) for c, wm, wf in _OCCUPATION_WEIGHTS]
        self.occ_m = _Weighted([o for o, _, _ in occ], [w for _, w, _ in occ])
        self.occ_f = _Weighted([o for o, _, _ in occ], [w for _, _, w in occ])
        self.sales_source = _Weighted([s for s, _ in _SALES_SOURCES], [w for _, w in _SALES_SOURCES])
        self.reg_job = _Weighted([j for j, _ in _REG_JOBS], [w for _, w in _REG_JOBS])
        self.religion = [_Weighted((0, 1, 2), b.seed.religions) for b in master.branches]
        rules = {"*": [d for _, d, *_ in reference.DEFAULT_KPB],
                 reference.CBR250_ENGINE_CODE: [d for _, d, *_ in reference.CBR250_KPB]}
        self.kpb_days = {u[2]: rules.get(u[2], rules["*"]) for u in UNIT_TYPES}
        self.kpb_km = {u[2]: [r[2] for r in (reference.CBR250_KPB if u[2] == reference.CBR250_ENGINE_CODE
                                              else reference.DEFAULT_KPB)] for u in UNIT_TYPES}
        # Engine and frame numbers run per engine code from a plausible production number.
        self.engine_seq = {u[2]: self.rnd.randint(1_000_000, 1_400_000) for u in UNIT_TYPES}
        self.frame_seq = {u[2]: self.rnd.randint(100_000, 900_000) for u in UNIT_TYPES}
        # NIK sequence numbers: per district + birth date + gender, as the civil registry counts them.
        self.district_index: dict[str, int] = {}
        for b in master.branches:
            for d in b.districts:
                self.district_index.setdefault(d, len(self.district_index))
        self.birth_min = today - 70 * 366
        self.nik_span = 70 * 366
        self.nik_seq = bytearray(len(self.district_index) * 2 * self.nik_span)
        self.pending: dict[int, _Customer] = {}  # customers whose second vehicle is still to come
        self.sale_seq: Tally[tuple[int, str]] = Tally()
        self.bpa_next: dict[str, int] = {}
        self.leads: list[_LeadPlan] = []
        self.counts = Tally[str]()

    # -- customers --

    def _name(self, b: int, female: bool) -> str:
        r, ch = self.rnd, self.choice
        religion = self.religion[b].pick(r.random())
        if religion == 2:
            first = ch(_BALI_F if female else _BALI_M)
            return f"{first} {ch(_BALI_NAME)}"
        if religion == 1:
            first = ch(_CHRISTIAN_F if female else _CHRISTIAN_M)
            return f"{first} {ch(_CHRISTIAN_LAST)}"
        first = ch(_MUSLIM_F if female else _MUSLIM_M)
        u = r.random()
        if u < 0.15:
            return first if first not in ("MUHAMMAD", "AHMAD", "SITI", "NUR") else f"{first} {ch(_MUSLIM_M)}"
        last = ch(_MUSLIM_LAST_F if female and u < 0.6 else _MUSLIM_LAST)
        if u > 0.8:
            middle = ch(_MUSLIM_F if female else _MUSLIM_M)
            if middle != first:
                return f"{first} {middle} {last}"
        return f"{first} {last}"

    def customer_row(self, cid: int, b: int, day: int) -> tuple[tuple[Any, ...], _Customer]:
        r, info, days = self.rnd, self.m.branches[b], self.days
        ri, ch = self.randint, self.choice
        female = r.random() < 0.36
        name = self._name(b, female)
        age_days = int(r.triangular(17, 62, 26) * 365.25) + ri(0, 364)
        birth = day - age_days
        bd = dt.date.fromordinal(birth)
        d_index = info.district_pick.pick(r.random())
        district = info.districts[d_index]
        slot = (self.district_index[district] * 2 + female) * self.nik_span + (birth - self.birth_min)
        self.nik_seq[slot] += 1
        nik: str | None = (f"{info.seed.province_code}{district[2:]}{bd.day + 40 * female:02d}{bd.month:02d}"
                           f"{bd.year % 100:02d}{self.nik_seq[slot]:04d}")
        u = r.random()
        occupation = (self.occ_f if female else self.occ_m).pick(r.random())
        if u < 0.06:
            nik = None  # incomplete CDDB: the "no CDDB yet" path
        elif u < 0.11:
            occupation = None
        phone = None if r.random() < 0.02 else f"+62{self.phone_prefix.pick(r.random())}{ri(1_000_000, 99_999_999)}"
        phone2 = f"+62{self.phone_prefix.pick(r.random())}{ri(10_000_000, 99_999_999)}" \
            if r.random() < 0.1 else None
        address = f"JL. {ch(_STREETS)} NO. {ri(1, 199)}"
        if r.random() < 0.6:
            address += f" RT. {ri(1, 15):03d} RW. {ri(1, 9):03d}"
        consent = r.random() < 0.93
        series = f"BPA/{days.yymm(day)}"
        number = self.bpa_next[series]
        self.bpa_next[series] = number + 1
        minute = ri(0, 59)
        created = days.ts(day, ri(9, 16) - info.utc_offset, minute)
        row = (cid, info.id, format_number(series, number), name, nik, phone, phone2, address,
               info.seed.province_code, district[:4], district, f"{district}{1000 + ri(1, 12)}",
               f"{info.seed.postal}{ri(11, 99)}", occupation, days.date(birth), "F" if female else "M",
               consent, consent and r.random() < 0.92, created if consent else None,
               "Form SPK" if consent else None, created, created)
        return row, _Customer(cid, name, nik, phone, address, occupation)

    # -- one chunk of vehicles --

    def chunk(self, start: int, stop: int, ids: dict[str, int]) -> dict[str, list[tuple[Any, ...]]]:
        r, pop, days, today = self.rnd, self.pop, self.days, self.today
        ri, ch = self.randint, self.choice
        customers: list[tuple[Any, ...]] = []
        vehicles: list[tuple[Any, ...]] = []
        sales: list[tuple[Any, ...]] = []
        wos: list[list[Any]] = []
        branches = self.m.branches
        nb = len(branches)
        for i in range(start, stop):
            b, day = pop.branch[i], pop.day[i]
            info = branches[b]
            cidx = pop.customer[i]
            cid = ids["customer"] + cidx + 1
            if pop.new_customer[i]:
                row, cust = self.customer_row(cid, b, day)
                customers.append(row)
                if cidx in pop.has_second:
                    self.pending[cidx] = cust
            else:
                cust = self.pending.pop(cidx)
            vid = ids["vehicle"] + i + 1
            code, uname, ec, _seg, premium, _w, colours = self.unit.pick(r.random())
            month = days.yymm(day)
            self.engine_seq[ec] += ri(1, 6)
            self.frame_seq[ec] += ri(1, 6)
            year_letter = "LMNPRSTVWXY"[max(0, min(10, int(month[:2]) - 20))]
            letters = "".join(ch("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(2 if r.random() < 0.55 else 3))
            created = days.ts(day, ri(9, 16) - info.utc_offset, ri(0, 59))
            vehicles.append((vid, info.id, cid, f"{ec}E{self.engine_seq[ec]:07d}", ec,
                             f"MH1{ec}1{year_letter}K{self.frame_seq[ec]:07d}",
                             f"{info.seed.plate} {ri(1000, 9999)} {letters}", code, uname,
                             ch(colours), days.date(day), premium, created, created))
            self.sale_seq[(b, month)] += 1
            source = self.sales_source.pick(r.random())
            sale_no = f"SPK/{info.seed.code}/{month}/{self.sale_seq[(b, month)]:05d}"
            sales.append((ids["sale"] + i + 1, info.id, sale_no, vid, cid, days.date(day), source,
                          "cash" if r.random() < 0.27 else "credit", created, created))
            # The unit's service history: the KPB services it came for, then regular service.
            kdays, kkm = self.kpb_days[ec], self.kpb_km[ec]
            rate = 12 + 30 * r.random()  # km per day
            history: list[tuple[int, str, int | None, list[Any]]] = []
            future: dict[int, int] = {}  # KPB n it will still come for (day)
            prev = day
            for n in range(1, 5):
                deadline = day + kdays[n - 1]
                lo = max(prev + 10, deadline - 45, day + 7)
                came = r.random() < _KPB_CAME[n - 1]
                if not came or lo > deadline:
                    continue
                when = ri(lo, deadline)
                if when > today:
                    future[n] = when
                    break
                km = min(int((when - day) * rate * (0.85 + 0.25 * r.random())) + 150, kkm[n - 1] - ri(0, 150))
                history.append((when, f"ASS{n}", n, self._wo(vid, cid, b, nb, when, km, f"ASS{n}", n, wos)))
                prev = when
            kind = r.random()
            interval = (60, 120) if kind < 0.15 else (150, 270) if kind < 0.28 else None
            if interval is not None and not future:
                when = (history[-1][0] if history else day + 20) + ri(*interval)
                while when <= today:
                    job = self.reg_job.pick(r.random())
                    km = int((when - day) * rate * (0.85 + 0.25 * r.random())) + 150
                    history.append((when, job, None, self._wo(vid, cid, b, nb, when, km, job, None, wos)))
                    when += ri(*interval)
            if r.random() < self.lead_rate * 3:
                self._maybe_lead(b, vid, day, ec, cust, history, future, interval, source, sale_no)
        self.counts["customers"] += len(customers)
        self.counts["vehicles"] += len(vehicles)
        self.counts["work_orders"] += len(wos)
        return {"customer": customers, "vehicle": vehicles, "sale": sales, "work_order": wos}  # type: ignore[dict-item]

    def _wo(self, vid: int, cid: int, b: int, nb: int, when: int, km: int, job: str, kpb: int | None,
            out: list[list[Any]]) -> list[Any]:
        r = self.rnd
        ri, ch = self.randint, self.choice
        wb = b if nb == 1 or r.random() >= 0.05 else ch([k for k in range(nb) if k != b])
        info = self.m.branches[wb]
        amount = 0 if job in ("ASS1", "JR", "C1", "C2") else \
            ri(45, 65) * 1000 if kpb else {"QS": ri(60, 130), "LR": ri(100, 350),
                                                   "HR": ri(400, 1500)}.get(job, 80) * 1000
        created = self.days.ts(when, ri(8, 15) - info.utc_offset, ri(0, 59))
        row = [None, info.id, None, vid, cid, self.days.date(when), max(km, 50), job, kpb,
               ch(info.pits), ch(info.mechanics), ch(info.advisors), amount, created, created]
        row.append(f"WO/{info.seed.code}/{self.days.yymm(when)}")  # numbering series, dropped before writing
        out.append(row)
        return row

    # -- leads --

    def _maybe_lead(self, b: int, vid: int, day: int, ec: str, cust: _Customer,
                    history: list[tuple[int, str, int | None, list[Any]]], future: dict[int, int],
                    interval: tuple[int, int] | None, source: str, sale_no: str) -> None:
        """At most one lead per vehicle: its latest due service whose lead window touches today."""
        r, today = self.rnd, self.today
        kdays = self.kpb_days[ec]
        done = {kpb: (when, row) for when, _job, kpb, row in history if kpb}
        options: list[_LeadPlan] = []

        def last_before(d: int) -> tuple[int, str] | None:
            prior = [(w, j) for w, j, _k, _row in history if w < d]
            return prior[-1] if prior else None

        for n in range(1, 5):
            deadline = day + kdays[n - 1]
            created = deadline - _LEAD_OPEN_DAYS
            if created > today or deadline < today - 100 or created <= day:
                continue
            plan = _LeadPlan(b, vid, cust, LeadCategory.H1_H2, ServiceKind.KPB, n, f"KPB{n}", deadline, created,
                             "open", None, None, None, last_before(created), source, sale_no)
            if n in done:
                came, row = done[n]
                if came < created:
                    continue  # came before the lead engine would have listed it
                plan.came, plan.wo, plan.wo_branch = came, row, self._branch_index(row[1])
                plan.outcome = "won_service"
            elif n in future:
                plan.came, plan.outcome = future[n], "open"
            elif deadline < today:
                plan.outcome = "lost"
            options.append(plan)
        if interval is not None and history:
            # Regular service: after KPB 4 from the sales data (H1->H2), else "not back for 60 days" (H2->H2).
            for k, (when, _job, _kpb, row) in enumerate(history):
                after_kpb4 = 4 in done and done[4][0] <= when
                category = LeadCategory.H1_H2 if after_kpb4 else LeadCategory.H2_H2
                deadline = when + _REG_INTERVAL + (0 if after_kpb4 else 30)
                created = deadline - (_LEAD_OPEN_DAYS if after_kpb4 else 30)
                if created > today or deadline < today - 100:
                    continue
                nxt = next(((w, rw) for w, j, kp, rw in history[k + 1:] if kp is None), None)
                plan = _LeadPlan(b, vid, cust, category, ServiceKind.REG, None, f"REG:{dt.date.fromordinal(deadline)}",
                                 deadline, created, "open", None, None, None, (when, _job),
                                 source if after_kpb4 else "CRM", sale_no if after_kpb4 else row)
                if nxt is not None:
                    if nxt[0] < created:
                        continue
                    plan.came, plan.wo, plan.wo_branch = nxt[0], nxt[1], self._branch_index(nxt[1][1])
                    plan.outcome = "won_service"
                elif deadline < today - 10:
                    plan.outcome = "lost"
                options.append(plan)
        if not options:
            return
        plan = max(options, key=lambda p: p.created)
        # Open leads are what admins work on: keep more of them than of the closed history.
        keep = 1.0 if plan.outcome == "open" else 0.35
        if r.random() >= keep:
            return
        if plan.outcome == "won_service" and cust.cddb_complete and plan.wo_branch == b and r.random() < 0.35:
            plan.outcome = "won_booking"  # won on the phone, booked, and the unit came on the booking
        elif plan.outcome == "open" and plan.came is not None and cust.cddb_complete and r.random() < 0.3:
            plan.outcome = "won_future"  # won on the phone, booked for the day it will come
        self.leads.append(plan)

    def _branch_index(self, branch_id: int) -> int:
        return next(k for k, info in enumerate(self.m.branches) if info.id == branch_id)


# --- leads, follow-ups, bookings -----------------------------------------------------------------

_STAGE_PICK = (Stage.FU1, Stage.LEAD, Stage.FU2, Stage.NEW, Stage.FU3, Stage.FU1, Stage.LEAD, Stage.FU2,
               Stage.NEW, Stage.FU3)
_FU_STAGES = (Stage.NEW, Stage.FU1, Stage.FU2, Stage.FU3)


def _aware(day: int, hour_local: int, minute: int, info: _BranchInfo) -> dt.datetime:
    d = dt.date.fromordinal(day)
    local = dt.datetime(d.year, d.month, d.day, hour_local, minute, tzinfo=ZoneInfo(info.seed.timezone))
    return local.astimezone(dt.UTC)


def _build_leads(s: Session, gen: _Generator, ids: dict[str, int]) -> tuple[int, int, int, dict[str, int]]:
    r, today, m = gen.rnd, gen.today, gen.m
    plans = sorted(gen.leads, key=lambda p: (p.created, p.vehicle_id))
    series_count = Tally(lead_series(m.branches[p.branch].seed.code, dt.date.fromordinal(p.created)) for p in plans)
    next_no = {k: reserve(s, k, c) for k, c in sorted(series_count.items())}
    leads: list[dict[str, Any]] = []
    followups: list[dict[str, Any]] = []
    bookings: list[dict[str, Any]] = []
    busy: set[tuple[str, int, int, int]] = set()  # (pit|mechanic, id, day, hour) already booked
    open_seen = 0
    robin: Tally[int] = Tally()
    lost_pick = _Weighted([m.lost_reasons[c] for c, _ in _LOST_REASONS], [w for _, w in _LOST_REASONS])
    wrong_number = m.lost_reasons["WRONG_NUMBER"]
    for plan in plans:
        info = m.branches[plan.branch]
        lead_id = ids["lead"] + len(leads) + 1
        series = lead_series(info.seed.code, dt.date.fromordinal(plan.created))
        number = format_number(series, next_no[series])
        next_no[series] += 1
        admins = info.admins
        admin = admins[robin[plan.branch] % len(admins)] if admins else None
        robin[plan.branch] += 1
        cust = plan.customer
        # How far the admin got: opportunities need a complete CDDB.
        if plan.outcome == "open":
            target = _STAGE_PICK[open_seen % len(_STAGE_PICK)] if cust.cddb_complete else Stage.LEAD
            open_seen += 1
        elif plan.outcome in ("won_booking", "won_future"):
            target = _FU_STAGES[r.randint(1, 3)]
        else:
            target = _FU_STAGES[r.randint(0, 3)] if cust.cddb_complete and r.random() < 0.8 else Stage.LEAD
        limit = today if plan.came is None or plan.outcome == "won_future" else min(today, plan.came)
        row: dict[str, Any] = {
            "id": lead_id, "branch_id": info.id, "number": number, "category": plan.category, "division": "Workshop",
            "sales_source": plan.sales_source,
            "source_document": plan.source_document if isinstance(plan.source_document, str)
            else plan.source_document[_WO_NUMBER],
            "priority": priority_for(cust.nik, cust.phone),
            "customer_id": cust.id, "vehicle_id": plan.vehicle_id, "contact_name": cust.name, "phone": cust.phone,
            "nik": cust.nik, "address": cust.address, "occupation_id": cust.occupation_id,
            "service_kind": plan.kind, "kpb_number": plan.kpb, "deadline": dt.date.fromordinal(plan.deadline),
            "due_key": plan.due_key, "last_service_type": plan.last_service[1] if plan.last_service else None,
            "last_service_date": dt.date.fromordinal(plan.last_service[0]) if plan.last_service else None,
            "assigned_user_id": admin, "created_by_id": None, "version": 1,
            "created_at": _aware(plan.created, 8, r.randint(0, 30), info),
        }
        stage, last_day = Stage.LEAD, plan.created
        if target != Stage.LEAD and plan.created + 1 <= limit:
            conv = min(limit, plan.created + r.randint(0, 2))
            row["converted_at"] = _aware(conv, r.randint(8, 11), r.randint(0, 59), info)
            stage, last_day = Stage.NEW, conv
            plan_day = conv + r.randint(0, 3)
            for k in (1, 2, 3):
                if _FU_STAGES.index(target) < k:
                    break
                # Follow-ups that plan a next one happen before H-3, so the plan never passes it.
                # When time is short the admin calls sooner than planned (a day per remaining stage).
                cap = limit if k == 3 else min(limit, plan.deadline - 4)
                latest = cap - (_FU_STAGES.index(target) - k)
                done_on = max(last_day, min(plan_day + r.randint(-1, 1), latest))
                if done_on > cap:
                    break
                status = ContactStatus.TERHUBUNG if r.random() < 0.72 else \
                    ContactStatus.TIDAK_TERHUBUNG if r.random() < 0.6 else ContactStatus.REJECTED
                promised = None
                temperature: Temperature | None = None
                if status == ContactStatus.TERHUBUNG:
                    temperature = (Temperature.HOT, Temperature.MEDIUM, Temperature.COLD)[
                        0 if plan.outcome.startswith("won") and r.random() < 0.6 else r.randint(0, 2)]
                    if temperature == Temperature.HOT and r.random() < 0.6:
                        promised = done_on + r.randint(0, 3)
                row[f"fu{k}_date"] = dt.date.fromordinal(done_on)
                deadline = dt.date.fromordinal(plan.deadline)
                if k < 3:
                    nxt = next_plan_date(dt.date.fromordinal(done_on), deadline)
                    row[f"next_plan_fu{k + 1}"] = nxt
                    plan_day = nxt.toordinal()
                row.update(temperature=temperature, contact_status=status,
                           promised_date=dt.date.fromordinal(promised) if promised else None,
                           expected_closing=dt.date.fromordinal(promised) if promised else None)
                followups.append({
                    "id": ids["followup"] + len(followups) + 1, "branch_id": info.id, "lead_id": lead_id,
                    "stage_number": k, "done_on": dt.date.fromordinal(done_on),
                    "channel": Channel.WHATSAPP if k == 1 and r.random() < 0.7 else Channel.CALL,
                    "contact_status": status, "temperature": temperature,
                    "promised_date": row["promised_date"], "note": None, "user_id": admin,
                    "created_at": _aware(done_on, r.randint(9, 15), r.randint(0, 59), info)})
                stage, last_day = _FU_STAGES[k], done_on
        updated = _aware(last_day, 16, 0, info)
        if plan.outcome in ("won_service", "won_booking") and plan.came is not None and plan.wo is not None:
            row.update(stage=Stage.WON, won_work_order_id=plan.wo[0], won_branch_id=m.branches[plan.wo_branch or 0].id)
            if plan.outcome == "won_booking" and stage != Stage.LEAD and plan.came > last_day:
                row["closed_at"] = updated = _aware(last_day, 16, r.randint(0, 59), info)
                bookings.append(_booking(gen, info, lead_id, plan, row, plan.came, BookingState.WORK_ORDER,
                                         plan.wo, row["closed_at"], busy))
            else:
                row["closed_at"] = updated = _parse_ts(plan.wo[13])
        elif plan.outcome == "won_future" and stage != Stage.LEAD and plan.came is not None:
            row.update(stage=Stage.WON, closed_at=_aware(last_day, 16, r.randint(0, 59), info))
            updated = row["closed_at"]
            state = BookingState.CANCELLED if r.random() < 0.12 else \
                BookingState.POSTED if r.random() < 0.6 else BookingState.DRAFT
            bookings.append(_booking(gen, info, lead_id, plan, row, plan.came, state, None, row["closed_at"], busy))
        elif plan.outcome == "lost":
            reason = wrong_number if row.get("contact_status") == ContactStatus.TIDAK_TERHUBUNG and \
                r.random() < 0.5 else lost_pick.pick(r.random())
            close = min(today, max(last_day, plan.deadline) + r.randint(0, 5))
            row.update(stage=Stage.LOST, lost_reason_id=reason, closed_at=_aware(close, 15, r.randint(0, 59), info))
            updated = row["closed_at"]
        else:
            row["stage"] = stage
        row["updated_at"] = updated
        leads.append(row)
    _insert_dicts(s, Lead.__table__, leads)  # type: ignore[arg-type]
    _insert_dicts(s, FollowUp.__table__, followups)  # type: ignore[arg-type]
    if bookings:
        b_count = Tally(b["_series"] for b in bookings)
        b_next = {k: reserve(s, k, c) for k, c in sorted(b_count.items())}
        for k, b in enumerate(sorted(bookings, key=lambda x: x["booking_at"])):
            b["id"] = ids["booking"] + k + 1
            series = b.pop("_series")
            b["number"] = format_number(series, b_next[series])
            b_next[series] += 1
        _insert_dicts(s, Booking.__table__, bookings)  # type: ignore[arg-type]
    return len(leads), len(followups), len(bookings), dict(Tally(str(x["stage"]) for x in leads))


def _parse_ts(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace(".000000", "").replace("+00", "")).replace(tzinfo=dt.UTC)


def _booking(gen: _Generator, info: _BranchInfo, lead_id: int, plan: _LeadPlan, lead: dict[str, Any], day: int,
             state: BookingState, wo: list[Any] | None, created: dt.datetime,
             busy: set[tuple[str, int, int, int]]) -> dict[str, Any]:
    """A booking in a free slot: one per pit per hour, one per mechanic per hour (workshop 08-17)."""
    r = gen.rnd
    pit, mechanic, advisor = (wo[9], wo[10], wo[11]) if wo else \
        (r.choice(info.pits), r.choice(info.mechanics), r.choice(info.advisors))
    hour = r.randint(8, 16)
    for k in range(9 * len(info.pits) * len(info.mechanics)):
        h = 8 + (hour - 8 + k) % 9
        if ("pit", pit, day, h) not in busy and ("mech", mechanic, day, h) not in busy:
            hour = h
            break
        if k % 9 == 8:
            pit, mechanic = r.choice(info.pits), r.choice(info.mechanics)
    busy.update({("pit", pit, day, hour), ("mech", mechanic, day, hour)})
    when = _aware(day, hour, 0, info)
    return {
        "_series": booking_series(info.seed.code, dt.date.fromordinal(day)),
        "branch_id": info.id, "state": state, "booking_at": when, "lead_id": lead_id,
        "customer_id": lead["customer_id"], "vehicle_id": plan.vehicle_id, "mobile": lead["phone"],
        "service_kind": plan.kind, "kpb_number": plan.kpb,
        "reason_to_come": r.choice(("Telp Reminder", "WA Reminder", "Telp Reminder", "Inisiatif Sendiri")),
        "complaint": r.choice(_COMPLAINTS), "carrier_relation": "Sendiri" if r.random() < 0.8 else "Keluarga",
        "pit_id": pit, "mechanic_id": mechanic, "service_advisor_id": advisor,
        "work_order_id": wo[0] if wo else None,
        "cancel_reason": "Customer berhalangan hadir" if state == BookingState.CANCELLED else None,
        "created_by_id": lead["assigned_user_id"], "version": 1, "created_at": created,
        "updated_at": max(created, _parse_ts(wo[13])) if wo else created,
    }


def _insert_dicts(s: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """The small tables (leads, follow-ups, bookings) through Core: typed values, every column named."""
    if not rows:
        return
    keys = sorted({k for row in rows for k in row})
    s.execute(insert(table), [{k: row.get(k) for k in keys} for row in rows])


# --- the whole run -------------------------------------------------------------------------------

def _say(progress: bool, started: float, message: str) -> None:
    if progress:
        print(f"[demo {time.perf_counter() - started:6.1f} s] {message}", file=sys.stderr, flush=True)


def _next_ids(s: Session) -> dict[str, int]:
    tables = {"customer": Customer, "vehicle": Vehicle, "sale": Sale, "work_order": WorkOrder, "lead": Lead,
              "followup": FollowUp, "booking": Booking}
    return {name: int(s.scalar(select(func.coalesce(func.max(model.id), 0))) or 0)  # type: ignore[attr-defined]
            for name, model in tables.items()}


def _fix_sequences(s: Session) -> None:
    """PostgreSQL: we chose the ids, so move each id sequence past them for the app's own inserts."""
    if s.get_bind().dialect.name != "postgresql":
        return
    for table in ("customer", "vehicle", "sale", "work_order", "lead", "followup", "booking"):
        s.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                       f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"))


def generate(db: Database, *, vehicles: int = 3000, seed: int = 23, today: dt.date | None = None,
             progress: bool = False, chunk_size: int = _CHUNK) -> DemoSummary:
    """Fill an empty database with a demo dealer of `vehicles` motorcycles; deterministic per seed."""
    if vehicles < 1:
        raise ValueError("vehicles must be >= 1")
    started = time.perf_counter()
    if not is_empty(db):
        raise DemoError("the database already has branches; demo data only goes into an empty database")
    today_ord = (today or clock.today_in("Asia/Jakarta")).toordinal()
    rnd = random.Random(seed)
    with db.transaction(None, system=True) as s:
        master = _install_master(s, rnd)
        ids = _next_ids(s)
        dialect = s.get_bind().dialect.name
    _say(progress, started, f"{len(master.branches)} branches, {master.users} users")
    pop = _population(vehicles, seed, today_ord, len(master.branches))
    lead_rate = (0.03 * vehicles + min(250.0, 0.15 * vehicles)) / vehicles
    gen = _Generator(master, pop, seed + 1, today_ord, dialect, lead_rate)
    # Customer codes: one block per BPA/<yymm> series, reserved before any row is written.
    months = Tally(dt.date.fromordinal(pop.day[i]).strftime("%y%m") for i in range(vehicles) if pop.new_customer[i])
    with db.transaction(None, system=True) as s:
        gen.bpa_next = {f"BPA/{k}": reserve(s, f"BPA/{k}", c) for k, c in sorted(months.items())}
    _say(progress, started, f"planned {vehicles:,} vehicles of {pop.customers:,} customers")
    wo_id = ids["work_order"]
    for start in range(0, vehicles, chunk_size):
        stop = min(vehicles, start + chunk_size)
        rows = gen.chunk(start, stop, ids)
        wos: list[list[Any]] = rows["work_order"]  # type: ignore[assignment]
        with db.transaction(None, system=True) as s:
            first = {k: reserve(s, k, c) for k, c in sorted(Tally(w[-1] for w in wos).items())}
            for w in wos:
                key = w.pop()
                wo_id += 1
                w[0], w[_WO_NUMBER] = wo_id, format_number(key, first[key])
                first[key] += 1
            out = _Writer(s)
            out.write(Customer.__table__, _CUSTOMER_COLS, rows["customer"])  # type: ignore[arg-type]
            out.write(Vehicle.__table__, _VEHICLE_COLS, rows["vehicle"])  # type: ignore[arg-type]
            out.write(Sale.__table__, _SALE_COLS, rows["sale"])  # type: ignore[arg-type]
            out.write(WorkOrder.__table__, _WO_COLS, wos)  # type: ignore[arg-type]
        del rows, wos
        _say(progress, started, f"{stop:,}/{vehicles:,} vehicles, {gen.counts['work_orders']:,} work orders")
    with db.transaction(None, system=True) as s:
        n_leads, n_fu, n_book, by_stage = _build_leads(s, gen, ids)
        _fix_sequences(s)
        refresh_last_service(s)  # each vehicle's latest work order, for the lead engine
        fill_snapshots(s)  # the unit and customer code each lead shows, in one UPDATE
        plan_lead_touches(s)  # the open leads' H-7 / H-3 touches, as the lead engine plans them
    _say(progress, started, f"{n_leads:,} leads, {n_fu:,} follow-ups, {n_book:,} bookings; done")
    return DemoSummary(branches=len(master.branches), users=master.users, customers=gen.counts["customers"],
                       vehicles=gen.counts["vehicles"], sales=gen.counts["vehicles"],
                       work_orders=gen.counts["work_orders"], leads=n_leads, followups=n_fu, bookings=n_book,
                       leads_by_stage=by_stage)
