"""Benchmark: importing a dealer's sales export (customer + vehicle + sale per row) with core.intake.importer.

A CSV of N rows (default 1,000,000; --quick 20,000) in the dealer system's shape (';'-separated, dd/mm/yyyy
dates, 08xx mobiles, about 1 customer in 8 with a second motorcycle, 1 row in 200 with a bad value) is
generated once into bench/.data/ and imported into a fresh SQLite file through core.intake.file_import.import_file
(read in chunks, validate, upsert with a commit per chunk, audit). The floor is the plainest code for the same
stored rows: raw sqlite3 executemany of the already-parsed customers, vehicles and sales into a fresh
database of the same schema, one transaction, on a connection set up as the product's (db.engine: WAL,
foreign keys; the import's page cache, core.intake.importer.IMPORT_CACHE_MB: SQLite's default 2 MB cache made the
floor 1.7x slower at 1,000,000 rows). The re-import of the same file (every row unchanged) is
reported on stderr with the peak RSS of the product imports, and so are the xlsx path (the CSV's first
--xlsx-rows rows as an xlsx, read row by row by core.intake.xlsx_stream, the reader of every .xlsx since the
upload limits) and, with --pg URL, PostgreSQL. The first import into the fresh database runs in bulk-load mode
(core.intake.bulk_load), so the last line's floor is the classic bulk load (the same executemany with the
secondary indexes built after the rows); the floor with the indexes kept up row by row is on stderr.

    python -m bench.import              # 1,000,000 rows
    python -m bench.import --quick      # 20,000 rows
    python -m bench.import --pg postgresql+psycopg://postgres@127.0.0.1:5432/h23_bench   # DROPS its schema
"""

from __future__ import annotations

import datetime as dt
import os
import random
import sqlite3
import sys
import time
from pathlib import Path

from bench.common import arg_parser, peak_rss_mb, report
from core.accounts.access import Viewer
from core.intake import file_import, importer as intake
from db.engine import Database, make_engine, sqlite_pragmas
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


def _parsed(csv_path: Path) -> tuple[list[tuple], list[tuple], list[tuple], int]:
    """The file's valid rows as customer, vehicle and sale tuples with their ids (parsing not timed)."""
    df = intake.read_table(csv_path)
    db = _fresh(DATA / "import-parse.db")
    with db.session(None, system=True) as s:
        checked = intake._check(s, Viewer.system_viewer(), "sales", df, intake.guess_mapping(df.columns), None)
    db.engine.dispose()
    values = checked.values[checked.ok]
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
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
                              rec.address, False, False, now, now))
        vid = veh_ids.get(rec.engine_no)
        if vid is None:
            vid = veh_ids[rec.engine_no] = len(veh_ids) + 1
            vehicles.append((vid, int(rec.branch_id), cid, rec.engine_no, rec.engine_no[:4], rec.frame_no, rec.plate,
                             rec.unit_type_code, rec.unit_name, rec.sale_date, False, now, now))
        sales.append((int(rec.branch_id), vid, cid, rec.sale_date, now, now))
    return customers, vehicles, sales, len(values)


_CUSTOMER_COLS = ("id, branch_id, code, name, nik, phone, address, consent_contact, consent_message, created_at,"
                  " updated_at")
_VEHICLE_COLS = ("id, branch_id, customer_id, engine_no, engine_code, frame_no, plate, unit_type_code, unit_name,"
                 " purchase_date, premium, created_at, updated_at")
_SALE_COLS = "branch_id, vehicle_id, customer_id, sale_date, created_at, updated_at"


