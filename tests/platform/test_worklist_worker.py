"""Issue 3: the day's worklist from the touch plan, and the worker that runs the daily job once."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from sqlalchemy import func, select

from core.leads.today import complete_touch, worklist
from core.platform import clock, jobs, worker
from core.platform.errors import DomainError, NotFound
from db.enums import JobState, TouchKind, TouchState
from db.models import JobRun, Lead, Touch
from tests.helpers import new_lead

D = dt.date


def test_worklist_shows_the_touches_due_today_and_overdue_ones_apart(world):
    new_lead(world, deadline=D(2020, 7, 31))  # message 24/07, call 28/07
    with world.db.session(world.admin_sam.scope) as s:
        assert worklist(s, world.admin_sam, D(2020, 7, 23)).total == 0
        on_day = worklist(s, world.admin_sam, D(2020, 7, 24))
        assert [(i.kind, i.overdue) for i in on_day.items] == [(TouchKind.MESSAGE_H7, False)]
        item = on_day.items[0]
        assert (item.customer_name, item.plate, item.kpb_number, item.deadline) == (
            "RESTU ANDIKA PRADANA PUTRA", "KT 2146 FK", 3, D(2020, 7, 31))
        later = worklist(s, world.admin_sam, D(2020, 7, 28))
        assert [(i.kind, i.overdue) for i in later.items] == [(TouchKind.MESSAGE_H7, True), (TouchKind.CALL_H3, False)]
        assert later.overdue_by_kind == {TouchKind.MESSAGE_H7: 1, TouchKind.CALL_H3: 0}


def test_worklist_is_per_branch_and_head_office_sees_all(world):
    new_lead(world, deadline=D(2020, 7, 31))
    new_lead(world, world.admin_man, customer=world.customer_man, vehicle=world.vehicle_man, deadline=D(2020, 7, 31))
    with world.db.session(world.admin_man.scope) as s:
        items = worklist(s, world.admin_man, D(2020, 7, 31)).items
        assert {i.branch_code for i in items} == {"MAN01"}
        # Asking for another branch gives nothing, not its rows.
        assert worklist(s, world.admin_man, D(2020, 7, 31), branch_ids=[world.sam.id]).total == 0
    with world.db.session(None, system=True) as s:
        assert {i.branch_code for i in worklist(s, world.ho, D(2020, 7, 31)).items} == {"SAM01", "MAN01"}


def test_worklist_pages_in_sql(world):
    new_lead(world, deadline=D(2020, 7, 31))
    with world.db.session(world.admin_sam.scope) as s:
        first = worklist(s, world.admin_sam, D(2020, 7, 31), page_size=1)
        second = worklist(s, world.admin_sam, D(2020, 7, 31), page=1, page_size=1)
    assert first.total == second.total == 2
    assert first.items[0].touch_id != second.items[0].touch_id


def test_a_done_touch_leaves_the_worklist_and_cannot_be_done_twice(world):
    new_lead(world, deadline=D(2020, 7, 31))
    with world.db.transaction(world.admin_sam.scope) as s:
        item = worklist(s, world.admin_sam, D(2020, 7, 24)).items[0]
        complete_touch(s, world.admin_sam, item.touch_id, note="WA terkirim")
        assert worklist(s, world.admin_sam, D(2020, 7, 24)).total == 0
        with pytest.raises(DomainError):
            complete_touch(s, world.admin_sam, item.touch_id)
    with world.db.transaction(world.admin_man.scope) as s, pytest.raises(NotFound):
        complete_touch(s, world.admin_man, item.touch_id)


def test_the_worker_runs_the_daily_generation_once_per_zone_and_day(committed_db):
    from tests.conftest import build_world
    build_world(committed_db)
    with clock.frozen(dt.datetime(2020, 7, 10, 1, 0, tzinfo=dt.UTC)):
        first = worker.run_due_jobs(committed_db, "w1")
        again = worker.run_due_jobs(committed_db, "w2")
    assert first == ["leadgen:Asia/Makassar:2020-07-10"] and again == []
    with committed_db.session(None, system=True) as s:
        assert s.scalar(select(func.count()).select_from(Lead)) >= 1
        run = s.scalars(select(JobRun)).one()
        assert run.state == JobState.DONE and run.result["kpb_leads"] >= 1


def test_two_workers_at_once_run_the_day_once(committed_db):
    from tests.conftest import build_world
    build_world(committed_db)
    ran: list[list[str]] = []
    with clock.frozen(dt.datetime(2020, 7, 10, 1, 0, tzinfo=dt.UTC)):
        threads = [threading.Thread(target=lambda n=n: ran.append(worker.run_due_jobs(committed_db, f"w{n}")))
                   for n in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(len(r) for r in ran) == [0, 0, 1]
    with committed_db.session(None, system=True) as s:
        keys = s.scalars(select(Touch.dedup_key)).all()
        assert len(keys) == len(set(keys))


def test_a_dead_workers_run_is_taken_over_after_the_stale_time(committed_db):
    from tests.conftest import build_world
    build_world(committed_db)
    t0 = dt.datetime(2020, 7, 10, 1, 0, tzinfo=dt.UTC)
    with clock.frozen(t0):
        assert jobs.claim(committed_db, "leadgen:Asia/Makassar", "2020-07-10", "dead") is not None
        assert worker.run_due_jobs(committed_db, "w2") == []  # still fresh: someone else's
    with clock.frozen(t0 + dt.timedelta(minutes=31)):
        assert worker.run_due_jobs(committed_db, "w2") == ["leadgen:Asia/Makassar:2020-07-10"]
    with committed_db.session(None, system=True) as s:
        assert s.scalar(select(func.count()).select_from(Touch).where(Touch.state == TouchState.PLANNED)) >= 2


def test_a_slow_scheduled_job_does_not_hold_up_messages_or_files(committed_db):
    """The worker's lanes: while one lane's job runs for long (the chart counts over millions of
    leads), the others keep ticking; a job that fails is retried on the next tick."""
    stop, slow_running = threading.Event(), threading.Event()
    quick_runs: list[float] = []
    failures: list[int] = []

    def slow(_db, _worker):
        slow_running.set()
        stop.wait(10)
        return []

    def quick(_db, _worker):
        quick_runs.append(time.monotonic())
        return []

    def broken(_db, _worker):
        failures.append(1)
        raise RuntimeError("provider down")

    lanes = (worker.Lane("schedule", 60, (slow,)), worker.Lane("messages", 0.05, (broken, quick)))
    serving = threading.Thread(target=worker.serve, args=(committed_db,), kwargs={"stop": stop, "lanes": lanes})
    serving.start()
    assert slow_running.wait(5)
    time.sleep(0.6)
    ticks = len(quick_runs)
    stop.set()
    serving.join(10)
    assert not serving.is_alive()
    assert ticks >= 4 and len(failures) >= 4  # kept ticking beside the slow job, and past the failing one


def test_every_job_runs_in_exactly_one_lane():
    jobs = [job for lane in worker.LANES for job in lane.jobs]
    assert len(jobs) == len(set(jobs)) == len(worker.JOBS)
    names = {lane.name: {j.__module__ + "." + j.__name__ for j in lane.jobs} for lane in worker.LANES}
    assert "core.messaging.sender.run_outbox" in names["messages"]
    assert "core.reports.chart_refresh.run_refresh_job" in names["schedule"]
