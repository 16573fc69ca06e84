"""The predicted next service as the lead form and the customer page write it, in the viewer's language."""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.platform.i18n import register, t
from core.prediction.forecast import next_service

register({
    "prediction.next_service": {"id": "Perkiraan servis berikutnya", "en": "Predicted next service"},
    "prediction.text": {
        "id": "{date}: {service}, batas {by} dulu; {rate} km/hari dari {basis}",
        "en": "{date}: {service}, the {by} limit first; {rate} km/day from {basis}"},
    "prediction.by.km": {"id": "km", "en": "km"},
    "prediction.by.days": {"id": "hari", "en": "days"},
    "prediction.basis.own": {"id": "riwayat km motor ini ({n} catatan)", "en": "this motorcycle's km ({n} readings)"},
    "prediction.basis.shrunk": {"id": "riwayat motor ini ({n} catatan) dan rata-rata tipe/cabang",
                                "en": "its own km ({n} readings) and its model's at the branch"},
    "prediction.basis.typical": {"id": "rata-rata tipe motor di cabang", "en": "its model's typical at the branch"},
    "prediction.ignored": {"id": "{n} catatan km diabaikan", "en": "{n} odometer readings ignored"},
    "prediction.expected": {"id": "pelanggan cabang ini biasanya datang sekitar {date}",
                            "en": "this branch's customers usually come around {date}"},
    "prediction.expected.calendar": {"id": "pelanggan ini datang menurut tanggal, bukan km: sekitar {date}",
                                     "en": "this customer comes by the calendar, not the km: around {date}"},
    "prediction.none": {"id": "belum dihitung", "en": "not computed yet"},
    "prediction.regular": {"id": "Servis reguler", "en": "Regular service"},
})


def next_service_text(session: Session, vehicle_id: int | None, lang: str) -> str:
    """'dd/mm/yyyy: KPB 2, the km limit first; 41.3 km/day from ...' or 'not computed yet'."""
    ns = next_service(session, vehicle_id) if vehicle_id is not None else None
    if ns is None:
        return t("prediction.none", lang)
    service = f"KPB {ns.kpb_number}" if ns.kind == "KPB" else t("prediction.regular", lang)
    text = t("prediction.text", lang, date=ns.due_on.strftime("%d/%m/%Y"), service=service,
             by=t(f"prediction.by.{ns.decided_by}", lang), rate=f"{ns.km_per_day:.1f}",
             basis=t(f"prediction.basis.{ns.basis}", lang, n=ns.readings))
    if ns.expected_on is not None and ns.expected_on != ns.due_on:
        key = "prediction.expected.calendar" if ns.by_calendar else "prediction.expected"
        text += "; " + t(key, lang, date=ns.expected_on.strftime("%d/%m/%Y"))
    return text + (f" ({t('prediction.ignored', lang, n=ns.ignored)})" if ns.ignored else "")
