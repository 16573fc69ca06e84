"""Reading dealer exports: the file as text (CSV with ',' or ';', or xlsx through calamine) and its
headers matched to our fields (AHM DGI names and common Indonesian headers). core.intake.importer validates
and stores what this reads."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from core.intake import upload_limits
from core.intake.upload_limits import Budget, UploadLimits

# Our fields, in the order the page shows them; the value is the label.
FIELDS: dict[str, str] = {
    "name": "Nama", "nik": "No KTP", "phone": "No HP", "address": "Alamat",
    "engine_no": "No Mesin", "frame_no": "No Rangka", "plate": "No Polisi", "unit_type_code": "Kode Tipe Unit",
    "unit_name": "Tipe Unit", "colour": "Warna", "sale_date": "Tanggal Beli", "sale_number": "No SPK",
    "wo_number": "No PKB", "service_date": "Tanggal Servis", "job_type": "Jenis Pekerjaan", "km": "KM",
    "branch_code": "Kode Cabang",
}
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    "sales": ("name", "nik", "phone", "address", "engine_no", "frame_no", "plate", "unit_type_code", "unit_name",
              "colour", "sale_date", "sale_number", "branch_code"),
    "work_orders": ("wo_number", "engine_no", "service_date", "job_type", "km", "plate", "frame_no",
                    "unit_type_code", "unit_name", "colour", "name", "nik", "phone", "address", "branch_code"),
}

# Header synonyms (AHM DGI names and common Indonesian headers), compared lowercase without spaces or punctuation.
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "engine_no": ("nomesin", "nomormesin", "nosin", "engineno", "enginenumber", "noengine"),
    "frame_no": ("norangka", "nomorrangka", "noka", "frameno", "framenumber", "chassisno", "nochassis"),
    "plate": ("nopolisi", "nomorpolisi", "nopol", "platno", "plat", "plate", "plateno", "platenumber"),
    "unit_type_code": ("kodetipeunit", "kodetipe", "kodeunit", "kodemotor", "unittypecode", "typecode"),
    "unit_name": ("namatipeunit", "tipeunit", "namaunit", "tipemotor", "tipe", "unit", "unitname", "type"),
    "colour": ("warna", "kodewarna", "namawarna", "colour", "color"),
    "service_date": ("tanggalservis", "tglservis", "tanggalservice", "tglservice", "tanggalpkb", "tglpkb",
                     "servicedate", "tanggalwo", "tglwo"),
    "job_type": ("jenispekerjaan", "kodejenispekerjaan", "jenisservis", "jenisservice", "jobtype", "kodepekerjaan"),
    "nik": ("noktp", "nomorktp", "nik", "ktp", "noidentitas"),
    "phone": ("nohp", "nomorhp", "hp", "nohandphone", "handphone", "nowa", "nowhatsapp", "phone", "mobile",
              "notelp", "telepon"),
    "name": ("namacustomer", "nama", "namakonsumen", "namapelanggan", "namapemilik", "customername", "customer",
             "name"),
    "address": ("alamat", "alamatcustomer", "alamatkonsumen", "address"),
    "sale_date": ("tanggalpenjualan", "tglpenjualan", "tglspk", "tanggalspk", "tanggalbeli", "tglbeli",
                  "tanggaljual", "tgljual", "saledate", "tanggalbast", "tglbast"),
    "sale_number": ("nospk", "nomorspk", "salenumber", "nobast"),
    "wo_number": ("nopkb", "nowo", "nomorpkb", "nomorwo", "noworkorder", "wonumber", "workorder"),
    "km": ("km", "kilometer", "odometer", "kmsaatini", "kmservis"),
    "branch_code": ("kodecabang", "cabang", "branchcode", "branch", "kodeahass", "kodedealer"),
}
_HEADER_NOISE = re.compile(r"[^0-9a-z]")
_SYNONYM_FIELD = {syn: f for f, syns in _SYNONYMS.items() for syn in syns}

def _norm_header(header: object) -> str:
    return _HEADER_NOISE.sub("", str(header).lower())


def guess_mapping(headers: Iterable[object]) -> dict[str, str]:
    """{file header: our field} for the headers we recognise; each field is taken by its first header."""
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for header in headers:
        key = _norm_header(header)
        fld = _SYNONYM_FIELD.get(key) or (key if key in FIELDS else None)
        if fld and fld not in taken:
            mapping[str(header)] = fld
            taken.add(fld)
    return mapping


def _cell_text(value: object, as_nik: bool) -> str:
    """An Excel cell as the text the validators expect; a float NIK keeps its '.0' so it is flagged."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | np.integer) and as_nik:
        return f"{int(value)}.0"  # Excel keeps 15 digits of a number: a numeric NIK may have lost its last
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return f"{int(value)}.0" if as_nik else str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime | pd.Timestamp):
        return value.date().isoformat() if (value.hour, value.minute, value.second) == (0, 0, 0) \
            else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat()
    return str(value)


