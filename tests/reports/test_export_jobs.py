"""Background Laporan CRM exports (core.reports.export_jobs): the worker writes the file as the user who
asked (their branches only), audits it, shows progress, keeps the file for the set time and then
deletes it; only that user sees the job and its file; the page queues large exports."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from core.platform import clock, settings, worker
from core.platform.errors import NotFound, PermissionDenied
from core.reports import export_jobs
from core.reports.laporan import LAPORAN_COLUMNS, ReportFilter
from db.models import AuditLog, ExportJob
from tests.helpers import FIXED_NOW, new_lead, opportunity_at

BRANCH = LAPORAN_COLUMNS.index("Branch")


@pytest.fixture
def data(world, monkeypatch, tmp_path):
    monkeypatch.setenv("H23_DATA_DIR", str(tmp_path))
    with clock.frozen(FIXED_NOW):
        new_lead(world, kpb=1)
        opportunity_at(world, 1, kpb=2)
        opportunity_at(world, 1, world.admin_man, customer=world.customer_man, vehicle=world.vehicle_man, kpb=1)


def _request(world, viewer, fmt="csv"):
    with clock.frozen(FIXED_NOW), world.db.transaction(viewer.scope, system=viewer.all_branches) as s:
        return export_jobs.request_export(s, viewer, ReportFilter(), fmt, 2).id


def _job(world, job_id) -> ExportJob:
    with world.db.session(None, system=True) as s:
        job = s.get(ExportJob, job_id)
        s.expunge(job)
        return job


def test_worker_writes_the_export_of_the_users_own_branches_and_audits_it(world, data):
    job_id = _request(world, world.kabeng_sam)
    with clock.frozen(FIXED_NOW):
        ran = export_jobs.run_pending(world.db, "w1")
    assert ran == [f"export:{job_id}"]
    job = _job(world, job_id)
    assert job.state == "done" and job.done_rows == 2
    assert job.expires_at == FIXED_NOW + dt.timedelta(hours=24)
    with open(str(job.path), encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == list(LAPORAN_COLUMNS) and {r[BRANCH] for r in rows[1:]} == {"[SAM01] SAMARINDA"}
    with world.db.session(None, system=True) as s:
        audit = s.scalars(select(AuditLog).where(AuditLog.action == "report.export")).one()
        assert audit.user_id == world.kabeng_sam.user_id and "baris=2" in (audit.note or "")


def test_only_the_user_who_asked_gets_the_file(world, data):
    job_id = _request(world, world.ho, "xlsx")
    with clock.frozen(FIXED_NOW):
        export_jobs.run_pending(world.db, "w1")
    with world.db.session(None, system=True) as s:
        path, name = export_jobs.job_file(s, world.ho, job_id)
        assert path.exists() and name.endswith(".xlsx")
        with pytest.raises(NotFound):
            export_jobs.job_file(s, world.kabeng_sam, job_id)
        assert export_jobs.jobs_for(s, world.kabeng_sam) == []


def test_branch_user_without_export_permission_cannot_queue_an_export(world, data):
    with world.db.transaction(world.admin_sam.scope) as s, pytest.raises(PermissionDenied):
        export_jobs.request_export(s, world.admin_sam, ReportFilter(), "csv", 2)


def test_export_file_is_deleted_after_the_set_time(world, data):
    job_id = _request(world, world.kabeng_sam)
    with clock.frozen(FIXED_NOW):
        export_jobs.run_pending(world.db, "w1")
    path = Path(str(_job(world, job_id).path))
    with clock.frozen(FIXED_NOW + dt.timedelta(hours=23)):
        assert export_jobs.run_pending(world.db, "w1") == []
    assert path.exists()
    with clock.frozen(FIXED_NOW + dt.timedelta(hours=25)):
        assert export_jobs.run_pending(world.db, "w1") == ["export-expired:1"]
    assert not path.exists() and _job(world, job_id).state == "expired"
    assert export_jobs.run_pending in worker.JOBS


def test_page_queues_a_large_export_and_shows_its_progress(world, data, run_page):
    with world.db.transaction(None, system=True) as s:
        settings.put(s, "reports.background_rows", 1)
    at = run_page("pages/reports.py", world.kabeng_sam)
    at.date_input(key="rep_from").set_value(dt.date(2020, 7, 1)).run()
    at.button(key="rep_csv").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("latar belakang" in i.value for i in at.info)
    with world.db.session(None, system=True) as s:
        job = s.scalars(select(ExportJob)).one()
        assert job.state == "queued" and job.user_id == world.kabeng_sam.user_id
    assert at.get("progress")  # the queued job, at 0 of its rows
