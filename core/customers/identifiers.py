"""Validate and normalise the identifiers that arrive from forms, Excel/CSV imports and AHM's DGI API.

Each scalar function returns the normalised value or raises ``ValidationError(code, field, value)``.
core.customers.identifiers_series does the same for a whole import column and returns
``(normalised, error_codes)``: two Series on the input's index, ``None`` where a row has no value
or no error. They agree with the scalar functions row by row: a fast pyarrow path decides the
well-formed rows and every other row goes through the scalar function.
"""

from __future__ import annotations

import math
import numbers
import re
from datetime import date, datetime, timedelta
from typing import Any, Literal

import numpy as np
import pandas as pd
import phonenumbers

from core.platform.errors import ValidationError
from core.platform.i18n import register

__all__ = [
    "DATE_MAX",
    "DATE_MIN",
    "JOB_TYPES",
    "NIK_PROVINCES",
    "engine_code",
    "engine_code_candidates",
    "format_phone_local",
    "kpb_number_of_job",
    "mask_nik",
    "nik_birth_date",
    "nik_gender",
    "normalize_engine_no",
    "normalize_frame_no",
    "normalize_job_type",
    "normalize_nik",
    "normalize_phone",
    "normalize_plate",
    "parse_date",
    "wa_me_digits",
]

_DATE_FORMATS = "dd/mm/yyyy, d/m/yyyy, dd-mm-yyyy, yyyy-mm-dd"

register(
    {
        "identifier.required": {"id": "wajib diisi", "en": "is required"},
        "nik.not_16_digits": {"id": "NIK harus 16 digit angka", "en": "NIK must be 16 digits"},
        "nik.read_as_decimal": {
            "id": "NIK terbaca sebagai angka desimal sehingga digitnya bisa hilang; "
            "format kolom NIK sebagai Teks lalu ekspor ulang",
            "en": "NIK was read as a decimal number and may have lost digits; "
            "format the NIK column as Text and export again",
        },
        "nik.province": {
            "id": "kode provinsi {province} di NIK tidak ada",
            "en": "province code {province} in the NIK does not exist",
        },
        "nik.city": {
            "id": "kode kota/kabupaten di NIK tidak boleh 00",
            "en": "the city code in the NIK may not be 00",
        },
        "nik.district": {
            "id": "kode kecamatan di NIK tidak boleh 00",
            "en": "the district code in the NIK may not be 00",
        },
        "nik.birth_date": {
            "id": "tanggal lahir di NIK tidak valid",
            "en": "the birth date in the NIK is not a valid date",
        },
        "nik.sequence": {
            "id": "nomor urut di NIK (4 digit terakhir) tidak boleh 0000",
            "en": "the sequence number in the NIK (last 4 digits) may not be 0000",
        },
        "phone.invalid": {
            "id": "bukan nomor HP Indonesia yang valid; tulis 08xx, 628xx atau +628xx (10-13 digit)",
            "en": "not a valid Indonesian mobile number; write 08xx, 628xx or +628xx (10-13 digits)",
        },
        "phone.not_mobile": {
            "id": "bukan nomor HP (mungkin telepon rumah/kantor); isi nomor HP 08xx",
            "en": "not a mobile number (perhaps a landline); enter a 08xx mobile number",
        },
        "phone.not_indonesian": {
            "id": "bukan nomor Indonesia; nomor HP harus diawali +62 atau 08",
            "en": "not an Indonesian number; a mobile number must start with +62 or 08",
        },
        "engine_no.invalid": {
            "id": "No mesin harus 12 huruf/angka diawali huruf, mis. JM81E1056206",
            "en": "engine number must be 12 letters/digits starting with a letter, e.g. JM81E1056206",
        },
        "frame_no.invalid": {
            "id": "No rangka harus 14 huruf/angka (tanpa MH1) atau 17 diawali MH1",
            "en": "frame number must be 14 letters/digits (without MH1) or 17 starting with MH1",
        },
        "plate.invalid": {
            "id": "format No Polisi salah; contoh BD 2035 ID (kode wilayah, 1-4 angka, 0-3 huruf)",
            "en": "wrong plate format; e.g. BD 2035 ID (region letters, 1-4 digits, 0-3 letters)",
        },
        "date.invalid_format": {
            "id": f"format tanggal tidak dikenal; gunakan {_DATE_FORMATS}",
            "en": f"unknown date format; use {_DATE_FORMATS}",
        },
        "date.impossible": {
            "id": f"tanggal tidak ada di kalender; gunakan {_DATE_FORMATS}",
            "en": f"no such day in the calendar; use {_DATE_FORMATS}",
        },
        "date.out_of_range": {
            "id": f"tanggal harus antara tahun 1900 dan 2100; gunakan {_DATE_FORMATS}",
            "en": f"the date must be between the years 1900 and 2100; use {_DATE_FORMATS}",
        },
        "job_type.unknown": {
            "id": "kode jenis pekerjaan tidak dikenal; pilih salah satu: {codes}",
            "en": "unknown job type code; use one of: {codes}",
        },
    }
)


