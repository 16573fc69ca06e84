"""The workbooks open well in Excel (core.platform.xlsx_layout): Laporan CRM, the weekly recap and the import
rejections each read back with openpyxl as a user's Excel shows them: dates are date cells shown dd/mm/yyyy
(they sort and filter as dates), numbers are numbers, the header row is frozen with an autofilter over every
row, and each column is at least as wide as its header and its longest value."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pandas as pd
from sqlalchemy import update

from core.intake import review
from core.intake.check import Rejection
from core.platform import clock
from core.platform.xlsx_layout import MAX_WIDTH, column_letter
from core.reports import laporan_export, recap
from core.reports.laporan import LAPORAN_COLUMNS, LAPORAN_DATE_COLUMNS, ReportFilter
from db.models import Lead
from tests.helpers import FIXED_NOW
from tests.reports.test_recap import BOTH_WEEKS, leads  # noqa: F401  (the recap's known week)
from tests.reports.test_reports import known  # noqa: F401  (the report's known leads)


def _width(ws, col: int) -> float:
    """The width Excel gives column `col` (a <col> element may cover several columns)."""
    for dim in ws.column_dimensions.values():
        if dim.min is not None and dim.min <= col <= dim.max and dim.customWidth:
            return dim.width
    return 0.0


def _assert_opens_well(ws, headers, data_rows: int) -> None:
    assert ws.freeze_panes == "A2"  # the header stays in view
    assert ws.auto_filter.ref == f"A1:{column_letter(len(headers))}{data_rows + 1}"
    assert [c.value for c in ws[1]] == list(headers) and all(c.font.b for c in ws[1])
    for col, header in enumerate(headers, start=1):
        longest = max([len(header), *(len(str(v)) if not isinstance(v, dt.date) else 10
                                      for (v,) in ws.iter_rows(min_row=2, min_col=col, max_col=col,
                                                                values_only=True) if v is not None)])
        assert _width(ws, col) >= min(longest, MAX_WIDTH), (header, _width(ws, col), longest)


def test_laporan_xlsx_has_date_cells_numbers_a_frozen_filtered_header_and_fitting_widths(world, known, tmp_path):  # noqa: F811
    with world.db.transaction(None, system=True) as s:
        s.execute(update(Lead).where(Lead.number == known["L2"]).values(promised_date=dt.date(2020, 7, 20)))
    path = tmp_path / "laporan.xlsx"
    with world.db.transaction(None, system=True) as s:
        n = laporan_export.export_laporan(s, world.ho, ReportFilter(), path)
    ws = openpyxl.load_workbook(path)["Laporan CRM"]
    _assert_opens_well(ws, LAPORAN_COLUMNS, n)
    assert ws.auto_filter.ref == f"A1:AF{n + 1}" and len(LAPORAN_COLUMNS) == 32
    col = {name: i + 1 for i, name in enumerate(LAPORAN_COLUMNS)}
    rows = {ws.cell(r, col["Subject"]).value: r for r in range(2, n + 2)}
    fu2 = rows[known["L3"]]

    def cell(row, name):
        return ws.cell(row, col[name])

    for name in ("Creation Date", "KPB Date Expired", "Sales Date", "Follow Up 1", "Follow Up 2", "Last Contact"):
        c = cell(fu2, name)
        assert c.is_date and c.number_format == "dd/mm/yyyy", (name, c.value, c.number_format)
    assert cell(fu2, "Creation Date").value == dt.datetime(2020, 7, 1)  # branch-local day (WITA)
    assert cell(fu2, "Last Contact").value == dt.datetime(2020, 7, 2)  # its Follow Up 2
    assert cell(fu2, "KPB Ke").data_type == "n" and cell(fu2, "KPB Ke").value == 3
    assert cell(fu2, "Subject").data_type == "s" and cell(fu2, "Phone").data_type == "s"  # +62... stays a text
    assert cell(fu2, "Admin").value == "Admin Samarinda"
    assert cell(fu2, "Last Contact Status").value == "Terhubung"
    promised = cell(rows[known["L2"]], "Promised Date")
    assert promised.is_date and promised.value == dt.datetime(2020, 7, 20)
    lost = rows[known["L5"]]
    assert cell(lost, "Lost Reason").value == "Motor sudah dijual" and cell(lost, "Lost Note").value == "dijual"
    # Every date column holds only date cells (or nothing): a text date would sort as text.
    for name in LAPORAN_DATE_COLUMNS:
        assert all(c.value is None or c.is_date for (c,) in ws.iter_rows(min_row=2, min_col=col[name],
                                                                          max_col=col[name])), name
    assert _width(ws, col["Customer"]) >= len("[BPA/1912/1553856] RESTU ANDIKA PRADANA PUTRA")


def test_laporan_xlsx_header_only_still_frozen_and_filtered(world, tmp_path):
    path = tmp_path / "empty.xlsx"
    with world.db.session(None, system=True) as s:
        assert laporan_export.write_xlsx_fast(s, world.ho, ReportFilter(), path) == 0
    ws = openpyxl.load_workbook(path)["Laporan CRM"]
    _assert_opens_well(ws, LAPORAN_COLUMNS, 0)


def test_every_laporan_sheet_past_the_first_opens_the_same_way(tmp_path):
    path = tmp_path / "big.xlsx"
    rows = [(f"r{i}", i, 43_000 + i) for i in range(7)]
    laporan_export.write_xlsx(iter(rows), path, ["A", "B", "Tanggal"], sheet_rows=4, date_columns={2})
    wb = openpyxl.load_workbook(path)
    assert [ws.auto_filter.ref for ws in wb.worksheets] == ["A1:C4", "A1:C4", "A1:C2"]
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2" and _width(ws, 3) >= 10
        assert all(c.is_date and c.number_format == "dd/mm/yyyy" for (c,) in ws.iter_rows(min_row=2, min_col=3))
    assert wb.worksheets[0]["C2"].value == dt.datetime(2017, 9, 22)  # Excel's day 43,000


def test_recap_workbook_has_week_dates_counts_and_a_frozen_filtered_header(world, leads):  # noqa: F811
    with clock.frozen(FIXED_NOW), world.db.session(world.kabeng_sam.scope) as s:
        data = recap.recap_xlsx(s, world.kabeng_sam, BOTH_WEEKS)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    for ws in wb.worksheets:
        headers = [c.value for c in ws[1]]
        _assert_opens_well(ws, headers, ws.max_row - 1)
    ws = wb["Rekap Mingguan"]
    week = ws["B2"]
    assert week.is_date and week.number_format == "dd/mm/yyyy" and week.value == dt.datetime(2020, 6, 29)
    assert [c.data_type for c in ws[2]][2:] == ["n"] * 4
    assert ws.auto_filter.ref == "A1:F3"


def test_rejection_workbook_frozen_filtered_and_as_wide_as_the_values(tmp_path):
    frame = pd.DataFrame({"No Mesin": ["JM81E1056212", "X", "JM81E1056214"],
                          "Alamat": ["JL. SAM RATULANGI NO. 12 KELURAHAN TIKALA BARU", "JL. A", "JL. B"]})
    rejections = [Rejection(row=2, column="No Mesin", value="JM81E1056212", reason="kode cabang tidak dikenal"),
                  Rejection(row=4, column="Alamat", value="JL. B", reason="wajib diisi")]
    whole, listed = tmp_path / "whole.xlsx", tmp_path / "listed.xlsx"
    review.rejections_xlsx(rejections, whole, frame)
    review.rejections_xlsx(rejections, listed)
    ws = openpyxl.load_workbook(whole)["Ditolak"]
    _assert_opens_well(ws, ["Baris", "No Mesin", "Alamat", "Kesalahan"], 2)
    assert ws["A2"].value == 2 and ws["A2"].data_type == "n"  # the file's row number, a number
    assert _width(ws, 3) >= len("JL. SAM RATULANGI NO. 12 KELURAHAN TIKALA BARU")
    ws = openpyxl.load_workbook(listed)["Ditolak"]
    _assert_opens_well(ws, ["Baris", "Kolom", "Nilai", "Alasan"], 2)
