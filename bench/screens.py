"""Benchmark: the daily-work screens on a big dealer (issue 5).

Figures to reach, with 5,000,000 leads across 70 branches (bench/bigdata.py), on SQLite and PostgreSQL:
- the worklist (Hari ini) and the lead list (with search and filters) run their page script in
  p95 <= 150 ms (AppTest, server side), with a SQL statement count that does not grow with the rows
  shown (25 vs 100 per page);
- logging an outcome in the browser shows the updated row in <= 500 ms;
- 10 concurrent browser sessions (one headless chromium, 10 contexts) working the worklist against
  the served app: zero errors and p95 <= 1 s per interaction.
The floor of a page timing is the same SQL statements (captured from the page run) run raw on the
DBAPI connection. The lead list is also timed searching a name alone (every lead of the branch is a
candidate) and, for the record only (not in the last line), as head office searching every branch.

    python -m bench.screens                      # SQLite, 5,000,000 leads (built once, cached)
    python -m bench.screens --database-url postgresql+psycopg://postgres@127.0.0.1:5432/h23_bench5m
    python -m bench.screens --quick              # 50,000 leads
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, text

from bench.bigdata import build, default_path, url_for
from bench.common import arg_parser, fmt_num, report
from bench.screens_browser import browser_figures, served
from core.accounts.auth import viewer_for_username
from db.engine import Database, make_engine

ROOT = Path(__file__).resolve().parent.parent
RUNS = 20


def p95(values: list[float]) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


@contextmanager
def captured(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """The statements (with their DBAPI parameters) executed inside the block."""
    statements: list[tuple[str, Any]] = []

    def note(_conn: Any, _cursor: Any, statement: str, parameters: Any, _ctx: Any, _many: bool) -> None:
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", note)


def raw_time(engine: Engine, statements: list[tuple[str, Any]]) -> float:
    """The floor: the same SELECTs on the raw DBAPI connection, fetched, in seconds."""
    conn = engine.raw_connection()
    try:
        cursor = conn.cursor()
        started = time.perf_counter()
        for sql, params in statements:
            if sql.lstrip().upper().startswith(("SELECT", "WITH")):
                cursor.execute(sql, params)
                cursor.fetchall()
        took = time.perf_counter() - started
        conn.rollback()
        return took
    finally:
        conn.close()


def _page(path: str, viewer: Any, query: dict[str, str], state: dict[str, Any]) -> Any:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / path), default_timeout=60)
    at.session_state["h23_viewer"] = viewer
    for key, value in state.items():
        at.session_state[key] = value
    for key, value in query.items():
        at.query_params[key] = value
    return at


def measure_page(engine: Engine, name: str, path: str, viewer: Any, query: dict[str, str],
                 sizes: tuple[tuple[str, int], tuple[str, int]], runs: int = RUNS) -> tuple[float, float, list[int]]:
    """p95 of the page script (ms) at the first size, its raw-SQL floor p95 (ms), and the SQL
    statement count of one run at each size."""
    counts, times, floors = [], [], []
    for n, (key, size) in enumerate(sizes):
        state = {key: size} if key.startswith("today") else {}
        q = {**query, **({key: str(size)} if not key.startswith("today") else {})}
        at = _page(path, viewer, q, state)
        at.run()  # warm: imports, caches
        if at.exception:
            raise RuntimeError(f"{name}: {[e.value for e in at.exception]}")
        with captured(engine) as statements:
            at.run()
        counts.append(len(statements))
        if n == 0:
            for _ in range(runs):
                started = time.perf_counter()
                at.run()
                times.append(time.perf_counter() - started)
            floors = [raw_time(engine, statements) for _ in range(runs)]
    page_p95, floor_p95 = p95(times) * 1000, p95(floors) * 1000
    print(f"  {name}: p95 {fmt_num(page_p95)} ms (median {fmt_num(statistics.median(times) * 1000)} ms); raw SQL "
          f"p95 {fmt_num(floor_p95)} ms; statements {counts[0]} at {sizes[0][1]} rows, {counts[1]} at "
          f"{sizes[1][1]} rows", file=sys.stderr)
    return page_p95, floor_p95, counts


def busiest_admin(engine: Engine) -> str:
    """The synthetic branch's first admin whose branch has the most planned touches due."""
    with engine.connect() as conn:
        code = conn.scalar(text(
            "SELECT b.code FROM touch t JOIN branch b ON b.id = t.branch_id WHERE t.state = 'planned' "
            "AND b.code LIKE 'BIG%' GROUP BY b.code ORDER BY count(*) DESC LIMIT 1"))
    return f"admin1.{str(code).lower()}"


