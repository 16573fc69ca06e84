"""Odoo 8 migration (issue 15): 500,000 partners + 500,000 units + 1,000,000 work orders + 200,000 leads read
from the fake Odoo 8 (real XML-RPC over HTTP, in its own process) and written into a fresh database, end to
end; the floor is plain xmlrpc.client reading the same pages. Then an incremental run with nothing changed.

    python -m bench.odoo_sync --scale 0.02 [--database-url URL]     (--scale 1: the issue's size)"""

from __future__ import annotations

import multiprocessing as mp
import subprocess
import sys
import tempfile
import time
import xmlrpc.client
from pathlib import Path

from sqlalchemy import text

from bench.common import arg_parser, peak_rss_mb, report
from core.migration.client import OdooClient, Watermark
from core.migration.models import BY_NAME
from core.migration.sync import run_sync
from db.engine import Database, make_engine
from db.migrate import upgrade

FULL = {"res.partner": 500_000, "stock.production.lot": 500_000, "dym.work.order": 1_000_000, "crm.lead": 200_000}
MODELS = ["dym.branch", "res.users", "product.product", *FULL]
PAGE = 2_000


def _serve(sizes: dict[str, int], queue: mp.Queue[str]) -> None:
    from tests.fakes.odoo_seed import synthetic
    from tests.fakes.odoo_server import FakeOdoo

    fake = FakeOdoo(synthetic(sizes["res.partner"], sizes["stock.production.lot"], sizes["dym.work.order"],
                              sizes["crm.lead"])).start()
    queue.put(fake.url)
    while True:
        time.sleep(3600)


def floor_read(url: str) -> tuple[int, float]:
    """Plain xmlrpc.client: the same models, fields and keyset pages, nothing done with them."""
    common = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common", allow_none=True)
    obj = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/object", allow_none=True)
    uid = common.authenticate("dym", "admin", "admin-pass", {})
    start, total = time.perf_counter(), 0
    for model in MODELS:
        fields = sorted({*BY_NAME[model].odoo_fields, "id", "write_date"})
        mark = Watermark()
        while True:
            rows = obj.execute_kw("dym", uid, "admin-pass", model, "search_read", [mark.domain()],
                                  {"fields": fields, "limit": PAGE, "order": "write_date asc, id asc"})
            total += len(rows)
            if len(rows) < PAGE:
                break
            mark = Watermark(rows[-1]["write_date"], rows[-1]["id"])
    return total, time.perf_counter() - start


def main() -> None:
    parser = arg_parser(__doc__ or "")
    parser.add_argument("--scale", type=float, default=0.02, help="fraction of the issue's size (1 = 2.2M records)")
    args = parser.parse_args()
    scale = 0.002 if args.quick else args.scale
    sizes = {m: max(10, int(n * scale)) for m, n in FULL.items()}
    tmp = tempfile.mkdtemp(prefix="h23-odoo-bench-")
    url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    db = Database(engine)
    queue: mp.Queue[str] = mp.get_context("fork").Queue()
    server = mp.get_context("fork").Process(target=_serve, args=(sizes, queue), daemon=True)
    server.start()
    odoo_url = queue.get(timeout=60)
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    try:
        read, floor_s = floor_read(odoo_url)
        client = OdooClient(odoo_url, "dym", "admin", "admin-pass")
        start = time.perf_counter()
        done = run_sync(db, client, models=MODELS, page_size=PAGE)
        product_s = time.perf_counter() - start
        start = time.perf_counter()
        again = run_sync(db, client, models=MODELS, page_size=PAGE)
        incremental_s = time.perf_counter() - start
    finally:
        server.kill()
    written = sum(c.created for c in done.counts.values())
    print(f"database {engine.dialect.name}; sizes {sizes}; {read:,} records; load {load}", file=sys.stderr)
    print(f"created {written:,}, rejected {done.rejected_total:,}; product {product_s:.1f} s, floor {floor_s:.1f} s; "
          f"incremental run (nothing changed, {sum(c.read for c in again.counts.values())} read) {incremental_s:.2f} s;"
          f" peak RSS {peak_rss_mb():.0f} MiB", file=sys.stderr)
    report("odoo_sync", read / product_s, "records/s", read / floor_s)


if __name__ == "__main__":
    main()
