"""Labels of the booking forms added for the seed's memo (service type, KPB number, mobile, the work
order made), in Bahasa Indonesia and English."""

from __future__ import annotations

from core.platform import register, t

register({
    "ui.booking.mobile": {"id": "Mobile", "en": "Mobile"},
    "ui.booking.service_type": {"id": "Type Service *", "en": "Service type *"},
    "ui.booking.kpb_number": {"id": "KPB Ke", "en": "KPB number"},
    "ui.booking.kind.KPB": {"id": "KPB (servis gratis)", "en": "KPB (free service)"},
    "ui.booking.kind.REG": {"id": "Reguler", "en": "Regular"},
    "ui.booking.work_order_made": {"id": "Work order {wo} dibuat untuk booking {booking} ({job}).",
                                   "en": "Work order {wo} made for booking {booking} ({job})."},
    # The lead form's booking dialog keeps the seed's own labels in Indonesian (Booking Date, Process).
    "ui.booking.dialog": {"id": "Create Booking Service", "en": "Create a service booking"},
    "ui.booking.date_req": {"id": "Booking Date *", "en": "Booking date *"},
    "ui.booking.hour_req": {"id": "Jam *", "en": "Hour *"},
    "ui.booking.minute_req": {"id": "Menit *", "en": "Minute *"},
    "ui.booking.pit_req": {"id": "Pit *", "en": "Pit *"},
    "ui.booking.no_free_pit": {"id": "Tidak ada pit kosong", "en": "No pit is free then"},
    "ui.booking.process": {"id": "Process", "en": "Process"},
    "ui.booking.made": {"id": "Booking service {number} dibuat (Draft).",
                        "en": "Service booking {number} made (Draft)."},
    "ui.booking.no_free_slot": {"id": "Tidak ada pit kosong dalam 14 hari ke depan.",
                                "en": "No pit is free in the next 14 days."},
})


def bw(key: str, lang: str, **params: object) -> str:
    """A booking label: bw("mobile", lang) is ui.booking.mobile."""
    return t(f"ui.booking.{key}", lang, **params)
