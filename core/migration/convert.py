"""The conversions the mappings use, each from one Odoo value to one H23 value: many2one pairs, Odoo's UTC
datetimes to branch time, month-first text dates, selections to our enums. A value that cannot be converted
raises Reject naming the Odoo field and value, so the record is reported, never guessed."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from core.customers.nik import normalize_nik
from core.customers.phone import normalize_phone
from core.customers.vehicle_ids import normalize_engine_no, normalize_frame_no, normalize_plate
from core.platform import clock
from core.platform.errors import ValidationError
from core.platform.i18n import register, t
from core.platform.text_input import has_bad, visible

register({
    "odoo.bad_value": {"id": "{field} = {value!r}: {reason}", "en": "{field} = {value!r}: {reason}"},
    "odoo.bad_date": {"id": "bukan tanggal", "en": "not a date"},
    "odoo.bad_choice": {"id": "pilihan tidak dikenal", "en": "unknown choice"},
    "odoo.required": {"id": "{field} kosong, wajib diisi", "en": "{field} is empty and required"},
    "odoo.missing_ref": {"id": "{field}: {model} id {id} tidak ada di H23 (belum disinkron atau ditolak)",
                         "en": "{field}: {model} id {id} is not in H23 (not synced or rejected)"},
    "odoo.duplicate": {"id": "{field} {value!r} sudah dipakai Odoo id {other}",
                       "en": "{field} {value!r} already belongs to Odoo id {other}"},
    "odoo.duplicate_page": {"id": "{field} {value!r} dipakai dua kali di Odoo (juga id {other})",
                            "en": "{field} {value!r} is used twice in Odoo (also id {other})"},
})


class Reject(Exception):
    """This Odoo record cannot come over; the reason names the field and the value."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Context:
    """What a conversion may need besides the value: the record's branch time zone."""

    tz: str = clock.WIB


Convert = Callable[[Any, Context], Any]


def _bad(field: str, value: Any, reason: str) -> Reject:
    return Reject(t("odoo.bad_value", "en", field=field, value=value, reason=reason))


def empty(value: Any) -> bool:
    """Odoo sends False for every empty field, whatever its type."""
    return value is False or value is None or (isinstance(value, str) and not value.strip())


def text(limit: int, field: str = "") -> Convert:
    """Odoo's text, spaces collapsed, cut to our column; control characters are refused (core.platform.text_input)."""
    def conv(value: Any, _ctx: Context) -> str | None:
        if empty(value):
            return None
        out = " ".join(str(value).split())
        if has_bad(out):
            raise _bad(field or "text", visible(out), "control character")
        return out[:limit]
    return conv


def upper_text(limit: int) -> Convert:
    def conv(value: Any, ctx: Context) -> str | None:
        out = text(limit)(value, ctx)
        return out.upper() if out else out
    return conv


def many2one_id(value: Any, _ctx: Context) -> int | None:
    """[id, display name] -> the Odoo id (resolved to our id by the writer)."""
    if empty(value):
        return None
    if isinstance(value, list | tuple) and value:
        return int(value[0])
    return int(value)


def many2one_name(value: Any, _ctx: Context) -> str | None:
    if isinstance(value, list | tuple) and len(value) > 1 and not empty(value[1]):
        return str(value[1]).strip()
    return None


def integer(value: Any, _ctx: Context) -> int | None:
    return None if empty(value) else int(value)


def boolean(value: Any, _ctx: Context) -> bool:
    return bool(value)


def odoo_date(field: str) -> Convert:
    """Odoo's date fields: 'YYYY-MM-DD' (no time zone)."""
    def conv(value: Any, _ctx: Context) -> dt.date | None:
        if empty(value):
            return None
        try:
            return dt.date.fromisoformat(str(value)[:10])
        except ValueError:
            raise _bad(field, value, t("odoo.bad_date", "en")) from None
    return conv


def _utc(field: str, value: Any) -> dt.datetime:
    try:
        text = str(value)
        if len(text) < 19 or text[10] != " ":
            raise ValueError(text)
        return dt.datetime.fromisoformat(text[:19]).replace(tzinfo=dt.UTC)
    except ValueError:
        raise _bad(field, value, t("odoo.bad_date", "en")) from None


def utc_datetime(field: str) -> Convert:
    """Odoo keeps datetimes as naive UTC text: an aware UTC datetime (shown in branch time by the app)."""
    def conv(value: Any, _ctx: Context) -> dt.datetime | None:
        return None if empty(value) else _utc(field, value)
    return conv


def branch_day(field: str) -> Convert:
    """A UTC datetime read as the day it was at the branch: 17:30 UTC is already tomorrow in WIB."""
    def conv(value: Any, ctx: Context) -> dt.date | None:
        return None if empty(value) else _utc(field, value).astimezone(ZoneInfo(ctx.tz)).date()
    return conv


def month_first_date(field: str) -> Convert:
    """The customisation's char dates typed as the US locale shows them: 07/31/2020 (month first)."""
    def conv(value: Any, _ctx: Context) -> dt.date | None:
        if empty(value):
            return None
        try:
            return dt.datetime.strptime(str(value).strip(), "%m/%d/%Y").date()
        except ValueError:
            raise _bad(field, value, t("odoo.bad_date", "en") + " (MM/DD/YYYY)") from None
    return conv


def choice(field: str, values: dict[str, Any], *, default: Any = None) -> Convert:
    """A selection (or a many2one's display name) to one of our enum values."""
    def conv(value: Any, _ctx: Context) -> Any:
        if empty(value):
            return default
        key = str(value[1] if isinstance(value, list | tuple) else value).strip().lower()
        if key not in values:
            raise _bad(field, value, t("odoo.bad_choice", "en") + f" ({', '.join(sorted(values))})")
        return values[key]
    return conv


def _validated(field: str, normalize: Callable[[object], str]) -> Convert:
    def conv(value: Any, _ctx: Context) -> str | None:
        if empty(value):
            return None
        try:
            return normalize(value)
        except ValidationError as exc:
            raise _bad(field, value, exc.message("en")) from None
    return conv


def nik(field: str) -> Convert:
    return _validated(field, normalize_nik)


def engine_no(field: str) -> Convert:
    return _validated(field, normalize_engine_no)


def frame_no(field: str) -> Convert:
    return _validated(field, normalize_frame_no)


def plate(field: str) -> Convert:
    return _validated(field, normalize_plate)


def phone(field: str) -> Convert:
    """A phone Odoo has that is not a mobile number we can use is dropped, not a reason to lose the
    customer: the CDDB keeps the rest (the number stays in Odoo)."""
    def conv(value: Any, _ctx: Context) -> str | None:
        if empty(value):
            return None
        simple = _SIMPLE_MOBILE.fullmatch(str(value).strip())
        if simple:  # 08xxxxxxxxx, most of Odoo's numbers: what normalize_phone gives, without its parse
            return "+62" + simple.group(1)
        try:
            return normalize_phone(value)
        except ValidationError:
            return None
    return conv


_SIMPLE_MOBILE = re.compile(r"(?:\+62|0)(8[1-35-9][0-9]{7,10})")  # 084 is no mobile range
