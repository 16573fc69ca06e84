"""Streaming imports: a file read chunk by chunk gives the same rows and the same rejections (with their
true row numbers) as the file read whole; dates in month-first order are read only when asked."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from openpyxl import Workbook
from sqlalchemy import select, update

from core.intake import file_import, importer as intake, review
from core.intake.read import iter_table, read_table
from db.models import Customer, Sale, Vehicle


def _sales_lines(n: int, bad: dict[int, str]) -> list[str]:
    """n sales rows of SAM01; bad maps a data row index (0 = file row 2) to a broken engine number."""
    lines = ["No Mesin;Nama;No HP;Tanggal Beli;Kode Cabang"]
    for i in range(n):
        engine = bad.get(i, f"JM81E{2000000 + i:07d}")
        lines.append(f"{engine};PEMBELI {i % 7};0812{3000000 + i % 7:07d};{1 + i % 28:02d}/03/2021;SAM01")
    return lines


def test_a_rejection_in_a_later_chunk_keeps_its_row_in_the_file(world, tmp_path):
    path = tmp_path / "penjualan.csv"
    path.write_text("\n".join(_sales_lines(25, {3: "JM81", 17: "X2"})) + "\n")
    result = file_import.import_file(world.db, world.admin_sam, path, "sales", batch_size=10)
    assert [(r.row, r.column, r.value, r.code) for r in result.rejected] == [
        (5, "No Mesin", "JM81", "engine_no.invalid"), (19, "No Mesin", "X2", "engine_no.invalid")]
    assert result.created == 23
    out = tmp_path / "ditolak.xlsx"
    review.rejections_xlsx(result.rejected, out, source=path)  # the file read again, chunk by chunk
    back = read_table(out)
    assert list(back["Baris"]) == ["5", "19"] and list(back["No Mesin"]) == ["JM81", "X2"]
    with world.db.session(None, system=True) as s:
        assert s.scalar(select(Vehicle.id).where(Vehicle.engine_no == "JM81E2000024")) is not None


def test_streaming_in_chunks_gives_the_same_result_as_the_whole_file(world, tmp_path):
    path = tmp_path / "penjualan.csv"
    path.write_text("\n".join(_sales_lines(40, {0: "BAD", 39: "BAD2", 20: ""})) + "\n")
    df = read_table(path)
    with world.db.session(None, system=True) as s:
        whole = intake._check(s, world.admin_sam, "sales", df, intake.guess_mapping(df.columns), None)
    chunked = file_import.import_file(world.db, world.admin_sam, path, "sales", batch_size=7)
    assert [(r.row, r.code) for r in chunked.rejected] == [(r.row, r.code) for r in whole.rejections]
    assert chunked.created == int(whole.ok.sum())
    # The same file again, in other chunk sizes: nothing changes.
    again = file_import.import_file(world.db, world.admin_sam, path, "sales", batch_size=13)
    assert (again.created, again.updated, again.unchanged) == (0, 0, chunked.created)


def test_an_xlsx_is_read_in_chunks_like_the_whole_sheet(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["No Mesin", "No KTP", "Tanggal Beli", "KM"])
    for i in range(11):
        ws.append([f"JM81E{1000000 + i}", 6472020504010003 + i, dt.datetime(2021, 1, 1 + i), 1000 * i])
    ws.append([None, None, None, None])
    ws.append(["JM81E2000000", "", "31/12/2021", 12.5])
    path = tmp_path / "data.xlsx"
    wb.save(path)
    whole = read_table(path)
    chunks = list(iter_table(path, chunk_rows=4))
    assert [len(c) for c in chunks] == [4, 4, 4, 1]
    assert chunks[1].index[0] == 4  # row 6 of the sheet
    pd.testing.assert_frame_equal(pd.concat(chunks), whole, check_dtype=False, check_index_type=False)
    pd.testing.assert_frame_equal(next(iter_table(path, chunk_rows=4, skip_chunks=2)), chunks[2])


def test_dates_are_day_first_unless_the_import_says_month_first(world, tmp_path):
    path = tmp_path / "odoo.csv"
    path.write_text("No Mesin;Nama;Tanggal Beli;Kode Cabang\n"
                    "JM81E3000001;ANI;05/19/2020;SAM01\n"
                    "JM81E3000002;ANA;05/04/2020;SAM01\n")
    df = read_table(path)
    with world.db.session(None, system=True) as s:
        checked = intake._check(s, world.admin_sam, "sales", df, intake.guess_mapping(df.columns), None)
    # Day first: 19 is no month, so the row is rejected rather than guessed.
    assert [(r.row, r.column, r.code) for r in checked.rejections] == [(2, "Tanggal Beli", "date.impossible")]
    result = file_import.import_file(world.db, world.admin_sam, path, "sales", month_first=True)
    assert result.created == 2 and not result.rejected
    with world.db.session(None, system=True) as s:
        dates = set(s.scalars(select(Sale.sale_date)))
    assert {dt.date(2020, 5, 19), dt.date(2020, 5, 4)} <= dates


def test_a_reimport_skips_only_rows_that_change_nothing(world, tmp_path):
    header = "No Mesin;No Polisi;Nama;No KTP;No HP;Tanggal Beli;Kode Cabang"
    rows = ["JM81E4000001;KT 1 AA;WATI;6472024501990011;081211110001;01/02/2021;SAM01",
            "JM81E4000002;KT 2 AA;WATI;6472024501990011;081211110001;02/02/2021;SAM01",
            "JM81E4000003;KT 3 AA;YONO;6472020101900021;081211110003;03/02/2021;SAM01",
            "JM81E4000004;KT 4 AA;ZAKI;6472020101900031;081211110004;04/02/2021;SAM01"]
    path = tmp_path / "a.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    first = file_import.import_file(world.db, world.admin_sam, path, "sales")
    assert first.created == 4
    with world.db.transaction(None, system=True) as s:  # someone corrects a plate in the app
        s.execute(update(Vehicle).where(Vehicle.engine_no == "JM81E4000003").values(plate="KT 9 ZZ"))
    # WATI's second row brings a new mobile: both of her rows take the full path (later rows win).
    rows[1] = rows[1].replace("081211110001", "081299990001")
    path.write_text("\n".join([header, *rows]) + "\n")
    again = file_import.import_file(world.db, world.admin_sam, path, "sales")
    assert (again.created, again.updated, again.unchanged) == (0, 3, 1)
    with world.db.session(None, system=True) as s:
        assert s.scalar(select(Customer.phone).where(Customer.nik == "6472024501990011")) == "+6281299990001"
        assert s.scalar(select(Vehicle.plate).where(Vehicle.engine_no == "JM81E4000003")) == "KT 3 AA"


def test_an_xlsx_is_streamed_and_read_as_calamine_reads_it(tmp_path, monkeypatch):
    """An xlsx's rows come from core.intake.xlsx_stream (calamine would hold the whole sheet in memory, and
    allocate its whole range): the same cells as text, numbers, dates, blanks and gaps alike."""
    from core.intake import read as intake_read

    wb = Workbook()
    ws = wb.active
    ws.append(["No Mesin", "No KTP", "Tanggal Beli", "KM", "Nama"])
    for i in range(9):
        ws.append([f"JM81E{1000000 + i}", 6472020504010003 + i, dt.datetime(2021, 1, 1 + i), 1000 * i,
                   None if i % 3 else f"NAMA {i}"])
    ws.append([None, None, None, None, None])
    ws.append(["JM81E2000000", "6472020504010099", "31/12/2021", 12.5, True])
    ws.cell(row=14, column=2, value="6472020504010100")  # a row of one cell after a gap
    path = tmp_path / "data.xlsx"
    wb.save(path)
    streamed = list(iter_table(path, chunk_rows=4))
    monkeypatch.setattr(intake_read, "_is_zip", lambda _source: False)  # calamine instead
    by_calamine = list(iter_table(path, chunk_rows=4))
    assert [len(c) for c in streamed] == [4, 4, 4, 1] and streamed[3].iloc[0, 1] == "6472020504010100"
    for mine, theirs in zip(streamed, by_calamine, strict=True):
        pd.testing.assert_frame_equal(mine, theirs)
    pd.testing.assert_frame_equal(next(iter_table(path, chunk_rows=4, skip_chunks=1)), streamed[1])


def test_a_failing_batch_stops_the_reading_ahead_and_keeps_the_batches_committed_before(world, tmp_path,
                                                                                        monkeypatch):
    """The next chunk is read by a second thread while a batch is stored: when a batch fails, that
    reader stops (no thread left behind, the file closed) and the batches before it stay committed."""
    import threading

    from core.intake import importer as intake_module

    path = tmp_path / "penjualan.csv"
    path.write_text("\n".join(_sales_lines(50, {})) + "\n")
    real = intake_module._import_batch
    calls = 0

    def failing_third(*args, **kwargs):
        nonlocal calls
        calls += 1
        if calls == 3:
            raise RuntimeError("disk full at batch 3")
        return real(*args, **kwargs)

    monkeypatch.setattr(intake_module, "_import_batch", failing_third)
    with pytest.raises(RuntimeError, match="disk full at batch 3"):
        file_import.import_file(world.db, world.admin_sam, path, "sales", batch_size=10)
    assert [t.name for t in threading.enumerate() if t.name.startswith("intake-read")] == []
    with world.db.session(None, system=True) as s:
        stored = s.scalars(select(Vehicle.engine_no).where(Vehicle.engine_no.like("JM81E2%"))).all()
    assert sorted(stored) == [f"JM81E{2000000 + i:07d}" for i in range(20)]


@pytest.mark.parametrize("epoch", ["1900", "1904"])
def test_the_streaming_reader_reads_every_kind_of_cell_as_calamine_does(tmp_path, epoch):
    """core.intake.xlsx_stream against calamine on one sheet: shared strings with accents, numeric and text NIKs,
    dates, times of day ('h:mm'), date-times to the second, early 1900 dates (before Excel's phantom
    29/02/1900), booleans, fractions, a date typed as text, rich text, gaps, and a formula without a value
    at the end (no row for it); in the 1900 and the 1904 date systems."""
    import random

    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont
    from openpyxl.utils.datetime import CALENDAR_MAC_1904
    from python_calamine import CalamineWorkbook

    from core.intake.read import _cell_text
    from core.intake.xlsx_stream import xlsx_rows

    wb = Workbook()
    if epoch == "1904":
        wb.epoch = CALENDAR_MAC_1904
    ws = wb.active
    ws.append(["No Mesin", "No KTP", "Tanggal", "KM", "Nama", "Jam", "Waktu", "Benar", "Pecahan"])
    rnd = random.Random(5)
    for i in range(120):
        ws.append([f"JM81E{1000000 + i}", 6472020504010003 + i if i % 2 else str(6472020504010003 + i),
                   dt.datetime(2020, 1, 1) + dt.timedelta(days=rnd.randrange(2000)), 1000 * i if i % 3 else 12.5 + i,
                   None if i % 5 == 0 else f"NAMA {i} ñ é", dt.time(rnd.randrange(24), rnd.randrange(60)),
                   dt.datetime(2021, 5, 1, rnd.randrange(24), rnd.randrange(60), rnd.randrange(60)), bool(i % 2),
                   i / 7])
        ws.cell(row=i + 2, column=6).number_format = "h:mm"
        ws.cell(row=i + 2, column=7).number_format = "dd/mm/yyyy hh:mm:ss"
    ws.cell(row=130, column=3, value="31/12/2021")
    if epoch == "1900":
        ws.cell(row=131, column=1, value=dt.date(1900, 1, 15))
    ws.cell(row=132, column=2, value="=1+1")
    ws.cell(row=125, column=5, value=CellRichText(["BUDI ", TextBlock(InlineFont(b=True), "SANTOSO")]))
    path = tmp_path / "semua.xlsx"
    wb.save(path)
    rows, close = xlsx_rows(path)
    try:
        mine = [[_cell_text(v, False) for v in r] for r in rows]
    finally:
        close()
    book = CalamineWorkbook.from_path(str(path))
    theirs = [[_cell_text(v, False) for v in r] for r in book.get_sheet_by_index(0).iter_rows()]
    book.close()
    width = max(len(r) for r in theirs)
    assert [r + [""] * (width - len(r)) for r in mine] == [r + [""] * (width - len(r)) for r in theirs]
    assert len(mine) == (131 if epoch == "1900" else 130) and mine[1][5].count(":") == 2
    assert mine[124][4] == "BUDI SANTOSO"  # a rich text cell: its runs joined


def test_each_batch_runs_with_the_imports_page_cache(world, tmp_path):
    """SQLite: every batch of an import runs on a connection whose page cache is IMPORT_CACHE_MB (a
    re-import probes indexes across the whole database; the default cache re-read them from the OS every
    chunk). PostgreSQL keeps its own server-side cache: nothing is set there."""
    path = tmp_path / "penjualan.csv"
    path.write_text("\n".join(_sales_lines(30, {})) + "\n")
    seen = []

    def look(session, _batch):
        if session.get_bind().dialect.name == "sqlite":
            seen.append(session.connection().exec_driver_sql("PRAGMA cache_size").scalar())

    with world.db.transaction(None, system=True) as s:
        chunks = iter_table(path, chunk_rows=10)
        result = intake.import_chunks(s, world.admin_sam, "sales", chunks, intake.guess_mapping(
            read_table(path).columns), on_batch=look)
        sqlite = s.get_bind().dialect.name == "sqlite"
    assert result.created == 30
    assert seen == ([-intake.IMPORT_CACHE_MB * 1024] * 3 if sqlite else [])


def test_a_legacy_xls_goes_to_calamine_not_to_the_zip_size_check(tmp_path):
    """An .xls (the old binary format) is no zip: the large-sheet check must not fail on it with a zip
    error; calamine reads it, and an unreadable one is reported by calamine as not an office document."""
    from python_calamine import CalamineError

    from core.intake.read import _is_zip

    path = tmp_path / "penjualan.xls"
    path.write_bytes(b"not really a workbook")
    assert not _is_zip(path)
    with pytest.raises(CalamineError, match="not an office document"):
        list(iter_table(path))
