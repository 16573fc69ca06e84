"""Importing dealer exports: validation with row-exact rejections, idempotent upserts, work orders that
close leads, xlsx and the header mapping."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy import func, select

from core.accounts.access import Viewer
from core.intake import file_import, importer as intake, review
from core.platform.errors import PermissionDenied
from db.enums import Stage
from db.models import AuditLog, Customer, Lead, Sale, Vehicle, WorkOrder
from tests.helpers import new_lead

SALES_HEADER = "No Mesin;No Rangka;No Polisi;Nama;No KTP;No HP;Alamat;Tanggal Beli;Kode Cabang;Tipe Unit"
SALES_ROWS = [
    # row 2: good, dd/mm/yyyy date, new customer with NIK
    "JM81E1056206;JM811LK0123456;BD 2035 ID;BUDI SANTOSO;6472024501990001;081234567890;JL. PAHLAWAN 1;"
    "07/11/2020;SAM01;Beat",
    # row 3: good, no NIK (customer by mobile + name), ISO date
    "HB61E1000001;;KT 1234 AB;SITI AMINAH;;0852 1111 2222;;2020-11-08;SAM01;Scoopy",
    # row 4: NIK with a province that does not exist
    "HB61E1000002;;KT 1235 AB;ANI;9972020504010003;081200000001;;08/11/2020;SAM01;Scoopy",
    # row 5: NIK read as a float
    "HB61E1000003;;KT 1236 AB;ANA;6.472020504010003e+15;081200000002;;08/11/2020;SAM01;Scoopy",
    # row 6: a landline
    "HB61E1000004;;KT 1237 AB;ANO;;0541 123456;;08/11/2020;SAM01;Scoopy",
    # row 7: engine number too short
    "JM81E105;;KT 1238 AB;ANU;;081200000003;;08/11/2020;SAM01;Beat",
    # row 8: bad plate
    "HB61E1000005;;12345;ENI;;081200000004;;08/11/2020;SAM01;Scoopy",
    # row 9: no such date
    "HB61E1000006;;KT 1239 AB;EKO;;081200000005;;31/02/2020;SAM01;Scoopy",
    # row 10: unknown branch code
    "HB61E1000007;;KT 1240 AB;EDI;;081200000006;;08/11/2020;XXX01;Scoopy",
    # row 11: a branch the importing admin has no access to
    "HB61E1000008;;KT 1241 AB;EMA;;081200000007;;08/11/2020;MAN01;Scoopy",
    # row 12: mobile + name match two existing customers
    "HB61E1000009;;KT 1242 AB;Andi  Wijaya;;0813-5555-6666;;08/11/2020;SAM01;Scoopy",
    # row 13: good, an existing customer by NIK buys a second motorcycle
    "KF41E1700001;;KT 9999 ZZ;RESTU ANDIKA PRADANA PUTRA;6472020504010003;;;09/11/2020;SAM01;Vario",
    # row 14: two faults in one row (both reported)
    "X1;;KT 1243 AB;IMA;1234;081200000008;;08/11/2020;SAM01;Scoopy",
]
EXPECTED = [
    (4, "No KTP", "nik.province"),
    (5, "No KTP", "nik.read_as_decimal"),
    (6, "No HP", "phone.not_mobile"),
    (7, "No Mesin", "engine_no.invalid"),
    (8, "No Polisi", "plate.invalid"),
    (9, "Tanggal Beli", "date.impossible"),
    (10, "Kode Cabang", "intake.branch_unknown"),
    (11, "Kode Cabang", "error.branch_forbidden"),
    (12, "No HP", "intake.duplicate"),
    (14, "No KTP", "nik.not_16_digits"),
    (14, "No Mesin", "engine_no.invalid"),
]
GOOD_ROWS = 3


def _csv(header: str, rows: list[str]) -> io.BytesIO:
    return io.BytesIO(("\n".join([header, *rows]) + "\n").encode())


def _run(world, viewer: Viewer, kind: str, data: io.BytesIO, filename: str = "data.csv", **kw) -> intake.ImportResult:
    df = intake.read_table(data, filename)
    with world.db.transaction(viewer.scope, system=viewer.all_branches) as s:
        return intake.import_frame(s, viewer, kind, df, intake.guess_mapping(df.columns), **kw)


def _with_twins(world) -> None:
    with world.db.transaction(None, system=True) as s:
        for code in ("BPA/2001/0000001", "BPA/2001/0000002"):
            s.add(Customer(branch_id=world.sam.id, code=code, name="ANDI WIJAYA", phone="+6281355556666"))


def _snapshot(world) -> list:
    with world.db.session(None, system=True) as s:
        return [s.execute(select(model.__table__).order_by(model.__table__.c.id)).all()
                for model in (Customer, Vehicle, Sale, WorkOrder)]


def test_bad_values_are_rejected_with_row_column_and_reason_and_good_rows_are_stored(world):
    _with_twins(world)
    result = _run(world, world.admin_sam, "sales", _csv(SALES_HEADER, SALES_ROWS))
    assert [(r.row, r.column, r.code) for r in result.rejected] == EXPECTED
    assert all(r.reason and not r.reason.startswith(("nik.", "intake.")) for r in result.rejected)
    assert result.rejected[0].reason.startswith("kode provinsi 99")
    assert result.rejected[1].value == "6.472020504010003e+15"
    assert (result.created, result.updated, result.unchanged) == (GOOD_ROWS, 0, 0)
    with world.db.session(None, system=True) as s:
        budi = s.scalars(select(Customer).where(Customer.nik == "6472024501990001")).one()
        assert (budi.name, budi.phone, budi.branch_id, budi.gender) == ("BUDI SANTOSO", "+6281234567890",
                                                                          world.sam.id, "F")
        assert budi.code.startswith("BPA/")
        v = s.scalars(select(Vehicle).where(Vehicle.engine_no == "JM81E1056206")).one()
        assert (v.customer_id, v.plate, v.frame_no, v.engine_code, v.purchase_date) == (
            budi.id, "BD 2035 ID", "MH1JM811LK0123456", "JM81", dt.date(2020, 11, 7))
        assert s.scalar(select(Sale.sale_date).where(Sale.vehicle_id == v.id)) == dt.date(2020, 11, 7)
        siti = s.scalars(select(Customer).where(Customer.phone == "+6285211112222")).one()
        assert siti.nik is None and siti.name == "SITI AMINAH"
        second = s.scalars(select(Vehicle).where(Vehicle.engine_no == "KF41E1700001")).one()
        assert second.customer_id == world.customer_sam.id
        assert s.scalar(select(func.count()).select_from(Vehicle).where(Vehicle.engine_no.like("HB61E100000_"))) == 1


def test_importing_the_same_file_twice_changes_nothing(world):
    _with_twins(world)
    _run(world, world.admin_sam, "sales", _csv(SALES_HEADER, SALES_ROWS))
    before = _snapshot(world)
    again = _run(world, world.admin_sam, "sales", _csv(SALES_HEADER, SALES_ROWS), batch_size=2)
    assert (again.created, again.updated, again.unchanged) == (0, 0, GOOD_ROWS)
    assert len(again.rejected) == len(EXPECTED)
    assert _snapshot(world) == before


def test_a_new_plate_or_owner_is_an_update(world):
    header = "No Mesin;No Polisi;Nama;No HP;Tanggal Beli"
    row = "KF41E1693525;KT 7777 XY;RESTU ANDIKA PRADANA PUTRA;085845164510;04/12/2019"
    first = _run(world, world.admin_sam, "sales", _csv(header, [row]), branch_id=world.sam.id)
    # The sale of 04/12/2019 was not in the database: it is created; the vehicle's plate changes.
    assert (first.created, first.updated, first.rejected) == (1, 0, [])
    sold_to_other = "KF41E1693525;KT 7777 XY;DEWI LESTARI;081298765432;04/12/2019"
    second = _run(world, world.admin_sam, "sales", _csv(header, [sold_to_other]), branch_id=world.sam.id)
    assert (second.created, second.updated, second.unchanged) == (0, 1, 0)
    with world.db.session(None, system=True) as s:
        v = s.get(Vehicle, world.vehicle_sam.id)
        assert v.plate == "KT 7777 XY"
        owner = s.get(Customer, v.customer_id)
        assert owner.name == "DEWI LESTARI" and owner.phone == "+6281298765432"
        assert s.scalar(select(Sale.customer_id).where(Sale.vehicle_id == v.id)) == owner.id
    plate_only = "KF41E1693525;KT 8888 XY;DEWI LESTARI;081298765432;04/12/2019"
    third = _run(world, world.admin_sam, "sales", _csv(header, [plate_only]), branch_id=world.sam.id)
    assert (third.created, third.updated, third.unchanged) == (0, 1, 0)


def test_rows_of_one_customer_with_different_mobiles_the_last_wins_and_stays(world):
    header = "No Mesin;Nama;No KTP;No HP;Tanggal Beli"
    rows = ["JM81E1056401;BUDI;6472024501990009;081234567001;01/02/2021",
            "JM81E1056402;BUDI;6472024501990009;081234567002;02/02/2021"]
    for batch_size in (20_000, 1):
        _run(world, world.admin_sam, "sales", _csv(header, rows), batch_size=batch_size)
        with world.db.session(None, system=True) as s:
            budi = s.scalars(select(Customer).where(Customer.nik == "6472024501990009")).one()
            assert budi.phone == "+6281234567002"
            assert s.scalar(select(func.count()).select_from(Vehicle).where(Vehicle.customer_id == budi.id)) == 2
    before = _snapshot(world)
    _run(world, world.admin_sam, "sales", _csv(header, rows))
    assert _snapshot(world) == before


WO_HEADER = "noPKB,noMesin,tanggalServis,jenisPekerjaan,km,kodeCabang"


def test_work_orders_close_the_matching_kpb_lead_and_set_the_last_service(world):
    lead = new_lead(world, kpb=3)
    rows = [
        "PKB/SAM01/2007/00001,KF41E1693525,20/07/2020,KPB 3,8.000,SAM01",  # row 2
        "PKB/SAM01/2007/00002,KF41E1693525,21/07/2020,XX9,100,SAM01",  # row 3: unknown job
        "PKB/SAM01/2007/00003,KF41E1693525,2020-13-01,QS,100,SAM01",  # row 4: impossible date
        "PKB/SAM01/2007/00004,JM81E1056207,22/07/2020,QS,abc,SAM01",  # row 5: bad km
        "PKB/SAM01/2007/00005,JM81E1056208,23/07/2020,ASS1,900,SAM01",  # row 6: new vehicle
    ]
    result = _run(world, world.admin_sam, "work_orders", _csv(WO_HEADER, rows))
    assert [(r.row, r.column, r.code) for r in result.rejected] == [
        (3, "jenisPekerjaan", "job_type.unknown"), (4, "tanggalServis", "date.impossible"),
        (5, "km", "intake.km_invalid")]
    assert "ASS1" in result.rejected[0].reason
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    with world.db.session(None, system=True) as s:
        closed = s.get(Lead, lead.id)
        assert closed.stage == Stage.WON and closed.closed_at is not None
        wo = s.scalars(select(WorkOrder).where(WorkOrder.number == "PKB/SAM01/2007/00001")).one()
        assert (wo.job_type, wo.kpb_number, wo.km, wo.customer_id) == ("ASS3", 3, 8000, world.customer_sam.id)
        assert closed.won_work_order_id == wo.id
        v = s.get(Vehicle, world.vehicle_sam.id)
        assert (v.last_service_date, v.last_job_type) == (dt.date(2020, 7, 20), "ASS3")
        new = s.scalars(select(Vehicle).where(Vehicle.engine_no == "JM81E1056208")).one()
        assert (new.branch_id, new.customer_id, new.last_service_date) == (world.sam.id, None, dt.date(2020, 7, 23))
    before = _snapshot(world)
    again = _run(world, world.admin_sam, "work_orders", _csv(WO_HEADER, rows))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert _snapshot(world) == before


def test_xlsx_with_numbers_for_nik_and_mobile(world, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["noMesin", "namaCustomer", "noKtp", "noHp", "tanggalPenjualan", "kodeCabang"])
    ws.append(["JM81E1056210", "RINA", "6472024501990002", 81234567891, dt.datetime(2021, 3, 4), "SAM01"])
    ws.append(["JM81E1056211", "RONI", 6472024501990003, 81234567892, dt.datetime(2021, 3, 5), "SAM01"])
    path = tmp_path / "penjualan.xlsx"
    wb.save(path)
    df = intake.read_table(path)
    assert all(isinstance(v, str) for v in df.to_numpy().ravel())
    with world.db.transaction(None, system=True) as s:
        result = intake.import_frame(s, world.ho, "sales", df, intake.guess_mapping(df.columns))
    assert [(r.row, r.column, r.code) for r in result.rejected] == [(3, "noKtp", "nik.read_as_decimal")]
    assert result.created == 1
    with world.db.session(None, system=True) as s:
        rina = s.scalars(select(Customer).where(Customer.name == "RINA")).one()
        assert (rina.nik, rina.phone) == ("6472024501990002", "+6281234567891")
        v = s.scalars(select(Vehicle).where(Vehicle.engine_no == "JM81E1056210")).one()
        assert v.purchase_date == dt.date(2021, 3, 4)


def test_import_file_commits_per_batch_audits_and_writes_rejections(world, tmp_path):
    path = tmp_path / "penjualan.csv"
    path.write_text("\n".join([SALES_HEADER.replace(";", ","), *(r.replace(";", ",") for r in SALES_ROWS)]))
    seen: list[tuple[int, int]] = []
    _with_twins(world)
    result = file_import.import_file(world.db, world.admin_sam, path, "sales", batch_size=2,
                                progress=lambda done, total: seen.append((done, total)))
    # Progress counts the file's rows as each batch of 2 commits (the file is read as it goes).
    assert result.created == GOOD_ROWS and seen == [(n, 13) for n in (2, 4, 6, 8, 10, 12, 13)]
    with world.db.session(None, system=True) as s:
        entry = s.scalars(select(AuditLog).where(AuditLog.action == "intake.import")).one()
        assert entry.changes["created"] == GOOD_ROWS and entry.user_id == world.admin_sam.user_id
    out = tmp_path / "ditolak.xlsx"
    review.rejections_xlsx(result.rejected, out, intake.read_table(path))
    back = intake.read_table(out)
    assert list(back["Baris"]) == ["4", "5", "6", "7", "8", "9", "10", "11", "12", "14"]
    assert "kode cabang tidak dikenal" in back.loc[6, "Kesalahan"]


def test_importing_needs_customer_change_and_the_branch(world):
    df = intake.read_table(_csv("No Mesin;Nama;Tanggal Beli", ["JM81E1056212;X;01/01/2021"]), "a.csv")
    with world.db.session(world.sa_sam.scope) as s, pytest.raises(PermissionDenied):
        intake.import_frame(s, world.sa_sam, "sales", df, intake.guess_mapping(df.columns))
    with world.db.session(world.admin_sam.scope) as s, pytest.raises(PermissionDenied):
        intake.import_frame(s, world.admin_sam, "sales", df, intake.guess_mapping(df.columns),
                            branch_id=world.man.id)


def test_mapping_guesses_dgi_and_indonesian_headers():
    dgi = ["noMesin", "noRangka", "noPolisi", "kodeTipeUnit", "tanggalServis", "jenisPekerjaan", "noKtp", "noHp",
           "namaCustomer", "noPKB", "km", "alamat", "kodeCabang", "tglSpk"]
    assert intake.guess_mapping(dgi) == {
        "noMesin": "engine_no", "noRangka": "frame_no", "noPolisi": "plate", "kodeTipeUnit": "unit_type_code",
        "tanggalServis": "service_date", "jenisPekerjaan": "job_type", "noKtp": "nik", "noHp": "phone",
        "namaCustomer": "name", "noPKB": "wo_number", "km": "km", "alamat": "address", "kodeCabang": "branch_code",
        "tglSpk": "sale_date"}
    indonesian = ["No. Mesin", "NO RANGKA", "No Polisi", "Nama", "No KTP", "No HP", "Alamat", "Tanggal Beli",
                  "Tanggal Servis", "Jenis Pekerjaan", "Cabang", "no_wo", "Tanggal Penjualan", "Keterangan"]
    assert intake.guess_mapping(indonesian) == {
        "No. Mesin": "engine_no", "NO RANGKA": "frame_no", "No Polisi": "plate", "Nama": "name", "No KTP": "nik",
        "No HP": "phone", "Alamat": "address", "Tanggal Beli": "sale_date", "Tanggal Servis": "service_date",
        "Jenis Pekerjaan": "job_type", "Cabang": "branch_code", "no_wo": "wo_number"}


def test_csv_with_commas_and_preview(world):
    df = intake.read_table(_csv("No Mesin,Nama,No HP,Tanggal Beli", ["jm81e1056213,RINI,0812-3456-7893,1/2/2021"]),
                           "a.csv")
    assert list(df.columns) == ["No Mesin", "Nama", "No HP", "Tanggal Beli"]
    with world.db.session(world.admin_sam.scope) as s:
        shown = review.preview(s, world.admin_sam, "sales", df, intake.guess_mapping(df.columns))
    assert shown.loc[0, "No Mesin"] == "JM81E1056213" and shown.loc[0, "No HP"] == "+6281234567893"
    assert shown.loc[0, "Tanggal Beli"] == dt.date(2021, 2, 1) and shown.loc[0, "Kesalahan"] == ""