# --- the served app and the browser -----------------------------------------------------------------


def main() -> None:
    parser = arg_parser(__doc__.split("\n")[0])
    parser.add_argument("--leads", type=int, default=None)
    parser.add_argument("--no-browser", action="store_true", help="only the AppTest page timings")
    args = parser.parse_args()
    leads = args.leads or (50_000 if args.quick else 5_000_000)
    url = url_for(args.database_url or str(default_path(leads)))
    build(url, leads=leads)
    engine = make_engine(url)
    import ui.context

    ui.context._override = Database(engine)
    username = busiest_admin(engine)
    with Database(engine).session(None, system=True) as s:
        viewer = viewer_for_username(s, username)
    print(f"screens on {engine.dialect.name}, {leads:,} leads, as {username}; load {os.getloadavg()[0]:.1f}",
          file=sys.stderr)
    today = measure_page(engine, "worklist (Hari ini)", "pages/today.py", viewer, {},
                         (("today_page_size", 25), ("today_page_size", 100)))
    listing = measure_page(engine, "lead list (search + filters)", "pages/leads.py", viewer,
                           {"q": "SAPUTRA", "stage": "fu1", "kpb": "2"}, (("n", 25), ("n", 100)))
    browse = measure_page(engine, "lead list (no search, newest first)", "pages/leads.py", viewer, {},
                          (("n", 25), ("n", 100)))
    # A name alone: every lead of the branch is a candidate (no stage index narrows it first).
    search = measure_page(engine, "lead list (search a name, no filter)", "pages/leads.py", viewer,
                          {"q": "saputra"}, (("n", 25), ("n", 100)))
    with Database(engine).session(None, system=True) as s:
        head_office = viewer_for_username(s, "ho.admin")
    # Head office searching every branch for one lead number: reported, not part of the figure.
    measure_page(engine, "lead list (head office, all branches, a lead number)", "pages/leads.py", head_office,
                 {"q": "B00012345"}, (("n", 25), ("n", 100)), runs=5)
    ui.context._override = None
    worst = max((today, listing, browse, search), key=lambda r: r[0])
    if not args.no_browser:
        with engine.connect() as conn:
            admins = [f"admin1.{c.lower()}" for c in conn.scalars(text(
                "SELECT b.code FROM touch t JOIN branch b ON b.id = t.branch_id WHERE t.state = 'planned' "
                "AND b.code LIKE 'BIG%' GROUP BY b.code ORDER BY count(*) DESC LIMIT 11"))]
        with served(url) as base:
            single, together, errors = asyncio.run(browser_figures(base, admins, 3 if args.quick else 10))
        print(f"  outcome logged -> row updated (1 session): p95 {fmt_num(p95(single) * 1000)} ms over "
              f"{len(single)}; 10 sessions: p95 {fmt_num(p95(together) * 1000) if together else '-'} ms over "
              f"{len(together)} interactions, {len(errors)} errors; load {os.getloadavg()[0]:.1f}", file=sys.stderr)
        for e in errors[:5]:
            print(f"    {e}", file=sys.stderr)
    same = all(r[2][0] == r[2][1] for r in (today, listing, browse, search))
    print(f"  statement counts constant across page sizes: {same}", file=sys.stderr)
    report("screens (slowest page script p95)", worst[0], "ms", worst[1], "ms")


if __name__ == "__main__":
    main()
