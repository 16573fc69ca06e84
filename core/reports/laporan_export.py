"""Laporan CRM's files (core.reports.laporan gives the filter and the rows).

The rows are streamed from SQL in batches (a server-side cursor on PostgreSQL) and written as they
come, so an export of millions of leads runs in constant memory: XlsxWriter's constant-memory mode
for Excel (a new sheet every 1,048,575 data rows, Excel's limit), lines made by the database for CSV
(PostgreSQL's COPY, SQLite's string functions). The database formats the cells (dates, NIK mask,
labels) and the rows are fetched by a second thread while this one writes (core.platform.prefetch): the
query and the writer use both cores. Every query
applies the viewer's branch scope explicitly; the NIK is masked unless the viewer may see it whole.
Exports are personal data leaving the system, so each one needs Perm.REPORT_EXPORT and writes an
audit entry (UU PDP).
"""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any, Literal

import xlsxwriter
from sqlalchemy.orm import Session

from core.accounts.access import Perm, Viewer
from core.platform.errors import ValidationError
from core.platform.prefetch import prefetched
from core.platform.xlsx_layout import DATE_FORMAT, WIDTH_SAMPLE, fit_widths
from core.privacy import audit
from core.reports.laporan import LAPORAN_COLUMNS, LAPORAN_DATE_COLUMNS, ReportFilter, _conditions
from core.reports.laporan_sql import CsvBlock, copy_csv_pg, csv_blocks, laporan_sql_rows
from db.engine import sqlite_page_cache

EXCEL_MAX_ROWS = 1_048_576  # rows per sheet, the header included
EXPORT_CACHE_MB = 16  # SQLite's page cache while an export scans the leads (db.engine.sqlite_page_cache)
SHEET_TITLE = "Laporan CRM"
_DATE_INDEXES = frozenset(i for i, name in enumerate(LAPORAN_COLUMNS) if name in LAPORAN_DATE_COLUMNS)

# --- Writers ------------------------------------------------------------------------------------

Target = str | Path | IO[bytes]
Progress = Callable[[int], None]