def read_table(path_or_buffer: str | Path | IO[bytes], filename: str | None = None,
               limits: UploadLimits | None = None) -> pd.DataFrame:
    """The file as a DataFrame of strings (blank cells are ''), from .csv (',' or ';') or .xlsx (xlsx_stream,
    within the upload limits: core.intake.upload_limits.check measures a file before this reads it)."""
    name = (filename or str(getattr(path_or_buffer, "name", path_or_buffer))).lower()
    if name.endswith((".xlsx", ".xlsm", ".xls")) and _is_zip(path_or_buffer):
        frames = list(_iter_excel(path_or_buffer, 50_000, 0, limits, Path(name).name, keep_header=True))
        return pd.concat(frames).reset_index(drop=True) if len(frames) > 1 else frames[0] if frames else \
            pd.DataFrame()
    if name.endswith((".xlsx", ".xlsm", ".xls")):
        raw = pd.read_excel(path_or_buffer, engine="calamine", dtype=object)
        nik_headers = {h for h, f in guess_mapping(raw.columns).items() if f == "nik"}
        out = pd.DataFrame({str(col): [_cell_text(v, str(col) in nik_headers) for v in raw[col].tolist()]
                            for col in raw.columns}, dtype=object)
        return out
    data = Path(path_or_buffer).read_bytes() if isinstance(path_or_buffer, str | Path) else path_or_buffer.read()
    if isinstance(data, str):
        data = data.encode()
    sep, encoding = _csv_dialect(data[:65536])
    frame = pd.read_csv(io.BytesIO(data), sep=sep, dtype=str, keep_default_na=False, encoding=encoding,
                        quoting=csv.QUOTE_MINIMAL)
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _csv_dialect(head: bytes) -> tuple[str, str]:
    """(separator, encoding) from the file's first bytes: ';' when the header has more ';' than ','."""
    try:
        text_head, encoding = head.decode("utf-8-sig"), "utf-8-sig"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3:  # a multi-byte character cut by the end of the head
            text_head, encoding = head[:exc.start].decode("utf-8-sig"), "utf-8-sig"
        else:
            text_head, encoding = head.decode("cp1252", errors="replace"), "cp1252"
    first_line = text_head.splitlines()[0] if text_head else ""
    return (";" if first_line.count(";") > first_line.count(",") else ","), encoding


def is_excel(filename: str) -> bool:
    return filename.lower().endswith((".xlsx", ".xlsm", ".xls"))


def iter_table(path: str | Path, *, chunk_rows: int = 50_000, skip_chunks: int = 0,
               limits: UploadLimits | None = None) -> Iterator[pd.DataFrame]:
    """The file as DataFrames of strings of at most chunk_rows rows each, read as it goes (a file of
    millions of rows never sits in memory whole). Each chunk's index is its rows' position among the
    data rows (0 = the row under the header), so file row = index + 2. skip_chunks leaves out the
    first chunks (a resumed import); chunks are the same whatever is skipped. An xlsx's bytes, rows and
    columns are counted as read and refused past limits (default: the settings' defaults)."""
    path = Path(path)
    if is_excel(path.name):
        yield from _iter_excel(path, chunk_rows, skip_chunks, limits, path.name)
        return
    with path.open("rb") as handle:
        sep, encoding = _csv_dialect(handle.read(65536))
    reader = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, encoding=encoding,
                         quoting=csv.QUOTE_MINIMAL, chunksize=chunk_rows)
    with reader:
        for number, chunk in enumerate(reader):
            if number < skip_chunks:
                continue
            chunk.columns = [str(c).strip() for c in chunk.columns]
            yield chunk


