"""Import Data page through AppTest: it renders for a branch admin and head office, shows the guessed mapping
and the preview of an uploaded file, and the Import button stores the rows and lists the rejections."""

from __future__ import annotations

import io

from sqlalchemy import select

from core import intake
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
    from core import intake_jobs
    from core.intake_read import iter_table

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
    assert intake_jobs.run_pending(world.db, "test-worker") == [f"import:{at.session_state['intake_job']}:done"]
    at.run()
    assert not at.exception
    assert [m.value for m in at.metric] == ["1", "0", "0", "1"]
    assert list(at.dataframe[1].value["Baris"]) == [3]
