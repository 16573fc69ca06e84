"""Laporan CRM page through AppTest: the wizard, the preview count, the export buttons (only with
Perm.REPORT_EXPORT), the charts' tables, and an Excel export that is offered and audited."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.platform import clock
from db.models import AuditLog
from tests.helpers import new_lead, opportunity_at


@pytest.fixture
def data(world):
    new_lead(world, kpb=1)
    opportunity_at(world, 1, kpb=2)
    opportunity_at(world, 1, world.admin_man, customer=world.customer_man, vehicle=world.vehicle_man, kpb=1)


def _tables(at) -> list:
    return [df.value for df in at.dataframe]


def test_head_office_sees_every_branch(world, data, run_page):
    at = run_page("pages/reports.py", world.ho)
    assert not at.exception
    assert at.title[0].value == "Laporan CRM"
    assert any("**3** baris" in m.value for m in at.markdown)
    status, won_lost = _tables(at)
    assert list(status["Cabang"]) == ["MAN01", "SAM01"] and list(status["COLD"]) == [1, 1]
    assert list(won_lost["Open"]) == [1, 1]
    assert len(at.get("plotly_chart")) == 2
    assert [b.label for b in at.button] == ["Export Excel", "Export CSV"]


def test_kabeng_sees_own_branch_and_exports(world, data, run_page):
    at = run_page("pages/reports.py", world.kabeng_sam)
    assert not at.exception
    assert any("**2** baris" in m.value for m in at.markdown)
    status, won_lost = _tables(at)
    assert list(status["Cabang"]) == ["SAM01"] and list(won_lost["Cabang"]) == ["SAM01"]
    at.button(key="rep_xlsx").click().run()
    assert not at.exception
    assert any("2 baris siap" in s.value for s in at.success)
    assert at.get("download_button")
    with world.db.session(None, system=True) as s:
        note = s.scalars(select(AuditLog.note).where(AuditLog.action == "report.export")).one()
    assert "baris=2" in note


def test_opportunity_shows_stage_and_filters(world, data, run_page):
    at = run_page("pages/reports.py", world.ho)
    assert not [s for s in at.selectbox if s.label == "Stage"]
    at.selectbox(key="rep_kind").set_value("opportunity").run()
    assert any(s.label == "Stage" for s in at.selectbox)
    assert any("**2** baris" in m.value for m in at.markdown)
    at.selectbox(key="rep_stage").set_value("Won").run()
    assert any("**0** baris" in m.value for m in at.markdown)


def test_admin_without_export_permission_has_no_buttons(world, data, run_page):
    at = run_page("pages/reports.py", world.admin_sam)
    assert not at.exception
    assert not at.button
    assert _tables(at)


def test_sa_may_not_open_the_page(world, run_page):
    at = run_page("pages/reports.py", world.sa_sam)
    assert at.error and not at.dataframe


def test_head_office_period_up_to_today_keeps_a_lead_made_after_midnight_in_the_east(world, run_page):
    """At 16:30 UTC it is 23:30 in Jakarta and already tomorrow in Manado (WITA): the default period ends on
    Manado's date, so the lead Manado's admin just made is in head office's report."""
    late = dt.datetime.now(dt.UTC).replace(hour=16, minute=30, second=0, microsecond=0)
    with clock.frozen(late):
        opportunity_at(world, 1, world.admin_man, customer=world.customer_man, vehicle=world.vehicle_man, kpb=1)
        at = run_page("pages/reports.py", world.ho)
    assert not at.exception
    assert any("**1** baris" in m.value for m in at.markdown)