def _is_missing(value: object) -> bool:
    if isinstance(value, str):
        return not value.strip()
    return bool(pd.api.types.is_scalar(value) and pd.isna(value))


def _required(field: str, value: object) -> ValidationError:
    return ValidationError("identifier.required", field=field, value=value)


# --- NIK (KTP number) -------------------------------------------------------------------------

# Kemendagri province codes.
_PROVINCE_RANGES = ((11, 19), (21, 21), (31, 36), (51, 53), (61, 65), (71, 76), (81, 82), (91, 96))
NIK_PROVINCES = frozenset(code for low, high in _PROVINCE_RANGES for code in range(low, high + 1))
_NIK_SEPARATORS = re.compile(r"[\s.]")
_NIK_DIGITS = re.compile(r"[0-9]{16}")
# "6.472020504010003e+15" or "6472020504010003.0": the cell went through a float.
_NIK_FLOAT_TEXT = re.compile(r"\s*[0-9](?:\.[0-9]+)?[eE]\+?[0-9]+\s*|\s*[0-9]{16}\.0+\s*")


def _nik_fail(code: str, value: object, **params: Any) -> ValidationError:
    return ValidationError(code, field="nik", value=value, **params)


def _birth_year(yy: int) -> int:
    current_yy = date.today().year % 100
    return 1900 + yy if yy > current_yy else 2000 + yy


def normalize_nik(value: object) -> str:
    """The 16-digit NIK, checked against its structure (province, city, district, birth date, sequence)."""
    if _is_missing(value):
        raise _required("nik", value)
    if isinstance(value, bool):
        raise _nik_fail("nik.not_16_digits", value)
    if isinstance(value, float) or (isinstance(value, str) and _NIK_FLOAT_TEXT.fullmatch(value)):
        raise _nik_fail("nik.read_as_decimal", value)
    text = str(int(value)) if isinstance(value, numbers.Integral) else str(value)
    nik = _NIK_SEPARATORS.sub("", text)
    if not _NIK_DIGITS.fullmatch(nik):
        raise _nik_fail("nik.not_16_digits", value)
    if int(nik[:2]) not in NIK_PROVINCES:
        raise _nik_fail("nik.province", value, province=nik[:2])
    if nik[2:4] == "00":
        raise _nik_fail("nik.city", value)
    if nik[4:6] == "00":
        raise _nik_fail("nik.district", value)
    day, month, yy = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    try:
        date(_birth_year(yy), month, day - 40 if day > 40 else day)
    except ValueError:
        raise _nik_fail("nik.birth_date", value) from None
    if nik[12:] == "0000":
        raise _nik_fail("nik.sequence", value)
    return nik


def nik_birth_date(nik: object) -> date:
    """Birth date encoded in the NIK; a two-digit year later than this year's is read as 19xx."""
    n = normalize_nik(nik)
    day = int(n[6:8])
    return date(_birth_year(int(n[10:12])), int(n[8:10]), day - 40 if day > 40 else day)


def nik_gender(nik: object) -> Literal["F", "M"]:
    """'F' when the NIK's birth day has 40 added (women), else 'M'."""
    return "F" if int(normalize_nik(nik)[6:8]) > 40 else "M"


def mask_nik(nik: str | None) -> str:
    """NIK for lists and exports: first 6 and last 2 digits shown, e.g. 647202********03."""
    if nik is None:
        return ""
    text = str(nik).strip()
    if len(text) <= 8:
        return "*" * len(text)
    return text[:6] + "*" * (len(text) - 8) + text[-2:]


# --- Mobile phone -----------------------------------------------------------------------------

_PHONE_SEPARATORS = re.compile(r"[\s\-.()]")
_PHONE_DIGITS = re.compile(r"[0-9]{1,17}")


def _phone_text(value: object) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, float):
        # Excel stores 085845164510 as the number 85845164510.0; a fraction means it is not a phone.
        return str(int(value)) if math.isfinite(value) and value.is_integer() else None
    return value if isinstance(value, str) else None


