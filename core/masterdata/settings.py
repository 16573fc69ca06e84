"""The settings head office may change (SOP timing, bookings, logins, reports, imports, the DGI pull):
each converted to its default's type and checked against its range before it is stored."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.accounts.access import Viewer
from core.masterdata.crud import allow, bool_field, int_field, text_field
from core.platform import settings as core_settings
from core.platform.errors import ValidationError
from core.platform.i18n import register, t
from core.privacy import audit
from db.models import Setting

# (low, high) per setting; settings not listed take any whole number >= 0.
SETTING_LIMITS: dict[str, tuple[int, int]] = {
    "sop.message_days_before": (0, 60), "sop.call_days_before": (0, 60), "sop.feedback_days_after": (0, 60),
    "sop.visit_day_of_month": (1, 28), "followup.next_plan_days": (1, 60),
    "leads.open_days_before_deadline": (0, 180), "leads.not_back_days": (1, 730),
    "leads.regular_interval_days": (1, 730), "leads.regular_interval_km": (100, 50_000),
    "usage.max_km_per_day": (50, 2_000), "usage.shrink_days": (0, 3_650), "booking.slot_minutes": (10, 480),
    "booking.open_hour": (0, 23), "booking.close_hour": (1, 24), "auth.max_failed_logins": (1, 100),
    "auth.lockout_minutes": (1, 1440), "auth.session_hours": (1, 168),
    "auth.idle_minutes": (5, 1440), "reports.background_rows": (1_000, 1_048_576),
    "reports.export_keep_hours": (1, 720), "intake.keep_upload_days": (1, 365),
    "intake.max_unpacked_mb": (10, 4_000), "intake.max_rows": (1_000, 5_000_000),
    "intake.foreground_unpacked_mb": (1, 100),
    "dgi.pull_every_minutes": (5, 1440), "dgi.overlap_minutes": (0, 1440), "dgi.first_pull_days": (1, 90),
    "dgi.max_window_days": (1, 31), "dgi.spk_lookback_days": (1, 365),
}

# The name head office reads for each setting (Master Data, messages naming a setting): one per DEFAULTS key.
SETTING_LABELS: dict[str, dict[str, str]] = {
    "sop.message_days_before": {"id": "Pesan WA/SMS, hari sebelum H", "en": "WhatsApp/SMS message, days before H"},
    "sop.call_days_before": {"id": "Telepon, hari sebelum H", "en": "Call, days before H"},
    "sop.feedback_days_after": {"id": "Telepon feedback, hari setelah servis",
                                "en": "Feedback call, days after the service"},
    "sop.visit_day_of_month": {"id": "Tanggal daftar kunjungan bulanan", "en": "Day of the month of the visit list"},
    "followup.next_plan_days": {"id": "Jarak follow up berikutnya (hari)", "en": "Days to the next follow-up"},
    "leads.open_days_before_deadline": {"id": "Lead dibuka, hari sebelum batas KPB",
                                        "en": "Lead opens, days before the KPB deadline"},
    "leads.not_back_days": {"id": "Lead H2-H2: tidak servis selama (hari)",
                            "en": "H2-H2 lead: no service for (days)"},
    "leads.regular_interval_days": {"id": "Interval servis reguler (hari)", "en": "Regular service interval (days)"},
    "leads.regular_interval_km": {"id": "Interval servis reguler (km)", "en": "Regular service interval (km)"},
    "usage.max_km_per_day": {"id": "Km per hari maks. masuk akal (lebih: salah ketik)",
                             "en": "Most km a day that is plausible (more: a typing error)"},
    "usage.shrink_days": {"id": "Bobot rata-rata tipe/cabang (hari riwayat)",
                          "en": "Weight of the type/branch average (days of history)"},
    "leads.h2_branch_by_last_service": {"id": "Lead H2-H2 ke cabang servis terakhir",
                                        "en": "H2-H2 lead goes to the branch of the last service"},
    "leads.expired_kpb_becomes_lost": {"id": "Lead KPB kedaluwarsa otomatis Lost",
                                       "en": "An expired KPB lead becomes Lost by itself"},
    "booking.slot_minutes": {"id": "Durasi slot booking (menit)", "en": "Booking slot length (minutes)"},
    "booking.open_hour": {"id": "Jam buka bengkel", "en": "Workshop opening hour"},
    "booking.close_hour": {"id": "Jam tutup bengkel", "en": "Workshop closing hour"},
    "auth.max_failed_logins": {"id": "Maks. login gagal sebelum dikunci", "en": "Failed logins before the lock"},
    "auth.lockout_minutes": {"id": "Lama akun dikunci (menit)", "en": "Account locked for (minutes)"},
    "auth.session_hours": {"id": "Lama sesi login (jam)", "en": "A login lasts (hours)"},
    "auth.idle_minutes": {"id": "Sesi berakhir bila tidak dipakai (menit)",
                          "en": "A session unused ends after (minutes)"},
    "reports.background_rows": {"id": "Ekspor di latar belakang mulai (baris)",
                                "en": "Exports run in the background from (rows)"},
    "reports.export_keep_hours": {"id": "File ekspor disimpan (jam)", "en": "Export files are kept (hours)"},
    "intake.keep_upload_days": {"id": "File import disimpan (hari)", "en": "Import files are kept (days)"},
    "intake.max_unpacked_mb": {"id": "Ukuran maks. isi file import setelah dibuka (MB)",
                               "en": "Largest import file once unpacked (MB)"},
    "intake.max_rows": {"id": "Jumlah baris maks. file import", "en": "Most rows in an import file"},
    "intake.foreground_unpacked_mb": {"id": "Import di latar belakang bila isi file melebihi (MB)",
                                      "en": "Imports run in the background above (MB unpacked)"},
    "dgi.pull_every_minutes": {"id": "Tarik data DGI tiap (menit)", "en": "Pull DGI data every (minutes)"},
    "dgi.overlap_minutes": {"id": "Tumpang tindih tarikan DGI (menit)", "en": "Overlap of DGI pulls (minutes)"},
    "dgi.first_pull_days": {"id": "Tarikan DGI pertama mundur (hari)", "en": "The first DGI pull reaches back (days)"},
    "dgi.max_window_days": {"id": "Rentang maks. satu panggilan DGI (hari)",
                            "en": "Longest span of one DGI call (days)"},
    "dgi.spk_lookback_days": {"id": "Cari SPK untuk BAST mundur (hari)",
                              "en": "Look back for the SPK of a BAST (days)"},
}

register({f"setting.{key}": texts for key, texts in SETTING_LABELS.items()})

register({
    "masterdata.unknown_setting": {"id": "pengaturan tidak dikenal", "en": "unknown setting"},
    "masterdata.open_before_close": {
        "id": "jam buka harus sebelum jam tutup", "en": "opening hour must be before closing hour"},
})


@dataclass(frozen=True)
class SettingRow:
    key: str
    value: Any
    default: Any
    overridden: bool


def setting_label(key: str, lang: str) -> str:
    """The setting's name in lang (its key while it has none: a new setting shows up, never hidden)."""
    return t(f"setting.{key}", lang) if key in SETTING_LABELS else key


