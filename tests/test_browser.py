"""End-to-end journeys in a real browser: Playwright drives Debian's chromium against the app served
by `streamlit run` on its own SQLite file (never a downloaded browser: no `playwright install`)."""

from __future__ import annotations

import datetime as dt
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
    """The test world (two branches, their users) plus one lead per branch, a lead whose customer has
    no CDDB yet, and one more lead to win and book, committed to the file."""
    from sqlalchemy import update

    from db.engine import Database, make_engine
    from db.migrate import upgrade
    from db.models import Customer, Lead, Vehicle
    from tests.helpers import new_lead

    engine = make_engine(url)
    try:
        upgrade(engine)
        world = build_world(Database(engine))
        sam = new_lead(world)
        man = new_lead(world, world.admin_man, customer=world.customer_man, vehicle=world.vehicle_man)
        with world.db.transaction(None, system=True) as s:
            bare = Customer(branch_id=world.sam.id, code="BPA/2007/0000077", name="BUDI TANPA KTP",
                            phone="+6281254321098", address="JL. PAHLAWAN 7", city_code="6472",
                            occupation_id=world.customer_sam.occupation_id, nik="6472021111900001")
            s.add(bare)
            s.flush()
            scooter = Vehicle(branch_id=world.sam.id, customer_id=bare.id, engine_no="JM82E1077777",
                              engine_code="JM82", plate="KT 7777 BT", unit_name="Beat Sporty CBS")
            s.add(scooter)
            s.flush()
        no_cddb = new_lead(world, customer=bare, vehicle=scooter, deadline=dt.date(2030, 1, 31))
        with world.db.transaction(None, system=True) as s:  # as a dealer export leaves it: no KTP yet
            s.execute(update(Customer).where(Customer.id == bare.id).values(nik=None))
            s.execute(update(Lead).where(Lead.id == no_cddb.id).values(nik=None))
        to_win = new_lead(world, kpb=2, deadline=dt.date(2030, 1, 31))
        return {"sam": sam.number, "man": man.number, "no_cddb": no_cddb.number, "win": to_win.number,
                "sam_id": str(sam.id)}
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
            [sys.executable, "-m", "streamlit", "run", "web/asgi.py", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true", "--server.fileWatcherType", "none",
             "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base, proc, log)
        yield {"url": base, "db_url": url, **leads}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# Closed with this module: while it lives, another sync_playwright (test_screens) or asyncio.run (test_stack)
# cannot start in this process.
@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)  # a busy machine draws the first page slowly
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
    page.wait_for_timeout(400)  # a rerun that has just started would leave last run's rows half drawn
    _idle(page)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _login(page, username: str, password: str = TEST_PASSWORD) -> None:
    from playwright.sync_api import expect

    user, secret = (page.get_by_role("textbox", name=n, exact=True) for n in ("Username", "Password"))
    expect(user).to_be_visible()
    _idle(page)  # the first run still drawing would redraw the form and drop what was typed
    page.wait_for_timeout(300)
    user.fill(username)
    secret.fill(password)
    page.get_by_role("button", name="Masuk").click()


def _menu(page):
    """The menu of a logged-in user, with the login form gone (it holds the typed password)."""
    from playwright.sync_api import expect

    nav = page.get_by_test_id("stSidebarNav")
    expect(nav).to_be_visible()
    _idle(page)
    expect(page.get_by_role("textbox", name="Password", exact=True)).to_have_count(0)
    return nav


def _heading(page, name: str) -> None:
    """The page shows heading `name` once the rerun is drawn (during a rerun Streamlit briefly keeps
    the previous run's copy of an element next to the new one)."""
    from playwright.sync_api import expect

    heading = page.get_by_role("heading", name=name)
    expect(heading.first).to_be_visible()
    _idle(page)
    expect(heading).to_have_count(1)


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
    grid = page.locator(".st-key-leads_wide [data-testid='stDataFrame']")  # the desktop grid (the phone's is hidden)
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
    _wait_for_login_cookie(page)
    other_tab = page.context.new_page()
    other_tab.goto(app["url"].rstrip("/") + "/leads")
    expect(other_tab.get_by_text("Buat Lead baru", exact=True).first).to_be_visible()
    assert other_tab.url.rstrip("/").endswith("/leads")
    grid = other_tab.locator(".st-key-leads_wide [data-testid='stDataFrame']")
    expect(grid).to_contain_text(app["sam"])
    # A link to one lead keeps its ?id= through the re-login and opens that lead's form.
    lead_tab = page.context.new_page()
    lead_tab.goto(app["url"].rstrip("/") + f"/lead?id={app['sam_id']}")
    _heading(lead_tab, app["sam"])


