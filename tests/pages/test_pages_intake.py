"""Import Data page through AppTest: it renders for a branch admin and head office, shows the guessed mapping
and the preview of an uploaded file, and the Import button stores the rows and lists the rejections."""

from __future__ import annotations

import io

from sqlalchemy import select

from core.intake import importer as intake
from db.models import Vehicle

CSV = ("No Mesin;Nama;No HP;Tanggal Beli;Kode Cabang\n"
       "JM81E1056301;BUDI;081234567801;07/11/2020;SAM01\n"
       "JM81E1056302;ANI;0541 123456;07/11/2020;SAM01\n")


def _file():
    return ("penjualan.csv", intake.read_table(io.BytesIO(CSV.encode()), "penjualan.csv"))


def test_renders_for_an_admin_and_head_office(world, run_page):
    for viewer in (world.admin_sam, world.ho):
        at = run_page("pages/intake.py", viewer)
        assert not at.exception
        assert at.title[0].value == "Import Data"
        assert at.info  # asks for a file


def test_a_service_advisor_may_not_open_it(world, run_page):
    at = run_page("pages/intake.py", world.sa_sam)
    assert not at.exception and at.error


def test_mapping_preview_and_import(world, run_page):
    at = run_page("pages/intake.py", world.admin_sam, intake_file=_file())
    assert not at.exception
    assert at.selectbox(key="intake_map_sales_engine_no").value == "No Mesin"
    assert at.selectbox(key="intake_map_sales_frame_no").value == "(tidak ada)"
    preview = at.dataframe[0].value
    assert preview["No HP"][0] == "+6281234567801" and preview["No HP"].isna()[1]
    assert "bukan nomor HP" in preview["Kesalahan"][1]
    at.button(key="intake_go").click().run()
    assert not at.exception
    assert [m.value for m in at.metric] == ["1", "0", "0", "1"]
    assert list(at.dataframe[1].value["Baris"]) == [3]
    with world.db.session(None, system=True) as s:
        assert s.scalar(select(Vehicle.id).where(Vehicle.engine_no == "JM81E1056301")) is not None


def test_a_large_file_is_queued_for_the_worker_and_the_page_shows_its_result(world, run_page, tmp_path,
                                                                            monkeypatch):
    from core.intake import job_worker, jobs as intake_jobs
    from core.intake.read import iter_table

    monkeypatch.setenv("H23_DATA_DIR", str(tmp_path))
    stored = intake_jobs.store_upload(CSV.encode(), "besar.csv")
    at = run_page("pages/intake.py", world.admin_sam, intake_file=("besar.csv", next(iter_table(stored))),
                  intake_stored=str(stored))
    assert not at.exception and "latar belakang" in at.caption[0].value
    at.button(key="intake_go").click().run()
    assert not at.exception
    assert "Menunggu worker" in at.get("progress")[0].proto.text
    with world.db.session(None, system=True) as s:  # nothing imported while the page waits
        assert s.scalar(select(Vehicle.id).where(Vehicle.engine_no == "JM81E1056301")) is None
    assert job_worker.run_pending(world.db, "test-worker") == [f"import:{at.session_state['intake_job']}:done"]
    at.run()
    assert not at.exception
    assert [m.value for m in at.metric] == ["1", "0", "0", "1"]
    assert list(at.dataframe[1].value["Baris"]) == [3]


def test_the_dgi_pull_status_for_head_office_and_a_branch_user(world, run_page, monkeypatch):
    import datetime as dt
    import json

    from core.intake import dgi_jobs
    from core.platform import clock
    from tests.fakes.dgi_server import DgiFake
    from tests.intake.test_dgi import KEY, SECRET, seed

    def configure(*dealers: tuple[str, str]) -> None:
        monkeypatch.setenv("H23_DGI_DEALERS", json.dumps([
            {"name": name, "base_url": fake.base_url, "api_key": KEY, "secret": SECRET, "dealer_id": code,
             "timezone": "Asia/Makassar", "retries": 1, "backoff": 0.01} for name, code in dealers]))

    now = dt.datetime(2020, 7, 24, 17, 30, tzinfo=dt.UTC)
    with DgiFake(KEY, SECRET) as fake, clock.frozen(now):
        seed(fake)
        configure(("AHASS SAM", "00123"))
        assert dgi_jobs.run_pending(world.db, "w1") == ["dgi:AHASS SAM:20200717T1700-20200724T1700"]
        configure(("AHASS SAM", "00123"), ("AHASS MAN", "00456"))  # Manado's not pulled yet
        head_office = run_page("pages/intake.py", world.ho)
        branch_user = run_page("pages/intake.py", world.admin_sam)
    for at in (head_office, branch_user):
        assert not at.exception and at.expander[0].label == "Tarikan DGI (AHM)"
    shown = [m.value for m in head_office.expander[0].markdown]
    assert shown == ["**AHASS SAM** (SAM01): tarikan berikutnya 25/07/2020 02:00",  # 18:00 UTC in WITA
                     "**AHASS MAN** (MAN01): tarikan berikutnya sekarang"]
    assert head_office.expander[0].caption[0].value == "Belum pernah ditarik."
    assert [m.value for m in branch_user.expander[0].markdown] == shown[:1]  # only their branch's dealer
    (pulled,) = branch_user.expander[0].dataframe[0].value.to_dict("records")
    assert pulled["Jendela"] == "18/07/2020 01:00 - 25/07/2020 01:00"  # 17/07 17:00 - 24/07 17:00 UTC
    assert pulled["Status"] == "selesai"
    assert pulled["Work order (baru / diperbarui / tetap / ditolak)"] == "2 / 0 / 0 / 1"
    assert pulled["Record ditolak"] == "1" and pulled["Galat"] == "" and pulled["Dijalankan"] == "25/07/2020 01:30"


def test_without_dgi_configured_the_page_shows_no_pull_status(world, run_page, monkeypatch):
    monkeypatch.delenv("H23_DGI_DEALERS", raising=False)
    monkeypatch.delenv("H23_DGI_CONFIG", raising=False)
    at = run_page("pages/intake.py", world.ho)
    assert not at.exception and not at.expander


def test_a_broken_dgi_configuration_is_shown_and_the_page_still_works(world, run_page, monkeypatch):
    monkeypatch.setenv("H23_DGI_DEALERS", "[{\"name\": \"A\"}]")  # no gateway, key, secret nor dealer code
    at = run_page("pages/intake.py", world.ho)
    assert not at.exception and "secret" in at.error[0].value and at.info  # still asks for a file
