"""The NIK (KTP number): its structure (province, city, district, birth date, sequence), what it encodes
(birth date, gender) and its mask for lists and exports.
"""

from __future__ import annotations

import numbers
import re
from datetime import date
from typing import Any, Literal

from core.customers.identifier_base import is_missing, required
from core.platform.errors import ValidationError
from core.platform.i18n import register

__all__ = [
    "NIK_PROVINCES",
    "mask_nik",
    "nik_birth_date",
    "nik_gender",
    "normalize_nik",
]

register(
    {
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
    }
)


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
    if is_missing(value):
        raise required("nik", value)
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
