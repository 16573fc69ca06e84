"""Benchmark: the chart page ("Grafik") for head office over 5,000,000 leads (issue: reports).

Figure to reach: the page script runs in <= 500 ms. Product: pages/charts.py run through streamlit's
AppTest as head office (all 70 branches, the default 12 weeks) for every chart, 7 runs each after a
warm-up; the value is the slowest chart's median script time (p95 printed too). The page sums the
pre-aggregated report_daily rows, so the worker's refresh is timed as well (full build, then the
incremental run it does every 10 minutes). Floor: the plainest aggregate on the raw tables for the
same numbers (leads per branch and stage over the same 12 weeks, one GROUP BY on the raw driver),
which is what the page would run without the daily counts.

The data is bench/bigdata.py's dealer (70 branches, N leads, built once and kept in bench/.data/ or
the database of --database-url).

    python -m bench.charts                 # 5,000,000 leads
    python -m bench.charts --quick         # 50,000 leads
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import Engine, text

from bench import bigdata
from bench.common import arg_parser, report
from core.accounts.access import Viewer
from core.platform import clock
from core.reports import chart_refresh
from db.base import Base
from db.engine import Database, make_engine
from db.enums import Role
from db.models import ExportJob, FollowUp, Lead, ReportDaily, ReportRefresh

CHARTS = ("status", "won_lost", "weekly", "funnel", "touch", "sla", "retention", "entry", "admin")
RUNS = 7
ROOT = Path(__file__).resolve().parent.parent


def _page_times(db: Database, chart: str) -> list[float]:
    from streamlit.testing.v1 import AppTest

    import ui.context

    ui.context._override = db
    viewer = Viewer(None, "bench", "Bench", Role.PIC_CRM, frozenset())
    # One AppTest, rerun: like a browser session rerunning the page (a fresh AppTest would also
    # rescan every installed package for components, which the real server does once at start).
    at = AppTest.from_file(str(ROOT / "pages/charts.py"), default_timeout=120)
    at.session_state["h23_viewer"] = viewer
    at.session_state["ch_chart"] = chart
    times = []
    for i in range(RUNS + 1):
        started = time.perf_counter()
        at.run()
        elapsed = time.perf_counter() - started
        assert not at.exception, [e.value for e in at.exception]
        if i:  # the first run warms the caches (imports, page cache of the database file)
            times.append(elapsed * 1000)
    return times


def _floor_ms(db: Database) -> float:
    """Leads per branch and stage over the last 12 weeks, straight from the lead table."""
    since = clock.now() - dt.timedelta(weeks=12)
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        param = "%s" if db.dialect == "postgresql" else "?"
        bound = since if db.dialect == "postgresql" else since.replace(tzinfo=None).isoformat(" ")
        times = []
        for _ in range(3):
            started = time.perf_counter()
            cur.execute(f"SELECT b.code, l.stage, count(*) FROM lead l JOIN branch b ON b.id = l.branch_id "
                        f"WHERE l.created_at >= {param} GROUP BY b.code, l.stage", (bound,))
            cur.fetchall()
            times.append((time.perf_counter() - started) * 1000)
        return statistics.median(times)
    finally:
        raw.close()


def _ensure_report_tables(engine: Engine) -> None:
    """A database migrated while revision 0009 was still an empty slot is stamped past it without
    the report tables: create them (and their indexes) as the migration would."""
    tables = [ReportDaily.__table__, ReportRefresh.__table__, ExportJob.__table__]
    Base.metadata.create_all(engine, tables=tables, checkfirst=True)  # type: ignore[arg-type]
    with engine.begin() as conn:
        for table in (Lead.__table__, FollowUp.__table__):
            for index in table.indexes:  # type: ignore[attr-defined]
                if index.name in ("ix_lead_updated", "ix_lead_created", "ix_followup_created"):
                    index.create(conn, checkfirst=True)


def main() -> None:
    logging.getLogger("streamlit").setLevel(logging.ERROR)  # AppTest's bare-mode warnings
    parser = arg_parser(__doc__ or "")
    parser.add_argument("--leads", type=int, default=None)
    args = parser.parse_args()
    leads = args.leads or (50_000 if args.quick else 5_000_000)
    target = args.database_url or str(bigdata.default_path(leads))
    bigdata.build(target, leads)  # once; also brings the schema up to date
    engine = make_engine(bigdata.url_for(target))
    _ensure_report_tables(engine)
    db = Database(engine)
    with db.session(None, system=True) as s:
        n_leads = s.execute(text("SELECT count(*) FROM lead")).scalar_one()
    print(f"database: {db.dialect}; leads: {n_leads:,}", file=sys.stderr)

    started = time.perf_counter()
    with db.transaction(None, system=True) as s:
        s.execute(text("DELETE FROM report_refresh"))
        result = chart_refresh.refresh(s)
    full_s = time.perf_counter() - started
    started = time.perf_counter()
    again = chart_refresh.refresh_in(db)  # as the worker runs it: count in a read, then a short write
    incremental_s = time.perf_counter() - started
    print(f"refresh: full build {full_s:.1f} s ({result['rows']:,} daily rows); incremental run "
          f"{incremental_s:.1f} s (from {again['since']}; counting {again['count_s']} s without the write "
          f"lock, then the write {again['write_s']} s); load {os.getloadavg()[0]:.1f}", file=sys.stderr)

    medians = {}
    for chart in CHARTS:
        times = sorted(_page_times(db, chart))
        medians[chart] = statistics.median(times)
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        print(f"page {chart}: median {medians[chart]:.0f} ms, p95 {p95:.0f} ms", file=sys.stderr)
    floor = _floor_ms(db)
    print(f"floor (raw GROUP BY of 12 weeks of leads per branch and stage): {floor:.0f} ms", file=sys.stderr)
    slowest = max(medians, key=medians.__getitem__)
    print(f"slowest chart: {slowest}", file=sys.stderr)
    report("charts", medians[slowest], "ms", floor)


if __name__ == "__main__":
    main()