def normalize_phone(value: object) -> str:
    """An Indonesian mobile number in E.164 ("+6285845164510"); landlines are refused."""
    if _is_missing(value):
        raise _required("phone", value)
    text = _phone_text(value)
    if text is None:
        raise ValidationError("phone.invalid", field="phone", value=value)
    compact = _PHONE_SEPARATORS.sub("", text)
    international = True
    if compact.startswith("+"):
        if not compact.startswith("+62"):
            raise ValidationError("phone.not_indonesian", field="phone", value=value)
        national = compact[3:]
    elif compact.startswith("0062"):
        national = compact[4:]
    elif compact.startswith("62"):
        national = compact[2:]
    else:
        international = False
        national = compact[1:] if compact.startswith("0") else compact
    if international and national.startswith("0"):  # "+62 (0)858..."
        national = national[1:]
    if not _PHONE_DIGITS.fullmatch(national):
        raise ValidationError("phone.invalid", field="phone", value=value)
    try:
        number = phonenumbers.parse("+62" + national)
    except phonenumbers.NumberParseException:
        raise ValidationError("phone.invalid", field="phone", value=value) from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError("phone.invalid", field="phone", value=value)
    if phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.MOBILE:
        raise ValidationError("phone.not_mobile", field="phone", value=value)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def wa_me_digits(e164: str) -> str:
    """The number as wa.me links want it: digits only, no '+' ("6285845164510")."""
    return normalize_phone(e164)[1:]


