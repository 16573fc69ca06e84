"""The booking memo's two lists (DOMAIN.md "Booking service"): why the customer comes and who brings the unit.
A booking stores the stable code; screens and files show it in the reader's language. Rows written before
codes (the seed's Indonesian text) are mapped by migration 0022; a text not in the lists still shows as it is."""

from __future__ import annotations

from core.platform.errors import ValidationError
from core.platform.i18n import register, t

# code -> (Indonesian, English); the order is the form's.
REASONS_TO_COME: dict[str, tuple[str, str]] = {
    "PHONE_REMINDER": ("Telp Reminder", "Reminder call"),
    "WA_REMINDER": ("WA Reminder", "WhatsApp reminder"),
    "SMS_REMINDER": ("SMS Reminder", "SMS reminder"),
    "OWN_INITIATIVE": ("Inisiatif sendiri", "Own initiative"),
    "SERVICE_VISIT": ("Servis kunjung", "Service visit"),
    "OTHER": ("Lainnya", "Other"),
}
CARRIER_RELATIONS: dict[str, tuple[str, str]] = {
    "SELF": ("Sendiri", "The owner"),
    "FAMILY": ("Keluarga", "Family"),
    "FRIEND": ("Teman", "Friend"),
    "EMPLOYEE": ("Karyawan", "Employee"),
    "OTHER": ("Lainnya", "Other"),
}
DEFAULT_RELATION = "SELF"

register({
    **{f"booking.reason.{code}": {"id": id_, "en": en} for code, (id_, en) in REASONS_TO_COME.items()},
    **{f"booking.relation.{code}": {"id": id_, "en": en} for code, (id_, en) in CARRIER_RELATIONS.items()},
    "booking.not_in_list": {"id": "bukan pilihan yang ada", "en": "is not one of the choices"},
    "field.reason_to_come": {"id": "Alasan datang", "en": "Reason for coming"},
    "field.carrier_relation": {"id": "Hubungan pembawa dengan pemilik", "en": "Rider's relation to the owner"},
})


def _code(value: str | None, choices: dict[str, tuple[str, str]], field: str) -> str | None:
    """The code for a code or its Indonesian or English text (any case); None for nothing chosen."""
    if value is None or not value.strip():
        return None
    wanted = value.strip().casefold()
    for code, names in choices.items():
        if wanted == code.casefold() or wanted in (n.casefold() for n in names):
            return code
    raise ValidationError("booking.not_in_list", field=field, value=value)


def reason_code(value: str | None) -> str | None:
    return _code(value, REASONS_TO_COME, "reason_to_come")


def relation_code(value: str | None) -> str | None:
    return _code(value, CARRIER_RELATIONS, "carrier_relation")


def reason_label(code: str | None, lang: str) -> str:
    """What a reader sees for a stored reason: its text in lang; an unknown stored text as it is; "" for none."""
    return t(f"booking.reason.{code}", lang) if code in REASONS_TO_COME else (code or "")


def relation_label(code: str | None, lang: str) -> str:
    return t(f"booking.relation.{code}", lang) if code in CARRIER_RELATIONS else (code or "")
