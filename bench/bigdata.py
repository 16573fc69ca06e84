"""A big dealer for the screen and report benchmarks: 70 branches and millions of leads, built fast.

    from bench.bigdata import build
    build("postgresql+psycopg://postgres@127.0.0.1:5432/h23_bench5m")   # or a SQLite file path
    build("bench/.data/bigdata-5000000.db", leads=5_000_000)

`build` is idempotent: a database that already holds the leads is left as it is (a half-built one is
refused with a message). It creates the demo master data with core.demo (its 11 branches, users, a
small population), adds branches up to 70 (each with two Admin CRM users, pits and staff copied from a
demo branch), then writes the synthetic population with INSERT ... SELECT over a numbers source, in
chunks: one customer and one motorcycle per 5 leads, each vehicle with its KPB 1-4 and one regular lead
(most closed Won or Lost, the rest spread over the open stages), and the H-7 / H-3 touches of the open
leads whose deadline is near today. Ids are chosen here, so children name parents by arithmetic.

    python -m bench.bigdata [--leads N] [--database-url URL]
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

from sqlalchemy import Connection, text

from core import demo
from core.platform import clock
from db.engine import Database, make_engine
from db.migrate import upgrade

BRANCHES = 70
LEADS_PER_VEHICLE = 5
CHUNK = 500_000
DATA_DIR = Path(__file__).resolve().parent / ".data"
_FIRST = ("MUHAMMAD", "AHMAD", "RIZKY", "ANDI", "BUDI", "AGUS", "SITI", "NUR", "DEWI", "RINA", "PUTRI", "HENDRA",
          "YOHANES", "GRACE", "MARIA", "I MADE", "NI LUH", "FAJAR", "DEDI", "WAHYU", "ANISA", "YULI", "ILHAM")
_LAST = ("SAPUTRA", "PRATAMA", "HIDAYAT", "SETIAWAN", "KURNIAWAN", "WIJAYA", "NUGROHO", "LESTARI", "RAHAYU",
         "WAROUW", "SIMANJUNTAK", "SUARDANA", "PERMANA", "RAMADHAN", "GUNAWAN", "MAULANA", "SARI", "IRAWAN",
         "HAKIM")
_UNITS = (("D1B02N12L2", "Beat Sporty CBS", "JM82"), ("H1B02N41L0", "Vario 125 CBS ISS", "JFK1"),
          ("F1C02N46L0", "Scoopy Stylish", "JM31"), ("K1H02N14L0", "PCX 160 CBS", "KF51"),
          ("B1F02N28L2", "Revo Fit", "JBK1"))
_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"


def url_for(url_or_path: str) -> str:
    return url_or_path if "://" in url_or_path else f"sqlite:///{Path(url_or_path).resolve()}"


def default_path(leads: int) -> Path:
    DATA_DIR.mkdir(exist_ok=True)
    return DATA_DIR / f"bigdata-{leads}.db"


def build(url_or_path: str, leads: int = 5_000_000, *, progress: bool = True) -> None:
    """Make the database at `url_or_path` hold the big dealer with `leads` synthetic leads (once)."""
    started = time.perf_counter()

    def say(message: str) -> None:
        if progress:
            print(f"[bigdata {time.perf_counter() - started:6.1f} s] {message}", file=sys.stderr, flush=True)

    engine = make_engine(url_for(url_or_path))
    try:
        upgrade(engine)
        db = Database(engine)
        with engine.connect() as conn:
            have = conn.scalar(text("SELECT count(*) FROM lead WHERE number LIKE 'LDS/%/B%'")) or 0
        if have >= leads:
            say(f"already built ({have:,} synthetic leads)")
            return
        if have:
            raise RuntimeError(f"{url_or_path} is half built ({have:,} of {leads:,} leads): drop it and build again")
        if demo.is_empty(db):
            demo.generate(db, vehicles=2_000)
            say("demo master data (11 branches, users)")
        pg = engine.dialect.name == "postgresql"
        sql = _Sql(pg, clock.today_in("Asia/Jakarta"))
        with engine.begin() as conn:
            if not pg:
                conn.exec_driver_sql("PRAGMA cache_size=-1000000")
            _add_branches(conn, sql)
            _lookup_tables(conn, sql)
        say(f"{BRANCHES} branches")
        vehicles = -(-leads // LEADS_PER_VEHICLE)
        with engine.connect() as conn:
            c0 = int(conn.scalar(text("SELECT coalesce(max(id), 0) FROM customer")) or 0)
            v0 = int(conn.scalar(text("SELECT coalesce(max(id), 0) FROM vehicle")) or 0)
            l0 = int(conn.scalar(text("SELECT coalesce(max(id), 0) FROM lead")) or 0)
            t0 = int(conn.scalar(text("SELECT coalesce(max(id), 0) FROM touch")) or 0)
        for lo in range(1, vehicles + 1, CHUNK):
            hi = min(vehicles, lo + CHUNK - 1)
            with engine.begin() as conn:
                if not pg:
                    conn.exec_driver_sql("PRAGMA cache_size=-1000000")
                conn.execute(text(sql.customers(c0)), {"lo": lo, "hi": hi})
                conn.execute(text(sql.vehicles(c0, v0)), {"lo": lo, "hi": hi})
            say(f"{hi:,}/{vehicles:,} customers and vehicles")
        for lo in range(1, leads + 1, CHUNK):
            hi = min(leads, lo + CHUNK - 1)
            with engine.begin() as conn:
                if not pg:
                    conn.exec_driver_sql("PRAGMA cache_size=-1000000")
                conn.execute(text(sql.leads(c0, v0, l0)), {"lo": lo, "hi": hi})
            say(f"{hi:,}/{leads:,} leads")
        with engine.begin() as conn:
            conn.execute(text(sql.touches(l0, t0)))
            if pg:
                for table in ("customer", "vehicle", "lead", "touch", "branch", "app_user", "pit", "staff"):
                    conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                      f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"))
            for table in ("bd_first", "bd_last", "bd_branch", "bd_unit"):
                conn.execute(text(f"DROP TABLE {table}"))
        say("touches")
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT")
            # PostgreSQL: VACUUM too, so counts can use index-only scans (the visibility map is set).
            conn.exec_driver_sql("VACUUM ANALYZE" if pg else "ANALYZE")
        say(f"built: {leads:,} leads, {vehicles:,} vehicles and customers, {BRANCHES} branches")
    finally:
        engine.dispose()


class _Sql:
    """The dialect's spelling of the few things SQLite and PostgreSQL write differently."""

    def __init__(self, pg: bool, today: dt.date) -> None:
        self.pg = pg
        self.today = today.isoformat()
        self.now = "now()" if pg else "datetime('now')"

    def numbers(self) -> str:
        if self.pg:
            return "SELECT generate_series(CAST(:lo AS bigint), CAST(:hi AS bigint)) AS i"
        return ("WITH RECURSIVE n(i) AS (SELECT :lo UNION ALL SELECT i + 1 FROM n WHERE i < :hi) "
                "SELECT i FROM n")

    def pad(self, expr: str, width: int) -> str:
        return f"lpad(CAST({expr} AS text), {width}, '0')" if self.pg else f"printf('%0{width}d', {expr})"

    def day(self, offset: str) -> str:
        """today + offset days (offset: an integer SQL expression)."""
        if self.pg:
            return f"(DATE '{self.today}' + CAST({offset} AS integer))"
        return f"date('{self.today}', ({offset}) || ' days')"

    def stamp(self, offset: str) -> str:
        """A creation time on day today + offset, 09:00 WIB."""
        if self.pg:
            return f"(TIMESTAMP '{self.today} 02:00:00' + CAST({offset} AS integer) * interval '1 day')"
        return f"datetime('{self.today} 02:00:00', ({offset}) || ' days')"

    def div(self, a: str, b: str) -> str:
        return f"({a}) / ({b})"  # both dialects: integer division of integers

    def letter(self, expr: str) -> str:
        return f"substr('{_LETTERS}', CAST(({expr}) % {len(_LETTERS)} AS integer) + 1, 1)"

    def true(self) -> str:
        return "true" if self.pg else "1"

    def customers(self, c0: int) -> str:
        n = "s.i"
        return f"""
        INSERT INTO customer (id, branch_id, code, name, nik, phone, address, province_code, city_code,
                              occupation_id, consent_contact, consent_message, created_at, updated_at)
        SELECT {c0} + {n}, b.id, 'BPB/' || {self.pad(n, 9)}, f.name || ' ' || l.name,
               '6472' || {self.pad(n, 12)}, '+62813' || {self.pad(n, 8)},
               'JL. MERDEKA NO. ' || ({n} % 250 + 1), '64', '6472', b.occupation_id,
               {self.true()}, {self.true()}, {self.now}, {self.now}
        FROM ({self.numbers()}) s
        JOIN bd_branch b ON b.k = {n} % {BRANCHES}
        JOIN bd_first f ON f.k = {n} % {len(_FIRST)}
        JOIN bd_last l ON l.k = ({self.div(n, str(len(_FIRST)))}) % {len(_LAST)}"""

    def vehicles(self, c0: int, v0: int) -> str:
        n = "s.i"
        plate = (f"b.plate || ' ' || ({n} % 9999 + 1) || ' ' || {self.letter(self.div(n, '9999'))}"
                 f" || {self.letter(self.div(n, str(9999 * 23)))}")
        return f"""
        INSERT INTO vehicle (id, branch_id, customer_id, engine_no, engine_code, plate, unit_type_code, unit_name,
                             colour, purchase_date, premium, created_at, updated_at)
        SELECT {v0} + {n}, b.id, {c0} + {n}, u.engine_code || 'E' || {self.pad(n, 7)}, u.engine_code, {plate},
               u.code, u.name, 'BK-BLACK', {self.day(f"-({n} % 700) - 30")}, u.premium, {self.now}, {self.now}
        FROM ({self.numbers()}) s
        JOIN bd_branch b ON b.k = {n} % {BRANCHES}
        JOIN bd_unit u ON u.k = {n} % {len(_UNITS)}"""

    def leads(self, c0: int, v0: int, l0: int) -> str:
        # i -> vehicle v = (i-1)/5+1, due j = (i-1)%5 (KPB 1-4, then regular); stage by (i * 7) % 100.
        i, v = "s.i", f"({self.div('s.i - 1', str(LEADS_PER_VEHICLE))} + 1)"
        j, r = "((s.i - 1) % 5)", "((s.i * 7) % 100)"
        stage = (f"CASE WHEN {r} < 45 THEN 'won' WHEN {r} < 75 THEN 'lost' WHEN {r} < 83 THEN 'lead' "
                 f"WHEN {r} < 87 THEN 'new' WHEN {r} < 92 THEN 'fu1' WHEN {r} < 96 THEN 'fu2' ELSE 'fu3' END")
        closed = f"CASE WHEN {r} < 75 THEN {self.stamp(f'-({i} % 700)')} END"
        # Open leads' deadlines fall from 10 days ago to 40 days ahead; closed ones over two years.
        deadline = self.day(f"CASE WHEN {r} < 75 THEN -({i} % 700) ELSE {self.open_offset(i)} END")
        temp = f"CASE WHEN {r} >= 87 THEN CASE {i} % 3 WHEN 0 THEN 'hot' WHEN 1 THEN 'medium' ELSE 'cold' END END"
        status = (f"CASE WHEN {r} >= 87 OR {r} < 75 THEN CASE {i} % 4 WHEN 0 THEN 'tidak_terhubung' "
                  f"WHEN 1 THEN 'rejected' ELSE 'terhubung' END END")
        return f"""
        INSERT INTO lead (id, branch_id, number, category, division, sales_source, source_document, stage,
                          priority, customer_id, vehicle_id, contact_name, phone, nik, address, occupation_id,
                          service_kind, kpb_number, deadline, due_key, closed_at, temperature, contact_status,
                          lost_reason_id, version, created_at, updated_at, customer_code, engine_no, plate,
                          unit_type_code, unit_name, colour, sales_date)
        SELECT {l0} + {i}, ve.branch_id, 'LDS/' || b.code || '/B' || {self.pad(i, 8)}, 'h1_h2', 'Workshop',
               CASE WHEN {i} % 10 = 0 THEN 'CRM' ELSE 'Showroom' END, 'SPK/' || b.code || '/' || {self.pad(v, 8)},
               {stage}, 'high', c.id, ve.id, c.name, c.phone, c.nik, c.address, c.occupation_id,
               CASE WHEN {j} < 4 THEN 'KPB' ELSE 'REG' END, CASE WHEN {j} < 4 THEN {j} + 1 END, {deadline},
               CASE WHEN {j} < 4 THEN 'KPB' || ({j} + 1) ELSE 'REG:B' END, {closed}, {temp}, {status},
               CASE WHEN {r} >= 45 AND {r} < 75 THEN b.lost_reason_id END, 1,
               {self.stamp(f"CASE WHEN {r} < 75 THEN -({i} % 700) - 20 ELSE -({i} % 30) END")}, {self.now},
               c.code, ve.engine_no, ve.plate, ve.unit_type_code, ve.unit_name, ve.colour, ve.purchase_date
        FROM ({self.numbers()}) s
        JOIN vehicle ve ON ve.id = {v0} + {v}
        JOIN customer c ON c.id = ve.customer_id
        JOIN bd_branch b ON b.id = ve.branch_id"""

    def open_offset(self, i: str) -> str:
        """An open lead's deadline, in days from today: -10..39, spread evenly (i/100, not i, so the
        offset does not follow the stage and branch, which are functions of i modulo 100 and 70)."""
        return f"(({self.div(i, '100')}) % 50) - 10"

    def touches(self, l0: int, t0: int) -> str:
        """H-7 message and H-3 call of each open synthetic lead whose deadline is within 10 days back and
        21 ahead: the worklists' load (planned, some overdue)."""
        days = self.day("0")
        window = (f"le.id > {l0} AND le.closed_at IS NULL AND le.deadline BETWEEN {self.day('-10')} "
                  f"AND {self.day('21')}")
        due = ("(le.deadline - k.days)" if self.pg else "date(le.deadline, '-' || k.days || ' days')")
        return f"""
        INSERT INTO touch (id, branch_id, dedup_key, kind, channel, due_on, state, lead_id, customer_id,
                           vehicle_id, created_at)
        SELECT {t0} + 2 * (le.id - {l0}) - k.n, le.branch_id, 'B' || le.id || ':' || k.kind, k.kind, k.channel,
               {due}, CASE WHEN {due} < {days} AND le.id % 3 = 0 THEN 'done' ELSE 'planned' END,
               le.id, le.customer_id, le.vehicle_id, {self.now}
        FROM lead le
        CROSS JOIN (SELECT 1 AS n, 'message_h7' AS kind, 'whatsapp' AS channel, 7 AS days
                    UNION ALL SELECT 0, 'call_h3', 'call', 3) k
        WHERE {window}"""