def format_phone_local(e164: str | None) -> str:
    """The number as people read it on screen: "0858-4516-4510"; unparseable text is shown as is."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, "ID")
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


# --- Vehicle: engine, frame, plate ------------------------------------------------------------

_ENGINE_SEPARATORS = re.compile(r"[\s-]")
_ENGINE = re.compile(r"[A-Z][A-Z0-9]{11}")
# Dealer exports write "BD 2035 ID - JM81E1056206": plate, dash, engine number.
_PLATE_THEN_ENGINE = re.compile(r"\s*[A-Z]{1,2}\s*[0-9]{1,4}\s*[A-Z]{0,3}\s*-\s*(.*)", re.DOTALL)
_FRAME = re.compile(r"[A-Z0-9]{14}|MH1[A-Z0-9]{14}")
_PLATE = re.compile(r"\s*([A-Z]{1,2})[\s-]*([0-9]{1,4})[\s-]*([A-Z]{0,3})\s*")


def normalize_engine_no(value: object) -> str:
    """12 letters/digits, uppercase, e.g. JM81E1056206; accepts the "BD 2035 ID - JM81E1056206" form."""
    if _is_missing(value):
        raise _required("engine_no", value)
    upper = str(value).upper()
    engine = _ENGINE_SEPARATORS.sub("", upper)
    if not _ENGINE.fullmatch(engine):
        with_plate = _PLATE_THEN_ENGINE.fullmatch(upper)
        engine = _ENGINE_SEPARATORS.sub("", with_plate.group(1)) if with_plate else ""
        if not _ENGINE.fullmatch(engine):
            raise ValidationError("engine_no.invalid", field="engine_no", value=value)
    return engine


def engine_code(engine_no: str) -> str:
    """The base engine code: the first 4 characters (JM81E1056206 -> JM81)."""
    return normalize_engine_no(engine_no)[:4]


def engine_code_candidates(engine_no: str) -> tuple[str, str]:
    """(5-char, 4-char) engine-code prefixes, most specific first, so a KPB rule keyed by 5 chars wins."""
    engine = normalize_engine_no(engine_no)
    return engine[:5], engine[:4]


def normalize_frame_no(value: object) -> str:
    """The 17-character frame number starting with MH1; AHM exports drop the MH1, so it is added back."""
    if _is_missing(value):
        raise _required("frame_no", value)
    frame = _ENGINE_SEPARATORS.sub("", str(value).upper())
    # A 14-char value already starting with MH1 is a truncated full number, not a body.
    if not _FRAME.fullmatch(frame) or (len(frame) == 14 and frame.startswith("MH1")):
        raise ValidationError("frame_no.invalid", field="frame_no", value=value)
    return frame if len(frame) == 17 else "MH1" + frame


def normalize_plate(value: object) -> str:
    """Plate as "BD 2035 ID": region letters, 1-4 digits, 0-3 letters, single spaces, uppercase."""
    if _is_missing(value):
        raise _required("plate", value)
    match = _PLATE.fullmatch(str(value).upper())
    if not match:
        raise ValidationError("plate.invalid", field="plate", value=value)
    return " ".join(part for part in match.groups() if part)


# --- Dates ------------------------------------------------------------------------------------

_TIME = r"(?:[ T](?:[01]?[0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]+)?)?)?"
# Day first, always: Indonesian files write 07/11/2020 for 7 November.
_DMY_PATTERN = r"(?P<d>[0-9]{1,2})[/-](?P<m>[0-9]{1,2})[/-](?P<y>[0-9]{4})" + _TIME
_ISO_PATTERN = r"(?P<y>[0-9]{4})-(?P<m>[0-9]{2})-(?P<d>[0-9]{2})" + _TIME
_DMY, _ISO = re.compile(_DMY_PATTERN), re.compile(_ISO_PATTERN)
_SERIAL_TEXT = re.compile(r"[0-9]{5}(?:\.[0-9]+)?")
_EXCEL_EPOCH = date(1899, 12, 30)
_SERIAL_MIN, _SERIAL_MAX = 20000, 80000
DATE_MIN, DATE_MAX = date(1900, 1, 1), date(2100, 12, 31)


def _from_serial(serial: float, field: str, value: object) -> date:
    if not _SERIAL_MIN <= serial <= _SERIAL_MAX:
        raise ValidationError("date.out_of_range", field=field, value=value)
    return _EXCEL_EPOCH + timedelta(days=math.floor(serial))


def _date_from_text(text: str, field: str, value: object, month_first: bool = False) -> date:
    if _SERIAL_TEXT.fullmatch(text):
        return _from_serial(float(text), field, value)
    slashed = _DMY.fullmatch(text)
    match = slashed or _ISO.fullmatch(text)
    if not match:
        raise ValidationError("date.invalid_format", field=field, value=value)
    day, month = int(match["d"]), int(match["m"])
    if slashed and month_first:  # an export in US order (05/19/2020): the first number is the month
        day, month = month, day
    try:
        return date(int(match["y"]), month, day)
    except ValueError:
        raise ValidationError("date.impossible", field=field, value=value) from None


def parse_date(value: object, field: str = "date", *, month_first: bool = False) -> date:
    """A date from a date/datetime/Timestamp, day-first text (month-first when asked: an export's own
    order, chosen per import), ISO text or an Excel serial number. A date impossible in the chosen
    order (19 as a month) is rejected, never guessed."""
    if _is_missing(value):
        raise _required(field, value)
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    if isinstance(value, datetime):
        result = value.date()
    elif isinstance(value, date):
        result = value
    elif isinstance(value, numbers.Real) and not isinstance(value, bool):
        result = _from_serial(float(value), field, value)
    elif isinstance(value, str):
        result = _date_from_text(value.strip(), field, value, month_first)
    else:
        raise ValidationError("date.invalid_format", field=field, value=value)
    if not DATE_MIN <= result <= DATE_MAX:
        raise ValidationError("date.out_of_range", field=field, value=value)
    return result


# --- AHM job types ----------------------------------------------------------------------------

JOB_TYPES: dict[str, str] = {
    "ASS1": "KPB 1: first free periodic service",
    "ASS2": "KPB 2: second free periodic service",
    "ASS3": "KPB 3: third free periodic service",
    "ASS4": "KPB 4: fourth free periodic service",
    "QS": "quick service",
    "LR": "light repair",
    "HR": "heavy repair",
    "JR": "job return (rework of an earlier job)",
    "C1": "claim (AHM code C1)",
    "C2": "claim (AHM code C2)",
    "CS": "AHM code",
    "LS": "AHM code",
    "PL": "AHM code",
    "PUD": "AHM code",
    "OR+": "AHM code",
}
_JOB_SEPARATORS = re.compile(r"[\s\-_]")
_KPB_JOB = re.compile(r"(?:KPB|ASS)([1-4])")


def normalize_job_type(value: object) -> str:
    """One of JOB_TYPES; "KPB 1", "KPB1" and "ASS 1" all become ASS1."""
    if _is_missing(value):
        raise _required("job_type", value)
    code = _JOB_SEPARATORS.sub("", str(value).upper())
    if kpb := _KPB_JOB.fullmatch(code):
        code = "ASS" + kpb.group(1)
    if code not in JOB_TYPES:
        raise ValidationError("job_type.unknown", field="job_type", value=value, codes=", ".join(JOB_TYPES))
    return code


def kpb_number_of_job(code: str) -> int | None:
    """The KPB number of a KPB job (ASS3 -> 3); None for any other job type."""
    kpb = _KPB_JOB.fullmatch(normalize_job_type(code))
    return int(kpb.group(1)) if kpb else None
