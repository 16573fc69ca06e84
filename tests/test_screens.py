"""Issue 19, "Checks that keep it so": every page, for every role that may open it, drawn in chromium
at 1366 and 360 px on a demo dealer, fails on raw error text ("(None)", a traceback, "Error"), an empty
heading or a catalogue code shown instead of its text. Each screen is saved under artifacts/screens/
and all of them on one contact sheet (artifacts/screens/contact-sheet.png) that CI keeps.

The app draws from its own SQLite file whatever the database under test, so the PostgreSQL run of
.ci/run skips this module (it would draw the same screens again); the SQLite run keeps them."""

from __future__ import annotations

import importlib
import os
import pkgutil
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.test_browser import ARGS, CHROMIUM, _free_port, _idle, _wait_healthy

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")),
                       reason="drawn once, in the SQLite run: the app under test has its own SQLite file"),
]

SCREENS = ROOT / "artifacts" / "screens"
TIMEOUT_MS = 30_000  # a whole menu drawn twice per role: a busy CI machine is given longer than a journey
PASSWORD = "demo1234"
ROLES = ["ho.admin", "kacab.sam01", "kabeng.sam01", "admin.sam01", "sa.sam01"]
WIDTHS = {"desktop": (1366, 900), "phone": (360, 740)}
RAW_ERRORS = [re.compile(p) for p in (r"\(None\)", r"\(''\)", r"Traceback", r"\bError\b", r"\bNone\b")]
MAX_SHOT_PX = 5000  # a screen taller than this is cut on the sheet, not in its own file


def _catalogue_prefixes() -> set[str]:
    """The first parts of every message code (ui, error, field, booking, ...), with every module that
    registers codes imported: a code of one of them on screen is a text that was never looked up."""
    from core.platform import i18n

    for package in ("core", "ui"):
        for info in pkgutil.walk_packages([str(ROOT / package)], prefix=f"{package}."):
            if not info.name.endswith(("__main__", ".cli")):
                importlib.import_module(info.name)
    return {code.split(".", 1)[0] for code in i18n.MESSAGES}


def _seed(url: str) -> dict[str, str]:
    """A demo dealer (the README's demo users), its chart counts built, and the ids of a few leads."""
    from sqlalchemy import select

    from core import demo
    from core.reports import chart_refresh
    from db.engine import Database, make_engine
    from db.enums import Stage
    from db.migrate import upgrade
    from db.models import Branch, Lead

    engine = make_engine(url)
    try:
        upgrade(engine)
        db = Database(engine)
        demo.generate(db, vehicles=1500, seed=19)
        chart_refresh.refresh_in(db)
        with db.session(None, system=True) as s:
            sam = s.scalar(select(Branch.id).where(Branch.code == "SAM01"))

            def first(*stages: Stage) -> str:
                found = s.scalar(select(Lead.id).where(Lead.branch_id == sam, Lead.stage.in_(stages))
                                 .order_by(Lead.id).limit(1))
                return str(found or "")

            return {"new_opportunity": first(Stage.NEW, Stage.FU1), "won": first(Stage.WON), "lead": first(Stage.LEAD)}
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory) -> Iterator[dict[str, str]]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (never `playwright install`)")
    tmp = tmp_path_factory.mktemp("screens")
    url = f"sqlite:///{tmp / 'screens.db'}"
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
        yield {"url": base, **leads}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


@dataclass
class Sheet:
    shots: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def sheet() -> Iterator[Sheet]:
    SCREENS.mkdir(parents=True, exist_ok=True)
    for old in SCREENS.glob("*.png"):
        old.unlink()
    collected = Sheet()
    yield collected
    if collected.shots:
        contact_sheet(collected.shots, SCREENS / "contact-sheet.png")


