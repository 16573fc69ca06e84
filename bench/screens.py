"""Benchmark: the daily-work screens on a big dealer (issue 5).

Figures to reach, with 5,000,000 leads across 70 branches (bench/bigdata.py), on SQLite and PostgreSQL:
- the worklist (Hari ini) and the lead list (with search and filters) run their page script in
  p95 <= 150 ms (AppTest, server side), with a SQL statement count that does not grow with the rows
  shown (25 vs 100 per page);
- logging an outcome in the browser shows the updated row in <= 500 ms;
- 10 concurrent browser sessions (one headless chromium, 10 contexts) working the worklist against
  the served app: zero errors and p95 <= 1 s per interaction.
The floor of a page timing is the same SQL statements (captured from the page run) run raw on the
DBAPI connection.

    python -m bench.screens                      # SQLite, 5,000,000 leads (built once, cached)
    python -m bench.screens --database-url postgresql+psycopg://postgres@127.0.0.1:5432/h23_bench5m
    python -m bench.screens --quick              # 50,000 leads
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, text

from bench.bigdata import build, default_path, url_for
from bench.common import arg_parser, fmt_num, report
from core.auth import viewer_for_username
from db.engine import Database, make_engine

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
PASSWORD = "demo1234"
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
                 sizes: tuple[tuple[str, int], tuple[str, int]]) -> tuple[float, float, list[int]]:
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
            for _ in range(RUNS):
                started = time.perf_counter()
                at.run()
                times.append(time.perf_counter() - started)
            floors = [raw_time(engine, statements) for _ in range(RUNS)]
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


@contextmanager
def served(url: str) -> Iterator[str]:
    import socket
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": url, "H23_DEMO": "1", "H23_LOGIN_SLEEP": "0"}
    log = open(ROOT / "bench" / ".data" / "screens-streamlit.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.address",
         "127.0.0.1", "--server.headless", "true", "--server.fileWatcherType", "none",
         "--browser.gatherUsageStats", "false"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=1) as r:
                    if r.read().strip() == b"ok":
                        break
            except OSError:
                time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


async def _idle(page: Any) -> None:
    await page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached")


async def _login(page: Any, base: str, username: str) -> None:
    await page.goto(base)
    for attempt in range(3):  # a busy server may redraw the form under the typing: type again
        user = page.get_by_role("textbox", name="Username", exact=True)
        await user.wait_for(timeout=60_000)
        await _idle(page)
        await page.wait_for_timeout(500)
        await user.fill(username)
        await page.get_by_role("textbox", name="Password", exact=True).fill(PASSWORD)
        await page.get_by_role("button", name="Masuk").click()
        try:
            await page.get_by_role("button", name="Muat ulang daftar").wait_for(timeout=30_000)
            break
        except Exception:
            if attempt == 2 or not await page.get_by_role("button", name="Masuk").count():
                raise
    await page.get_by_role("radio", name="Terhubung", exact=True).first.wait_for(timeout=60_000)
    await _idle(page)


async def _log_one(page: Any) -> float:
    """Log 'Terhubung' on the first open row of the visible tab: seconds from the tap on Simpan until
    the row shows its 'Tercatat' line (the fragment's own rerun)."""
    done = page.get_by_text("Tercatat:")
    before = await done.count()
    await page.get_by_role("radio", name="Terhubung", exact=True).first.click()
    save = page.get_by_role("button", name="Simpan", exact=True).first
    started = time.perf_counter()
    await save.click()
    await page.wait_for_function(
        "n => document.querySelectorAll('[data-testid=\"stAlertContentSuccess\"]').length > n", arg=before,
        timeout=30_000)
    return time.perf_counter() - started


async def _open(browser: Any, base: str, username: str, errors: list[str]) -> Any:
    """A browser context logged in as `username` on Hari ini (None when the login failed)."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    try:
        await _login(page, base, username)
        return page
    except Exception as e:
        errors.append(f"{username} login: {type(e).__name__}: {str(e)[:200]}")
        await context.close()
        return None


async def _work(page: Any, interactions: int, times: list[float], errors: list[str]) -> None:
    for _ in range(interactions):
        try:
            times.append(await _log_one(page))
        except Exception as e:
            errors.append(f"{type(e).__name__}: {str(e)[:200]}")
    if await page.get_by_test_id("stException").count():
        errors.append("exception on the page")
    await page.context.close()


async def browser_figures(base: str, admins: list[str], interactions: int) -> tuple[list[float], list[float],
                                                                                       list[str]]:
    """One session alone (the update latency), then 10 sessions logged in first and then working
    the worklist all at once (each interaction: tap Terhubung, tap Simpan, the row shows Tercatat)."""
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        single: list[float] = []
        errors: list[str] = []
        page = await _open(browser, base, admins[0], errors)
        if page is not None:
            await _work(page, interactions, single, errors)
        together: list[float] = []
        pages = [pg for pg in await asyncio.gather(*(_open(browser, base, a, errors) for a in admins[1:11]))
                 if pg is not None]
        await asyncio.gather(*(_work(pg, interactions, together, errors) for pg in pages))
        await browser.close()
    return single, together, errors


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
    ui.context._override = None
    worst = max((today, listing, browse), key=lambda r: r[0])
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
    same = all(r[2][0] == r[2][1] for r in (today, listing, browse))
    print(f"  statement counts constant across page sizes: {same}", file=sys.stderr)
    report("screens (slowest page script p95)", worst[0], "ms", worst[1], "ms")


if __name__ == "__main__":
    main()
