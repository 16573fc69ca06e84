"""Validating an import chunk: every cell normalised column-wise (core.customers.identifiers_series), every bad cell
a Rejection naming the file's row, header, value and the reason in Bahasa Indonesia. core.intake.importer stores
what passes."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.accounts.access import Viewer
from core.customers.identifiers_series import (
    normalize_engine_no_series,
    normalize_frame_no_series,
    normalize_nik_series,
    normalize_phone_series,
    normalize_plate_series,
    parse_date_series,
)
from core.customers.job_types import (
    JOB_TYPES,
    normalize_job_type,
)
from core.intake.read import FIELDS, KIND_FIELDS
from core.platform.errors import ValidationError
from core.platform.i18n import register, t
from core.platform.text_input import bad_chars, bad_rows, visible
from db.models import Branch

register({
    "intake.duplicate": {
        "id": "kemungkinan duplikat: No HP dan nama sama dengan lebih dari satu customer (atau NIK berbeda); "
              "periksa data customer lalu isi NIK",
        "en": "possible duplicate: mobile and name match more than one customer (or a different NIK); "
              "check the customer and fill in the NIK",
    },
    "intake.branch_unknown": {"id": "kode cabang tidak dikenal", "en": "unknown branch code"},
    "intake.branch_required": {
        "id": "cabang wajib diisi (kolom kode cabang atau pilih cabang)",
        "en": "the branch is required (a branch code column, or choose a branch)",
    },
    "intake.km_invalid": {"id": "KM harus angka bulat, mis. 12500", "en": "km must be a whole number, e.g. 12500"},
    "intake.too_long": {"id": "terlalu panjang (maks. {max} karakter)", "en": "too long (at most {max} characters)"},
    "field.sale_date": {"id": "Tanggal Beli", "en": "Sale date"},
    "field.service_date": {"id": "Tanggal Servis", "en": "Service date"},
    "field.wo_number": {"id": "No PKB", "en": "Work order no"},
    "field.sale_number": {"id": "No SPK", "en": "Sale no"},
    "field.km": {"id": "KM", "en": "Km"},
    "field.unit_type_code": {"id": "Kode Tipe Unit", "en": "Unit type code"},
    "field.unit_name": {"id": "Tipe Unit", "en": "Unit name"},
    "field.colour": {"id": "Warna", "en": "Colour"},
    "field.branch_code": {"id": "Kode Cabang", "en": "Branch code"},
})

REQUIRED: dict[str, tuple[str, ...]] = {
    "sales": ("name", "engine_no", "sale_date"),
    "work_orders": ("wo_number", "engine_no", "service_date", "job_type"),
}
_MAX_LEN = {"name": 120, "address": 255, "unit_type_code": 30, "unit_name": 120, "colour": 60, "sale_number": 40,
            "wo_number": 40}

@dataclass(frozen=True)
class Rejection:
    row: int  # as the user sees it in the file: header = row 1, first data row = row 2
    column: str  # the file's header
    value: str
    reason: str  # Bahasa Indonesia
    code: str = ""  # the message code, for tests and tools


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejection] = field(default_factory=list)

    @property
    def rejected_rows(self) -> int:
        return len({r.row for r in self.rejected})

    def as_dict(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "rejected_rows": self.rejected_rows, "rejections": len(self.rejected)}


# --- Validation -------------------------------------------------------------------------------


def _params(code: str, value: str) -> dict[str, Any]:
    if code == "job_type.unknown":
        return {"codes": ", ".join(JOB_TYPES)}
    if code == "nik.province":
        return {"province": re.sub(r"[\s.]", "", value)[:2]}
    if code == "intake.too_long":
        return {"max": 0}
    if code == "text.control_char":
        return {"chars": bad_chars(value)}
    return {}


def _by_unique(values: pd.Series, fn: Callable[[Any], Any]) -> tuple[pd.Series, pd.Series]:
    """A scalar validator over a column, once per distinct value."""
    good: dict[Any, Any] = {}
    bad: dict[Any, str] = {}
    for u in pd.unique(values):
        try:
            good[u] = fn(u)
        except ValidationError as exc:
            bad[u] = exc.code
    out = values.map(good).astype(object)
    err = values.map(bad).astype(object)
    out[out.isna()] = None
    err[err.isna()] = None
    return out, err


_KM_PLAIN = re.compile(r"[0-9]{1,7}(?:[.,]0+)?")
_KM_THOUSANDS = re.compile(r"[0-9]{1,3}(?:[.,][0-9]{3})+")


def _km(value: object) -> int:
    text = str(value).strip()
    if _KM_THOUSANDS.fullmatch(text):  # Indonesian "12.500" is twelve thousand five hundred
        return int(re.sub(r"[.,]", "", text))
    if _KM_PLAIN.fullmatch(text):
        return int(re.split(r"[.,]", text)[0])
    raise ValidationError("intake.km_invalid", field="km", value=value)


# Python's whitespace (str.isspace) spelled for RE2, so the vectorised collapse matches str.split().
_WHITESPACE = (r"[\t\n\x{0b}\x{0c}\r\x{1c}-\x{1f} \x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}"
               r"\x{205f}\x{3000}]+")


def _text(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Free text with runs of whitespace collapsed to one space and the ends trimmed."""
    text = pa.array(values.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
    collapsed = pc.utf8_trim(pc.replace_substring_regex(text, pattern=_WHITESPACE, replacement=" "), " ")
    return (pd.Series(collapsed.to_numpy(zero_copy_only=False), index=values.index, dtype=object),
            pd.Series(None, index=values.index, dtype=object))


_VALIDATORS: dict[str, Callable[[pd.Series], tuple[pd.Series, pd.Series]]] = {
    "nik": normalize_nik_series,
    "phone": normalize_phone_series,
    "engine_no": normalize_engine_no_series,
    "sale_date": parse_date_series,
    "service_date": parse_date_series,
    "frame_no": normalize_frame_no_series,
    "plate": normalize_plate_series,
    "job_type": lambda s: _by_unique(s, normalize_job_type),
    "km": lambda s: _by_unique(s, _km),
}


def _month_first_dates(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    return parse_date_series(values, month_first=True)


@dataclass
class _Checked:
    values: pd.DataFrame  # our fields, normalised; None where blank
    ok: np.ndarray  # rows without any rejection
    rejections: list[Rejection]
    header_of: dict[str, str]


def _branch_codes(session: Session) -> dict[str, int]:
    return {code.upper(): bid for bid, code in session.execute(select(Branch.id, Branch.code))}


def _check(session: Session, viewer: Viewer, kind: str, df: pd.DataFrame, mapping: dict[str, str],
           branch_id: int | None, *, first_row: int = 2, month_first: bool = False,
           file_rows: np.ndarray | None = None) -> _Checked:
    """Validate every row; every bad cell becomes a Rejection with the file's row number and header
    (first_row is df's first row in the file: 2 under the header, more for a later chunk; file_rows
    gives each row's number instead, for rows picked out of a chunk)."""
    header_of: dict[str, str] = {}
    for header, fld in mapping.items():
        if fld in KIND_FIELDS[kind] and fld not in header_of and header in df.columns:
            header_of[fld] = header
    n = len(df)
    rows = np.arange(n) + first_row if file_rows is None else np.asarray(file_rows)
    values = pd.DataFrame(index=pd.RangeIndex(n))
    codes: list[tuple[str, np.ndarray]] = []  # (field, error code per row or None)
    branch_control = np.zeros(0, dtype=np.int64)
    originals: dict[str, np.ndarray] = {}
    for fld in KIND_FIELDS[kind]:
        hdr = header_of.get(fld)
        if hdr is None:
            values[fld] = pd.Series([None] * n, dtype=object)
            if fld in REQUIRED[kind]:
                codes.append((fld, np.full(n, "identifier.required", dtype=object)))
                originals[fld] = np.full(n, "", dtype=object)
            continue
        # core.platform.text_input's rule: a cell with a refused character rejects its row, whatever else; the cell
        # is then validated as blank. Python objects (an xlsx, DGI records) are checked before they become
        # Arrow text, which a lone surrogate cannot; text columns as they are.
        cells = df[hdr].reset_index(drop=True)
        control = bad_rows(cells.to_numpy()) if cells.dtype == object else None
        shown = None
        if control is not None and len(control):
            shown = [str(cells.iloc[i]).strip() for i in control]
            cells = cells.copy()
            cells.iloc[control] = ""
        raw = cells.astype(str).str.strip()
        originals[fld] = raw.to_numpy(dtype=object)
        if control is None:
            control = bad_rows(originals[fld])
            if len(control):
                raw = raw.copy()
                raw.iloc[control] = ""
        elif shown is not None:
            originals[fld][control] = shown
        blank = (raw == "").to_numpy()
        if fld == "branch_code":
            values[fld] = raw.where(~blank, None).astype(object)
            branch_control = control
            continue
        validate = _VALIDATORS.get(fld, _text)
        if month_first and fld in ("sale_date", "service_date"):
            validate = _month_first_dates
        if blank.all():
            out, err = pd.Series([None] * n, dtype=object), pd.Series([None] * n, dtype=object)
        else:
            out, err = validate(raw)
        out = out.reset_index(drop=True).astype(object)
        err_arr = err.reset_index(drop=True).to_numpy(dtype=object, copy=True)
        err_arr[blank] = "identifier.required" if fld in REQUIRED[kind] else None
        out[blank] = None
        limit = _MAX_LEN.get(fld)
        if limit is not None:
            long = (raw.str.len() > limit).to_numpy() & ~blank
            err_arr[long & pd.isna(err_arr)] = "intake.too_long"
        err_arr[control] = "text.control_char"
        out[control] = None
        values[fld] = out
        codes.append((fld, err_arr))

    # Branch: the row's branch code (one of the viewer's branches), else the chosen branch, else the
    # viewer's only branch.
    default_branch = branch_id
    if default_branch is None and not viewer.all_branches and len(viewer.branch_ids) == 1:
        default_branch = next(iter(viewer.branch_ids))
    known = _branch_codes(session)
    branch_codes = values["branch_code"]
    branch_ids = np.full(n, default_branch, dtype=object)
    branch_err = np.full(n, None, dtype=object)
    if "branch_code" in header_of:
        resolved: dict[str, tuple[int | None, str | None]] = {}
        for code in pd.unique(branch_codes.dropna()):
            bid = known.get(str(code).upper())
            if bid is None:
                resolved[code] = (None, "intake.branch_unknown")
            elif not viewer.may_see_branch(bid):
                resolved[code] = (None, "error.branch_forbidden")
            else:
                resolved[code] = (bid, None)
        for i, code in enumerate(branch_codes.to_numpy(dtype=object)):
            if not pd.isna(code):  # a blank cell may arrive as None, NaN or pd.NA
                branch_ids[i], branch_err[i] = resolved[code]
    branch_err[(branch_ids == None) & pd.isna(branch_err)] = "intake.branch_required"  # noqa: E711
    branch_err[branch_control] = "text.control_char"
    values["branch_id"] = branch_ids
    codes.append(("branch_code", branch_err))
    if "branch_code" not in originals:
        originals["branch_code"] = np.full(n, "", dtype=object)

    bad = np.zeros(n, dtype=bool)
    found: list[tuple[int, int, Rejection]] = []
    order = {f: i for i, f in enumerate(FIELDS)}
    for fld, err_arr in codes:
        hit = np.flatnonzero(~pd.isna(err_arr))
        if not len(hit):
            continue
        bad[hit] = True
        column = header_of.get(fld) or FIELDS[fld]
        reasons: dict[str, str] = {}
        for idx in hit:
            code = str(err_arr[idx])
            value = str(originals[fld][idx])
            params = _params(code, value)
            value = visible(value)  # a control character escaped: readable, and an xlsx can hold it
            if code == "intake.too_long":
                params = {"max": _MAX_LEN[fld]}
            reason = t(code, "id", **params) if params else reasons.setdefault(code, t(code, "id"))
            found.append((int(rows[idx]), order[fld], Rejection(int(rows[idx]), column, value, reason, code)))
    found.sort(key=lambda x: (x[0], x[1]))
    return _Checked(values, ~bad, [r for _, _, r in found], header_of)