def contact_sheet(shots: list[Path], out: Path, thumb_width: int = 240, columns: int = 8) -> None:
    """Every screenshot as a thumbnail with its name, on one image."""
    from PIL import Image, ImageDraw

    thumbs = []
    for path in shots:
        with Image.open(path) as img:
            img = img.convert("RGB")
            scale = thumb_width / img.width
            height = min(int(img.height * scale), thumb_width * 3)  # a long page: its top three widths
            thumbs.append((path.stem, img.resize((thumb_width, max(int(img.height * scale), 1))).crop(
                (0, 0, thumb_width, height))))
    label_h, pad = 16, 8
    rows = [thumbs[i:i + columns] for i in range(0, len(thumbs), columns)]
    row_heights = [max(t.height for _, t in row) + label_h + pad for row in rows]
    sheet = Image.new("RGB", (columns * (thumb_width + pad) + pad, sum(row_heights) + pad), "white")
    draw = ImageDraw.Draw(sheet)
    y = pad
    for row, row_h in zip(rows, row_heights, strict=True):
        for i, (name, thumb) in enumerate(row):
            x = pad + i * (thumb_width + pad)
            draw.text((x, y), name[:40], fill="black")
            sheet.paste(thumb, (x, y + label_h))
            draw.rectangle((x, y + label_h, x + thumb.width - 1, y + label_h + thumb.height - 1), outline="#bbbbbb")
        y += row_h
    sheet.save(out)


