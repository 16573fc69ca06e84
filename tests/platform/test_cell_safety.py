"""No formula reaches a spreadsheet (issue 20 point 2): every file the app writes for a spreadsheet
(the Laporan CRM CSV and xlsx, the export jobs, the rejected-rows, recap and privacy workbooks, the
pages' CSV downloads) either puts a quote in front of a formula-like text (CSV) or writes it as a
string cell (xlsx). The rule is core.platform.cell_safety's; the database's CSV applies it in SQL."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils.escape import unescape
from sqlalchemy import String, literal, select, update

from core.intake import review
from core.intake.check import Rejection
from core.platform import cell_safety, clock
from core.platform.cell_safety import csv_cell, csv_safe, is_formula_like
from core.privacy import rights as privacy_rights
from core.reports import export_jobs, laporan_export, recap
from core.reports.laporan import LAPORAN_COLUMNS, ReportFilter
from db.models import Customer, Lead, LostReason
from tests import recap_fixtures
from tests.conftest import ROOT
from tests.helpers import FIXED_NOW, new_lead

FORMULAS = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1)", "\tx", "\rx"]
HARMLESS = ["+6281234567890", "-12.5", "catatan biasa"]
NASTY = FORMULAS + HARMLESS
# More edges for the SQL and Python agreement: signs alone, decimal marks, non-ASCII digits, spaces.
EDGES = ["", "=", "+", "-", "@", "+1", "-0", "+1.", "+1,5", "-1.2.3", "-1,2,3", "-.5", "+.", "+1.5x", "+62 812",
         "+\u0661\u0662", "=1", "'=1", "a=1", " =1", "\n=1", "+1\n", "-1\r", "1-2", "#N/A", "-1.5,2"]
CELLS = [LAPORAN_COLUMNS.index(c) for c in ("Note", "Phone", "Plate", "Engine No", "Customer", "No KTP")]
SUBJECT = LAPORAN_COLUMNS.index("Subject")


def _quoted(value: str) -> str:
    return "'" + value


def test_the_rule_quotes_formula_texts_and_leaves_plain_numbers_and_other_texts():
    assert [csv_cell(v) for v in FORMULAS] == [_quoted(v) for v in FORMULAS]
    assert [csv_cell(v) for v in HARMLESS] == HARMLESS
    assert [csv_cell(v) for v in (None, 5, -2.5, "")] == [None, 5, -2.5, ""]
    assert all(is_formula_like(v) for v in FORMULAS) and not any(is_formula_like(v) for v in HARMLESS)
    assert csv_cell("+\u0661\u0662") == "'+\u0661\u0662"  # only ASCII digits make a plain number
    assert csv_cell("-1.2.3") == "'-1.2.3" and csv_cell("+1,5") == "+1,5" and csv_cell("+1.") == "'+1."


def test_the_sql_rule_gives_byte_for_byte_the_python_rule_on_each_database(db):
    values = [*NASTY, *EDGES]
    with db.session(None, system=True) as s:
        got = [s.scalar(select(csv_safe(literal(v, String())))) for v in values]
        assert s.scalar(select(csv_safe(literal(None, String())))) is None
    assert got == [csv_cell(v) for v in values]


@pytest.fixture
def nasty_leads(world) -> dict[str, str]:
    """One lead per nasty value, held in its note, phone, plate, engine number and contact name (the
    customer code left out, so the Customer cell starts with the name). Returns {number: value}."""
    out = {}
    for i, value in enumerate(NASTY):
        with clock.frozen(FIXED_NOW):
            lead = new_lead(world, kpb=1)
        with world.db.transaction(None, system=True) as s:  # due_key freed for the next lead of the vehicle
            s.execute(update(Lead).where(Lead.id == lead.id).values(
                **{c: value[:_length(c)] for c in TEXT_COLUMNS}, customer_code=None, due_key=f"TEST{i}"))
        out[lead.number] = value
    return out


TEXT_COLUMNS = ("note", "phone", "plate", "engine_no", "contact_name", "nik")  # in the order of CELLS


def _length(column: str) -> int | None:
    """The column's length (PostgreSQL enforces it): a longer value is cut to it."""
    return getattr(Lead.__table__.c[column].type, "length", None)


