"""Benchmark: report 'Laporan CRM' export (issue: Laporan CRM).

Figures to reach: 1,000,000 rows to xlsx completes (going on to a second sheet past 1,048,576 rows)
with peak memory <= 300 MB and at most 1.3x the floor; 100,000 rows in <= 12 s end to end
(query + write); CSV of 1,000,000 rows in <= 10 s.

Product: core.reports.laporan_export.export_laporan (rows formatted in SQL, fetched by a second thread while
XlsxWriter's constant-memory mode writes them; audit entry included) as head office for every
branch and every date. Floor: the bare writer, XlsxWriter constant_memory writing the same, already
fetched rows cell by cell (write_string / write_number, same sheet roll-over). With --openpyxl (or at
200,000 rows or fewer) openpyxl's write-only mode writes the same rows too: the A/B of the two
writers, in the same run. The CSV time is core.reports.laporan_export.export_laporan(..., "csv") end to end; its
floor is csv.writer writing the same, already fetched rows. Peak RSS is taken right after the
product's xlsx export (the floor then holds every row in memory, which is not the product's cost).
Load average and the process CPU seconds (all threads) are printed next to each wall time.

The data is N synthetic leads inserted directly (only the columns the report reads) into a fresh
SQLite file under bench/.data/ (kept for the next run), or the database of --database-url.

    python -m bench.export              # 1,000,000 rows
    python -m bench.export --quick      # 20,000 rows
    python -m bench.export --rows 100000
    python -m bench.export --formats csv     # only the CSV export (its line: export-csv)
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import xlsxwriter
from openpyxl import Workbook
from sqlalchemy import Table, func, insert, select, text

from bench.common import arg_parser, peak_rss_mb, report
from core.accounts.access import Viewer
from core.reports import laporan_export
from core.reports.laporan import LAPORAN_COLUMNS, LAPORAN_DATE_COLUMNS, ReportFilter
from core.reports.laporan_export import EXCEL_MAX_ROWS
from db.engine import Database, make_engine
from db.enums import ContactStatus, LeadCategory, Role, ServiceKind, Stage, Temperature
from db.migrate import upgrade
from db.models import Branch, FollowUp, Lead, LostReason, Occupation, User

BRANCHES = [("SAM01", "SAMARINDA", "Asia/Makassar"), ("MAN01", "MANADO", "Asia/Makassar"),
            ("BDG01", "BANDUNG", "Asia/Jakarta"), ("JKT01", "JAKARTA TIMUR", "Asia/Jakarta"),
            ("JAP01", "JAYAPURA", "Asia/Jayapura")]
UNITS = [("X1H02N35S2", "New Vario Techno 150 Plus"), ("D1B02N12L2", "Beat Sporty CBS"),
         ("H1B02N41L0", "Scoopy"), ("Y1G02N02L0", "PCX 150")]
STAGES = [Stage.LEAD] * 4 + [Stage.NEW, Stage.FU1, Stage.FU2, Stage.FU3, Stage.WON, Stage.LOST]


def _database(url: str | None, n: int) -> Database:
    if not url:
        folder = Path(__file__).resolve().parent / ".data"
        folder.mkdir(exist_ok=True)
        url = f"sqlite:///{folder / f'export-v2-{n}.db'}"  # v2: with admins, promised dates and follow-ups
    engine = make_engine(url)
    upgrade(engine)
    db = Database(engine)
    with db.session(None, system=True) as s:
        have = s.scalar(select(func.count(Lead.id))) or 0
    if have != n:
        if have:
            raise SystemExit(f"the database holds {have:,} leads, not {n:,}: use a fresh one")
        started = time.perf_counter()
        print(f"inserting {n:,} synthetic leads (once)...", file=sys.stderr)
        _fill(db, n)
        print(f"  built in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return db


def _fill(db: Database, n: int) -> None:
    rnd = random.Random(23)
    now = dt.datetime.now(dt.UTC)
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    with db.transaction(None, system=True) as s:
        branches = [Branch(code=c, name=nm, timezone=tz) for c, nm, tz in BRANCHES]
        s.add_all(branches)
        admins = [User(username=f"admin.{c.lower()}", full_name=f"Admin {nm.title()}", password_hash="x",
                       role=Role.ADMIN_CRM) for c, nm, _tz in BRANCHES]
        s.add_all(admins)
        occ = Occupation(code="PELAJAR", name="Pelajar/Mahasiswa")
        reason = LostReason(code="SOLD", name_id="Unit sudah dijual", name_en="Sold the unit")
        s.add_all([occ, reason])
        s.flush()
        branch_ids, occ_id, reason_id = [b.id for b in branches], occ.id, reason.id
        admin_ids = [a.id for a in admins]
    table, followups = Lead.__table__, FollowUp.__table__
    assert isinstance(table, Table) and isinstance(followups, Table)
    chunk = 20_000
    for lo in range(0, n, chunk):
        rows, contacts = [], []
        for i in range(lo, min(n, lo + chunk)):
            b = i % len(branch_ids)
            stage = STAGES[i % len(STAGES)]
            created = start + dt.timedelta(seconds=int(i * 31_536_000 / n) + rnd.randrange(600))
            day = created.date()
            kpb = 1 + i % 4
            opp = stage != Stage.LEAD
            fu = [day + dt.timedelta(days=k) for k in (1, 8, 15)]
            n_fu = {Stage.FU1: 1, Stage.FU2: 2, Stage.FU3: 3, Stage.WON: 2, Stage.LOST: 3}.get(stage, 0)
            unit = UNITS[i % len(UNITS)]
            rows.append({
                "branch_id": branch_ids[b], "number": f"LDS/{BRANCHES[b][0]}/{day:%y%m}/{i:07d}",
                "category": LeadCategory.H1_H2, "division": "Workshop", "sales_source": "CRM",
                "stage": stage, "priority": "normal", "customer_code": f"BPA/{day:%y%m}/{i:07d}",
                "contact_name": f"PELANGGAN NOMOR {i}", "phone": f"+62858{i:08d}", "nik": f"647202{i:010d}",
                "occupation_id": occ_id, "engine_no": f"KF41E{i:07d}", "plate": f"KT {i % 9999 + 1} FK",
                "unit_type_code": unit[0], "unit_name": unit[1], "sales_date": day - dt.timedelta(days=90 * kpb),
                "service_kind": ServiceKind.KPB, "kpb_number": kpb, "deadline": day + dt.timedelta(days=21),
                "due_key": f"KPB{kpb}:{i}", "last_service_type": f"KPB{kpb - 1}" if kpb > 1 else None,
                "last_service_date": day - dt.timedelta(days=60) if kpb > 1 else None,
                "converted_at": created if opp else None,
                "fu1_date": fu[0] if n_fu >= 1 else None, "next_plan_fu2": fu[1] if n_fu >= 1 else None,
                "fu2_date": fu[1] if n_fu >= 2 else None, "next_plan_fu3": fu[2] if n_fu >= 2 else None,
                "fu3_date": fu[2] if n_fu >= 3 else None,
                "temperature": rnd.choice(list(Temperature)) if opp else None,
                "contact_status": rnd.choice(list(ContactStatus)) if n_fu else None,
                "note": "Janji datang minggu depan" if i % 7 == 0 else None,
                "assigned_user_id": admin_ids[b] if i % 5 else None,
                "promised_date": fu[0] + dt.timedelta(days=5) if n_fu and i % 3 == 0 else None,
                "lost_note": "Sudah servis di bengkel lain" if stage == Stage.LOST else None,
                "closed_at": created if stage in (Stage.WON, Stage.LOST) else None,
                "lost_reason_id": reason_id if stage == Stage.LOST else None,
                "version": 1, "created_at": created, "updated_at": now,
            })
            # Lead ids follow the insertion order from 1: each follow-up names its lead by that.
            contacts += [{"branch_id": branch_ids[b], "lead_id": i + 1, "stage_number": k + 1, "done_on": fu[k],
                          "channel": "call", "contact_status": rows[-1]["contact_status"] or ContactStatus.TERHUBUNG,
                          "user_id": admin_ids[b], "created_at": created} for k in range(n_fu)]
        with db.transaction(None, system=True) as s:
            s.execute(insert(table), rows)
            if contacts:
                s.execute(insert(followups), contacts)


DATES = frozenset(i for i, name in enumerate(LAPORAN_COLUMNS) if name in LAPORAN_DATE_COLUMNS)


def _floor(rows: list[tuple], path: str) -> float:
    """The bare writer: XlsxWriter constant_memory writing the already fetched rows (same roll-over), the
    date columns as date cells (a number with a date format), nothing else: no widths, no frozen header."""
    started = time.perf_counter()
    wb = xlsxwriter.Workbook(path, {"constant_memory": True})
    date = wb.add_format({"num_format": "dd/mm/yyyy"})
    ws = wb.add_worksheet("Laporan CRM")
    ws.write_row(0, 0, LAPORAN_COLUMNS)
    sheets, in_sheet = 1, 0
    for row in rows:
        if in_sheet == EXCEL_MAX_ROWS - 1:
            sheets += 1
            ws = wb.add_worksheet(f"Laporan CRM ({sheets})")
            ws.write_row(0, 0, LAPORAN_COLUMNS)
            in_sheet = 0
        in_sheet += 1
        for col, value in enumerate(row):
            if value.__class__ is str:
                ws.write_string(in_sheet, col, value)
            elif value is not None:
                ws.write_number(in_sheet, col, value, date if col in DATES else None)
    wb.close()
    return time.perf_counter() - started


def _openpyxl(rows: list[tuple], path: str) -> float:
    """openpyxl's write-only mode (the customer's package) writing the same rows: the writers' A/B."""
    started = time.perf_counter()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Laporan CRM")
    ws.append(list(LAPORAN_COLUMNS))
    sheets, in_sheet = 1, 0
    for row in rows:
        if in_sheet == EXCEL_MAX_ROWS - 1:
            sheets += 1
            ws = wb.create_sheet(f"Laporan CRM ({sheets})")
            ws.append(list(LAPORAN_COLUMNS))
            in_sheet = 0
        ws.append(row)
        in_sheet += 1
    wb.save(path)
    return time.perf_counter() - started