def _wait_for_login_cookie(page) -> dict:
    """The re-login cookie, once the page has swapped its login's ticket for it (HttpOnly: not in
    document.cookie, so it is read from the browser's own cookie jar)."""
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        found = [c for c in page.context.cookies() if c["name"] == "h23_session"]
        if found:
            return found[0]
        page.wait_for_timeout(100)
    raise AssertionError("the login cookie was never set")


def _login_form_shows(page, url: str) -> None:
    from playwright.sync_api import expect

    page.goto(url)
    expect(page.get_by_role("textbox", name="Username", exact=True)).to_be_visible()
    _idle(page)
    expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_logout_ends_the_login_for_a_reload_and_for_a_copied_cookie(browser, page, app):
    """Issue 20.1: after Keluar, neither a reload nor the same cookie in another browser logs back in."""
    from playwright.sync_api import expect

    _login(page, "admin.sam01")
    _menu(page)
    cookie = _wait_for_login_cookie(page)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and not cookie["secure"]  # plain HTTP here
    assert "h23_session" not in page.evaluate("document.cookie")
    elsewhere = browser.new_context(viewport={"width": 1400, "height": 900})
    try:  # while the login lives, the cookie works in another browser too (so the check below means something)
        elsewhere.add_cookies([cookie])
        other = elsewhere.new_page()
        other.goto(app["url"])
        _menu(other)
    finally:
        elsewhere.close()
    page.get_by_role("button", name="Keluar").click()
    expect(page.get_by_role("textbox", name="Username", exact=True)).to_be_visible()
    expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
    _login_form_shows(page, app["url"])  # reload
    fresh = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        fresh.add_cookies([cookie])
        _login_form_shows(fresh.new_page(), app["url"])
    finally:
        fresh.close()


def _jwt(claims: dict, alg: str, key: str = "h23-demo-only-cookie-key-not-for-production") -> str:
    import jwt

    if alg == "none":
        return jwt.encode(claims, None, algorithm="none")
    return jwt.encode(claims, key, algorithm=alg)


@pytest.mark.parametrize("name", ["h23_login", "h23_library_cookie_unused", "h23_session"])
def test_a_forged_cookie_shows_the_login_form_not_an_error(browser, app, name):
    """Issue 20.6: the old library cookie signed with alg none or HS512, or junk in ours."""
    claims = {"username": "ho.admin", "exp_date": time.time() + 86_400}
    for value in (_jwt(claims, "none"), _jwt(claims, "HS512"), _jwt(claims, "HS256"), "x" * 4000):
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        try:
            context.add_cookies([{"name": name, "value": value, "url": app["url"]}])
            _login_form_shows(context.new_page(), app["url"])
        finally:
            context.close()


def test_a_locked_or_disabled_users_cookie_shows_the_lock_or_the_login_form(browser, app):
    """Issue 20.6: a cookie still valid when its user is locked (lock message) or disabled (form)."""
    from playwright.sync_api import expect
    from sqlalchemy import select, update

    from core.accounts import auth
    from db.engine import Database, make_engine
    from db.enums import Role
    from db.models import Branch, User

    engine = make_engine(app["db_url"])
    db = Database(engine)
    try:
        with db.transaction(None, system=True) as s:
            sam = s.scalar(select(Branch.id).where(Branch.code == "SAM01"))
            auth.create_user(s, username="admin.kunci", full_name="Admin Kunci", password=TEST_PASSWORD,
                             role=Role.ADMIN_CRM, branch_ids=[sam])
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        page.goto(app["url"])
        _login(page, "admin.kunci")
        _menu(page)
        cookie = _wait_for_login_cookie(page)
        context.close()
        with db.transaction(None, system=True) as s:
            s.execute(update(User).where(User.username == "admin.kunci")
                      .values(locked_until=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=15)))
        locked = browser.new_context(viewport={"width": 1400, "height": 900})
        try:
            locked.add_cookies([cookie])
            page = locked.new_page()
            _login_form_shows(page, app["url"])
            expect(page.get_by_text("Akun dikunci sampai", exact=False)).to_be_visible()
        finally:
            locked.close()
        with db.transaction(None, system=True) as s:
            s.execute(update(User).where(User.username == "admin.kunci").values(locked_until=None, active=False))
        disabled = browser.new_context(viewport={"width": 1400, "height": 900})
        try:
            disabled.add_cookies([cookie])
            _login_form_shows(disabled.new_page(), app["url"])
        finally:
            disabled.close()
    finally:
        engine.dispose()


