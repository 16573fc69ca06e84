"""Issue 19.7: imported sales show up as leads at once. After an import job (the worker's path) or a
DGI pull, the lead engine runs for the vehicles it wrote, and only for them; the admin who imported
sees the new KPB leads and their touches without waiting for tomorrow's daily run."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from core.intake import importer as intake, job_worker, jobs as intake_jobs
from core.leads import LeadFilter, queries
from core.platform import clock
from db.enums import TouchKind
from db.models import ImportState, Lead, Touch, Vehicle

# An hour from now, so the test world's own motorcycles (written at the real now) count as written before.
NOW = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=2)
HEADER = "No Mesin;Nama;No KTP;No HP;Alamat;Tanggal Beli;Kode Cabang"


def _sales(bought: dt.date) -> bytes:
    lines = [HEADER] + [f"JM81E{4100000 + i:07d};PEMBELI BARU {i};64720205059{i:01d}0{i + 1:03d};0812400{i:05d};"
                        f"JL. MAWAR {i};{bought:%d/%m/%Y};SAM01" for i in range(3)]
    return ("\n".join(lines) + "\n").encode()


def test_an_import_job_opens_the_leads_of_the_vehicles_it_wrote_and_no_others(world, tmp_path, monkeypatch):
    monkeypatch.setenv("H23_DATA_DIR", str(tmp_path))
    bought = (NOW - dt.timedelta(days=50)).date()  # KPB 1 (60 days) is due in 10 days: inside the open window
    with clock.frozen(NOW - dt.timedelta(hours=3)), world.db.transaction(None, system=True) as s:
        # A motorcycle already in the CDDB, just as due, that the import does not touch: the daily run's.
        s.add(Vehicle(branch_id=world.sam.id, customer_id=world.customer_sam.id, engine_no="JM81E4199999",
                      engine_code="JM81", plate="KT 9999 ZZ", purchase_date=bought))
    with clock.frozen(NOW):
        job_id = intake_jobs.queue_import(world.db, world.admin_sam, "sales", _sales(bought), "penjualan.csv",
                                          intake.guess_mapping(HEADER.split(";")))
        assert job_worker.run_pending(world.db, "host-a:1:1") == [f"import:{job_id}:{ImportState.DONE.value}"]
    with world.db.session(None, system=True) as s:
        leads = s.execute(select(Lead.engine_no, Lead.kpb_number, Lead.deadline).order_by(Lead.engine_no)).all()
        touches = s.scalar(select(func.count()).select_from(Touch).join(Lead, Lead.id == Touch.lead_id)
                           .where(Touch.kind == TouchKind.MESSAGE_H7))
    due = bought + dt.timedelta(days=60)
    assert leads == [(f"JM81E{4100000 + i:07d}", 1, due) for i in range(3)]  # not JM81E4199999
    assert touches == 3
    with clock.frozen(NOW), world.db.session(world.admin_sam.scope) as s:  # what the importing admin's list shows
        assert queries.list_leads(s, world.admin_sam, LeadFilter()).total == 3


def test_an_import_of_nothing_new_opens_nothing(world, tmp_path, monkeypatch):
    monkeypatch.setenv("H23_DATA_DIR", str(tmp_path))
    bought = (NOW - dt.timedelta(days=1000)).date()  # every KPB and the first regular service long past
    with clock.frozen(NOW):
        intake_jobs.queue_import(world.db, world.admin_sam, "sales", _sales(bought), "penjualan.csv",
                                 intake.guess_mapping(HEADER.split(";")))
        job_worker.run_pending(world.db, "host-a:1:1")
    with world.db.session(None, system=True) as s:
        assert s.scalar(select(func.count()).select_from(Lead)) == 0