def _cpu() -> str:
    return f"load {os.getloadavg()[0]:.1f}, CPU {time.process_time():.1f} s so far"


def _csv_floor(batches: list, path: str) -> float:
    """The bare CSV writer: csv.writer.writerows of the already fetched, already formatted rows."""
    started = time.perf_counter()
    with open(path, "w", encoding="utf-8-sig", newline="", buffering=1 << 20) as out:
        writer = csv.writer(out)
        writer.writerow(LAPORAN_COLUMNS)
        for part in batches:
            writer.writerows(part)
    return time.perf_counter() - started


def main() -> None:
    parser = arg_parser(__doc__ or "")
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--formats", default="xlsx,csv", help="xlsx, csv or both (the last line: xlsx when run)")
    parser.add_argument("--openpyxl", action="store_true", help="also time openpyxl write-only on the same rows")
    args = parser.parse_args()
    formats = set(args.formats.split(","))
    n = args.rows or (20_000 if args.quick else 1_000_000)
    db = _database(args.database_url, n)
    base_rss = peak_rss_mb()  # the imports (pandas, pyarrow, SQLAlchemy...) and the data build
    viewer = Viewer(None, "bench", "Bench", Role.PIC_CRM, frozenset())
    f = ReportFilter()
    lines: list[tuple[str, float, float]] = []
    with db.session(None, system=True) as s:  # read every page once, so the first measurement is not the cold one
        s.execute(text("SELECT count(*) FROM lead WHERE note IS NOT NULL OR nik IS NOT NULL")).scalar()
    print(f"database: {db.dialect}; rows: {n:,}; columns: {len(LAPORAN_COLUMNS)}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="h23-export-") as tmp:
        xlsx, csv_path, floor_path = f"{tmp}/laporan.xlsx", f"{tmp}/laporan.csv", f"{tmp}/floor"
        if "xlsx" in formats:
            with db.session(None, system=True) as s:
                cpu, started = time.process_time(), time.perf_counter()
                written = laporan_export.export_laporan(s, viewer, f, xlsx)
                product_s, product_cpu = time.perf_counter() - started, time.process_time() - cpu
                s.rollback()  # the audit entry
            print(f"xlsx product done ({_cpu()})", file=sys.stderr)
            product_rss = peak_rss_mb()
            size_mb = Path(xlsx).stat().st_size / 1e6
            with db.session(None, system=True) as s:
                started = time.perf_counter()
                rows = [tuple(r) for part in laporan_export.xlsx_batches(s, viewer, f, batch=5_000) for r in part]
                fetch_s = time.perf_counter() - started
            cpu = time.process_time()
            floor_s = _floor(rows, floor_path + ".xlsx")
            floor_cpu = time.process_time() - cpu
            assert written == len(rows) == n, (written, len(rows), n)
            sheets = -(-n // (EXCEL_MAX_ROWS - 1))
            print(f"xlsx export (query + write + audit): {product_s:.1f} s, CPU {product_cpu:.1f} s "
                  f"({n / product_s:,.0f} rows/s); {sheets} sheet(s), {size_mb:.0f} MB; SQL-formatted query alone: "
                  f"{fetch_s:.1f} s; bare XlsxWriter: {floor_s:.1f} s, CPU {floor_cpu:.1f} s ({_cpu()})",
                  file=sys.stderr)
            if args.openpyxl or n <= 200_000:
                cpu = time.process_time()
                openpyxl_s = _openpyxl(rows, floor_path + "-openpyxl.xlsx")
                print(f"A/B, same rows: openpyxl write-only {openpyxl_s:.1f} s, CPU {time.process_time() - cpu:.1f} s "
                      f"({n / openpyxl_s:,.0f} rows/s) vs bare XlsxWriter {floor_s:.1f} s ({n / floor_s:,.0f} rows/s) "
                      f"({_cpu()})", file=sys.stderr)
            del rows
            print(f"peak RSS before the export: {base_rss:.0f} MiB; after the xlsx export: {product_rss:.0f} MiB; "
                  f"at the end (the floor holds all rows): {peak_rss_mb():.0f} MiB", file=sys.stderr)
            lines.append(("export", product_s, floor_s))
        if "csv" in formats:
            with db.session(None, system=True) as s:
                cpu, started = time.process_time(), time.perf_counter()
                written = laporan_export.export_laporan(s, viewer, f, csv_path, "csv")
                csv_s, csv_cpu = time.perf_counter() - started, time.process_time() - cpu
                s.rollback()
            with db.session(None, system=True) as s:
                started = time.perf_counter()
                batches = list(laporan_export.csv_batches(s, viewer, f))
                fetch_s = time.perf_counter() - started
            floor_s = _csv_floor(batches, floor_path + ".csv")
            del batches
            assert written == n, (written, n)
            how = ("COPY ... TO STDOUT WITH CSV" if db.dialect == "postgresql"
                   else "fields joined in SQL, quoted per batch, fetched by a second thread + file writes")
            print(f"csv export ({how} + audit): {csv_s:.1f} s, CPU {csv_cpu:.1f} s ({n / csv_s:,.0f} rows/s); "
                  f"SQL-formatted query alone (rows into a list): {fetch_s:.1f} s; "
                  f"bare csv.writer of those rows: {floor_s:.1f} s ({_cpu()})",
                  file=sys.stderr)
            lines.append(("export-csv", csv_s, floor_s))
    # Measured xlsx first (the CSV floor's rows in memory must not count in its RSS); reported last.
    for name, value, floor in reversed(lines):
        report(name, value, "s", floor)


if __name__ == "__main__":
    main()