def _add_branches(conn: Connection, sql: _Sql) -> None:
    """Branches up to 70 (copies of the demo's, new codes), each with two admins, pits and staff."""
    have = int(conn.scalar(text("SELECT count(*) FROM branch")) or 0)
    pw = conn.scalar(text("SELECT password_hash FROM app_user WHERE username = 'ho.admin'"))
    demo_ids = [int(x) for x in conn.scalars(text("SELECT id FROM branch ORDER BY id"))]
    for n in range(have + 1, BRANCHES + 1):
        like = demo_ids[n % len(demo_ids)]
        code = f"BIG{n:02d}"
        conn.execute(text(f"""
            INSERT INTO branch (code, name, ahass_code, timezone, province, city_code, phone, address, active,
                                created_at, updated_at)
            SELECT :code, 'CABANG ' || :n, :ahass, timezone, province, city_code, phone, address, active,
                   {sql.now}, {sql.now} FROM branch WHERE id = :like"""),
                     {"code": code, "n": str(n), "ahass": f"{9000 + n:05d}", "like": like})
        bid = conn.scalar(text("SELECT id FROM branch WHERE code = :code"), {"code": code})
        conn.execute(text(f"INSERT INTO pit (branch_id, name, active, created_at, updated_at) "
                          f"SELECT :b, name, active, {sql.now}, {sql.now} FROM pit WHERE branch_id = :like")
                     if _has_timestamps(conn, "pit") else
                     text("INSERT INTO pit (branch_id, name, active) SELECT :b, name, active FROM pit "
                          "WHERE branch_id = :like"), {"b": bid, "like": like})
        for k in (1, 2):
            conn.execute(text(f"""
                INSERT INTO app_user (username, full_name, password_hash, role, active, language, failed_logins,
                                      created_at, updated_at)
                VALUES (:u, :f, :pw, 'admin_crm', {sql.true()}, 'id', 0, {sql.now}, {sql.now})"""),
                         {"u": f"admin{k}.{code.lower()}", "f": f"ADMIN {k} {code}", "pw": pw})
            conn.execute(text("INSERT INTO user_branch (user_id, branch_id) "
                              "SELECT id, :b FROM app_user WHERE username = :u"),
                         {"b": bid, "u": f"admin{k}.{code.lower()}"})