def list_settings(session: Session, viewer: Viewer) -> list[SettingRow]:
    allow(viewer)
    stored: dict[str, Any] = {k: v for k, v in session.execute(select(Setting.key, Setting.value)).tuples()}
    return [SettingRow(key, stored.get(key, default), default, key in stored)
            for key, default in core_settings.DEFAULTS.items()]


def put_setting(session: Session, viewer: Viewer, key: str, value: Any) -> Any:
    """Store a setting, converted to its default's type and checked against its range."""
    allow(viewer)
    if key not in core_settings.DEFAULTS:
        raise ValidationError("masterdata.unknown_setting", field="md.setting", value=key)
    default = core_settings.DEFAULTS[key]
    if isinstance(default, bool):
        value = bool_field(value)
    elif isinstance(default, int):
        low, high = SETTING_LIMITS.get(key, (0, 1_000_000))
        value = int_field(value, "setting", low, high)
    else:
        value = text_field(str(value), "setting", 255)
    old = core_settings.get(session, key)
    if key in ("booking.open_hour", "booking.close_hour"):
        open_hour = value if key == "booking.open_hour" else core_settings.get(session, "booking.open_hour")
        close_hour = value if key == "booking.close_hour" else core_settings.get(session, "booking.close_hour")
        if open_hour >= close_hour:
            raise ValidationError("masterdata.open_before_close", field="md.setting", value=f"{key}={value}")
    if audit.same(old, value):  # nothing changes: no row written, no unchanged pair audited
        return value
    core_settings.put(session, key, value, user_id=viewer.user_id)
    session.flush()
    row = session.get(Setting, key)
    audit.record(session, viewer, "masterdata.setting.put", row, changes={key: [old, value]})
    return value
