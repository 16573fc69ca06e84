"""End-to-end journeys in a real browser: Playwright drives Debian's chromium against the app served
by `streamlit run` on its own SQLite file (never a downloaded browser: no `playwright install`)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, TEST_PASSWORD, build_world

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
ARTIFACTS = ROOT / "artifacts"
TIMEOUT_MS = 15_000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(url: str, proc: subprocess.Popen, log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"streamlit did not become healthy:\n{log.read_text()[-3000:]}")


def _seed(url: str) -> dict[str, str]:
    """The test world (two branches, their users) plus one lead per branch, committed to the file."""
    from db.engine import Database, make_engine
    from db.migrate import upgrade
    from tests.helpers import new_lead

    engine = make_engine(url)
    try:
        upgrade(engine)
        world = build_world(Database(engine))
        sam = new_lead(world)
        man = new_lead(world, world.admin_man, customer=world.customer_man, vehicle=world.vehicle_man)
        return {"sam": sam.number, "man": man.number}
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def app(tmp_path_factory) -> Iterator[dict[str, str]]:
    """The app served as the README does, on a temp SQLite file; stopped at the end."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (never `playwright install`)")
    tmp = tmp_path_factory.mktemp("e2e")
    url = f"sqlite:///{tmp / 'e2e.db'}"
    leads = _seed(url)
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url, "H23_DEMO": "1", "H23_LOGIN_SLEEP": "0", "H23_DATA_DIR": str(tmp)}
    log = tmp / "streamlit.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true", "--server.fileWatcherType", "none",
             "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base, proc, log)
        yield {"url": base, **leads}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, app):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="id-ID")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(app["url"])
    yield page
    context.close()


def _idle(page) -> None:
    """Streamlit has finished the script run and drawn it: no running indicator, no placeholders."""
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached")
    page.wait_for_selector('[data-testid="stSkeleton"]', state="detached")


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    _idle(page)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _login(page, username: str, password: str = TEST_PASSWORD) -> None:
    from playwright.sync_api import expect

    user, secret = (page.get_by_role("textbox", name=n, exact=True) for n in ("Username", "Password"))
    expect(user).to_be_visible()
    user.fill(username)
    secret.fill(password)
    page.get_by_role("button", name="Masuk").click()


def _menu(page):
    from playwright.sync_api import expect

    nav = page.get_by_test_id("stSidebarNav")
    expect(nav).to_be_visible()
    _idle(page)
    return nav


def _open(page, title: str, last: str) -> None:
    """Open a page from the menu and wait for the text its script draws last."""
    from playwright.sync_api import expect

    _menu(page).get_by_role("link", name=title).click()
    expect(page.get_by_text(last, exact=True).first).to_be_visible()
    _idle(page)
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_a_branch_admin_logs_in_and_has_no_master_data(page, app):
    from playwright.sync_api import expect

    _shot(page, "login")
    _login(page, "admin.sam01")
    nav = _menu(page)
    expect(nav.get_by_role("link", name="Booking Service")).to_be_visible()
    expect(nav.get_by_role("link", name="Leads & Opportunity")).to_be_visible()
    expect(nav.get_by_text("Master Data")).to_have_count(0)
    _shot(page, "home")

    _open(page, "Booking Service", "Booking baru")
    _shot(page, "booking")

    _open(page, "Leads & Opportunity", "Buat Lead baru")
    grid = page.get_by_test_id("stDataFrame")
    expect(grid).to_contain_text(app["sam"])
    expect(grid).not_to_contain_text(app["man"])
    _shot(page, "leads")


def test_head_office_sees_master_data(page):
    from playwright.sync_api import expect

    _login(page, "ho")
    nav = _menu(page)
    expect(nav.get_by_role("link", name="Master Data")).to_be_visible()
    _open(page, "Master Data", "Simpan cabang")
    expect(page.get_by_role("tab", name="Aturan KPB")).to_be_visible()
    expect(page.get_by_test_id("stDataFrame").first).to_contain_text("SAM01")
    _shot(page, "master-data")


def test_a_wrong_password_shows_the_error(page):
    from playwright.sync_api import expect

    _login(page, "admin.sam01", "salah-sekali")
    expect(page.get_by_text("Username atau password salah.")).to_be_visible()
    expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
    _shot(page, "login-failed")


def test_a_shared_link_opens_where_it_points_for_a_logged_in_user(page, app):
    """A colleague's link to a filtered list opens that list (the re-login cookie logs the user in)."""
    from playwright.sync_api import expect

    _login(page, "admin.sam01")
    _menu(page)
    page.wait_for_function("document.cookie.includes('h23_login')")  # the re-login cookie is set by script
    other_tab = page.context.new_page()
    other_tab.goto(app["url"].rstrip("/") + "/leads")
    expect(other_tab.get_by_text("Buat Lead baru", exact=True).first).to_be_visible()
    assert other_tab.url.rstrip("/").endswith("/leads")
    grid = other_tab.get_by_test_id("stDataFrame")
    expect(grid).to_contain_text(app["sam"])