def _has_timestamps(conn: Connection, table: str) -> bool:
    cols = conn.execute(text(f"SELECT * FROM {table} WHERE 1 = 0")).keys()
    return "created_at" in cols


def _lookup_tables(conn: Connection, sql: _Sql) -> None:
    """Small tables the INSERT ... SELECTs join by number: names, units, branches."""
    for table in ("bd_first", "bd_last", "bd_branch", "bd_unit"):
        conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
    conn.execute(text("CREATE TABLE bd_first (k integer PRIMARY KEY, name varchar(40))"))
    conn.execute(text("CREATE TABLE bd_last (k integer PRIMARY KEY, name varchar(40))"))
    conn.execute(text("INSERT INTO bd_first VALUES (:k, :name)"), [{"k": k, "name": x} for k, x in enumerate(_FIRST)])
    conn.execute(text("INSERT INTO bd_last VALUES (:k, :name)"), [{"k": k, "name": x} for k, x in enumerate(_LAST)])
    conn.execute(text("CREATE TABLE bd_unit (k integer PRIMARY KEY, code varchar(30), name varchar(120), "
                      "engine_code varchar(5), premium boolean)"))
    conn.execute(text("INSERT INTO bd_unit VALUES (:k, :code, :name, :engine, :premium)"),
                 [{"k": k, "code": c, "name": n, "engine": e, "premium": c.startswith("K1")}
                  for k, (c, n, e) in enumerate(_UNITS)])
    conn.execute(text("CREATE TABLE bd_branch (k integer PRIMARY KEY, id integer, code varchar(20), "
                      "plate varchar(4), occupation_id integer, lost_reason_id integer)"))
    occupation = conn.scalar(text("SELECT min(id) FROM occupation"))
    reason = conn.scalar(text("SELECT min(id) FROM lost_reason"))
    rows = conn.execute(text("SELECT id, code FROM branch ORDER BY id")).all()
    plates = ("KT", "DB", "BD", "E", "BN", "DD", "D", "B", "BE", "DA", "DK")
    conn.execute(text("INSERT INTO bd_branch VALUES (:k, :id, :code, :plate, :occ, :reason)"),
                 [{"k": k, "id": bid, "code": code, "plate": plates[k % len(plates)], "occ": occupation,
                   "reason": reason} for k, (bid, code) in enumerate(rows[:BRANCHES])])


def main() -> None:
    import argparse
    import os

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--leads", type=int, default=5_000_000)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    args = parser.parse_args()
    build(args.database_url or str(default_path(args.leads)), leads=args.leads)


if __name__ == "__main__":
    main()
