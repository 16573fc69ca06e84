"""Issue 4: the AHM DGI pull, against a local fake gateway over real HTTP (tests/fakes/dgi_server.py)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import threading
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from core.cli import main as cli_main
from core.intake import dgi, dgi_jobs
from core.intake.dgi import DgiClient, DgiDealer, DgiError
from core.platform import clock, worker
from db.enums import JobState, Stage
from db.models import Customer, JobRun, Lead, Sale, Vehicle, WorkOrder
from tests.conftest import build_world
from tests.fakes.base import FakeResponse
from tests.fakes.dgi_server import DgiFake
from tests.helpers import new_lead

KEY, SECRET = "dgi-key-test:ABC", "dgi-secret-test:XYZ"
WIB = ZoneInfo("Asia/Jakarta")
START, END = dt.datetime(2020, 7, 15, tzinfo=WIB), dt.datetime(2020, 7, 25, tzinfo=WIB)  # 10 days: 2 calls


def _pkb(no: str, engine: str, day: str, jobs: list[str], created: str, km: str = "8000",
         unit: tuple[str, str] = ("KT 2146 FK", "X1H02N35S2")) -> dict:
    return {"noWorkOrder": no, "noSAForm": "SA" + no[-5:], "tanggalServis": day, "noPolisi": unit[0],
            "noRangka": "", "noMesin": engine, "kodeTipeUnit": unit[1], "kmTerakhir": km,
            "dealerId": "00123", "createdTime": created, "modifiedTime": created,
            "services": [{"idJob": f"J{i}", "namaPekerjaan": j, "jenisPekerjaan": j, "biayaService": "0"}
                         for i, j in enumerate(jobs)], "parts": []}


def seed(fake: DgiFake) -> None:
    fake.records["pkb"] = [
        # 1: the KPB 3 of the world's Samarinda motorcycle (it has an open KPB 3 lead)
        _pkb("00123-PKB-2007-0001", "KF41E1693525", "20/07/2020", ["ASS3", "GANTI OLI"], "20/07/2020 10:00:00"),
        # 2: a job code AHM does not have
        _pkb("00123-PKB-2007-0002", "KF41E1693525", "21/07/2020", ["XX9"], "21/07/2020 10:00:00"),
        # 3: the first KPB of the motorcycle delivered below (second call: 22/07..25/07)
        _pkb("00123-PKB-2007-0003", "JM81E1056206", "23/07/2020", ["QS", "ASS1"], "23/07/2020 09:00:00", "900",
             ("KT 5511 AB", "D1B02N12L2")),
        # 4: another workshop's, whose AHM code is none of our branches'
        {**_pkb("00999-PKB-2007-0001", "KF41E1693525", "16/07/2020", ["QS"], "16/07/2020 10:00:00"),
         "dealerId": "00999"},
    ]
    fake.records["spk"] = [{  # written three weeks before its delivery: found by looking back
        "idSpk": "SPK/00123/2007/0001", "idProspect": "PSP/00123/2006/0001", "namaCustomer": "BUDI SANTOSO",
        "noKtp": "6472024501990001", "noKontak": "081234567890", "alamat": "JL. PAHLAWAN 1", "dealerId": "00123",
        "tanggalPesanan": "01/07/2020", "statusSPK": "sale_order", "createdTime": "01/07/2020 08:00:00",
        "unit": [{"kodeTipeUnit": "D1B02N12L2", "kodeWarna": "BK", "quantity": 1}]}]
    fake.records["bast"] = [{
        "deliveryDocumentId": "DO/00123/2007/0001", "tanggalPengiriman": "17/07/2020", "dealerId": "00123",
        "createdTime": "17/07/2020 15:00:00",
        "detail": [{"noSO": "SO/1", "idSPK": "SPK/00123/2007/0001", "noMesin": "JM81E1056206",
                    "noRangka": "MH1JM8110LK123456"},
                   {"noSO": "SO/2", "idSPK": "SPK/00123/2007/9999", "noMesin": "JM81E1056299"}]}]


@pytest.fixture
def fake():
    with DgiFake(KEY, SECRET) as server:
        seed(server)
        yield server


def dealer(fake: DgiFake, **kw) -> DgiDealer:
    base = DgiDealer(name="AHASS 00123", base_url=fake.base_url, api_key=KEY, secret=SECRET, dealer_id="00123",
                     timeout=2.0, retries=2, backoff=0.01)
    return dataclasses.replace(base, **kw)


def _snapshot(db) -> list:
    with db.session(None, system=True) as s:
        return [s.execute(select(m.__table__).order_by(m.__table__.c.id)).all()
                for m in (Customer, Vehicle, Sale, WorkOrder)]


def _count(db, model) -> int:
    with db.session(None, system=True) as s:
        return int(s.scalar(select(func.count()).select_from(model)))


def test_token_is_the_sha256_of_key_secret_and_request_time():
    # printf '%s' 'dgi-key-live:ABC123dgi-secret-live:XYZ7891600000000' | sha256sum
    assert dgi.token("dgi-key-live:ABC123", "dgi-secret-live:XYZ789", 1600000000) == \
        "b94600a5090af78281148af648e7906e68c92883d1ed56f3f63d0ca3c2fed0c7"
    headers = DgiClient(DgiDealer("x", "http://127.0.0.1:9", "dgi-key-live:ABC123", "dgi-secret-live:XYZ789",
                                  "00123")).headers(1600000000)
    assert headers["X-Request-Time"] == "1600000000" and headers["DGI-API-Key"] == "dgi-key-live:ABC123"
    assert "XYZ789" not in repr(DgiDealer("x", "u", "k", "XYZ789", "d"))


def test_a_pull_imports_sales_and_work_orders_and_the_work_order_closes_its_lead_as_won(world, fake):
    lead = new_lead(world, kpb=3)
    result = dgi_jobs.pull(world.db, dealer(fake), START, END)

    # Windows of at most 7 days, asked in the gateway's wall-clock time and format.
    assert [(b["fromTime"], b["toTime"]) for b in fake.reads("pkb")] == [
        ("2020-07-15 00:00:00", "2020-07-22 00:00:00"), ("2020-07-22 00:00:00", "2020-07-25 00:00:00")]
    assert all(b["dealerId"] == "00123" for b in fake.reads("bast"))
    assert (result.sales.created, result.work_orders.created) == (1, 2)
    # Bad records are named by endpoint, window and position in that answer, with the DGI field.
    assert [(r.endpoint, r.window, r.row, r.column, r.code) for r in result.rejected] == [
        ("bast", "15/07/2020 00:00-22/07/2020 00:00", 1, "idSPK", "dgi.spk_missing"),
        ("pkb", "15/07/2020 00:00-22/07/2020 00:00", 2, "jenisPekerjaan", "job_type.unknown")]
    with world.db.session(None, system=True) as s:
        won = s.get(Lead, lead.id)
        wo = s.scalars(select(WorkOrder).where(WorkOrder.number == "00123-PKB-2007-0001")).one()
        assert won.stage == Stage.WON and won.won_work_order_id == wo.id
        assert (wo.job_type, wo.kpb_number, wo.km, wo.branch_id) == ("ASS3", 3, 8000, world.sam.id)
        sold = s.scalars(select(Vehicle).where(Vehicle.engine_no == "JM81E1056206")).one()
        budi = s.get(Customer, sold.customer_id)
        assert (budi.name, budi.nik, budi.phone) == ("BUDI SANTOSO", "6472024501990001", "+6281234567890")
        assert (sold.purchase_date, sold.unit_type_code, sold.branch_id) == (dt.date(2020, 7, 17), "D1B02N12L2",
                                                                              world.sam.id)
        kpb1 = s.scalars(select(WorkOrder).where(WorkOrder.number == "00123-PKB-2007-0003")).one()
        assert (kpb1.vehicle_id, kpb1.job_type, kpb1.customer_id) == (sold.id, "ASS1", budi.id)
        assert s.scalars(select(Sale.number).where(Sale.vehicle_id == sold.id)).one() == "SPK/00123/2007/0001"


def test_a_workshop_code_that_is_none_of_our_branches_is_rejected_by_name(world, fake):
    result = dgi_jobs.pull(world.db, dealer(fake, dealer_id="00999"), START, END)
    assert [(r.endpoint, r.row, r.column, r.value, r.code) for r in result.rejected] == [
        ("pkb", 1, "dealerId", "00999", "intake.branch_unknown")]
    mapped = dgi_jobs.pull(world.db, dealer(fake, dealer_id="00999", branches={"00999": "MAN01"}), START, END)
    assert (mapped.rejected, mapped.work_orders.created) == ([], 1)


def test_pulling_the_same_window_again_changes_nothing(world, fake):
    dgi_jobs.pull(world.db, dealer(fake), START, END)
    before = _snapshot(world.db)
    again = dgi_jobs.pull(world.db, dealer(fake), START, END)
    assert (again.sales.created, again.sales.updated, again.sales.unchanged) == (0, 0, 1)
    assert (again.work_orders.created, again.work_orders.updated, again.work_orders.unchanged) == (0, 0, 2)
    assert _snapshot(world.db) == before


def test_a_bad_secret_is_a_clear_error_naming_the_dealer_and_imports_nothing(world, fake):
    before = _snapshot(world.db)
    with pytest.raises(DgiError) as err:
        dgi_jobs.pull(world.db, dealer(fake, secret="wrong"), START, END)
    assert err.value.code == "dgi.auth_failed"
    assert "AHASS 00123" in err.value.message("en") and "401" in err.value.message("en")
    assert "wrong" not in err.value.message("en")
    assert len(fake.requests) == 1  # a 4xx is not retried
    assert _snapshot(world.db) == before


def test_a_server_error_or_a_timeout_is_retried_with_a_fresh_token(world, fake):
    fake.fail_next(2, status=503)
    result = dgi_jobs.pull(world.db, dealer(fake), START, END)
    assert result.work_orders.created == 2
    assert len(fake.reads("pkb")) == 4  # two failures, then the two windows
    fake.hang_next(1.0)
    again = dgi_jobs.pull(world.db, dealer(fake, timeout=0.3), START, END)
    assert again.work_orders.unchanged == 2


def test_a_gateway_that_keeps_failing_or_answers_no_json_is_a_clear_error(world, fake):
    fake.fail_next(3)
    with pytest.raises(DgiError) as err:
        dgi_jobs.pull(world.db, dealer(fake), START, END)
    assert err.value.code == "dgi.unavailable" and "3" in err.value.message("en")
    fake.garble_next()
    with pytest.raises(DgiError) as err:
        dgi_jobs.pull(world.db, dealer(fake), START, END)
    assert err.value.code == "dgi.bad_json" and "pkb" in err.value.message("en")
    assert _count(world.db, WorkOrder) == 0


def test_an_empty_window_is_no_error_even_when_the_gateway_answers_status_0(world, fake):
    fake.empty_as_status0 = True
    result = dgi_jobs.pull(world.db, dealer(fake), dt.datetime(2020, 8, 1, tzinfo=WIB),
                           dt.datetime(2020, 8, 2, tzinfo=WIB))
    assert (result.sales.created, result.work_orders.created, result.rejected) == (0, 0, [])
    # A refusal with status 0 is still an error.
    fake.routes[("POST", fake.prefix + "/pkb/read")] = lambda req: FakeResponse(
        200, {"status": 0, "message": "Token Tidak Valid", "data": None})
    with pytest.raises(DgiError) as err:
        dgi_jobs.pull(world.db, dealer(fake), START, END)
    assert err.value.code == "dgi.refused" and "Token Tidak Valid" in err.value.message("en")


def test_config_comes_from_the_environment_and_the_secret_may_live_in_its_own_variable(fake):
    assert dgi.load_dealers({}) == []
    env = {"H23_DGI_DEALERS": json.dumps([{"name": "A", "base_url": fake.base_url + "/", "api_key": KEY,
                                           "secret_env": "A_SECRET", "dealer_id": "00123",
                                           "branches": {"00999": "SAM01"}}]), "A_SECRET": SECRET}
    (only,) = dgi.load_dealers(env)
    assert (only.secret, only.base_url, only.branches) == (SECRET, fake.base_url, {"00999": "SAM01"})
    with pytest.raises(DgiError) as err:
        dgi.load_dealers({"H23_DGI_DEALERS": json.dumps([{"name": "A", "base_url": "u", "api_key": "k",
                                                          "dealer_id": "d"}])})
    assert "secret" in err.value.message("en")


def _configure(monkeypatch, fake: DgiFake) -> None:
    monkeypatch.setenv("H23_DGI_DEALERS", json.dumps([{
        "name": "00123", "base_url": fake.base_url, "api_key": KEY, "secret": SECRET, "dealer_id": "00123",
        "retries": 1, "backoff": 0.01}]))


def test_the_worker_pulls_each_window_once_even_with_two_workers(committed_db, fake, monkeypatch):
    assert dgi_jobs.run_pending in worker.JOBS
    build_world(committed_db)
    assert dgi_jobs.run_pending(committed_db, "w0") == []  # off without configuration
    _configure(monkeypatch, fake)
    ran: list[list[str]] = []
    now = dt.datetime(2020, 7, 24, 17, 30, tzinfo=dt.UTC)  # 25/07 00:30 WIB
    with clock.frozen(now):
        threads = [threading.Thread(target=lambda n=n: ran.append(dgi_jobs.run_pending(committed_db, f"w{n}")))
                   for n in range(2)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert dgi_jobs.run_pending(committed_db, "w3") == []  # nothing new within the hour
    # The first pull reaches dgi.first_pull_days (7) back from the hour: one call per endpoint.
    assert sorted(ran) == [[], ["dgi:00123:20200717T1700-20200724T1700"]]
    assert [(b["fromTime"], b["toTime"]) for b in fake.reads("pkb")] == [("2020-07-18 00:00:00",
                                                                          "2020-07-25 00:00:00")]
    with committed_db.session(None, system=True) as s:
        run = s.scalars(select(JobRun).where(JobRun.job == "dgi:00123")).one()
        assert run.state == JobState.DONE and run.result["work_orders"]["created"] == 2
        assert run.result["rejections"] == 1
    # An hour later the next window starts an hour (the overlap) before the last one ended.
    with clock.frozen(now + dt.timedelta(hours=1)):
        assert dgi_jobs.run_pending(committed_db, "w1") == ["dgi:00123:20200724T1600-20200724T1800"]
    assert _count(committed_db, WorkOrder) == 2


def test_a_failed_pull_is_recorded_and_imports_nothing(committed_db, fake, monkeypatch):
    build_world(committed_db)
    _configure(monkeypatch, fake)
    fake.fail_next(10)
    with clock.frozen(dt.datetime(2020, 7, 24, 17, 30, tzinfo=dt.UTC)):
        assert dgi_jobs.run_pending(committed_db, "w1") == []
    with committed_db.session(None, system=True) as s:
        run = s.scalars(select(JobRun).where(JobRun.job == "dgi:00123")).one()
        assert run.state == JobState.FAILED and "00123" in (run.error or "")
    assert _count(committed_db, WorkOrder) == 0


def test_the_command_line_pulls_a_window(committed_db, fake, monkeypatch, capsys):
    build_world(committed_db)
    _configure(monkeypatch, fake)
    monkeypatch.setenv("DATABASE_URL", committed_db.engine.url.render_as_string(hide_password=False))
    assert cli_main(["dgi-pull", "--from", "2020-07-15", "--to", "2020-07-24"]) == 1  # 1: some rejected
    out = capsys.readouterr().out
    assert "work orders {'created': 2" in out and "jenisPekerjaan" in out
    assert _count(committed_db, WorkOrder) == 2


def test_the_pull_status_lists_each_dealers_last_pulls_and_when_the_next_one_is_due(committed_db, fake,
                                                                                    monkeypatch):
    from core.intake.dgi_status import PullCounts, pull_status

    world = build_world(committed_db)
    _configure(monkeypatch, fake)
    now = dt.datetime(2020, 7, 24, 17, 30, tzinfo=dt.UTC)
    with clock.frozen(now):
        assert dgi_jobs.run_pending(committed_db, "w1") == ["dgi:00123:20200717T1700-20200724T1700"]
    fake.fail_next(10)
    with clock.frozen(now + dt.timedelta(hours=1)):
        assert dgi_jobs.run_pending(committed_db, "w1") == []  # recorded as failed
    dealers = [dealer(fake, name="00123"), dealer(fake, name="MANADO", dealer_id="00456")]
    later = now + dt.timedelta(hours=1, minutes=5)
    with clock.frozen(later), committed_db.session(None, system=True) as s:
        sam, man = pull_status(s, world.ho, dealers)
        only_sam = pull_status(s, world.admin_sam, dealers)
        only_man = pull_status(s, world.admin_man, dealers)
        done = s.scalars(select(JobRun).where(JobRun.state == JobState.DONE)).one().result
    assert (sam.dealer, sam.branch_codes, man.dealer, man.branch_codes) == ("00123", ("SAM01",), "MANADO", ("MAN01",))
    assert [d.dealer for d in only_sam] == ["00123"] and [d.dealer for d in only_man] == ["MANADO"]
    failed, first = sam.runs  # newest window first
    assert (failed.state, failed.start, failed.end) == (JobState.FAILED, dt.datetime(2020, 7, 24, 16, tzinfo=dt.UTC),
                                                        dt.datetime(2020, 7, 24, 18, tzinfo=dt.UTC))
    assert "00123" in (failed.error or "") and failed.work_orders is None and failed.rejections is None
    assert (first.state, first.start, first.error) == (JobState.DONE, dt.datetime(2020, 7, 17, 17, tzinfo=dt.UTC),
                                                       None)
    assert first.work_orders == PullCounts(2, 0, 0, done["work_orders"]["rejected"])
    assert first.work_orders.rejected == 1 and first.rejections == done["rejections"] == 1
    assert first.finished_at is not None and first.started_at == now
    # The failed window did not move the last success: the pull is due again (at the worker's next tick).
    assert sam.last_success_end == dt.datetime(2020, 7, 24, 17, tzinfo=dt.UTC)
    assert sam.next_due == dt.datetime(2020, 7, 24, 18, tzinfo=dt.UTC) < later
    assert (man.runs, man.last_success_end, man.next_due) == ([], None, later)  # never pulled: due now


def test_the_pull_status_keeps_the_newest_pulls_and_the_next_due_follows_the_interval(committed_db, fake,
                                                                                      monkeypatch):
    from core.intake.dgi_status import PullCounts, pull_status

    world = build_world(committed_db)
    _configure(monkeypatch, fake)
    start = dt.datetime(2020, 7, 24, 17, 30, tzinfo=dt.UTC)
    for hour in range(4):
        with clock.frozen(start + dt.timedelta(hours=hour)):
            assert len(dgi_jobs.run_pending(committed_db, "w1")) == 1
    with clock.frozen(start + dt.timedelta(hours=3, minutes=10)), committed_db.session(None, system=True) as s:
        (status,) = pull_status(s, world.admin_sam, [dealer(fake, name="00123")], last=2)
    assert [r.end.hour for r in status.runs] == [20, 19] and all(r.state == JobState.DONE for r in status.runs)
    assert [r.work_orders for r in status.runs] == [PullCounts(0, 0, 0, 0)] * 2  # nothing in those hours
    assert status.next_due == dt.datetime(2020, 7, 24, 21, tzinfo=dt.UTC)  # the next hourly boundary


def test_a_dgi_record_with_a_nul_is_rejected_naming_record_and_field_and_the_rest_is_imported(world, fake):
    fake.records["spk"][0]["namaCustomer"] = "BUDI\x00SANTOSO"
    fake.records["pkb"][0]["noPolisi"] = "KT 2146\ud800 FK"  # a lone surrogate: JSON can carry it, UTF-8 cannot
    result = dgi_jobs.pull(world.db, dealer(fake), START, END)
    control = [(r.endpoint, r.row, r.column, r.value) for r in result.rejected if r.code == "text.control_char"]
    assert control == [("bast", 1, "namaCustomer", "BUDI\\x00SANTOSO"), ("pkb", 1, "noPolisi", "KT 2146\\ud800 FK")]
    assert (result.sales.created, result.work_orders.created) == (0, 1)
    with world.db.session(None, system=True) as s:
        assert not s.scalars(select(Customer).where(Customer.name.like("BUDI%"))).all()


def test_a_dgi_answer_nested_thousands_deep_or_a_message_with_a_nul_is_a_clear_error():
    import requests

    resp = requests.Response()
    resp.status_code, resp._content = 200, b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(DgiError) as err:
        DgiClient(DgiDealer("x", "http://127.0.0.1:9", "k", "s", "d"))._json(resp, {"dealer": "x", "endpoint": "pkb"})
    assert err.value.code == "dgi.bad_json"
    assert dgi._message({"message": "ditolak\x00"}) == "ditolak\\x00"


def test_a_pull_opens_the_leads_of_the_motorcycles_it_delivered_at_once(world, fake):
    """Issue 19.7: the motorcycle delivered on 17/07/2020 had its KPB 1 on 23/07; pulled on 25/10/2020 its
    KPB 2 (due 14/11/2020, 120 days) is a lead the same minute, not after the next daily run."""
    with clock.frozen(dt.datetime(2020, 10, 25, 3, 0, tzinfo=dt.UTC)):
        dgi_jobs.pull(world.db, dealer(fake), START, END)
    with world.db.session(None, system=True) as s:
        opened = s.execute(select(Lead.kpb_number, Lead.deadline, Lead.contact_name)
                           .where(Lead.engine_no == "JM81E1056206")).all()
    assert opened == [(2, dt.date(2020, 11, 14), "BUDI SANTOSO")]
