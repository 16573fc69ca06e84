"""Chart aggregates (core.reports.charts, chart_counts, chart_refresh) on the hand-counted data of
tests/recap_fixtures.py: the daily counts the worker builds, what each chart sums from them, branch
scope, and the incremental refresh picking up a change."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from sqlalchemy import func, select

from core.platform import clock, worker
from core.platform.errors import PermissionDenied
from core.reports import chart_refresh, charts as report_charts
from core.reports.charts import ChartQuery
from db.models import Lead, ReportDaily
from tests import recap_fixtures
from tests.conftest import build_world
from tests.helpers import FIXED_NOW, new_lead, opportunity_at

D = dt.date
W1, W2 = D(2020, 6, 29), D(2020, 7, 6)
JULY = ChartQuery(D(2020, 6, 1), D(2020, 7, 31))


@pytest.fixture
def leads(world):
    out = recap_fixtures.build(world)
    _refresh(world)
    return out


def _refresh(world, at=FIXED_NOW):
    with clock.frozen(at), world.db.transaction(None, system=True) as s:
        return chart_refresh.refresh(s)


def _s(world, viewer):
    return world.db.session(viewer.scope, system=viewer.all_branches)


def test_won_lost_and_stages_per_branch(world, leads):
    with _s(world, world.ho) as s:
        rows = report_charts.by_branch(s, world.ho, JULY, "stage")
    assert rows == [("MAN01", "fu1", 1), ("SAM01", "fu1", 1), ("SAM01", "fu2", 1), ("SAM01", "lead", 1),
                    ("SAM01", "lost", 1), ("SAM01", "won", 3)]


def test_funnel_from_leads_to_came(world, leads):
    with _s(world, world.ho) as s:
        assert report_charts.funnel(s, world.ho, JULY) == [
            ("Leads", 8), ("Contacted", 3), ("Opportunity", 7), ("Booked", 0), ("Came", 3)]


def test_kepala_bengkel_week_over_week(world, leads):
    with _s(world, world.ho) as s:
        weeks = report_charts.by_week(s, world.ho, JULY, "activity")
    assert sorted(weeks) == [(W1, "contacted", 2), (W1, "reminded", 5), (W2, "came", 3), (W2, "contacted", 1),
                             (W2, "lost", 1), (W2, "reminded", 3)]


def test_admin_productivity_counts_followups_per_admin(world, leads):
    with _s(world, world.ho) as s:
        rows = report_charts.admin_productivity(s, world.ho, JULY)
    assert sorted(rows) == [("MAN01", "Admin Manado", 1), ("SAM01", "Admin Samarinda", 6),
                            ("SAM01", "Kabeng Samarinda", 1)]


def test_sla_counts_touches_done_late_and_still_open(world, leads):
    with _s(world, world.ho) as s:
        sla = report_charts.by_key(s, world.ho, JULY, "sla")
    assert sla.get("late") == 1 and sla.get("on_time", 0) == 0 and sla["open"] >= 2


def test_branch_user_sees_only_their_branch(world, leads):
    with _s(world, world.admin_man) as s:
        assert report_charts.by_branch(s, world.admin_man, JULY, "stage") == [("MAN01", "fu1", 1)]
        asked_other = ChartQuery(JULY.start, JULY.end, (world.sam.id,))
        assert report_charts.by_branch(s, world.admin_man, asked_other, "stage") == []
    with _s(world, world.sa_sam) as s, pytest.raises(PermissionDenied):
        report_charts.by_branch(s, world.sa_sam, JULY, "stage")


def test_prospect_temperature_of_open_opportunities(world):
    with clock.frozen(FIXED_NOW):
        opportunity_at(world, 1, kpb=1)  # COLD
        opportunity_at(world, 2, world.admin_man, customer=world.customer_man, vehicle=world.vehicle_man, kpb=1)
    _refresh(world)
    with _s(world, world.ho) as s:
        assert report_charts.by_branch(s, world.ho, JULY, "temp") == [("MAN01", "cold", 1), ("SAM01", "cold", 1)]


def test_refresh_picks_up_changes_since_the_last_run_and_tells_how_fresh(world, leads):
    later = FIXED_NOW + dt.timedelta(hours=2)
    with clock.frozen(later):
        new_lead(world, kpb=1)
    result = _refresh(world, later)
    assert result["since"] is not None  # incremental, not a full rebuild
    with _s(world, world.ho) as s:
        assert ("SAM01", "lead", 2) in report_charts.by_branch(s, world.ho, JULY, "stage")
        assert report_charts.freshness(s) == later


def test_worker_job_refreshes_the_chart_counts_once_per_slot(world, leads):
    later = FIXED_NOW + dt.timedelta(hours=1)
    with clock.frozen(later):
        chart_refresh.run_refresh_job(world.db, "test-worker")
    with clock.frozen(later + dt.timedelta(minutes=5)):  # same 10-minute slot: already done
        with world.db.transaction(None, system=True) as s:
            s.add(Lead(**_copy_of(s, leads["G"])))
        chart_refresh.run_refresh_job(world.db, "other-worker")
    with _s(world, world.ho) as s:
        assert report_charts.freshness(s) == later
    with clock.frozen(later + dt.timedelta(minutes=11)):  # the next slot picks the change up
        chart_refresh.run_refresh_job(world.db, "other-worker")
    with _s(world, world.ho) as s:
        assert report_charts.freshness(s) == later + dt.timedelta(minutes=11)
        assert ("SAM01", "lead", 2) in report_charts.by_branch(s, world.ho, JULY, "stage")
    assert chart_refresh.run_refresh_job in worker.JOBS


def _copy_of(s, lead) -> dict:
    """A second plain lead like `lead` (its own number and due)."""
    skip = {"id", "number", "due_key", "version"}
    row = {c.key: getattr(s.get(Lead, lead.id), c.key) for c in Lead.__table__.columns if c.key not in skip}
    return {**row, "number": "LDS/SAM01/2007/99999", "due_key": "MANUAL", "created_at": FIXED_NOW,
            "updated_at": clock.now()}


def test_refresh_reports_the_rows_it_wrote(world, leads):
    with clock.frozen(FIXED_NOW), world.db.transaction(None, system=True) as s:
        result = chart_refresh.rebuild(s)
        stored = s.scalar(select(func.count()).select_from(ReportDaily))
    assert result == stored > 0


def test_first_worker_run_builds_every_day(world):
    recap_fixtures.build(world)
    with clock.frozen(FIXED_NOW):
        chart_refresh.run_refresh_job(world.db, "w1")
    with _s(world, world.ho) as s:
        assert report_charts.freshness(s) == FIXED_NOW
        assert sum(n for _, _, n in report_charts.by_branch(s, world.ho, JULY, "stage")) == 8


def test_users_save_without_waiting_while_the_worker_counts_the_charts(committed_db, monkeypatch):
    """The counting reads every lead (a minute at 5,000,000 on SQLite): it must not hold the write
    lock meanwhile, and what a user saves during it is counted by the next refresh."""
    world = build_world(committed_db)
    leads = recap_fixtures.build(world)
    counting = chart_refresh._count
    waited: list[float] = []

    def count_while_a_user_saves(session, plan):
        rows = counting(session, plan)
        started = time.monotonic()
        with committed_db.transaction(None, system=True) as s:  # another connection: a user's save
            s.add(Lead(**_copy_of(s, leads["G"])))
        waited.append(time.monotonic() - started)
        return rows

    monkeypatch.setattr(chart_refresh, "_count", count_while_a_user_saves)
    with clock.frozen(FIXED_NOW):
        chart_refresh.run_refresh_job(committed_db, "w1")
    assert waited and waited[0] < 2  # held the lock, SQLite made it wait 10 s, then refused it
    monkeypatch.setattr(chart_refresh, "_count", counting)
    with _s(world, world.ho) as s:
        assert ("SAM01", "lead", 1) in report_charts.by_branch(s, world.ho, JULY, "stage")  # counted before
    with clock.frozen(FIXED_NOW + dt.timedelta(minutes=10)):
        chart_refresh.run_refresh_job(committed_db, "w1")
    with _s(world, world.ho) as s:
        assert ("SAM01", "lead", 2) in report_charts.by_branch(s, world.ho, JULY, "stage")  # not lost
