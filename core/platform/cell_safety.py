"""No formula reaches a spreadsheet: the one rule for every file the app writes for users to open in
Excel or LibreOffice (issue 20 point 2; OWASP "CSV injection").

A spreadsheet runs a cell that starts with = + - @ (and, in some, tab or CR before one of those) as a
formula: a note like =HYPERLINK("http://x","y") becomes a link that leaks data, "+cmd|' /C calc'!A0"
starts a program in old Excel. The text is the user's (or an imported file's), so every writer treats it:

- CSV has no cell types, so a text cell that starts with one of FORMULA_STARTS gets a single quote in
  front (csv_cell; the spreadsheet shows the text, the quote marks it as text). A plain number is left
  as it is: "+6281234567890" (an E.164 phone) or "-12.5" cannot run anything, and a quote would make
  every phone in the report look wrong.
- xlsx has cell types: texts are written as string cells, never formulas (xlsx_row for openpyxl, whose
  append reads a str starting with "=" as a formula; core.reports.laporan_export writes XlsxWriter string
  cells itself). The text stays exactly the user's, which the rejected-rows workbook needs: it is fixed and
  imported again.
- The Laporan CRM CSV is made by the database (core.reports.laporan_sql): csv_safe is the same rule as a SQL
  expression, built from the same constants below (tests check SQLite, PostgreSQL and csv_cell agree
  byte for byte).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import String

from core.platform import text_input
from core.platform.sqlfuncs import _dialect_function

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # OWASP's list of a formula's first characters
QUOTE = "'"  # what csv_cell puts in front
# A plain number: an optional sign, ASCII digits, at most one decimal point or comma with digits after it.
SIGNS = "+-"
DECIMAL_MARKS = ".,"
_PLAIN_NUMBER = re.compile(f"[{SIGNS}]?[0-9]+(?:[{DECIMAL_MARKS}][0-9]+)?")
_STARTS = frozenset(FORMULA_STARTS)
assert SIGNS.endswith("-") and "-" not in DECIMAL_MARKS and "]" not in SIGNS + DECIMAL_MARKS  # literal in [...]


def is_formula_like(text: str) -> bool:
    """Whether a spreadsheet could run this text: it starts with one of FORMULA_STARTS and is not a
    plain number."""
    return bool(text) and text[0] in _STARTS and _PLAIN_NUMBER.fullmatch(text) is None


def csv_cell(value: Any) -> Any:
    """A CSV cell's value with the rule applied: a formula-like text gets QUOTE in front; anything
    else (other texts, numbers, None) is returned as it is."""
    if isinstance(value, str) and value and value[0] in _STARTS and _PLAIN_NUMBER.fullmatch(value) is None:
        return QUOTE + value
    return value


def csv_row(row: Iterable[Any]) -> list[Any]:
    """csv_cell of each value of a row."""
    return [csv_cell(v) for v in row]


def frame_csv(df: Any) -> bytes:
    """A pandas DataFrame as the CSV the pages offer for download (UTF-8 with a BOM, no index), each
    text cell through csv_cell."""
    safe = df.copy()
    for name in safe.columns:
        if safe[name].dtype == object or str(safe[name].dtype) in ("string", "str"):
            safe[name] = safe[name].map(csv_cell)
    # CRLF line ends, as csv.writer's (and the Laporan CSV's): a CR inside a cell is then quoted too.
    data: str = safe.to_csv(index=False, lineterminator="\r\n")
    return data.encode("utf-8-sig")


def xlsx_row(ws: Any, row: Iterable[Any]) -> list[Any]:
    """A row for an openpyxl write-only sheet's append, each text a string cell. openpyxl reads a str
    that starts with "=" as a formula (and "#N/A" etc. as an error): such a text goes in as a cell
    whose type is set to string after its value (other texts openpyxl already writes as strings,
    and a cell object per text would cost time on a large sheet)."""
    from openpyxl.cell import WriteOnlyCell

    out: list[Any] = []
    for value in row:
        if isinstance(value, str) and not value.isprintable():
            # An xlsx cannot hold a raw control character (openpyxl refuses the whole workbook): a
            # rejected row's NUL is listed as \x00, the way its message writes it.
            value = text_input.visible(value)
        if isinstance(value, str) and value[:1] in ("=", "#"):
            cell = WriteOnlyCell(ws, value=value)
            cell.data_type = "s"
            value = cell
        out.append(value)
    return out


def _sql_text(chars: Iterable[str], char_function: str) -> str:
    """SQL literals of the characters, a control character as char_function(code)."""
    return ", ".join(f"'{c}'" if c.isprintable() else f"{char_function}({ord(c)})" for c in chars)


def _sqlite_csv_safe() -> str:
    """csv_cell in SQLite's SQL ({0}: the text). The first character is tested by its code (the
    cheapest test: the CSV export runs this on a dozen columns of every row). SQLite has no regular
    expressions: a plain number is a sign, then digits only (every phone: tested first) or digits and
    one decimal mark, not last."""
    codes = ", ".join(str(ord(c)) for c in FORMULA_STARTS)
    no_marks = "{0}"
    for m in DECIMAL_MARKS:
        no_marks = f"replace({no_marks}, '{m}', '')"
    decimal = (f"substr({{0}}, 2) NOT GLOB '*[^0-9{DECIMAL_MARKS}]*' AND {{0}} NOT GLOB '*[{DECIMAL_MARKS}]' "
               f"AND length({{0}}) - length({no_marks}) < 2")
    number = f"{{0}} GLOB '[{SIGNS}][0-9]*' AND ({{0}} NOT GLOB '?*[^0-9]*' OR ({decimal}))"
    return f"(CASE WHEN unicode({{0}}) IN ({codes}) AND NOT ({number}) THEN '{QUOTE * 2}' || {{0}} ELSE {{0}} END)"


def _postgresql_csv_safe() -> str:
    """csv_cell in PostgreSQL's SQL ({0}: the text), the plain number as _PLAIN_NUMBER's pattern."""
    starts = _sql_text(FORMULA_STARTS, "chr")
    return (f"(CASE WHEN left({{0}}, 1) IN ({starts}) AND {{0}} !~ '^{_PLAIN_NUMBER.pattern}$' "
            f"THEN '{QUOTE * 2}' || {{0}} ELSE {{0}} END)")


# The rule in SQL, for the CSV the database writes itself. {0} is repeated in the CASE: wrap a column,
# or a cheap expression of columns, not a subquery.
csv_safe = _dialect_function(
    "csv_safe", String(), "csv_cell in SQL: a formula-like text with a single quote in front (NULL stays NULL).",
    sqlite=_sqlite_csv_safe(), postgresql=_postgresql_csv_safe())
