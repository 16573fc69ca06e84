"""Per-dealer settings with the SOP's defaults; a row in `setting` overrides a default."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.platform import clock
from db.models import Setting

DEFAULTS: dict[str, Any] = {
    # Follow-up cadence (DOMAIN.md "The follow-up cadence"), in days relative to the deadline H.
    "sop.message_days_before": 7,  # H-7 WhatsApp/SMS
    "sop.call_days_before": 3,  # H-3 call; also the latest next-plan date
    "sop.feedback_days_after": 3,  # H+3 thank-you call after service
    "sop.visit_day_of_month": 1,
    "followup.next_plan_days": 7,  # FU N+1 suggested at FU N + 7 days (the seed's system)
    # Lead engine.
    "leads.open_days_before_deadline": 21,
    "leads.not_back_days": 60,
    "leads.regular_interval_days": 60,
    # ...or this many km since the last service, whichever comes first (core.prediction predicts the day).
    "leads.regular_interval_km": 2_000,
    # Usage (core.prediction.usage): a reading that implies more km per day than this since the last
    # accepted one is a typo (an impossible jump) and is ignored; the own rate's weight is D / (D + K),
    # D the days its readings span, K this setting (see the module's docstring).
    "usage.max_km_per_day": 300,
    "usage.shrink_days": 30,
    # H2->H2 leads go to the branch of the last service (False: the selling branch).
    "leads.h2_branch_by_last_service": True,
    # A KPB lead past its deadline + grace: False keeps it open, flagged as expired; True closes it Lost.
    "leads.expired_kpb_becomes_lost": False,
    # Booking slots.
    "booking.slot_minutes": 60,
    "booking.open_hour": 8,
    "booking.close_hour": 17,
    # Login.
    "auth.max_failed_logins": 5,
    "auth.lockout_minutes": 15,
    "auth.session_hours": 12,  # absolute: a login lasts at most this long
    # Laporan CRM: exports of more rows run in the worker; their files are deleted after this many hours.
    "reports.background_rows": 50_000,
    "reports.export_keep_hours": 24,
    "intake.keep_upload_days": 7,  # stored uploads of finished imports are deleted after this
    # Upload limits (core.intake.upload_limits), checked before a file is read: what any file may unpack to (a
    # 1,000,000-row sales xlsx is about 690 MB of sheet XML), its rows, and the unpacked size above which
    # the worker reads it instead of the page's process.
    "intake.max_unpacked_mb": 1_500,
    "intake.max_rows": 2_000_000,
    "intake.foreground_unpacked_mb": 20,
    "auth.idle_minutes": 60,  # idle: a session unused this long ends
    # AHM DGI pull (core.intake.dgi_jobs); the dealers' keys and secrets come from the environment, not here.
    "dgi.pull_every_minutes": 60,
    "dgi.overlap_minutes": 60,  # each pull starts this much before the last one ended
    "dgi.first_pull_days": 7,  # how far back the very first pull of a dealer reaches
    "dgi.max_window_days": 7,  # the longest window one DGI call may ask for
    "dgi.spk_lookback_days": 30,  # how far back to look for the SPK of a unit delivered (BAST) now
}


def get(session: Session, key: str) -> Any:
    if key not in DEFAULTS:
        raise KeyError(f"unknown setting {key!r}")
    value = session.execute(select(Setting.value).where(Setting.key == key)).scalar_one_or_none()
    return DEFAULTS[key] if value is None else value


def put(session: Session, key: str, value: Any, user_id: int | None = None) -> None:
    if key not in DEFAULTS:
        raise KeyError(f"unknown setting {key!r}")
    if type(value) is not type(DEFAULTS[key]):
        raise TypeError(f"setting {key!r} takes {type(DEFAULTS[key]).__name__}")
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value, updated_at=clock.now(), updated_by=user_id))
    else:
        row.value, row.updated_at, row.updated_by = value, clock.now(), user_id
