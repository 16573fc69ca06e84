"""Vectorised counterparts of the scalar identifier rules (core.customers.nik, .phone, .vehicle_ids, .dates)
for imports of millions of rows.

Each takes a pandas Series and returns (normalised values, error codes) on the input's index, None
where a row has no value or no error. A fast regex/pyarrow path settles the common rows; the rows it
cannot settle go through the scalar function, so both always agree (tests check it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core.customers.dates import (
    _DMY_PATTERN,
    _EXCEL_EPOCH,
    _ISO_PATTERN,
    _SERIAL_MAX,
    _SERIAL_MIN,
    DATE_MAX,
    DATE_MIN,
    parse_date,
)
from core.customers.nik import NIK_PROVINCES, normalize_nik
from core.customers.phone import normalize_phone
from core.customers.vehicle_ids import normalize_engine_no, normalize_frame_no, normalize_plate
from core.platform.errors import ValidationError


def _as_text(values: pd.Series) -> pa.Array:
    """The column as an arrow string array; null where a cell is not text (the scalar decides those)."""
    try:
        return pa.array(values.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        return pa.array([v if isinstance(v, str) else None for v in values.to_numpy(dtype=object)], pa.string())


def _finish(
    values: pd.Series, fast: Any, scalar: Callable[[Any], Any], fast_errors: np.ndarray | None = None
) -> tuple[pd.Series, pd.Series]:
    """Combine the fast path's answers (values, and errors if it found any) with the scalar's for the rest."""
    normalised = np.asarray(fast.to_pandas(), dtype=object) if isinstance(fast, pa.Array) else fast
    errors = np.full(len(values), None, dtype=object) if fast_errors is None else fast_errors.astype(object)
    pending = np.flatnonzero(pd.isna(normalised) & pd.isna(errors))
    if len(pending):
        # Bad cells repeat ("0", "-", one placeholder date): compute each distinct one once.
        cache: dict[tuple[type, Any], tuple[Any, str | None]] = {}
        originals = values.to_numpy(dtype=object)
        for i in pending:
            value = originals[i]
            try:
                key = (type(value), value)
                result = cache.get(key)
            except TypeError:
                key, result = None, None
            if result is None:
                try:
                    result = (scalar(value), None)
                except ValidationError as exc:
                    result = (None, exc.code)
                if key is not None:
                    cache[key] = result
            normalised[i], errors[i] = result
    normalised[pd.isna(normalised)] = None
    return pd.Series(normalised, index=values.index, dtype=object), pd.Series(errors, index=values.index, dtype=object)


def _digits_text(values: pd.Series, allow_float: bool) -> pa.Array:
    """Numeric columns as digit strings (integral values only); other columns via _as_text."""
    if pd.api.types.is_bool_dtype(values.dtype):
        return pa.nulls(len(values), pa.string())
    if pd.api.types.is_integer_dtype(values.dtype):
        return pc.cast(pa.array(values, from_pandas=True), pa.string())
    if pd.api.types.is_float_dtype(values.dtype):
        if not allow_float:
            return pa.nulls(len(values), pa.string())
        floats = values.to_numpy(dtype="float64", na_value=np.nan)
        integral = np.isfinite(floats) & (np.abs(floats) < 1e15) & (np.floor(floats) == floats)
        ints = pa.array(np.where(integral, floats, 0).astype("int64"), mask=~integral)
        return pc.cast(ints, pa.string())
    return _as_text(values)


def normalize_phone_series(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """normalize_phone for a column: (E.164 numbers, error codes)."""
    compact = pc.replace_substring_regex(_digits_text(values, allow_float=True), pattern=r"[ \t\-.()]", replacement="")
    # phonenumbers' Indonesian mobile pattern is 8[1-35-9] + 7-10 digits; a test pins it to the library.
    found = pc.extract_regex(compact, pattern=r"^(?:\+62|0062|62|0)?(?P<n>8[1-35-9][0-9]{7,10})$")
    e164 = pc.binary_join_element_wise("+62", pc.struct_field(found, "n"), "")
    return _finish(values, pc.if_else(found.is_valid(), e164, pa.scalar(None, pa.string())), normalize_phone)


def normalize_nik_series(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """normalize_nik for a column: (16-digit NIKs, error codes)."""
    compact = pc.replace_substring_regex(_digits_text(values, allow_float=False), pattern=r"[ .]", replacement="")
    digits = pc.if_else(pc.match_substring_regex(compact, r"^[0-9]{16}$"), compact, None)
    n = pc.cast(pc.fill_null(digits, "0"), pa.int64()).to_numpy(zero_copy_only=False)
    province, city, district = n // 10**14, n // 10**12 % 100, n // 10**10 % 100
    day, month, yy, sequence = n // 10**8 % 100, n // 10**6 % 100, n // 10**4 % 100, n % 10**4
    day = np.where(day > 40, day - 40, day)
    month_days = np.array([0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])[np.clip(month, 0, 12)]
    month_days = np.where((month == 2) & (yy % 4 != 0), 28, month_days)
    # Same order of checks as normalize_nik, so both name the same first fault.
    checks = [
        ("nik.province", ~np.isin(province, list(NIK_PROVINCES))),
        ("nik.city", city == 0),
        ("nik.district", district == 0),
        ("nik.birth_date", (month < 1) | (month > 12) | (day < 1) | (day > month_days)),
        ("nik.sequence", sequence == 0),
    ]
    codes = np.select([bad for _, bad in checks], [code for code, _ in checks], default="")
    decided = digits.is_valid().to_numpy(zero_copy_only=False)
    errors = codes.astype(object)
    errors[~decided | (codes == "")] = None
    return _finish(values, pc.if_else(pa.array(decided & (codes == "")), digits, None), normalize_nik, errors)


def normalize_engine_no_series(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """normalize_engine_no for a column: (engine numbers, error codes)."""
    text = _as_text(values)
    compact = pc.replace_substring_regex(text, pattern=r"[ \t-]", replacement="")
    plain = pc.match_substring_regex(compact, r"^[A-Za-z][A-Za-z0-9]{11}$")
    with_plate = pc.extract_regex(
        text, pattern=r"^[A-Za-z]{1,2} ?[0-9]{1,4} ?[A-Za-z]{0,3} - (?P<e>[A-Za-z][A-Za-z0-9]{11})$"
    )
    engine = pc.if_else(plain, compact, pc.if_else(with_plate.is_valid(), pc.struct_field(with_plate, "e"), None))
    return _finish(values, pc.ascii_upper(engine), normalize_engine_no)


def normalize_frame_no_series(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """normalize_frame_no for a column: (17-character frame numbers, error codes)."""
    compact = pc.replace_substring_regex(pc.ascii_upper(_as_text(values)), pattern=r"[ \t\n\r\f-]",
                                         replacement="")
    body = pc.match_substring_regex(compact, r"^[A-Z0-9]{14}$")
    full = pc.match_substring_regex(compact, r"^MH1[A-Z0-9]{14}$")
    truncated = pc.starts_with(compact, "MH1")  # a 14-char value starting MH1 is a cut full number
    frame = pc.if_else(full, compact, pc.if_else(pc.and_(body, pc.invert(truncated)),
                                                 pc.binary_join_element_wise("MH1", compact, ""), None))
    return _finish(values, frame, normalize_frame_no)


def normalize_plate_series(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """normalize_plate for a column: ("BD 2035 ID" plates, error codes)."""
    found = pc.extract_regex(
        pc.ascii_upper(_as_text(values)),
        pattern=r"^[ \t\n\r\f]*(?P<a>[A-Z]{1,2})[ \t\n\r\f-]*(?P<b>[0-9]{1,4})[ \t\n\r\f-]*(?P<c>[A-Z]{0,3})"
                r"[ \t\n\r\f]*$")
    a, b, c = (pc.struct_field(found, k) for k in "abc")
    plate = pc.if_else(pc.equal(pc.utf8_length(c), 0), pc.binary_join_element_wise(a, b, " "),
                       pc.binary_join_element_wise(a, b, c, " "))
    return _finish(values, pc.if_else(found.is_valid(), plate, None), normalize_plate)


def parse_date_series(values: pd.Series, month_first: bool = False) -> tuple[pd.Series, pd.Series]:
    """parse_date for a column: (datetime.date values, error codes); month_first as in parse_date."""
    if isinstance(values.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(values.dtype):
        stamps = pd.Series(values)
    elif pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        serial = values.astype("float64")
        serial = serial.where((serial >= _SERIAL_MIN) & (serial <= _SERIAL_MAX))
        stamps = pd.Timestamp(_EXCEL_EPOCH) + pd.to_timedelta(np.floor(serial), unit="D")
    else:
        text = _as_text(values)
        dmy = pc.extract_regex(text, pattern=f"^ *{_DMY_PATTERN} *$")
        iso = pc.extract_regex(text, pattern=f"^ *{_ISO_PATTERN} *$")

        swap = {"d": "m", "m": "d"} if month_first else {}

        def part(name: str) -> np.ndarray:
            from_dmy = pc.if_else(dmy.is_valid(), pc.struct_field(dmy, swap.get(name, name)), None)
            from_iso = pc.if_else(iso.is_valid(), pc.struct_field(iso, name), None)
            return pc.cast(pc.coalesce(from_dmy, from_iso), pa.float64()).to_numpy(zero_copy_only=False)

        parts = pd.DataFrame({"year": part("y"), "month": part("m"), "day": part("d")})
        stamps = pd.to_datetime(parts, errors="coerce")
    if isinstance(stamps.dtype, pd.DatetimeTZDtype):
        stamps = stamps.dt.tz_localize(None)
    inside = stamps.notna() & (stamps >= pd.Timestamp(DATE_MIN)) & (stamps <= pd.Timestamp(DATE_MAX))
    fast = np.full(len(values), None, dtype=object)
    fast[inside.to_numpy()] = stamps[inside].dt.date.to_numpy()
    return _finish(values, fast, lambda v: parse_date(v, month_first=month_first))