def _floor(db_path: Path, parsed: tuple[list[tuple], list[tuple], list[tuple], int], *,
           indexes_after: bool = False) -> tuple[float, int]:
    """Raw sqlite3 executemany of the already-parsed rows into a fresh database, one transaction.
    indexes_after: the classic bulk load instead (the secondary, non-unique indexes of the three tables
    dropped first and built again after the rows, inside the timing)."""
    customers, vehicles, sales, good = parsed
    _fresh(db_path).engine.dispose()
    conn = sqlite3.connect(db_path, isolation_level=None)
    sqlite_pragmas(conn, None)  # the product's own connection settings: WAL, foreign keys...
    conn.execute(f"PRAGMA cache_size=-{intake.IMPORT_CACHE_MB * 1024}")  # ...and the import's page cache
    stamp = customers[0][-1].isoformat(sep=" ") if customers else ""
    secondary = [(name, sql) for name, sql in conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('customer', 'vehicle', 'sale')"
        " AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%'")] if indexes_after else []
    for name, _sql in secondary:
        conn.execute(f"DROP INDEX {name}")
    started, cpu = time.perf_counter(), time.process_time()
    conn.execute("BEGIN")
    conn.executemany(f"INSERT INTO customer ({_CUSTOMER_COLS}) VALUES ({','.join('?' * 11)})",
                     [(*c[:7], 0, 0, stamp, stamp) for c in customers])
    conn.executemany(f"INSERT INTO vehicle ({_VEHICLE_COLS}) VALUES ({','.join('?' * 13)})",
                     [(*v[:9], v[9].isoformat(), 0, stamp, stamp) for v in vehicles])
    conn.executemany(f"INSERT INTO sale ({_SALE_COLS}) VALUES ({','.join('?' * 6)})",
                     [(*x[:3], x[3].isoformat(), stamp, stamp) for x in sales])
    for _name, sql in secondary:
        conn.execute(sql)
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    print(f"floor{' (secondary indexes built after the rows)' if indexes_after else ''}: CPU "
          f"{time.process_time() - cpu:.1f} s", file=sys.stderr)
    conn.close()
    return elapsed, good


def _pg_floor(url: str, parsed: tuple[list[tuple], list[tuple], list[tuple], int]) -> float:
    """psycopg 3 COPY of the same parsed rows into a fresh schema at url, one transaction."""
    import psycopg

    customers, vehicles, sales, _good = parsed
    _pg_fresh(url).dispose()
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn, conn.cursor() as cur:
        started = time.perf_counter()
        for table, cols, rows in (("customer", _CUSTOMER_COLS, customers), ("vehicle", _VEHICLE_COLS, vehicles),
                                  ("sale", _SALE_COLS, sales)):
            with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        conn.commit()
        return time.perf_counter() - started


