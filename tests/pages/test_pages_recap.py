"""Rekap Mingguan & PICA page through AppTest: the hand-counted recap and PICA tables, the list
behind a PICA number, branch scope, and the recap workbook only for roles that may export."""

from __future__ import annotations

import pytest

from core.platform import clock
from tests import recap_fixtures
from tests.helpers import FIXED_NOW


@pytest.fixture
def leads(world):
    return recap_fixtures.build(world)


def _open(run_page, viewer, pica_week=-1):
    with clock.frozen(FIXED_NOW):  # the default period: the four weeks up to 10/07/2020
        at = run_page("pages/recap.py", viewer)
        if pica_week == "last":  # PICA opens on last week (issue 19.9)
            return at
        return at.selectbox(key="rc_pica_week").set_value(pica_week).run()  # -1: the whole period above


def test_head_office_sees_the_recap_and_pica_of_every_branch(world, leads, run_page):
    at = _open(run_page, world.ho)
    assert not at.exception, [e.value for e in at.exception]
    recap_df = at.dataframe[0].value
    assert list(recap_df["Cabang"]) == ["MAN01", "SAM01", "SAM01"]
    assert list(recap_df["Diingatkan"]) == [1, 4, 2] and list(recap_df["Datang KPB"]) == [0, 1, 0]
    pica = at.dataframe[2].value
    assert list(pica["Admin"]) == ["Admin Manado", "Admin Samarinda", "Kabeng Samarinda"]
    assert list(pica["Total"]) == [1, 4, 1]
    assert at.get("plotly_chart")


def test_pica_list_behind_a_number(world, leads, run_page):
    at = _open(run_page, world.ho)
    at.selectbox(key="rc_row").set_value(1)
    with clock.frozen(FIXED_NOW):
        at.selectbox(key="rc_cause").set_value("not_connected").run()
    items = at.dataframe[3].value
    assert list(items["Nomor"]) == [leads["D"].number, leads["F"].number]
    assert list(items["Tanggal"]) == ["30/06/2020", "08/07/2020"]


def test_branch_admin_sees_only_their_branch_and_cannot_export(world, leads, run_page):
    at = _open(run_page, world.admin_sam)
    assert not at.exception
    assert set(at.dataframe[0].value["Cabang"]) == {"SAM01"}
    assert set(at.dataframe[2].value["Cabang"]) == {"SAM01"}
    assert not [b for b in at.button if b.key == "rc_xlsx"]


def test_kabeng_downloads_the_weekly_recap_workbook(world, leads, run_page):
    at = _open(run_page, world.kabeng_sam)
    with clock.frozen(FIXED_NOW):
        at.button(key="rc_xlsx").click().run()
    assert not at.exception
    assert at.get("download_button")


def test_pica_opens_on_last_week(world, leads, run_page):
    """Issue 19.9: PICA is read on Monday about the week that has just ended (29/06 - 05/07/2020)."""
    at = _open(run_page, world.ho, pica_week="last")
    assert not at.exception
    assert at.selectbox(key="rc_pica_week").value == 1  # one week back
    assert "29/06/2020 - 05/07/2020" in at.selectbox(key="rc_pica_week").options
    whole = _open(run_page, world.ho).dataframe[2].value
    last_week = at.dataframe[2].value
    assert last_week["Total"].sum() < whole["Total"].sum()


def test_the_recap_chart_shows_the_weeks_in_calendar_order(world, leads, run_page):
    import json

    at = _open(run_page, world.ho)
    weeks = json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]["x"]
    as_dates = [tuple(reversed(w.split("/"))) for w in weeks]
    assert as_dates == sorted(as_dates) and len(weeks) >= 2
