"""Benchmark: an AHM DGI pull of a month of a big dealer's work orders (core.intake.dgi_jobs.pull).

N pkb records (default 50,000; --quick 2,000) spread over 28 days are served by the fake DGI gateway of
the tests (tests/fakes/dgi_server.py: real HTTP on 127.0.0.1, token checked) and pulled into a fresh
SQLite file: 4 windows of 7 days, each asked for pkb, bast (empty) and the walk back for SPKs (none
needed), flattened and imported through core.intake.importer (new vehicles + work orders, a commit per batch).
The floor is the plainest code for the same work: the same 4 pkb calls with urllib and a hand-made
token, json.loads, the rows flattened by a list comprehension, and the same core.intake.file_import.import_dataframe
into another fresh file. So the ratio is the DGI layer's own overhead (client, retries, mapping,
rejection bookkeeping); the import's own floor is bench/import.py's.

    python -m bench.dgi              # 50,000 work orders
    python -m bench.dgi --quick      # 2,000
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import sys
import time
import urllib.request
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from bench.common import arg_parser, peak_rss_mb, report
from core.accounts.access import Viewer
from core.intake import dgi_jobs, file_import
from core.intake.dgi import DgiDealer
from db.engine import Database, make_engine
from db.migrate import upgrade
from db.models import Branch
from tests.fakes.dgi_server import DgiFake

DATA = Path(__file__).resolve().parent / ".data"
KEY, SECRET = "dgi-key-bench", "dgi-secret-bench"
WIB = ZoneInfo("Asia/Jakarta")
START = dt.datetime(2020, 7, 1, tzinfo=WIB)
JOBS = ("ASS1", "ASS2", "ASS3", "ASS4", "QS", "LR", "HR")


def records(n: int, seed: int = 23) -> list[dict]:
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        at = START + dt.timedelta(seconds=rnd.randrange(28 * 86400 - 1))
        out.append({"noWorkOrder": f"00123-PKB-2007-{i:06d}", "tanggalServis": f"{at:%d/%m/%Y}",
                    "noPolisi": f"KT {1000 + i % 9000} {'ABCDEFGH'[i % 8]}{'KLMN'[i % 4]}",
                    "noRangka": "", "noMesin": f"JM81E{1_000_000 + i:07d}", "kodeTipeUnit": "D1B02N12L2",
                    "kmTerakhir": str(rnd.randrange(500, 40_000)), "dealerId": "00123",
                    "createdTime": f"{at:%d/%m/%Y %H:%M:%S}",
                    "services": [{"idJob": "1", "jenisPekerjaan": rnd.choice(JOBS), "biayaService": "0"}]})
    return out


def _fresh(path: Path) -> Database:
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    db = Database(engine)
    with db.transaction(None, system=True) as s:
        s.add(Branch(code="SAM01", name="SAMARINDA", timezone="Asia/Makassar", ahass_code="00123"))
    return db


def _floor(db: Database, base_url: str) -> tuple[float, int]:
    started = time.perf_counter()
    rows: list[dict] = []
    for week in range(4):
        a, b = START + dt.timedelta(days=7 * week), START + dt.timedelta(days=7 * (week + 1))
        stamp = str(int(time.time()))
        req = urllib.request.Request(
            f"{base_url}/pkb/read", method="POST",
            data=json.dumps({"fromTime": f"{a:%Y-%m-%d %H:%M:%S}", "toTime": f"{b:%Y-%m-%d %H:%M:%S}",
                             "dealerId": "00123"}).encode(),
            headers={"Content-Type": "application/json", "X-Request-Time": stamp, "DGI-API-Key": KEY,
                     "DGI-API-Token": hashlib.sha256(f"{KEY}{SECRET}{stamp}".encode()).hexdigest()})
        with urllib.request.urlopen(req) as resp:
            data = json.loads(resp.read())["data"]
        rows += [{"noWorkOrder": r["noWorkOrder"], "noMesin": r["noMesin"], "tanggalServis": r["tanggalServis"],
                  "jenisPekerjaan": r["services"][0]["jenisPekerjaan"], "kmTerakhir": r["kmTerakhir"],
                  "noPolisi": r["noPolisi"], "kodeTipeUnit": r["kodeTipeUnit"], "dealerId": "SAM01"} for r in data]
    df = pd.DataFrame(rows, dtype=object)
    mapping = {"noWorkOrder": "wo_number", "noMesin": "engine_no", "tanggalServis": "service_date",
               "jenisPekerjaan": "job_type", "kmTerakhir": "km", "noPolisi": "plate",
               "kodeTipeUnit": "unit_type_code", "dealerId": "branch_code"}
    result = file_import.import_dataframe(db, Viewer.system_viewer(), "work_orders", df, mapping)
    return time.perf_counter() - started, result.created


def main() -> None:
    parser = arg_parser(__doc__ or "")
    parser.add_argument("--rows", type=int, default=None)
    args = parser.parse_args()
    n = args.rows or (2_000 if args.quick else 50_000)
    DATA.mkdir(exist_ok=True)
    with DgiFake(KEY, SECRET, max_skew=60) as fake:
        fake.records["pkb"] = records(n)
        dealer = DgiDealer(name="00123", base_url=fake.base_url, api_key=KEY, secret=SECRET, dealer_id="00123",
                           timeout=120.0)
        db = _fresh(DATA / f"dgi-{n}.db")
        started = time.perf_counter()
        result = dgi_jobs.pull(db, dealer, START, START + dt.timedelta(days=28))
        product_s = time.perf_counter() - started
        started = time.perf_counter()
        dgi_jobs.pull(db, dealer, START, START + dt.timedelta(days=28))
        again_s = time.perf_counter() - started
        db.engine.dispose()
        floor_db = _fresh(DATA / f"dgi-floor-{n}.db")
        floor_s, floor_created = _floor(floor_db, fake.base_url)
        floor_db.engine.dispose()
    print(f"work orders: {n:,}; pull {product_s:.2f} s {result.as_dict()['work_orders']}, "
          f"{result.calls} calls", file=sys.stderr)
    print(f"re-pull (all unchanged): {again_s:.2f} s, {n / again_s:,.0f} rows/s", file=sys.stderr)
    print(f"floor: {floor_s:.2f} s for {floor_created:,} created", file=sys.stderr)
    print(f"peak RSS: {peak_rss_mb():.0f} MiB", file=sys.stderr)
    report("dgi pull", n / product_s, "rows/s", floor_created / floor_s)


if __name__ == "__main__":
    main()