# --- Issue 5: the daily work, end to end ------------------------------------------------------------


def _open_lead(page, number: str, last: str) -> None:
    """Find a lead in the list by its number and click its row (the menu's way to a lead)."""
    from playwright.sync_api import expect

    _open(page, "Leads & Opportunity", "Buat Lead baru")
    search = page.get_by_role("textbox", name="Cari (nama, no HP, no polisi, no mesin, nomor lead)")
    search.fill(number)
    search.press("Enter")
    grid = page.locator(".st-key-leads_wide [data-testid='stDataFrame']")
    expect(grid).to_contain_text(number)
    expect(page.get_by_text("1 data · klik baris untuk membuka")).to_be_visible()
    _idle(page)
    box = grid.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 12, box["y"] + 35 + 17)  # the first row's selection cell
    expect(page.get_by_text(last).first).to_be_visible()
    _idle(page)


def _row(page, text: str):
    """The worklist row (a bordered block) showing `text` and still holding its Simpan button."""
    return (page.locator('[data-testid="stVerticalBlock"]:visible').filter(has_text=text)
            .filter(has=page.get_by_role("button", name="Simpan", exact=True)).last)


def _pick(scope, label: str, option: str) -> None:
    """Choose in a selectbox inside `scope` (a page or a dialog); the option list opens at page level."""
    scope.get_by_role("combobox", name=label).first.click()
    getattr(scope, "page", scope).get_by_role("option", name=option).first.click()


def _date(scope, label: str, day: dt.date) -> None:
    """Type a date into a date input's dd / mm / yyyy segments (in a page, form or dialog)."""
    field = scope.get_by_test_id("stDateInput").filter(has_text=label).first
    field.get_by_role("spinbutton").first.click()
    field.page.keyboard.type(day.strftime("%d%m%Y"))
    field.page.keyboard.press("Escape")
    # Leaving the field commits the value (Tab would open the calendar; a click outside a dialog closes it).
    scope.get_by_role("heading").first.click()


def test_a_branch_admin_works_the_worklist(page, app):
    from playwright.sync_api import expect

    _login(page, "admin.sam01")
    _menu(page)
    _heading(page, "Hari ini")
    _idle(page)
    row = _row(page, app["sam"])
    wa = row.get_by_role("link", name="WhatsApp")
    href = wa.get_attribute("href") or ""
    assert href.startswith("https://wa.me/6285845164510?text=Halo"), href
    _shot(page, "today")
    row.get_by_role("radio", name="Terhubung", exact=True).click()
    row.get_by_role("button", name="Simpan", exact=True).click()
    expect(page.get_by_text("Tercatat: Follow Up 1").first).to_be_visible()
    _open_lead(page, app["sam"], "Tahap: Follow Up 1")  # the stage moved


def test_a_lead_without_cddb_is_completed_converted_followed_up_three_times_and_lost(page, app):
    from playwright.sync_api import expect

    _login(page, "admin.sam01")
    _menu(page)
    _open_lead(page, app["no_cddb"], "Convert to Opportunity")
    expect(page.get_by_text("Customer belum memiliki CDDB").first).to_be_visible()
    _shot(page, "lead-cddb")
    page.get_by_role("textbox", name="No KTP *").fill("6472024506900007")
    page.get_by_role("button", name="Simpan CDDB").click()
    expect(page.get_by_text("CDDB customer tersimpan").first).to_be_visible()
    _idle(page)
    page.get_by_role("button", name="Convert to Opportunity").click()
    expect(page.get_by_text("menjadi opportunity (New)").first).to_be_visible()
    today = dt.date.today()
    for n in (1, 2, 3):
        _idle(page)
        form = page.get_by_test_id("stForm").filter(has_text=f"Simpan Follow Up {n}")
        _date(form, f"Tanggal Follow Up {n} *", today)
        form.get_by_text("Terhubung", exact=True).first.click()
        form.get_by_role("button", name=f"Simpan Follow Up {n}").click()
        expect(page.get_by_text(f"Follow Up {n} tersimpan.").first).to_be_visible()
    expect(page.get_by_text("Tahap: Follow Up 3")).to_be_visible()
    _idle(page)
    page.get_by_role("button", name="Mark as Lost").click()
    dialog = page.get_by_role("dialog")
    _pick(dialog, "Alasan Lost *", "Tidak ada waktu")
    dialog.get_by_role("button", name="Simpan Lost").click()
    expect(page.get_by_text("ditandai Lost.").first).to_be_visible()
    _shot(page, "lead-lost")


