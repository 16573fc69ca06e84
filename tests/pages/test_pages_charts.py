"""Grafik page through AppTest: every chart opens with its table for head office and a branch user
(who sees only their branch), and the page says how fresh the numbers are."""

from __future__ import annotations

import datetime as dt

import pytest

from core.platform import clock
from core.reports import chart_refresh
from tests import recap_fixtures
from tests.helpers import FIXED_NOW


@pytest.fixture
def data(world):
    recap_fixtures.build(world)
    with clock.frozen(FIXED_NOW), world.db.transaction(None, system=True) as s:
        chart_refresh.refresh(s)


def _open(run_page, viewer, chart="won_lost"):
    with clock.frozen(FIXED_NOW + dt.timedelta(days=1)):
        return run_page("pages/charts.py", viewer, ch_chart=chart)


@pytest.mark.parametrize("chart", ["status", "won_lost", "weekly", "funnel", "touch", "sla", "retention", "entry",
                                   "admin", "prediction"])
def test_each_chart_opens_with_its_table(world, data, run_page, chart):
    at = _open(run_page, world.ho, chart)
    assert not at.exception, [e.value for e in at.exception]
    assert at.dataframe and at.get("download_button")
    assert any("Data per 10/07/2020 10:00" in c.value for c in at.caption)


def test_won_lost_per_branch_for_head_office_and_branch_user(world, data, run_page):
    table = _open(run_page, world.ho).dataframe[0].value
    assert list(table["Cabang"]) == ["MAN01", "SAM01"]
    assert list(table["Won"]) == [0, 3] and list(table["Lost"]) == [0, 1] and list(table["Open"]) == [1, 2]
    own = _open(run_page, world.admin_sam).dataframe[0].value
    assert list(own["Cabang"]) == ["SAM01"]


def test_funnel_table(world, data, run_page):
    table = _open(run_page, world.kabeng_sam, "funnel").dataframe[0].value
    assert list(table["Jumlah"]) == [7, 3, 6, 0, 3]  # SAM01 only: A-G


@pytest.mark.parametrize("chart", ["status", "won_lost", "weekly", "funnel", "touch", "sla", "retention", "entry",
                                   "admin", "prediction"])
def test_each_chart_says_so_when_the_numbers_are_not_built_yet(world, run_page, chart):
    at = run_page("pages/charts.py", world.kabeng_sam, ch_chart=chart)
    assert not at.exception, [e.value for e in at.exception]
    assert any("belum dihitung" in c.value for c in at.caption)


def test_a_reversed_period_shows_the_period_error_in_the_users_language(world, data, run_page):
    with clock.frozen(FIXED_NOW + dt.timedelta(days=1)):
        at = run_page("pages/charts.py", world.ho, ch_from=dt.date(2020, 7, 31), ch_to=dt.date(2020, 7, 1))
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == [
        "Tanggal sampai: tanggal sampai tidak boleh sebelum tanggal dari (01/07/2020)"]
    assert not at.dataframe  # nothing is counted for an impossible period


@pytest.mark.parametrize("chart", ["won_lost", "weekly", "touch", "sla", "admin"])  # those the fixture fills
def test_count_axes_tick_in_whole_numbers(world, data, run_page, chart):
    """Issue 19.9: a count axis with a handful of leads ticks 0, 1, 2, ... (never 0.5)."""
    import json

    at = _open(run_page, world.ho, chart)
    plot = at.get("plotly_chart")
    assert plot, "no chart drawn"
    layout = json.loads(plot[0].proto.spec)["layout"]
    axis = layout["xaxis" if chart == "admin" else "yaxis"]
    assert axis["tickformat"] == ",d" and axis["dtick"] == 1 and axis["tick0"] == 0, axis


def test_a_percentage_axis_is_left_to_plotly(world, data, run_page):
    import json

    plot = _open(run_page, world.ho, "retention").get("plotly_chart")
    assert plot and "tickformat" not in json.loads(plot[0].proto.spec)["layout"].get("yaxis", {})
