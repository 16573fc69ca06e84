"""Reading dealer exports: the file as text (CSV with ',' or ';', or xlsx through calamine) and its
headers matched to our fields (AHM DGI names and common Indonesian headers). core.intake validates
and stores what this reads."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections.abc import Iterable
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

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


def read_table(path_or_buffer: str | Path | IO[bytes], filename: str | None = None) -> pd.DataFrame:
    """The file as a DataFrame of strings (blank cells are ''), from .csv (',' or ';') or .xlsx."""
    name = (filename or str(getattr(path_or_buffer, "name", path_or_buffer))).lower()
    if name.endswith((".xlsx", ".xlsm", ".xls")):
        raw = pd.read_excel(path_or_buffer, engine="calamine", dtype=object)
        nik_headers = {h for h, f in guess_mapping(raw.columns).items() if f == "nik"}
        out = pd.DataFrame({str(col): [_cell_text(v, str(col) in nik_headers) for v in raw[col].tolist()]
                            for col in raw.columns}, dtype=object)
        return out
    data = Path(path_or_buffer).read_bytes() if isinstance(path_or_buffer, str | Path) else path_or_buffer.read()
    if isinstance(data, str):
        data = data.encode()
    try:
        text_head = data[:65536].decode("utf-8-sig")
        encoding = "utf-8-sig"
    except UnicodeDecodeError:
        text_head, encoding = data[:65536].decode("cp1252", errors="replace"), "cp1252"
    first_line = text_head.splitlines()[0] if text_head else ""
    sep = ";" if first_line.count(";") > first_line.count(",") else ","
    frame = pd.read_csv(io.BytesIO(data), sep=sep, dtype=str, keep_default_na=False, encoding=encoding,
                        quoting=csv.QUOTE_MINIMAL)
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame
