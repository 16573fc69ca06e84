"""Uploads are measured before they are read: a dealer export is refused past its limits before any parser
sees it, whatever its packed size (a 1.8 MB xlsx can unpack to 522 MB of XML).

`check` measures a file (a path or an upload's buffer) in O(its zip's central directory), or one fast
bytes.count pass for a CSV: an xlsx by the uncompressed sizes its archive declares (all its parts, each
metadata part on its own too) and the row count of its first sheet's <dimension ref>; a CSV by its size
and its line breaks; a legacy .xls (no zip) by its packed size. A zip's declared sizes can lie, so the
reader (core.intake.xlsx_stream) also counts the bytes and rows it actually parses and stops at the same limits
(`Budget`). Every upload path calls `check` before reading: the Import Data page, `python -m core.cli
import`, and the worker's job. Past a limit: `UploadRefused`, a DomainError naming the file, what was
measured and the limit, in the user's language.

The limits are settings (core.platform.settings, bounded in core.masterdata.settings): `intake.max_unpacked_mb` for any
file (the worker reads it chunk by chunk; a legitimate 1,000,000-row sales sheet is about 690 MB of XML),
`intake.max_rows`, and `intake.foreground_unpacked_mb`, above which a file is read by the worker instead
of the page's process (core.intake.jobs.in_background), as a file above 2 MB packed already is."""

from __future__ import annotations

import contextlib
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from core.intake.xlsx_parts import workbook_parts
from core.platform import settings
from core.platform.errors import DomainError
from core.platform.i18n import register

MB = 1_000_000
# Parts other than the sheets and the shared strings (workbook, relationships, styles, theme...) are read
# whole by every reader: small in any real workbook.
PART_MAX_BYTES = 50 * MB
MAX_COLUMNS = 16_384  # Excel's last column, XFD
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # a legacy .xls (and an encrypted workbook) is an OLE2 file
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"(?:[A-Z]+\d+:)?[A-Z]+(\d+)\"")
_DIMENSION_HEAD = 65_536  # the <dimension> comes before the rows: the sheet's first bytes hold it

register({
    "upload.too_large": {
        "id": "File {file} ditolak: isinya {measured} MB setelah dibuka (batas {limit} MB).",
        "en": "File {file} refused: it unpacks to {measured} MB (limit {limit} MB)."},
    "upload.part_too_large": {
        "id": "File {file} ditolak: bagian {part} berisi {measured} MB setelah dibuka (batas {limit} MB).",
        "en": "File {file} refused: its part {part} unpacks to {measured} MB (limit {limit} MB)."},
    "upload.read_past_limit": {
        "id": "File {file} ditolak: lebih dari {limit} MB terbaca dari isinya, lebih dari ukuran yang "
              "tercatat di dalam file.",
        "en": "File {file} refused: more than {limit} MB read from its content, more than the file declares."},
    "upload.too_many_rows": {
        "id": "File {file} ditolak: {measured} baris (batas {limit} baris).",
        "en": "File {file} refused: {measured} rows (limit {limit} rows)."},
    "upload.bad_cell": {
        "id": "File {file} ditolak: sel {cell} di luar batas lembar Excel.",
        "en": "File {file} refused: cell {cell} is outside an Excel sheet."},
    "upload.not_excel": {
        "id": "File {file} ditolak: bukan file Excel (.xlsx) yang valid.",
        "en": "File {file} refused: not a valid Excel (.xlsx) file."},
})


class UploadRefused(DomainError):
    """An upload past a limit (or no workbook at all), refused before it is read."""


@dataclass(frozen=True)
class UploadLimits:
    max_bytes: int  # the most any file may unpack to (the worker's chunked read)
    foreground_bytes: int  # above this unpacked size the worker reads it, not the page's process
    max_rows: int


def defaults() -> UploadLimits:
    return _of(settings.DEFAULTS.__getitem__)


def limits(session: Any) -> UploadLimits:
    """The dealer's limits (the settings' values)."""
    return _of(lambda key: settings.get(session, key))


def _of(get: Any) -> UploadLimits:
    return UploadLimits(int(get("intake.max_unpacked_mb")) * MB, int(get("intake.foreground_unpacked_mb")) * MB,
                        int(get("intake.max_rows")))


@dataclass(frozen=True)
class Measured:
    kind: str  # "xlsx", "xls" (legacy, no zip) or "csv"
    packed_bytes: int
    unpacked_bytes: int  # what the readers parse: an xlsx's declared uncompressed sizes; else packed_bytes
    rows: int | None  # data rows (header left out): a CSV's line breaks, an xlsx's <dimension>; None if unknown


def mb(size: int) -> str:
    return f"{size / MB:,.1f}"


def _name(filename: str | None, source: object) -> str:
    return Path(filename or str(getattr(source, "name", source))).name


