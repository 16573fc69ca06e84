"""Process heartbeats (core.platform.heartbeat) and head office's Kesehatan Sistem page: every app process
and worker is listed alive while it beats, not answering once it has missed three beats, stopped after a
clean stop; rows of processes gone for a week are forgotten."""

from __future__ import annotations

import datetime as dt
import threading

from core.platform import clock, heartbeat, worker
from core.platform.jobs import Lane

T0 = dt.datetime(2026, 12, 3, 8, 0, tzinfo=dt.UTC)


def _states(db) -> dict[str, str]:
    with db.session(None, system=True) as s:
        return {p.name: p.state for p in heartbeat.processes(s)}


def test_a_process_that_beats_is_alive_and_one_that_went_silent_is_not_answering(db):
    with clock.frozen(T0):
        heartbeat.beat(db, "app", "port 8511", name="app:a:1")
        heartbeat.beat(db, "worker", "messages", name="worker:b:2")
    with clock.frozen(T0 + heartbeat.LATE_AFTER + dt.timedelta(seconds=1)):
        heartbeat.beat(db, "app", "port 8511", name="app:a:1")
        assert _states(db) == {"app:a:1": "alive", "worker:b:2": "late"}


def test_a_clean_stop_shows_stopped_and_a_new_beat_brings_it_back(db):
    with clock.frozen(T0):
        heartbeat.beat(db, "worker", None, name="worker:b:2")
        heartbeat.stopped(db, "worker:b:2")
        assert _states(db) == {"worker:b:2": "stopped"}
        heartbeat.beat(db, "worker", None, name="worker:b:2")
        assert _states(db) == {"worker:b:2": "alive"}


def test_processes_gone_for_a_week_are_forgotten(db):
    with clock.frozen(T0):
        heartbeat.beat(db, "app", None, name="app:old:1")
    with clock.frozen(T0 + heartbeat.FORGET_AFTER + dt.timedelta(hours=1)):
        heartbeat.beat(db, "app", None, name="app:new:2")
        assert heartbeat.forget_old(db) == ["forgot 1 process rows"]
        assert set(_states(db)) == {"app:new:2"}


def test_the_worker_beats_while_it_serves_and_is_marked_stopped_when_it_stops(committed_db):
    stop = threading.Event()
    ran = threading.Event()

    def job(_db, _worker):
        ran.set()
        return []

    thread = threading.Thread(target=worker.serve, args=(committed_db,),
                              kwargs={"stop": stop, "lanes": (Lane("messages", 0.05, (job,)),)})
    thread.start()
    assert ran.wait(10)
    with committed_db.session(None, system=True) as s:
        assert [(p.kind, p.state, p.detail) for p in heartbeat.processes(s)] == [("worker", "alive", "messages")]
    stop.set()
    thread.join(30)
    with committed_db.session(None, system=True) as s:
        assert [(p.kind, p.state) for p in heartbeat.processes(s)] == [("worker", "stopped")]


def test_health_page_lists_every_process_for_head_office_in_both_languages(run_page, world):
    with clock.frozen(T0):
        heartbeat.beat(world.db, "app", "port 8511", name="app:app1:11")
        heartbeat.beat(world.db, "worker", "messages, files, schedule", name="worker:app1:12")
    with clock.frozen(T0 + heartbeat.LATE_AFTER + dt.timedelta(seconds=5)):
        heartbeat.beat(world.db, "app", "port 8511", name="app:app1:11")
        at = run_page("pages/health.py", world.ho)
        assert not at.exception
        assert at.title[0].value == "Kesehatan Sistem"
        assert [e.value for e in at.error] == ["1 hidup · 1 tidak menjawab · 0 berhenti"]
        table = at.dataframe[0].value
        assert list(table["Status"]) == ["Hidup", "Tidak menjawab"]
        assert list(table["Keterangan"]) == ["port 8511", "messages, files, schedule"]
        at = run_page("pages/health.py", world.ho, h23_lang=True)
        assert at.title[0].value == "System health"
        assert list(at.dataframe[0].value["State"]) == ["Alive", "Not answering"]


def test_health_page_is_head_offices_only(run_page, world):
    at = run_page("pages/health.py", world.admin_sam)
    assert any("tidak berhak" in e.value for e in at.error)
    assert not at.dataframe