def _login(page, base: str, username: str) -> None:
    from playwright.sync_api import expect

    page.goto(base)
    user = page.get_by_role("textbox", name="Username", exact=True)
    expect(user).to_be_visible()
    _idle(page)
    page.wait_for_timeout(300)
    user.fill(username)
    page.get_by_role("textbox", name="Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_selector('[data-testid="stSidebarNav"]', state="attached")
    _idle(page)
    for _ in range(TIMEOUT_MS // 100):  # the re-login cookie, so each page can be opened by its address
        if any(c["name"] == "h23_session" for c in page.context.cookies()):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"{username}: the login cookie was never set")


def _menu_paths(page) -> list[str]:
    hrefs = page.eval_on_selector_all('[data-testid="stSidebarNav"] a', "els => els.map(e => e.href)")
    return [h.rstrip("/").rsplit("/", 1)[-1] if h.rstrip("/").count("/") > 2 else "" for h in hrefs]


def _settle(page, seconds: float = 10) -> None:
    """The run drawn: no running indicator, no placeholder. A page with a self-refreshing fragment
    (Laporan CRM's export progress, every 3 s) may never be quite still on a busy machine: after a while
    it is drawn as it is, its text still checked."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=seconds * 1000)
        page.wait_for_selector('[data-testid="stSkeleton"]', state="detached", timeout=seconds * 1000)
    except PlaywrightTimeout:
        pass


def _draw(page, base: str, path: str) -> None:
    page.goto(f"{base}/{path}")
    page.wait_for_selector('[data-testid="stMain"] h1', state="attached")
    _settle(page)
    page.wait_for_timeout(250)  # a rerun that has just started (a bound URL parameter) would redraw the page
    _settle(page)


def _problems(page, where: str, prefixes: set[str]) -> list[str]:
    main = page.locator('[data-testid="stMain"]')
    text = main.inner_text()
    found = [f"{where}: raw error text {p.pattern!r}" for p in RAW_ERRORS if p.search(text)]
    if page.get_by_test_id("stException").count():
        found.append(f"{where}: an exception box")
    headings = main.locator("h1, h2, h3, h4, h5, h6")
    for i in range(headings.count()):
        if not headings.nth(i).inner_text().strip():
            found.append(f"{where}: an empty heading")
    code = re.compile(r"\b(?:" + "|".join(sorted(prefixes)) + r")\.[a-z0-9_]+(?:\.[a-zA-Z0-9_]+)*")
    keys = code.findall(text)
    found += [f"{where}: catalogue code shown: {k}" for k in keys if not k.endswith((".csv", ".xlsx"))]
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > page.viewport_size["width"] + 1:
        found.append(f"{where}: scrolls sideways ({width}px)")
    return found


def _shot(page, name: str, sheet: Sheet) -> None:
    """The whole page: Streamlit scrolls inside its main block, so the window is made as tall as it."""
    viewport = page.viewport_size
    height = page.evaluate("Math.max(...[...document.querySelectorAll('body *')].map(e => e.scrollHeight))")
    page.set_viewport_size({"width": viewport["width"], "height": min(max(height, viewport["height"]), MAX_SHOT_PX)})
    page.wait_for_timeout(150)
    path = SCREENS / f"{name}.png"
    page.screenshot(path=str(path))
    page.set_viewport_size(viewport)
    sheet.shots.append(path)


@pytest.mark.parametrize("username", ROLES)
def test_every_page_a_role_may_open_is_drawn_cleanly_on_a_desktop_and_a_phone(chromium, demo_app, sheet, username):
    prefixes = _catalogue_prefixes()
    base = demo_app["url"]
    problems: list[str] = []
    paths: list[str] = []  # the desktop's menu: what this role may open
    for device, (width, height) in WIDTHS.items():
        context = chromium.new_context(viewport={"width": width, "height": height}, locale="id-ID",
                                      is_mobile=device == "phone", has_touch=device == "phone")
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        try:
            _login(page, base, username)
            paths = paths or _menu_paths(page)
            assert paths, f"{username} has no menu"
            for path in paths:
                where = f"{username} {path or 'hari-ini'} {width}px"
                _draw(page, base, path)
                problems += _problems(page, where, prefixes)
                _shot(page, f"{username}-{path or 'hari-ini'}-{width}", sheet)
        finally:
            context.close()
    sheet.problems += problems
    assert not problems, "\n".join(problems)


# --- The numbered points a browser shows (the rules themselves have their own tests) -----------------


def _as(browser, base: str, username: str, width: int = 1366, height: int = 900):
    context = browser.new_context(viewport={"width": width, "height": height}, locale="id-ID",
                                  is_mobile=width < 500, has_touch=width < 500)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    _login(page, base, username)
    return context, page


@pytest.mark.parametrize("username", ["ho.admin", "kacab.sam01"])
def test_head_office_and_branch_heads_see_the_reports_in_the_menu_without_view_more(chromium, demo_app, username):
    """Issue 19.6."""
    from playwright.sync_api import expect

    context, page = _as(chromium, demo_app["url"], username)
    try:
        nav = page.get_by_test_id("stSidebarNav")
        for title in ("Laporan CRM", "Grafik", "Rekap Mingguan & PICA"):
            expect(nav.get_by_role("link", name=title)).to_be_visible()
        expect(page.get_by_test_id("stSidebar").get_by_text(re.compile(r"View \d+ more"))).to_have_count(0)
    finally:
        context.close()


def test_the_lead_list_shows_fifty_rows_without_an_inner_scroll_and_a_phone_its_four_columns(
        chromium, demo_app, sheet):
    """Issue 19.2."""
    from playwright.sync_api import expect

    context, page = _as(chromium, demo_app["url"], "ho.admin")
    try:
        _draw(page, demo_app["url"], "leads")
        wide = page.locator(".st-key-leads_wide [data-testid='stDataFrame']")
        expect(wide).to_be_visible()
        box = wide.bounding_box()
        assert box is not None and box["height"] >= 51 * 35, box  # the header and 50 rows of 35 px
        expect(page.locator(".st-key-leads_phone [data-testid='stDataFrame']")).to_be_hidden()
        page.set_viewport_size({"width": 360, "height": 740})
        expect(page.locator(".st-key-leads_phone [data-testid='stDataFrame']")).to_be_visible()
        expect(wide).to_be_hidden()
        _shot(page, "point2-leads-phone-360", sheet)
    finally:
        context.close()


def test_a_new_opportunitys_facts_are_dashes_not_headings_on_a_phone(chromium, demo_app, sheet):
    """Issue 19.1."""
    from playwright.sync_api import expect

    context, page = _as(chromium, demo_app["url"], "admin.sam01", 360, 740)
    try:
        _draw(page, demo_app["url"], f"lead?id={demo_app['new_opportunity']}")
        facts = page.locator("dl.h23-facts").first
        expect(facts).to_be_visible()
        assert "—" in facts.inner_text()
        assert page.locator('[data-testid="stMain"] h2, [data-testid="stMain"] h1').count() == 1  # the title
        _shot(page, "point1-lead-facts-360", sheet)
    finally:
        context.close()


def test_the_booking_dialog_opens_on_the_next_free_slot_with_the_memos_fields(chromium, demo_app, sheet):
    """Issue 19.8."""
    from playwright.sync_api import expect

    context, page = _as(chromium, demo_app["url"], "admin.sam01")
    try:
        _draw(page, demo_app["url"], f"lead?id={demo_app['won']}")
        page.get_by_role("button", name="Create Booking Service").click()
        dialog = page.get_by_role("dialog")
        for label in ("Type Service *", "KPB Ke", "Mobile"):
            expect(dialog.get_by_text(label, exact=True)).to_be_visible()
        _idle(page)
        _shot(page, "point8-booking-dialog-1366", sheet)
    finally:
        context.close()


def _english(page, on: bool) -> None:
    """The sidebar's language switch, kept on the user (so later pages open in that language too)."""
    from playwright.sync_api import expect

    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_role("button", name=re.compile(r"^(Log out|Keluar)$"))).to_be_visible()
    wanted = sidebar.get_by_role("button", name="Log out" if on else "Keluar")
    if not wanted.count():
        sidebar.get_by_text("English", exact=True).click()
        expect(wanted).to_be_visible()
        _idle(page)