def check(source: str | Path | IO[bytes], filename: str | None, bounds: UploadLimits) -> Measured:
    """The file measured, or UploadRefused when past the limits; a buffer is left at its start."""
    name = _name(filename, source)
    measured = measure(source, name)
    if measured.kind == "xls" and measured.packed_bytes > bounds.max_bytes:  # read whole by calamine
        raise UploadRefused("upload.too_large", file=name, measured=mb(measured.packed_bytes),
                            limit=mb(bounds.max_bytes))
    if measured.unpacked_bytes > bounds.max_bytes:
        raise UploadRefused("upload.too_large", file=name, measured=mb(measured.unpacked_bytes),
                            limit=mb(bounds.max_bytes))
    if measured.rows is not None and measured.rows > bounds.max_rows:
        raise UploadRefused("upload.too_many_rows", file=name, measured=f"{measured.rows:,}",
                            limit=f"{bounds.max_rows:,}")
    return measured


def measure(source: str | Path | IO[bytes], filename: str | None = None) -> Measured:
    """An upload's packed and unpacked size and its rows, without parsing it; UploadRefused for an xlsx
    that is no workbook or holds an oversized metadata part."""
    name = _name(filename, source)
    with contextlib.ExitStack() as stack:
        handle: IO[bytes] = stack.enter_context(Path(source).open("rb")) if isinstance(source, str | Path) \
            else source
        start = handle.tell()
        handle.seek(0, 2)
        packed = handle.tell() - start
        handle.seek(start)
        if not name.lower().endswith((".xlsx", ".xlsm", ".xls")):
            return Measured("csv", packed, packed, _csv_rows(handle))
        head = handle.read(len(_OLE))
        handle.seek(start)
        if head[:4] != b"PK\x03\x04" or not zipfile.is_zipfile(handle):
            handle.seek(start)
            if name.lower().endswith(".xls") or head == _OLE:
                return Measured("xls", packed, packed, None)  # calamine reads it (at most 65,536 rows)
            raise UploadRefused("upload.not_excel", file=name)
        handle.seek(start)
        try:
            return _measure_xlsx(handle, name, packed)
        except (zipfile.BadZipFile, KeyError, ValueError, EOFError, SyntaxError) as exc:  # SyntaxError: bad XML
            raise UploadRefused("upload.not_excel", file=name) from exc
        finally:
            handle.seek(start)
    raise AssertionError("unreachable")


def _csv_rows(handle: IO[bytes]) -> int:
    """The data rows of a CSV as its line breaks less the header (quoted line breaks count too: an upper
    bound), one bytes.count per MB."""
    start = handle.tell()
    lines, last = 0, b"\n"
    for block in iter(lambda: handle.read(1 << 20), b""):
        lines += block.count(b"\n")
        last = block[-1:]
    handle.seek(start)
    return max(lines + (last != b"\n") - 1, 0)


def _measure_xlsx(handle: IO[bytes], name: str, packed: int) -> Measured:
    with zipfile.ZipFile(handle) as archive:
        infos = archive.infolist()
        for info in infos:
            bulk = info.filename.startswith("xl/worksheets/") or info.filename == "xl/sharedStrings.xml"
            if not bulk and info.file_size > PART_MAX_BYTES:
                raise UploadRefused("upload.part_too_large", file=name, part=info.filename,
                                    measured=mb(info.file_size), limit=mb(PART_MAX_BYTES))
        unpacked = sum(i.file_size for i in infos)
        rows = None
        sheet = workbook_parts(archive)[0] if "xl/workbook.xml" in archive.namelist() else None
        if sheet is None:
            raise UploadRefused("upload.not_excel", file=name)
        with archive.open(sheet) as part:
            found = _DIMENSION.search(part.read(_DIMENSION_HEAD))
        if found:
            rows = max(int(found.group(1)) - 1, 0)
    return Measured("xlsx", packed, unpacked, rows)


class Budget:
    """The bytes and rows a reader actually parses, refused past the limits: a zip's declared sizes can lie."""

    def __init__(self, name: str, bounds: UploadLimits) -> None:
        self.name, self.bounds, self.read = name, bounds, 0

    def counted(self, raw: IO[bytes]) -> _Counted:
        return _Counted(raw, self)

    def add(self, size: int) -> None:
        self.read += size
        if self.read > self.bounds.max_bytes:
            raise UploadRefused("upload.read_past_limit", file=self.name, limit=mb(self.bounds.max_bytes))

    def row(self, number: int) -> None:
        """A sheet row's number (the header is row 1) past the row limit is refused."""
        if number - 1 > self.bounds.max_rows:
            raise UploadRefused("upload.too_many_rows", file=self.name, measured=f"{number - 1:,}+",
                                limit=f"{self.bounds.max_rows:,}")

    def column(self, index: int, ref: str | None) -> None:
        if index >= MAX_COLUMNS:
            raise UploadRefused("upload.bad_cell", file=self.name, cell=(ref or "?")[:20])


class _Counted:
    """A read stream whose bytes are counted against a Budget."""

    def __init__(self, raw: IO[bytes], budget: Budget) -> None:
        self.raw, self.budget = raw, budget

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)  # the XML parser reads in blocks of 64 KB
        self.budget.add(len(data))
        return data

    def close(self) -> None:
        self.raw.close()
