"""The demo dealer's fixed facts: the seed's branches, users, unit types, and the names, streets,
phones and shares its customers are drawn from."""

from __future__ import annotations

from dataclasses import dataclass

from core.platform import settings
from db.enums import (
    Role,
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
_REG_INTERVAL_KM = settings.DEFAULTS["leads.regular_interval_km"]
_CHUNK = 50_000


