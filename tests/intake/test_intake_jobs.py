"""Background imports: a queued file is imported by the worker batch by batch; a worker killed with
SIGKILL midway is resumed by the next from the last committed batch and the database ends exactly as
after an uninterrupted import; a job is never run by two workers at once."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, update

from core.intake import file_import, importer as intake, job_worker, jobs as intake_jobs, review
from core.platform import clock
from core.platform.errors import DomainError
from db.engine import Database
from db.models import AuditLog, Counter, Customer, ImportJob, ImportRejection, ImportState, Lead, Sale, Touch, Vehicle
from tests.conftest import ROOT, build_world

HEADER = "No Mesin;Nama;No KTP;No HP;Alamat;Tanggal Beli;Kode Cabang"


def _sales_file(path: Path, n: int) -> Path:
    """n sales of SAM01: one customer in five comes back for a second motorcycle, one row in 97 is bad."""
    lines = [HEADER]
    for i in range(n):
        person = i if i % 5 else i // 5  # every fifth row re-uses an earlier buyer
        nik = f"6472{1 + person % 20:02d}{10 + person % 18:02d}0590{person % 9000 + 1:04d}"
        engine = f"JM81E{3000000 + i:07d}" if i % 97 != 50 else "JM81"
        phone = f"0812{4000000 + person:07d}"
        lines.append(f"{engine};PEMBELI {person};{nik};{phone};JL. MAWAR {person % 50};"
                     f"{1 + i % 28:02d}/{1 + i % 12:02d}/2021;SAM01")
    path.write_text("\n".join(lines) + "\n")
    return path


def _snapshot(db: Database) -> list[tuple]:
    """What the import stored, by natural keys (ids and timestamps differ between runs)."""
    with db.session(None, system=True) as s:
        rows = s.execute(
            select(Vehicle.engine_no, Vehicle.plate, Vehicle.purchase_date, Customer.code, Customer.name,
                   Customer.nik, Customer.phone, Customer.address, Sale.sale_date)
            .join(Customer, Customer.id == Vehicle.customer_id).join(Sale, Sale.vehicle_id == Vehicle.id)
            .order_by(Vehicle.engine_no, Sale.sale_date)).all()
        customers = s.scalar(select(func.count()).select_from(Customer))
    # Customer codes by their number: the series' yymm is the month of the run (a test may freeze the clock
    # in this process while the worker process runs on the real one).
    return [(*r[:3], r[3].rsplit("/", 1)[1], *r[4:]) for r in rows] + [("customers", customers)]


def _forget_imports(db: Database, keep_vehicles: set[int], keep_customers: set[int]) -> None:
    with db.transaction(None, system=True) as s:
        for model in (ImportRejection, ImportJob, Touch, Lead, Sale, AuditLog):
            s.execute(delete(model))
        s.execute(delete(Vehicle).where(Vehicle.id.not_in(keep_vehicles)))
        s.execute(delete(Customer).where(Customer.id.not_in(keep_customers)))
        s.execute(delete(Counter).where(Counter.key.like("BPA/%")))


def _worker(db: Database, data_dir: Path, log: Path) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": db.engine.url.render_as_string(hide_password=False),
           "H23_DATA_DIR": str(data_dir)}
    return subprocess.Popen([sys.executable, "-m", "core.cli", "worker", "--once"], cwd=ROOT, env=env,
                            stdout=log.open("ab"), stderr=subprocess.STDOUT)


def _job(db: Database, job_id: int) -> ImportJob:
    with db.session(None, system=True) as s:
        job = s.get(ImportJob, job_id)
        assert job is not None
        s.expunge(job)
        return job


def test_a_killed_worker_resumes_from_the_last_batch_and_the_database_is_as_if_never_killed(
        committed_db, tmp_path, monkeypatch):
    db = committed_db
    world = build_world(db)
    monkeypatch.setenv("H23_DATA_DIR", str(tmp_path))
    path = _sales_file(tmp_path / "penjualan.csv", 6000)
    mapping = intake.guess_mapping(HEADER.split(";"))
    job_id = intake_jobs.queue_import(db, world.admin_sam, "sales", path, "penjualan.csv", mapping, batch_size=100)
    log = tmp_path / "worker.log"

    first = _worker(db, tmp_path, log)
    deadline = time.monotonic() + 120
    while _job(db, job_id).batches_done < 4:
        assert first.poll() is None, log.read_text()
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.02)
    first.send_signal(signal.SIGKILL)
    first.wait()
    killed = _job(db, job_id)
    assert killed.state == ImportState.RUNNING and 4 <= killed.batches_done < 60
    assert killed.rows_done == killed.batches_done * 100
    # Exactly the committed batches are stored: nothing of the batch that was running when it died.
    with db.session(None, system=True) as s:
        sales = s.scalar(select(func.count()).select_from(Sale))
    bad_rows_done = sum(1 for i in range(killed.rows_done) if i % 97 == 50)
    assert sales == killed.rows_done - bad_rows_done == killed.created

    second = _worker(db, tmp_path, log)
    assert second.wait(timeout=300) == 0, log.read_text()
    done = _job(db, job_id)
    assert done.state == ImportState.DONE and done.rows_done == 6000 and done.batches_done == 60, log.read_text()
    resumed = _snapshot(db)
    status = intake_jobs.job_status(db, world.admin_sam, job_id)
    rejections = intake_jobs.job_rejections(db, world.admin_sam, job_id)

    _forget_imports(db, {world.vehicle_sam.id, world.vehicle_man.id}, {world.customer_sam.id, world.customer_man.id})
    straight = file_import.import_file(db, world.admin_sam, path, "sales", mapping, batch_size=100)
    assert _snapshot(db) == resumed
    assert (status.result.created, status.result.updated, status.result.unchanged) == (
        straight.created, straight.updated, straight.unchanged)
    assert [(r.row, r.column, r.code) for r in rejections] == [(r.row, r.column, r.code) for r in straight.rejected]
    assert status.rejected_rows == straight.rejected_rows == 6000 // 97 + 1


def test_a_job_is_run_by_one_worker_and_a_worker_that_lost_it_changes_nothing(committed_db, tmp_path, monkeypatch):
    db = committed_db
    world = build_world(db)
    monkeypatch.setenv("H23_DATA_DIR", str(tmp_path))
    path = _sales_file(tmp_path / "penjualan.csv", 300)
    job_id = intake_jobs.queue_import(db, world.admin_sam, "sales", path.read_bytes(), "penjualan.csv",
                                      intake.guess_mapping(HEADER.split(";")), batch_size=100)
    assert job_worker.claim_next(db, "host-a:1:1") == job_id
    assert job_worker.claim_next(db, "host-b:2:1") is None  # running, heartbeat fresh
    # Worker a stalls; b takes the job over once a's heartbeat is stale, and a's next batch is refused.
    with db.transaction(None, system=True) as s:
        s.execute(update(ImportJob).values(heartbeat_at=clock.now() - job_worker.STALE_AFTER - dt.timedelta(1)))
    assert job_worker.claim_next(db, "host-b:2:1") == job_id
    assert job_worker.run_job(db, job_id, "host-a:1:1") == ImportState.RUNNING
    with db.session(None, system=True) as s:
        assert s.scalar(select(func.count()).select_from(Sale)) == 0
    assert job_worker.run_job(db, job_id, "host-b:2:1") == ImportState.DONE
    status = intake_jobs.job_status(db, world.admin_sam, job_id)
    assert status.finished and status.fraction == 1.0 and status.result.created == 297
    assert job_worker.run_pending(db, "host-c:3:1") == []  # nothing left to do
    with db.session(None, system=True) as s:
        assert s.scalar(select(AuditLog.changes).where(AuditLog.action == "intake.import"))["created"] == 297


def test_only_its_owner_or_head_office_sees_a_job(committed_db, tmp_path, monkeypatch):
    db = committed_db
    world = build_world(db)
    monkeypatch.setenv("H23_DATA_DIR", str(tmp_path))
    job_id = intake_jobs.queue_import(db, world.admin_sam, "sales", b"No Mesin;Nama\n", "a.csv",
                                      {"No Mesin": "engine_no"})
    assert intake_jobs.job_status(db, world.ho, job_id).state == ImportState.QUEUED
    with pytest.raises(DomainError) as refused:
        intake_jobs.job_status(db, world.admin_man, job_id)
    assert refused.value.code == "error.not_found"


def test_stored_uploads_are_deleted_after_their_keeping_time_and_the_rejections_stay(
        committed_db, tmp_path, monkeypatch):
    """Rule (UU PDP): an uploaded file holds NIKs and phones, so its stored copy is deleted
    `intake.keep_upload_days` after the import finished; the job keeps its counts and rejections."""
    import io

    from openpyxl import load_workbook

    db = committed_db
    world = build_world(db)
    monkeypatch.setenv("H23_DATA_DIR", str(tmp_path))
    path = _sales_file(tmp_path / "penjualan.csv", 300)
    job_id = intake_jobs.queue_import(db, world.admin_sam, "sales", path.read_bytes(), "penjualan.csv",
                                      intake.guess_mapping(HEADER.split(";")), batch_size=100)
    job_worker.run_pending(db, "host-a:1:1")
    stored = intake_jobs.job_path(db, world.admin_sam, job_id)
    assert stored.exists()
    with clock.frozen(clock.now() + dt.timedelta(days=6)):
        assert job_worker.delete_old_uploads(db) == 0  # still within the 7 days
    with clock.frozen(clock.now() + dt.timedelta(days=8)):
        assert job_worker.run_pending(db, "host-a:1:1") == ["import-uploads-deleted:1"]
    assert not stored.exists()
    rejections = intake_jobs.job_rejections(db, world.admin_sam, job_id)
    assert len(rejections) == 3
    buffer = io.BytesIO()
    review.rejections_xlsx(rejections, buffer, source=stored)  # the page's download, file gone
    sheet = load_workbook(io.BytesIO(buffer.getvalue())).active
    assert sheet is not None and sheet.max_row == 1 + len(rejections)