def _xlsx_from_csv(csv_path: Path, xlsx_path: Path, rows: int) -> None:
    """The CSV's first rows as an xlsx (openpyxl write-only), as a dealer's Excel export."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Penjualan")
    with csv_path.open(encoding="utf-8") as handle:
        for i, line in enumerate(handle):
            if i > rows:
                break
            ws.append(line.rstrip("\n").split(";"))
    wb.save(xlsx_path)


def _timed_import(db: Database, path: Path) -> tuple[float, float, intake.ImportResult]:
    """(wall seconds, this process's CPU seconds, result) of one import_file."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = file_import.import_file(db, Viewer.system_viewer(), path, "sales")
    return time.perf_counter() - wall, time.process_time() - cpu, result


def _pg_fresh(url: str):
    from sqlalchemy import text

    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    with Database(engine).transaction(None, system=True) as s:
        s.add_all([Branch(code=code, name=name, timezone="Asia/Makassar") for code, name, *_ in BRANCHES])
    return engine


def _postgres(url: str, csv_path: Path, n: int, parsed: tuple[list[tuple], list[tuple], list[tuple], int]) -> None:
    """The same import into PostgreSQL (the schema of the database at url is dropped and re-created),
    and its floor: COPY of the same parsed rows."""
    engine = _pg_fresh(url)
    db = Database(engine)
    first_s, first_cpu, first = _timed_import(db, csv_path)
    second_s, second_cpu, _second = _timed_import(db, csv_path)
    engine.dispose()
    floor_s = _pg_floor(url, parsed)
    print(f"postgresql: first import {n / first_s:,.0f} rows/s ({first_s:.1f} s, client CPU {first_cpu:.1f} s) "
          f"{first.as_dict()}; re-import {n / second_s:,.0f} rows/s ({second_s:.1f} s, client CPU "
          f"{second_cpu:.1f} s); floor (psycopg COPY of the {parsed[3]:,} parsed rows) {parsed[3] / floor_s:,.0f} "
          f"rows/s ({floor_s:.1f} s)", file=sys.stderr)


def main() -> None:
    parser = arg_parser(__doc__ or "")
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--xlsx-rows", type=int, default=None, help="rows of the xlsx run (default 200,000)")
    parser.add_argument("--pg", default=None, help="also import into this PostgreSQL URL (its schema is DROPPED)")
    args = parser.parse_args()
    n = args.rows or (20_000 if args.quick else 1_000_000)
    DATA.mkdir(exist_ok=True)
    csv_path = DATA / f"import-sales-{n}.csv"
    if not csv_path.exists():
        started = time.perf_counter()
        generate_csv(csv_path, n)
        print(f"generated {csv_path.name} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    db = _fresh(DATA / f"import-{n}.db")
    first_s, first_cpu, first = _timed_import(db, csv_path)
    second_s, second_cpu, second = _timed_import(db, csv_path)
    db.engine.dispose()
    product_peak = peak_rss_mb()  # before the floor, which holds the parsed file in memory
    print(f"rows: {n:,}; first import {first_s:.2f} s (CPU {first_cpu:.1f} s) {first.as_dict()}; "
          f"load {os.getloadavg()[0]:.1f}", file=sys.stderr)
    print(f"re-import: {second_s:.2f} s (CPU {second_cpu:.1f} s), {n / second_s:,.0f} rows/s {second.as_dict()}",
          file=sys.stderr)
    print(f"peak RSS of the product imports (read in chunks): {product_peak:.0f} MiB", file=sys.stderr)

    xlsx_rows = args.xlsx_rows if args.xlsx_rows is not None else (5_000 if args.quick else 200_000)
    if xlsx_rows:  # 0 skips the xlsx run
        xlsx_path = DATA / f"import-sales-{xlsx_rows}.xlsx"
        if not xlsx_path.exists():
            _xlsx_from_csv(csv_path, xlsx_path, xlsx_rows)
        from python_calamine import CalamineWorkbook

        started = time.perf_counter()
        workbook = CalamineWorkbook.from_path(str(xlsx_path))
        read = sum(1 for _ in workbook.get_sheet_by_index(0).iter_rows()) - 1
        workbook.close()
        calamine_s = time.perf_counter() - started
        xdb = _fresh(DATA / f"import-xlsx-{xlsx_rows}.db")
        xlsx_s, _cpu, xlsx = _timed_import(xdb, xlsx_path)
        xdb.engine.dispose()
        print(f"xlsx: {xlsx_rows:,} rows imported at {xlsx_rows / xlsx_s:,.0f} rows/s {xlsx.as_dict()}; "
              f"bare calamine read {read / calamine_s:,.0f} rows/s; peak RSS so far {peak_rss_mb():.0f} MiB "
              "(the bare calamine read, which holds the sheet whole, included)", file=sys.stderr)
    parsed = _parsed(csv_path)
    if args.pg:
        _postgres(args.pg, csv_path, n, parsed)

    bulk_s, good = _floor(DATA / f"import-floor-{n}.db", parsed, indexes_after=True)
    print(f"floor with the secondary indexes built after the rows: {bulk_s:.2f} s, {good / bulk_s:,.0f} rows/s",
          file=sys.stderr)
    floor_s, good = _floor(DATA / f"import-floor-{n}.db", parsed)
    print(f"floor with the indexes kept up row by row: {floor_s:.2f} s, {good / floor_s:,.0f} rows/s "
          f"(load {os.getloadavg()[0]:.1f})", file=sys.stderr)
    # The product's first import into an empty database runs in bulk-load mode (core.intake.bulk_load): its floor
    # is the bulk load's.
    report("import", n / first_s, "rows/s", good / bulk_s)


if __name__ == "__main__":
    main()
