"""The browser half of bench/screens.py (issue 5): the served app driven by headless chromium.

- one session alone: seconds from the tap on Simpan until the row shows its outcome;
- 10 concurrent sessions (one chromium, 10 contexts) working the worklist.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
PASSWORD = "demo1234"


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
