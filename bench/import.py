"""Benchmark: importing a dealer's sales export (customer + vehicle + sale per row) with core.intake.

A CSV of N rows (default 1,000,000; --quick 20,000) in the dealer system's shape (';'-separated, dd/mm/yyyy
dates, 08xx mobiles, about 1 customer in 8 with a second motorcycle, 1 row in 200 with a bad value) is
generated once into bench/.data/ and imported into a fresh SQLite file through core.intake.import_file
(read, validate, upsert with a commit per batch, audit). The floor is the plainest code for the same
stored rows: raw sqlite3 executemany of the already-parsed customers, vehicles and sales into a fresh
database of the same schema, one transaction. The re-import of the same file (every row unchanged) is
reported on stderr with the peak RSS.

    python -m bench.import              # 1,000,000 rows
    python -m bench.import --quick      # 20,000 rows
"""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
import sys
import time
from pathlib import Path

from bench.common import arg_parser, peak_rss_mb, report
from core import intake
from core.access import Viewer
from db.engine import Database, make_engine
from db.migrate import upgrade
from db.models import Branch

DATA = Path(__file__).resolve().parent / ".data"
BRANCHES = (("SAM01", "SAMARINDA", "KT", "64", "6472"), ("BAL01", "BALIKPAPAN", "KT", "64", "6471"),
            ("MAN01", "MANADO", "DB", "71", "7171"))
UNITS = (("JM81", "D1B02N12L2", "Beat Sporty CBS"), ("KF41", "X1H02N35S2", "New Vario 150"),
         ("HB61", "F1C02N41L0", "Scoopy"), ("JMB1", "H1B02N41L1", "Genio"))
NAMES = ("BUDI", "SITI", "ANDI", "DEWI", "RUDI", "RINA", "AGUS", "SRI", "JOKO", "NUR", "HENDRA", "YULI")
HEADER = "No Mesin;No Rangka;No Polisi;Kode Tipe Unit;Tipe Unit;Nama;No KTP;No HP;Alamat;Tanggal Beli;Kode Cabang"


def generate_csv(path: Path, n: int, seed: int = 23) -> None:
    rnd = random.Random(seed)
    engine_seq = dict.fromkeys((u[0] for u in UNITS), 1_000_000)
    customers: list[tuple[str, str, str, str, str]] = []
    used: dict[str, int] = {}
    start = dt.date(2019, 1, 1).toordinal()
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER + "\n")
        for i in range(n):
            code, _name, plate_prefix, _province, city = BRANCHES[rnd.randrange(len(BRANCHES))]
            if customers and rnd.random() < 0.12:
                name, nik, phone, address, code = customers[rnd.randrange(len(customers))]
            else:
                female = rnd.random() < 0.36
                birth = dt.date(1970, 1, 1) + dt.timedelta(days=rnd.randrange(16000))
                stem = (f"{city}{rnd.randint(1, 20):02d}{birth.day + 40 * female:02d}{birth.month:02d}"
                        f"{birth.year % 100:02d}")
                seq = used.get(stem, 0) + 1  # a NIK is one person's: the sequence runs per stem
                used[stem] = seq
                nik = f"{stem}{seq:04d}"
                name = f"{rnd.choice(NAMES)} {rnd.choice(NAMES)} {i}"
                phone = f"08{rnd.choice('12357')}{rnd.randint(1, 9)}{rnd.randint(10_000_000, 99_999_999)}"
                if rnd.random() < 0.05:
                    nik = ""
                address = f"JL. MERDEKA NO. {rnd.randint(1, 199)}"
                if len(customers) < 200_000:
                    customers.append((name, nik, phone, address, code))
            ec, unit_code, unit_name = UNITS[rnd.randrange(len(UNITS))]
            engine_seq[ec] += rnd.randint(1, 3)
            engine = f"{ec}E{engine_seq[ec]:07d}"
            frame = f"{ec}1LK{engine_seq[ec]:07d}"[:14]
            plate = f"{plate_prefix} {rnd.randint(1000, 9999)} {rnd.choice('ABCDEFGH')}{rnd.choice('JKLMN')}"
            sold = dt.date.fromordinal(start + rnd.randrange(700))
            date_text = sold.strftime("%d/%m/%Y")
            if rnd.random() < 0.005:  # one row in 200 has a fault somewhere
                fault = rnd.randrange(3)
                if fault == 0:
                    engine = engine[:8]
                elif fault == 1:
                    phone = "0541 123456"
                else:
                    date_text = "31/02/2020"
            out.write(f"{engine};{frame};{plate};{unit_code};{unit_name};{name};{nik};{phone};{address};"
                      f"{date_text};{code}\n")