# calamine holds the whole sheet in memory (1,243 MiB peak for a 1,000,000-row sheet of 690 MB of XML), and a
# sheet of two cells, A1 and XFD1048576, makes it allocate its whole range (rows x columns: 550 GB) and abort
# the process, whatever the file's size: every .xlsx is read by core.intake.xlsx_stream (the rows as the XML is
# parsed, flat memory, its bytes, rows and columns counted against the upload limits). calamine reads only
# a legacy .xls (no zip; at most 65,536 rows x 256 columns).


def _is_zip(source: str | Path | IO[bytes]) -> bool:
    if isinstance(source, str | Path):
        return zipfile.is_zipfile(source)
    start = source.tell()
    try:
        return zipfile.is_zipfile(source)
    finally:
        source.seek(start)


def _excel_rows(source: str | Path | IO[bytes], limits: UploadLimits | None, name: str
                ) -> tuple[Iterator[Any], Callable[[], None]]:
    """The first sheet's rows as sequences of cell values, and how to close the file."""
    if _is_zip(source):
        from core.intake.xlsx_stream import xlsx_rows

        return xlsx_rows(source, Budget(name, limits or upload_limits.defaults()))
    from python_calamine import CalamineWorkbook

    workbook = CalamineWorkbook.from_path(str(source)) if isinstance(source, str | Path) \
        else CalamineWorkbook.from_filelike(source)
    return workbook.get_sheet_by_index(0).iter_rows(), workbook.close


def _iter_excel(source: Path | str | IO[bytes], chunk_rows: int, skip_chunks: int, limits: UploadLimits | None,
                name: str, *, keep_header: bool = False) -> Iterator[pd.DataFrame]:
    """The first sheet row by row (xlsx_stream, or calamine for a legacy .xls), cells as read_table
    writes them; keep_header: a sheet of only a header gives one empty frame with its columns."""
    rows, close = _excel_rows(source, limits, name)
    try:
        header_cells = next(rows, None)
        if header_cells is None:
            return
        columns = _unique_headers(header_cells)
        nik_at = {i for i, h in enumerate(columns) if guess_mapping([h]).get(h) == "nik"}
        width = len(columns)
        start, number = 0, 0
        buffer: list[list[str] | None] = []

        def frame() -> pd.DataFrame:
            cols = list(zip(*(b for b in buffer if b is not None), strict=True)) if buffer else [()] * width
            return pd.DataFrame({c: np.array(v, dtype=object) for c, v in zip(columns, cols, strict=True)},
                                index=pd.RangeIndex(start, start + len(buffer)))

        for cells in rows:  # skipped chunks are counted, not converted
            if number >= skip_chunks:
                cells = list(cells[:width]) + [""] * (width - len(cells))
                buffer.append([_cell_text(v, i in nik_at) for i, v in enumerate(cells)])
            else:
                buffer.append(None)
            if len(buffer) == chunk_rows:
                if number >= skip_chunks:
                    yield frame()
                start, buffer, number = start + chunk_rows, [], number + 1
        if (buffer or (keep_header and start == 0)) and number >= skip_chunks:
            yield frame()
    finally:
        close()


def _unique_headers(cells: Iterable[object]) -> list[str]:
    """Header cells as pandas names them: blank -> 'Unnamed: i', a repeat -> 'name.1'."""
    out: list[str] = []
    seen: dict[str, int] = {}
    for i, cell in enumerate(cells):
        name = _cell_text(cell, False).strip() or f"Unnamed: {i}"
        if name in seen:
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        else:
            seen[name] = 0
        out.append(name)
    return out


def table_rows(path: str | Path) -> int | None:
    """How many data rows the file has, when that is cheap to know (a CSV: its lines less the header;
    quoted line breaks make it an estimate), else None."""
    path = Path(path)
    if is_excel(path.name):
        return None
    lines, last = 0, b"\n"
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            lines += block.count(b"\n")
            last = block[-1:]
    return max(lines - (last == b"\n"), 0)
