"""A small message catalogue: Bahasa Indonesia by default, English available.

Every user-facing message has a code; rules raise errors by code and the screen renders
them in the user's language, so the same rule broken through a screen, an import or the
worker reads the same.
"""

from __future__ import annotations

from typing import Any

DEFAULT_LANG = "id"
LANGS = ("id", "en")

# code -> {lang: template}; templates use str.format with named parameters.
MESSAGES: dict[str, dict[str, str]] = {}


def register(catalogue: dict[str, dict[str, str]]) -> None:
    """Add messages from a module; a code may be defined once only."""
    for code, texts in catalogue.items():
        if code in MESSAGES:
            raise ValueError(f"message code {code!r} defined twice")
        if set(texts) != set(LANGS):
            raise ValueError(f"message code {code!r} must have texts for {LANGS}")
        MESSAGES[code] = texts


def t(code: str, lang: str = DEFAULT_LANG, **params: Any) -> str:
    """The message for code in lang, with params filled in; unknown codes show themselves."""
    texts = MESSAGES.get(code)
    if texts is None:
        return code if not params else f"{code} {params}"
    template = texts.get(lang) or texts[DEFAULT_LANG]
    try:
        return template.format(**params)
    except (KeyError, IndexError):
        return template


register(
    {
        "error.where_row": {"id": "Baris {row}, ", "en": "Row {row}, "},
        "error.multiple": {"id": "{count} kesalahan", "en": "{count} errors"},
        "error.permission": {"id": "Anda tidak berhak melakukan ini.", "en": "You may not do this."},
        "error.branch_forbidden": {
            "id": "Anda tidak punya akses ke cabang ini.",
            "en": "You have no access to this branch.",
        },
        "error.not_found": {"id": "{what} tidak ditemukan.", "en": "{what} not found."},
        "error.stale": {
            "id": "Data ini sudah diubah oleh {user} pada {at}. Muat ulang lalu ulangi perubahan Anda.",
            "en": "This record was changed by {user} at {at}. Reload and make your change again.",
        },
        # Field labels, shared by forms, imports and error messages.
        "field.branch": {"id": "Cabang", "en": "Branch"},
        "field.end": {"id": "Tanggal sampai", "en": "End date"},
        "field.created_to": {"id": "Tanggal sampai", "en": "End date"},
        "field.customer": {"id": "Customer", "en": "Customer"},
        "field.name": {"id": "Nama", "en": "Name"},
        "field.nik": {"id": "No KTP", "en": "KTP number"},
        "field.phone": {"id": "No HP", "en": "Mobile"},
        "field.address": {"id": "Alamat", "en": "Address"},
        "field.city_code": {"id": "Kota/Kabupaten", "en": "City"},
        "field.district_code": {"id": "Kecamatan", "en": "District"},
        "field.occupation": {"id": "Pekerjaan", "en": "Occupation"},
        "field.engine_no": {"id": "No Mesin", "en": "Engine no"},
        "field.frame_no": {"id": "No Rangka", "en": "Frame no"},
        "field.plate": {"id": "No Polisi", "en": "Plate"},
        "field.date": {"id": "Tanggal", "en": "Date"},
        "field.job_type": {"id": "Jenis Pekerjaan", "en": "Job type"},
        "field.followup_date": {"id": "Tanggal Follow Up", "en": "Follow-up date"},
        "field.temperature": {"id": "Opportunity Status", "en": "Prospect temperature"},
        "field.contact_status": {"id": "Status Customer", "en": "Contact status"},
        "field.lost_reason": {"id": "Alasan Lost", "en": "Lost reason"},
        "field.booking_at": {"id": "Tanggal & Jam Booking", "en": "Booking date and time"},
        "field.pit": {"id": "Pit", "en": "Pit"},
        "field.mechanic": {"id": "Mekanik", "en": "Mechanic"},
        "field.service_advisor": {"id": "Service Advisor", "en": "Service advisor"},
        "field.username": {"id": "Username", "en": "Username"},
        "field.password": {"id": "Password", "en": "Password"},
    }
)