def _fresh(path: Path) -> Database:
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    db = Database(engine)
    with db.transaction(None, system=True) as s:
        s.add_all([Branch(code=code, name=name, timezone="Asia/Makassar") for code, name, *_ in BRANCHES])
    return db


def _floor(db_path: Path, csv_path: Path) -> tuple[float, int]:
    """Raw sqlite3 executemany of the already-parsed rows (parsing not timed)."""
    db = _fresh(db_path)
    df = intake.read_table(csv_path)
    with db.session(None, system=True) as s:
        checked = intake._check(s, Viewer.system_viewer(), "sales", df, intake.guess_mapping(df.columns), None)
    values = checked.values[checked.ok]
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")
    customers: list[tuple] = []
    vehicles: list[tuple] = []
    sales: list[tuple] = []
    cust_ids: dict[object, int] = {}
    veh_ids: dict[str, int] = {}
    for rec in values.itertuples(index=False):
        key = rec.nik or (rec.phone, rec.name)
        cid = cust_ids.get(key)
        if cid is None:
            cid = cust_ids[key] = len(cust_ids) + 1
            customers.append((cid, int(rec.branch_id), f"BPA/2611/{cid:07d}", rec.name, rec.nik, rec.phone,
                              rec.address, 0, 0, now, now))
        vid = veh_ids.get(rec.engine_no)
        if vid is None:
            vid = veh_ids[rec.engine_no] = len(veh_ids) + 1
            vehicles.append((vid, int(rec.branch_id), cid, rec.engine_no, rec.engine_no[:4], rec.frame_no, rec.plate,
                             rec.unit_type_code, rec.unit_name, rec.sale_date.isoformat(), 0, now, now))
        sales.append((int(rec.branch_id), vid, cid, rec.sale_date.isoformat(), now, now))
    db.engine.dispose()
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    started = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO customer (id, branch_id, code, name, nik, phone, address, consent_contact,"
                     " consent_message, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)", customers)
    conn.executemany("INSERT INTO vehicle (id, branch_id, customer_id, engine_no, engine_code, frame_no, plate,"
                     " unit_type_code, unit_name, purchase_date, premium, created_at, updated_at)"
                     " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", vehicles)
    conn.executemany("INSERT INTO sale (branch_id, vehicle_id, customer_id, sale_date, created_at, updated_at)"
                     " VALUES (?,?,?,?,?,?)", sales)
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed, len(values)


def main() -> None:
    parser = arg_parser(__doc__ or "")
    parser.add_argument("--rows", type=int, default=None)
    args = parser.parse_args()
    n = args.rows or (20_000 if args.quick else 1_000_000)
    DATA.mkdir(exist_ok=True)
    csv_path = DATA / f"import-sales-{n}.csv"
    if not csv_path.exists():
        started = time.perf_counter()
        generate_csv(csv_path, n)
        print(f"generated {csv_path.name} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    db = _fresh(DATA / f"import-{n}.db")
    viewer = Viewer.system_viewer()
    started = time.perf_counter()
    first = intake.import_file(db, viewer, csv_path, "sales")
    first_s = time.perf_counter() - started
    started = time.perf_counter()
    second = intake.import_file(db, viewer, csv_path, "sales")
    second_s = time.perf_counter() - started
    db.engine.dispose()
    floor_s, good = _floor(DATA / f"import-floor-{n}.db", csv_path)
    print(f"rows: {n:,}; first import {first_s:.2f} s {first.as_dict()}", file=sys.stderr)
    print(f"re-import: {second_s:.2f} s, {n / second_s:,.0f} rows/s {second.as_dict()}", file=sys.stderr)
    print(f"floor: {floor_s:.2f} s for {good:,} parsed rows", file=sys.stderr)
    print(f"peak RSS: {peak_rss_mb():.0f} MiB", file=sys.stderr)
    report("import", n / first_s, "rows/s", good / floor_s)


if __name__ == "__main__":
    main()