def _masked(nik: str) -> str:
    """The report's NIK mask as its SQL makes it (core.customers.nik.mask_nik also strips spaces first)."""
    return "*" * len(nik) if len(nik) <= 8 else nik[:6] + "*" * (len(nik) - 8) + nik[-2:]


def _check_csv_rows(rows: list[list[str]], nasty: dict[str, str], *, masked: bool = False) -> None:
    """The nasty leads' text cells as the rule makes them (the NIK masked first when `masked`)."""
    assert rows[0] == list(LAPORAN_COLUMNS)
    seen = {r[SUBJECT]: r for r in rows[1:] if r[SUBJECT] in nasty}
    assert len(seen) == len(nasty)
    for number, value in nasty.items():
        row = seen[number]
        stored = [value[:_length(c)] for c in TEXT_COLUMNS]
        if masked:
            stored[-1] = _masked(stored[-1])
        assert [row[c] for c in CELLS] == [csv_cell(v) for v in stored], value


@pytest.mark.parametrize("role", ["ho", "kabeng_sam"])  # full NIK / masked NIK
def test_laporan_csv_neutralises_formula_cells(world, nasty_leads, role):
    """SQLite: lines made in SQL (a batch with a CR goes through csv.writer); PostgreSQL: COPY."""
    viewer = getattr(world, role)
    buf = io.BytesIO()
    with world.db.transaction(viewer.scope, system=viewer.all_branches) as s:
        laporan_export.export_laporan(s, viewer, ReportFilter(), buf, "csv")
    _check_csv_rows(list(csv.reader(io.StringIO(buf.getvalue().decode("utf-8-sig")))), nasty_leads,
                    masked=role != "ho")


def test_laporan_csv_rows_for_the_writer_are_neutralised_too(world, nasty_leads):
    """csv_batches (what csv.writer would write, the export's reference) follow the same rule."""
    with world.db.session(None, system=True) as s:
        rows = [list(LAPORAN_COLUMNS)] + [
            ["" if v is None else str(v) for v in r]
            for part in laporan_export.csv_batches(s, world.ho, ReportFilter()) for r in part]
    _check_csv_rows(rows, nasty_leads)


def test_export_job_csv_neutralises_formula_cells(world, nasty_leads, monkeypatch, tmp_path):
    monkeypatch.setenv("H23_DATA_DIR", str(tmp_path))
    with clock.frozen(FIXED_NOW), world.db.transaction(None, system=True) as s:
        job_id = export_jobs.request_export(s, world.ho, ReportFilter(), "csv", len(nasty_leads)).id
    with clock.frozen(FIXED_NOW):
        export_jobs.run_pending(world.db, "w1")
    with world.db.session(world.ho.scope, system=True) as s:
        path, _ = export_jobs.job_file(s, world.ho, job_id)
    with open(path, encoding="utf-8-sig", newline="") as fh:
        _check_csv_rows(list(csv.reader(fh)), nasty_leads)


def _assert_no_formula_in_xml(data: bytes | Path) -> None:
    with zipfile.ZipFile(io.BytesIO(data) if isinstance(data, bytes) else data) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")]
        assert sheets
        for name in sheets:
            xml = z.read(name).decode("utf-8")
            assert "<f>" not in xml and "<f " not in xml and 't="e"' not in xml, name


def _string_cells(ws) -> dict[str, openpyxl.cell.Cell]:
    """Every text cell of a sheet by its value (OOXML's _x000D_ escapes decoded), checked to be a string cell."""
    out = {}
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                assert cell.data_type == "s", (cell.coordinate, cell.value)
                out[unescape(cell.value)] = cell
    return out


