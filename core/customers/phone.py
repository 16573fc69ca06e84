"""Indonesian mobile numbers: normalised to E.164, written as wa.me links want them, shown as people read them."""

from __future__ import annotations

import math
import numbers
import re

import phonenumbers

from core.customers.identifier_base import is_missing, required
from core.platform.errors import ValidationError
from core.platform.i18n import register

__all__ = [
    "format_phone_local",
    "normalize_phone",
    "wa_me_digits",
]

register(
    {
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
    }
)


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
    if is_missing(value):
        raise required("phone", value)
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
