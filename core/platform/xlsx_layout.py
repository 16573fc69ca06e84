"""How every workbook we write opens in Excel: a bold header row that stays in view (frozen) with an
autofilter over the data, columns as wide as their contents, dates as real date cells shown dd/mm/yyyy
(they sort and filter as dates), numbers as numbers. Laporan CRM writes with XlsxWriter, the recap and
the import rejections with openpyxl's write-only mode; both take their widths from `fit_widths`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Sequence
from typing import Any

DATE_FORMAT = "dd/mm/yyyy"  # Excel's number format for a date cell (the dealer's dd/mm/yyyy)
DATE_WIDTH = 10  # "31/12/2020"
MIN_WIDTH, MAX_WIDTH = 6, 60  # a longer text (a note) wraps out of view rather than pushing the sheet wide
WIDTH_SAMPLE = 1000  # rows read for the widths: a streamed export cannot look at all of them first
PADDING = 2  # room for the autofilter's button next to the header


def fit_widths(headers: Sequence[str], rows: Iterable[Sequence[Any]], date_columns: Collection[int] = ()
               ) -> list[float]:
    """Column widths (Excel's character units) fitting the header and the longest value of `rows`
    (a sample), dates as dd/mm/yyyy."""
    widths = [len(h) for h in headers]
    for row in rows:
        for col, value in enumerate(row):
            if value is None or col >= len(widths):
                continue
            size = DATE_WIDTH if col in date_columns or isinstance(value, dt.date) else len(str(value))
            if size > widths[col]:
                widths[col] = size
    return [float(min(max(w + PADDING, MIN_WIDTH), MAX_WIDTH)) for w in widths]


def filter_range(columns: int, data_rows: int) -> str:
    """The autofilter's A1 range: the header and every data row under it."""
    return f"A1:{column_letter(columns)}{data_rows + 1}"


def column_letter(n: int) -> str:
    """Excel's name of the n-th column (1 = A, 27 = AA)."""
    letters = ""
    while n > 0:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# --- openpyxl (write-only) ------------------------------------------------------------------------


def openpyxl_sheet(wb: Any, title: str, headers: Sequence[str], widths: Sequence[float]) -> Any:
    """A write-only sheet with its header frozen, bold, and the column widths (which a write-only
    sheet must have before its first row)."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    ws = wb.create_sheet(title)
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[column_letter(col)].width = width
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for text in headers:
        cell = WriteOnlyCell(ws, value=str(text))
        cell.data_type = "s"
        cell.font = bold
        header.append(cell)
    ws.append(header)
    return ws


def openpyxl_finish(ws: Any, columns: int, data_rows: int) -> None:
    """The autofilter over the header and the rows written (set before the workbook is saved)."""
    ws.auto_filter.ref = filter_range(columns, data_rows)


def openpyxl_dates(ws: Any, row: Sequence[Any]) -> list[Any]:
    """The row with each date as a date cell shown dd/mm/yyyy (openpyxl would show yyyy-mm-dd)."""
    from openpyxl.cell import WriteOnlyCell

    out: list[Any] = []
    for value in row:
        if isinstance(value, dt.date):
            cell = WriteOnlyCell(ws, value=value)
            cell.number_format = DATE_FORMAT
            value = cell
        out.append(value)
    return out