def test_a_won_opportunity_is_booked_then_posted_and_becomes_a_work_order(page, app):
    from playwright.sync_api import expect

    _login(page, "admin.sam01")
    _menu(page)
    _open_lead(page, app["win"], "Convert to Opportunity")
    page.get_by_role("button", name="Convert to Opportunity").click()
    expect(page.get_by_text("menjadi opportunity (New)").first).to_be_visible()
    _idle(page)
    page.get_by_role("button", name="Mark as Won").click()
    expect(page.get_by_text("ditandai Won.").first).to_be_visible()
    _idle(page)
    page.get_by_role("button", name="Create Booking Service").click()
    dialog = page.get_by_role("dialog")
    tomorrow = dt.date.today() + dt.timedelta(days=2)  # clear of any time zone's today
    _date(dialog, "Booking Date *", tomorrow)
    _idle(page)
    _shot(page, "booking-dialog")
    dialog.get_by_role("button", name="Process").click()
    expect(page.get_by_text("dibuat (Draft).").first).to_be_visible()

    page.get_by_test_id("stSidebar").get_by_role("button", name="Keluar").click()
    _login(page, "kabeng.sam01")
    _open(page, "Booking Service", "Booking baru")
    _date(page, "Tanggal", tomorrow)
    expect(page.get_by_text(f"Booking {tomorrow:%d/%m/%Y}")).to_be_visible()
    _idle(page)
    page.get_by_role("button", name="Post", exact=True).click()
    expect(page.get_by_text("diposting.").first).to_be_visible()
    _idle(page)
    page.get_by_role("button", name="Buat work order").click()
    expect(page.get_by_text("dibuat untuk booking").first).to_be_visible()  # its number and job shown (19.8)
    _shot(page, "booking-work-order")


def test_a_branch_admin_cannot_reach_another_branchs_lead_but_head_office_can(page, app):
    from playwright.sync_api import expect

    _login(page, "admin.sam01")
    _open(page, "Leads & Opportunity", "Buat Lead baru")
    search = page.get_by_role("textbox", name="Cari (nama, no HP, no polisi, no mesin, nomor lead)")
    search.fill(app["man"])
    search.press("Enter")
    expect(page.get_by_text("0 data · klik baris untuk membuka")).to_be_visible()
    page.get_by_test_id("stSidebar").get_by_role("button", name="Keluar").click()
    _login(page, "ho")
    _menu(page)
    _open_lead(page, app["man"], "SULTJE ADOLONG")
    _heading(page, app["man"])


def test_head_office_screens_board_customer_and_english(page, app):
    from playwright.sync_api import expect

    _login(page, "ho")
    _open(page, "Papan Opportunity", "Won")
    _shot(page, "board")
    _open_lead(page, app["sam"], "Lihat customer")
    page.get_by_role("link", name="Lihat customer").click()
    expect(page.get_by_text("Riwayat").first).to_be_visible()
    _idle(page)
    expect(page.get_by_text("RESTU ANDIKA PRADANA PUTRA").first).to_be_visible()
    _shot(page, "customer")
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_text("English").click()
    _heading(page, "Customer & vehicles")
    _idle(page)
    expect(sidebar.get_by_role("link", name="Opportunity board")).to_be_visible()  # the menu too
    expect(sidebar.get_by_role("button", name="Log out")).to_be_visible()
    sidebar.get_by_text("English").click()  # kept on the user: back to Indonesian for the other journeys
    _heading(page, "Customer & Kendaraan")
    expect(sidebar.get_by_role("link", name="Papan Opportunity")).to_be_visible()


def test_the_worklist_fits_a_360_px_phone(browser, app):

    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="id-ID", is_mobile=True,
                                  has_touch=True, device_scale_factor=2)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        page.goto(app["url"])
        _login(page, "admin.sam01")
        _heading(page, "Hari ini")
        _idle(page)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"the page scrolls sideways on a phone: {width}px"
        _shot(page, "today-phone")
    finally:
        context.close()
