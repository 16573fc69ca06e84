"""Dates from forms and imports: date objects, day-first (or month-first) text, ISO text, Excel serials."""

from __future__ import annotations

import math
import numbers
import re
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from core.customers.identifier_base import is_missing, required
from core.platform.errors import ValidationError
from core.platform.i18n import register

__all__ = [
    "DATE_MAX",
    "DATE_MIN",
    "parse_date",
]

_DATE_FORMATS = "dd/mm/yyyy, d/m/yyyy, dd-mm-yyyy, yyyy-mm-dd"

register(
    {
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
    }
)


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
    if is_missing(value):
        raise required(field, value)
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