def test_laporan_xlsx_writes_formula_texts_as_strings(world, nasty_leads, tmp_path):
    path = tmp_path / "laporan.xlsx"
    with world.db.transaction(None, system=True) as s:
        laporan_export.export_laporan(s, world.ho, ReportFilter(), path, "xlsx")
    _assert_no_formula_in_xml(path)
    texts = _string_cells(openpyxl.load_workbook(path)["Laporan CRM"])
    assert {v.replace("\r", "\n") for v in NASTY} - {"-12.5"} <= {t.replace("\r", "\n") for t in texts}


def test_rejections_workbook_keeps_the_users_formula_texts_as_strings(tmp_path):
    frame = pd.DataFrame({"Nama": NASTY, "Catatan": ["=1+1"] * len(NASTY)})
    rejections = [Rejection(row=i + 2, column="Nama", value=v, reason="=salah") for i, v in enumerate(NASTY)]
    whole, listed = tmp_path / "ditolak.xlsx", tmp_path / "alasan.xlsx"
    review.rejections_xlsx(rejections, whole, frame)
    review.rejections_xlsx([*rejections, Rejection(row=99, column="Plat", value="#N/A", reason="x")], listed)
    for path in (whole, listed):
        _assert_no_formula_in_xml(path)
    ws = openpyxl.load_workbook(whole)["Ditolak"]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    assert [r[1] for r in rows] == NASTY  # exactly the user's text, to fix and import again
    assert all(r[2] == "=1+1" for r in rows) and all(r[3] == "Nama: =salah" for r in rows)
    _string_cells(ws)
    texts = _string_cells(openpyxl.load_workbook(listed)["Ditolak"])
    assert {"=salah", "#N/A", '=HYPERLINK("http://x","y")'} <= set(texts)


def test_recap_workbook_writes_formula_texts_as_strings(world):
    recap_fixtures.build(world)
    evil = '=HYPERLINK("http://x","y")'
    with world.db.transaction(None, system=True) as s:
        s.execute(update(LostReason).values(name_id=evil))
    with clock.frozen(FIXED_NOW), world.db.session(world.ho.scope, system=True) as s:
        data = recap.recap_xlsx(s, world.ho, recap.Period(dt.date(2020, 6, 29), dt.date(2020, 7, 12)))
    _assert_no_formula_in_xml(data)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert evil in _string_cells(wb["Alasan tidak datang"])


def test_privacy_export_writes_formula_texts_as_strings(world):
    new_lead(world)
    c = world.customer_sam
    evil = '=HYPERLINK("http://x","y")'
    with world.db.transaction(None, system=True) as s:
        s.execute(update(Customer).where(Customer.id == c.id).values(name=evil, address="#N/A"))
        s.execute(update(Lead).where(Lead.customer_id == c.id).values(note="@SUM(1)"))
        data = privacy_rights.export_customer(s, world.ho, c.id, "xlsx")
    _assert_no_formula_in_xml(data)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert {evil, "#N/A"} <= set(_string_cells(wb["customer"]))
    assert "@SUM(1)" in _string_cells(wb["lead"])


def test_page_csv_downloads_neutralise_formula_cells():
    """pages/recap.py and pages/charts.py offer their tables through cell_safety.frame_csv."""
    df = pd.DataFrame({"Cabang": NASTY, "Jumlah": range(len(NASTY))})
    data = cell_safety.frame_csv(df)
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["Cabang", "Jumlah"]
    assert [r[0] for r in rows[1:]] == [csv_cell(v) for v in NASTY] and [r[1] for r in rows[1:]] == [
        str(i) for i in range(len(NASTY))]
    for page in ("pages/recap.py", "pages/charts.py"):
        source = (ROOT / page).read_text()
        assert "to_csv(" not in source and "frame_csv(" in source, page