def _booking_dialog(chromium, base: str, lead_id: str, width: int, height: int, button: str, labels: tuple[str, ...],
                    name: str, sheet: Sheet, prefixes: set[str]) -> list[str]:
    from playwright.sync_api import expect

    context, page = _as(chromium, base, "admin.sam01", width, height)
    try:
        _draw(page, base, f"lead?id={lead_id}")
        page.get_by_role("button", name=button).click()
        dialog = page.get_by_role("dialog")
        for label in labels:
            expect(dialog.get_by_text(label, exact=True)).to_be_visible()
        _idle(page)
        _shot(page, name, sheet)
        return _problems(page, f"admin.sam01 {name}", prefixes)
    finally:
        context.close()


def test_master_data_odoo_and_the_booking_dialog_in_english_on_a_desktop_and_a_phone(chromium, demo_app, sheet):
    """Issue 19.4: the screens the language test could not see drawn (Master Data, Migrasi Odoo, the lead's
    booking dialog) in English at 1366 and 360 px, checked like every other screen; back in Indonesian after.
    (Master Data and Migrasi Odoo in Indonesian are the every-page test's; the dialog on a phone is drawn here.)"""
    from playwright.sync_api import expect

    base, prefixes, problems = demo_app["url"], _catalogue_prefixes(), []
    for width, height in WIDTHS.values():
        problems += _booking_dialog(chromium, base, demo_app["won"], width, height, "Create Booking Service",
                                    ("Type Service *", "Booking Date *", "Alasan datang"),
                                    f"id-admin.sam01-booking-dialog-{width}", sheet, prefixes)
    for username, switch_width in (("ho.admin", 1366), ("admin.sam01", 1366)):
        context, page = _as(chromium, base, username, switch_width)
        try:
            _english(page, True)
        finally:
            context.close()
    try:
        for width, height in WIDTHS.values():
            context, page = _as(chromium, base, "ho.admin", width, height)
            try:
                for path, title in (("master-data", "Master data"), ("migrasi-odoo", "Odoo migration")):
                    _draw(page, base, path)
                    expect(page.locator('[data-testid="stMain"] h1').first).to_have_text(title)
                    problems += _problems(page, f"ho.admin {path} {width}px en", prefixes)
                    _shot(page, f"en-ho.admin-{path}-{width}", sheet)
                expect(page.get_by_text("No migration run yet.")).to_be_visible()
            finally:
                context.close()
            problems += _booking_dialog(chromium, base, demo_app["won"], width, height, "Create a service booking",
                                        ("Service type *", "Booking date *", "Reason for coming"),
                                        f"en-admin.sam01-booking-dialog-{width}", sheet, prefixes)
    finally:
        for username in ("ho.admin", "admin.sam01"):
            context, page = _as(chromium, base, username)
            try:
                _english(page, False)
            finally:
                context.close()
    assert not problems, "\n".join(problems)