def write_xlsx(rows: Iterable[Sequence[Any]], target: Target, headers: Sequence[str] = LAPORAN_COLUMNS,
               progress: Progress | None = None, *, sheet_rows: int = EXCEL_MAX_ROWS,
               title: str = SHEET_TITLE, date_columns: Collection[int] = ()) -> int:
    """Write rows to an xlsx file with XlsxWriter's constant-memory mode (each row goes to disk as it
    is written). A sheet holds `sheet_rows` rows with its header; the rows go on in "<title> (2)",
    "(3)"... Texts stay texts (a note starting with "=" is not a formula), numbers numbers; an empty
    cell is None; the numbers in `date_columns` are Excel day numbers, written as date cells shown
    dd/mm/yyyy. Each sheet opens as core.platform.xlsx_layout describes (frozen bold header,
    autofilter, widths fitting the first rows). If the rows fail, the error goes on and no file is
    left at a path target. Returns the data rows."""
    per_sheet = sheet_rows - 1
    if per_sheet < 1:
        raise ValueError("sheet_rows must leave room for a data row")
    # Texts are written as string cells below; the two options keep it so for anything that reaches
    # XlsxWriter's generic write() (no "=..." formula, no "http..." link made of a text: core.platform.cell_safety).
    options: dict[str, Any] = {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    if isinstance(target, str | Path):  # the rows' temporary files next to the file, not in /tmp
        options["tmpdir"] = str(Path(target).parent)
    wb = xlsxwriter.Workbook(str(target) if isinstance(target, Path) else target, options)
    total = in_sheet = 0
    try:
        layout = _Layout(wb, headers)
        sheets = 1
        ws = layout.sheet(title)
        rows = iter(rows)
        sample = list(itertools.islice(rows, WIDTH_SAMPLE))  # the widths come from the first rows
        layout.fit(ws, fit_widths(headers, sample, date_columns))
        is_date = [col in date_columns for col in range(len(headers))]
        date_format = layout.date
        text, number, other = _cell_writers(ws)
        for row in itertools.chain(sample, rows):
            if in_sheet == per_sheet:
                layout.finish(ws, in_sheet)
                sheets += 1
                ws = layout.sheet(f"{title} ({sheets})")
                text, number, other = _cell_writers(ws)
                in_sheet = 0
            in_sheet += 1
            # Per cell by its type, not XlsxWriter's generic write() (which would read "=..." as a
            # formula and "http..." as a link): this loop is most of an export's time.
            for col, value in enumerate(row):
                if value is None:
                    continue
                kind = value.__class__
                if kind is str:
                    text(in_sheet, col, value)
                elif kind is int or kind is float:
                    if is_date[col]:
                        number(in_sheet, col, value, date_format)
                    else:
                        number(in_sheet, col, value)
                else:
                    other(in_sheet, col, value)
            total += 1
            if progress is not None and total % 10_000 == 0:
                progress(total)
    except BaseException:
        with contextlib.suppress(Exception):
            wb.close()  # deletes XlsxWriter's temporary row files
        if isinstance(target, str | Path):
            Path(target).unlink(missing_ok=True)  # no truncated file that opens like a whole one
        raise
    layout.finish(ws, in_sheet)
    wb.close()
    if progress is not None:
        progress(total)
    return total


def _cell_writers(ws: Any) -> tuple[Any, Any, Any]:
    """A sheet's text, number and any-type cell writers. The text and number ones are XlsxWriter's
    own methods behind write_string / write_number, whose wrapper only converts "A1" cell names: 9%
    of the writer's CPU at 27 columns (requirements.txt pins XlsxWriter's major version; the export
    tests read every value back)."""
    return ws._write_string, ws._write_number, ws.write


class _Layout:
    """Each sheet's frame (core.platform.xlsx_layout): the bold header row frozen, the column widths, and
    the autofilter over the rows once they are written."""

    def __init__(self, wb: Any, headers: Sequence[str]) -> None:
        self.wb, self.headers, self.widths = wb, headers, list[float]()
        self.bold = wb.add_format({"bold": True})
        self.date = wb.add_format({"num_format": DATE_FORMAT})

    def sheet(self, title: str) -> Any:
        ws = self.wb.add_worksheet(title)
        ws.freeze_panes(1, 0)
        for col, header in enumerate(self.headers):
            ws.write_string(0, col, header, self.bold)
        self.fit(ws, self.widths)
        return ws

    def fit(self, ws: Any, widths: Sequence[float]) -> None:
        self.widths = list(widths)
        for col, width in enumerate(widths):
            ws.set_column(col, col, width)

    def finish(self, ws: Any, data_rows: int) -> None:
        ws.autofilter(0, 0, data_rows, max(len(self.headers) - 1, 0))


def write_xlsx_fast(session: Session, viewer: Viewer, f: ReportFilter, target: Target,
                    progress: Progress | None = None, *, sheet_rows: int = EXCEL_MAX_ROWS) -> int:
    """The report as xlsx: the rows formatted by the database (core.reports.laporan_sql) and fetched by a
    second thread while this one writes the file."""
    viewer.require(Perm.REPORT_VIEW)
    with sqlite_page_cache(session.connection(), EXPORT_CACHE_MB):
        batches = prefetched(laporan_sql_rows(session, viewer, _conditions(session, viewer, f), batch=5_000),
                             name="laporan-xlsx")
        try:
            return write_xlsx(itertools.chain.from_iterable(batches), target, LAPORAN_COLUMNS, progress,
                              sheet_rows=sheet_rows, date_columns=_DATE_INDEXES)
        finally:
            batches.close()  # a failed write stops the reader before the session is used again


def xlsx_batches(session: Session, viewer: Viewer, f: ReportFilter, batch: int = 5_000) -> Iterator[Sequence[Any]]:
    """The report's rows as the xlsx gets them (dates as Excel day numbers), in batches."""
    return laporan_sql_rows(session, viewer, _conditions(session, viewer, f), batch=batch)


def csv_batches(session: Session, viewer: Viewer, f: ReportFilter, batch: int = 50_000) -> Iterator[Sequence[Any]]:
    """The report's rows for CSV, formatted in SQL (core.reports.laporan_sql), in batches: formula-like texts
    with a quote in front (core.platform.cell_safety)."""
    return laporan_sql_rows(session, viewer, _conditions(session, viewer, f), batch=batch, for_csv=True)


def write_csv_fast(session: Session, viewer: Viewer, f: ReportFilter, target: Target,
                   progress: Progress | None = None) -> int:
    """The report as CSV the fastest way each database offers: PostgreSQL writes it itself (COPY ...
    TO STDOUT WITH CSV); SQLite formats and joins each row's fields in SQL, quoted per batch
    (core.reports.laporan_sql.csv_blocks) and fetched by a second thread while this one writes. Same bytes as
    csv.writer over csv_batches (a test checks)."""
    viewer.require(Perm.REPORT_VIEW)
    conditions = _conditions(session, viewer, f)
    if session.get_bind().dialect.name != "postgresql":
        # Closing the blocks when the write fails stops the reader before the session is used again.
        with sqlite_page_cache(session.connection(), EXPORT_CACHE_MB), \
                contextlib.closing(csv_blocks(session, viewer, conditions)) as blocks:
            return write_csv_blocks(blocks, target, LAPORAN_COLUMNS, progress)
    header = io.StringIO()
    csv.writer(header, lineterminator="\n").writerow(LAPORAN_COLUMNS)
    if isinstance(target, str | Path):
        with open(target, "wb") as out:
            out.write(("\ufeff" + header.getvalue()).encode("utf-8"))
            n = copy_csv_pg(session, viewer, conditions, out)
    else:
        target.write(("\ufeff" + header.getvalue()).encode("utf-8"))
        n = copy_csv_pg(session, viewer, conditions, target)
    if progress is not None:
        progress(n)
    return n


def write_csv_blocks(blocks: Iterable[CsvBlock], target: Target, headers: Sequence[str] = LAPORAN_COLUMNS,
                     progress: Progress | None = None) -> int:
    """Write blocks of finished CSV lines (UTF-8 with a BOM, the header through csv.writer, CRLF line
    ends like it). Returns the data rows."""
    def into(out: IO[str]) -> int:
        csv.writer(out).writerow(headers)
        total = 0
        for block in blocks:
            out.write(block.text)
            total += block.rows
            if progress is not None:
                progress(total)
        return total

    if isinstance(target, str | Path):
        with open(target, "w", encoding="utf-8-sig", newline="", buffering=1 << 20) as out:
            return into(out)
    text = io.TextIOWrapper(target, encoding="utf-8-sig", newline="")
    try:
        return into(text)
    finally:
        text.flush()
        text.detach()


# --- Export (permission + audit) ----------------------------------------------------------------


class _Report:
    """What the audit entry is about: the report itself (no row of its own)."""

    __tablename__ = "report"
    id = None
    branch_id = None


def export_laporan(session: Session, viewer: Viewer, f: ReportFilter, target: Target,
                   fmt: Literal["xlsx", "csv"] = "xlsx", *, audit_session: Session | None = None,
                   progress: Progress | None = None, sheet_rows: int = EXCEL_MAX_ROWS) -> int:
    """Export the report to target and write the audit entry (action report.export, the filter and
    the row count in the note) into audit_session (default: session; the caller commits it).
    Needs Perm.REPORT_EXPORT. Returns the number of rows."""
    viewer.require(Perm.REPORT_EXPORT)
    if fmt == "xlsx":
        n = write_xlsx_fast(session, viewer, f, target, progress, sheet_rows=sheet_rows)
    elif fmt == "csv":
        n = write_csv_fast(session, viewer, f, target, progress)
    else:
        raise ValidationError("report.format", field="fmt", value=fmt)
    record_export(audit_session or session, viewer, f, fmt, n)
    return n


def record_export(session: Session, viewer: Viewer, f: ReportFilter, fmt: str, rows: int) -> None:
    viewer.require(Perm.REPORT_EXPORT)
    audit.record(session, viewer, "report.export", _Report(),
                 note=f"Laporan CRM {fmt}: {f.describe()} baris={rows}")
