"""ARCHITECTURE.md "Language and time": each branch has its time zone; 'today', the week's start and every time
shown are in the branch's own zone. The world's branches are WITA (Samarinda, Manado): at 23:30 WIB it is
already tomorrow there, and their pages say WITA."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from core.leads import lookups
from core.platform import clock
from core.reports import chart_refresh
from tests.conftest import ROOT

LATE = dt.datetime(2020, 7, 10, 16, 30, tzinfo=dt.UTC)  # 10/07 23:30 WIB = 11/07 00:30 WITA
WITA_TODAY = dt.date(2020, 7, 11)


def test_no_zone_name_is_written_outside_the_clock_and_the_demo_generator():
    allowed = {ROOT / "core" / "platform" / "clock.py"}
    found = [str(p.relative_to(ROOT)) for d in ("pages", "ui", "core", "web") for p in (ROOT / d).rglob("*.py")
             if p not in allowed and (ROOT / "core" / "demo") not in p.parents
             and "Asia/Jakarta" in Path(p).read_text(encoding="utf-8")]
    assert found == []


def test_a_branch_users_zone_is_their_branchs_and_head_office_keeps_jakartas(world):
    with world.db.session(None, system=True) as s:
        assert lookups.timezone(s, world.kabeng_sam) == clock.WITA
        assert lookups.timezone(s, world.ho) == clock.WIB
        assert lookups.timezone(s, world.ho, [world.man.id]) == clock.WITA  # head office picked a WITA branch


@pytest.mark.parametrize("page, key", [("pages/reports.py", "rep_to"), ("pages/charts.py", "ch_to"),
                                       ("pages/recap.py", "rc_to")])
def test_today_on_a_wita_branchs_report_pages_is_the_wita_date(world, run_page, page, key):
    with clock.frozen(LATE):
        at = run_page(page, world.kabeng_sam)
    assert not at.exception, [e.value for e in at.exception]
    assert at.date_input(key=key).value == WITA_TODAY


def test_the_weekly_recap_starts_on_the_wita_monday(world, run_page):
    with clock.frozen(dt.datetime(2020, 7, 12, 16, 30, tzinfo=dt.UTC)):  # Sunday 23:30 WIB, Monday 00:30 WITA
        at = run_page("pages/recap.py", world.kabeng_sam)
    assert at.date_input(key="rc_from").value == dt.date(2020, 7, 13) - dt.timedelta(weeks=3)  # WIB: 15/06


def test_the_charts_freshness_is_shown_in_wita_for_a_wita_branch(world, run_page):
    with clock.frozen(LATE), world.db.transaction(None, system=True) as s:
        chart_refresh.refresh(s)
    with clock.frozen(LATE):
        at = run_page("pages/charts.py", world.kabeng_sam)
    assert any("Data per 11/07/2020 00:30 WITA" in c.value for c in at.caption), [c.value for c in at.caption]
