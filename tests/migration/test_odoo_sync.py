"""Issue 15: the dealer's Odoo 8 brought over through its real XML-RPC API (a fake Odoo 8 over HTTP)."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys

import pytest
from sqlalchemy import func, select, update

from core.leads import leadgen
from core.masterdata import reference
from core.migration.client import OdooClient, OdooError
from core.migration.jobs import recent_runs
from core.migration.sync import run_sync
from db.models import Booking, Customer, KpbRule, Lead, Vehicle, WorkOrder
from tests.conftest import ROOT
from tests.fakes.odoo_seed import NASTY, dealer
from tests.fakes.odoo_server import FakeOdoo

TABLES = {"res.partner": Customer, "stock.production.lot": Vehicle, "dym.work.order": WorkOrder,
          "crm.lead": Lead, "dym.customer.booking": Booking}


@pytest.fixture
def fake():
    with FakeOdoo(dealer()) as server:
        yield server


def _client(fake: FakeOdoo) -> OdooClient:
    return OdooClient(fake.url, "dym", "admin", "admin-pass")


def _odoo_ids(db, model) -> list[int]:
    with db.session(None, system=True) as s:
        return list(s.scalars(select(model.odoo_id).where(model.odoo_id.is_not(None))))


def test_dry_run_then_real_run_bring_every_record_over_or_reject_it_with_its_reason(db, fake):
    dry = run_sync(db, _client(fake), dry_run=True, page_size=300)
    assert _odoo_ids(db, Customer) == []  # a dry run writes nothing
    real = run_sync(db, _client(fake), page_size=300)
    for report in (dry, real):
        rejected = {(r["model"], r["odoo_id"]): r["reason"] for r in report.rejections}
        for key, words in NASTY.items():
            assert words in rejected[key], (key, rejected.get(key))
        for model in TABLES:
            seeded = set(fake.stores[model].records)
            counts = report.counts[model]
            assert counts.read == len(seeded)
            assert counts.created + counts.rejected == len(seeded)
    assert dry.counts_json() == real.counts_json()
    for model, table in TABLES.items():
        seeded = set(fake.stores[model].records)
        rejected = {r["odoo_id"] for r in real.rejections if r["model"] == model}
        stored = _odoo_ids(db, table)
        assert len(stored) == len(set(stored))  # nothing twice
        assert set(stored) == seeded - rejected
    with db.session(None, system=True) as s:
        no_nik = s.execute(select(func.count()).where(Customer.nik.is_(None), Customer.odoo_id.is_not(None))).scalar()
        assert no_nik >= 70  # partners without NIK came over
        lead = s.scalars(select(Lead).where(Lead.odoo_id == 2)).one()
        assert lead.number.startswith("LDS/") and lead.deadline == dt.date(2020, 7, 31)  # month-first text date
        assert lead.due_key == "KPB3" and lead.vehicle is not None
        booking = s.scalars(select(Booking).where(Booking.odoo_id == 1)).one()
        assert booking.number.startswith("BOS-B/")


def test_datetimes_near_midnight_utc_land_on_the_branch_day(db, fake):
    run_sync(db, _client(fake), models=["dym.branch", "product.product", "res.partner",
                                        "stock.production.lot", "dym.work.order"])
    with db.session(None, system=True) as s:
        days = dict(s.execute(select(WorkOrder.odoo_id, WorkOrder.service_date)
                              .where(WorkOrder.odoo_id.in_([1, 2, 3]))).tuples().all())
    assert days == {1: dt.date(2023, 3, 2), 2: dt.date(2023, 3, 1), 3: dt.date(2023, 3, 2)}


def test_second_run_changes_nothing_and_a_full_rerun_finds_everything_unchanged(db, fake):
    run_sync(db, _client(fake), page_size=500)
    again = run_sync(db, _client(fake), page_size=500)
    assert all(c.read == 0 for c in again.counts.values())
    full = run_sync(db, _client(fake), page_size=500, full=True)
    assert all(c.created == 0 and c.updated == 0 for c in full.counts.values())


def test_an_odoo_change_comes_over_incrementally(db, fake):
    run_sync(db, _client(fake), page_size=500)
    fake.stores["res.partner"].write(20, {"street": "JL. BARU 1"}, "2024-02-01 08:00:00")
    report = run_sync(db, _client(fake))
    assert report.counts["res.partner"].read == 1 and report.counts["res.partner"].updated == 1
    with db.session(None, system=True) as s:
        assert s.scalars(select(Customer.address).where(Customer.odoo_id == 20)).one() == "JL. BARU 1"


def test_own_edits_after_the_switch_are_never_overwritten_by_a_late_sync(db, fake):
    run_sync(db, _client(fake), page_size=500)
    with db.transaction(None, system=True) as s:
        later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)
        s.execute(update(Customer).where(Customer.odoo_id == 21).values(address="EDITED IN H23", updated_at=later))
    fake.stores["res.partner"].write(21, {"street": "ODOO LATE CHANGE"}, "2024-02-02 08:00:00")
    fake.stores["res.partner"].write(22, {"street": "ODOO CHANGE"}, "2024-02-02 08:00:00")
    report = run_sync(db, _client(fake))
    assert report.counts["res.partner"].kept == 1 and report.counts["res.partner"].updated == 1
    with db.session(None, system=True) as s:
        got = dict(s.execute(select(Customer.odoo_id, Customer.address)
                             .where(Customer.odoo_id.in_([21, 22]))).tuples().all())
    assert got == {21: "EDITED IN H23", 22: "ODOO CHANGE"}


def test_lead_engine_makes_no_second_lead_for_a_due_service_odoo_already_had(db, fake):
    run_sync(db, _client(fake), page_size=500)
    with db.transaction(None, system=True) as s:
        reference.install(s)
        days = s.scalars(select(KpbRule.days).where(KpbRule.engine_code == "*", KpbRule.kpb_number == 3)).one()
        # Unit 2 had its KPB 3 lead in Odoo; unit 732, bought the same day, had none (the control).
        ids = dict(s.execute(select(Vehicle.odoo_id, Vehicle.id).where(Vehicle.odoo_id.in_([2, 732]))).tuples().all())
        purchase = s.get(Vehicle, ids[2]).purchase_date
        assert purchase == s.get(Vehicle, ids[732]).purchase_date
        leadgen.run(s, on=purchase + dt.timedelta(days=days - 7))

    def kpb3(odoo_vehicle: int) -> int:
        with db.session(None, system=True) as s:
            return s.execute(select(func.count()).select_from(Lead).where(
                Lead.vehicle_id == ids[odoo_vehicle], Lead.due_key == "KPB3")).scalar_one()

    assert kpb3(732) == 1  # the engine did run for that day
    assert kpb3(2) == 1  # and made no second lead beside Odoo's


def test_faults_wrong_password_access_error_and_missing_model(db):
    stores = dealer(partners=30, work_orders=30, leads=10, bookings=5)
    del stores["dym.customer.booking"]
    with FakeOdoo(stores, denied={"dealer.sale.order"}) as server:
        with pytest.raises(OdooError, match="refused the login"):
            OdooClient(server.url, "dym", "admin", "wrong")
        report = run_sync(db, OdooClient(server.url, "dym", "admin", "admin-pass"))
    assert "not on this Odoo server" in report.errors["dym.customer.booking"]
    assert "may not read dealer.sale.order" in report.errors["dealer.sale.order"]
    assert report.counts["crm.lead"].created > 0  # the rest came over


@pytest.mark.skipif(os.name != "posix", reason="kills a subprocess")
def test_a_run_killed_midway_is_finished_by_the_next_with_nothing_duplicated(committed_db, engine, fake):
    fake.pause_after = 11  # 3 master pages, 5 of partners (the last empty), units: 2 pages in, the 3rd held
    env = {**os.environ, "H23_ODOO_PASSWORD": "admin-pass", "DATABASE_URL": engine.url.render_as_string(False),
           "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "core.cli", "odoo-sync", "--url", fake.url, "--db", "dym",
                             "--user", "admin", "--page-size", "200"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert fake.paused.wait(120)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        fake.pause_after = None
        fake.release.set()
    half = len(_odoo_ids(committed_db, Vehicle))
    assert 0 < half < 800 and len(_odoo_ids(committed_db, WorkOrder)) == 0
    report = run_sync(committed_db, _client(fake), page_size=200)
    assert report.counts["res.partner"].read == 0  # finished pages are not read again
    for model, table in TABLES.items():
        stored = _odoo_ids(committed_db, table)
        rejected = {r["odoo_id"] for r in report.rejections if r["model"] == model}
        assert len(stored) == len(set(stored))
        if model != "res.partner":
            assert set(stored) == set(fake.stores[model].records) - rejected


def test_the_command_line_dry_run_reports_and_takes_the_password_from_the_environment(committed_db, engine, fake):
    env = {**os.environ, "DATABASE_URL": engine.url.render_as_string(False), "PYTHONPATH": str(ROOT)}
    env.pop("H23_ODOO_PASSWORD", None)
    argv = [sys.executable, "-m", "core.cli", "odoo-sync", "--url", fake.url, "--db", "dym", "--user", "admin",
            "--dry-run"]
    refused = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                             timeout=120)
    assert refused.returncode != 0 and "H23_ODOO_PASSWORD" in refused.stderr  # no terminal to prompt on
    done = subprocess.run(argv, cwd=ROOT, env={**env, "H23_ODOO_PASSWORD": "admin-pass"}, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 1, done.stderr  # 1: some records were rejected
    assert "DRY RUN" in done.stdout and "rejected res.partner id 5: no_ktp" in done.stdout
    assert _odoo_ids(committed_db, Customer) == []
    runs = recent_runs(committed_db)
    assert runs[0]["state"] == "done" and runs[0]["dry_run"] and runs[0]["rejected_total"] == 8
