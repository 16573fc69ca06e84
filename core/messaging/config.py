"""Messaging settings: per branch (channels per touch kind, sending hours, frequency cap: head
office edits them) and per installation (provider credentials: environment or secrets, never the
database)."""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.accounts.access import Perm, Viewer
from core.platform import clock
from core.platform.errors import ValidationError
from core.platform.i18n import register
from core.privacy import audit
from db.enums import TouchKind
from db.models import Branch, MessagingConfig

register({
    "msg.bad_channel": {"id": "saluran tidak dikenal: {value}", "en": "unknown channel: {value}"},
    "msg.bad_hour": {"id": "jam harus berformat JJ:MM (00:00-23:59)", "en": "a time must be HH:MM (00:00-23:59)"},
    "msg.hours_order": {"id": "jam mulai harus sebelum jam selesai", "en": "the start must be before the end"},
    "msg.bad_cap": {"id": "batas harus 1 atau lebih", "en": "the cap must be 1 or more"},
})

WHATSAPP, SMS, MANUAL = "whatsapp", "sms", "manual"
CHANNELS = (WHATSAPP, SMS, MANUAL)
CHANNEL_LABEL = {WHATSAPP: "WhatsApp API", SMS: "SMS gateway", MANUAL: "Manual (wa.me / telepon)"}
# Touch kinds a machine may send; calls stay calls unless head office picks a message channel.
AUTO_KINDS = (TouchKind.MESSAGE_H7, TouchKind.BOOKING_CONFIRM, TouchKind.FEEDBACK_H3)
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class BranchMessaging:
    branch_id: int
    timezone: str
    channels: dict[str, str] = field(default_factory=dict)
    send_start: str = "08:00"
    send_end: str = "20:00"
    cap_messages: int = 2
    cap_days: int = 7
    wa_phone_number_id: str | None = None
    booking_link: str | None = None
    cost_whatsapp: int = 450
    cost_sms: int = 350

    def channel_for(self, kind: TouchKind) -> str:
        return self.channels.get(kind.value, MANUAL)

    def cost_of(self, channel: str) -> int:
        return {WHATSAPP: self.cost_whatsapp, SMS: self.cost_sms}.get(channel, 0)


def within_sending_hours(cfg: BranchMessaging, at: dt.datetime) -> bool:
    """Rule: nothing goes out outside the branch's sending hours (its local time, end excluded)."""
    local = at.astimezone(ZoneInfo(cfg.timezone)).strftime("%H:%M")
    return cfg.send_start <= local < cfg.send_end


def all_branch_messaging(session: Session) -> dict[int, BranchMessaging]:
    """Every active branch's settings (defaults where head office set none): a few dozen rows."""
    rows = session.execute(select(Branch.id, Branch.timezone, MessagingConfig)
                           .outerjoin(MessagingConfig, MessagingConfig.branch_id == Branch.id)
                           .where(Branch.active.is_(True))).all()
    return {bid: _from_row(bid, tz, cfg) for bid, tz, cfg in rows}


def branch_messaging(session: Session, branch_id: int) -> BranchMessaging:
    branch = session.get(Branch, branch_id)
    assert branch is not None
    cfg = session.scalar(select(MessagingConfig).where(MessagingConfig.branch_id == branch_id))
    return _from_row(branch_id, branch.timezone, cfg)


def _from_row(branch_id: int, tz: str, row: MessagingConfig | None) -> BranchMessaging:
    if row is None:
        return BranchMessaging(branch_id, tz)
    return BranchMessaging(branch_id, tz, dict(row.channels or {}), row.send_start, row.send_end, row.cap_messages,
                           row.cap_days, row.wa_phone_number_id, row.booking_link, row.cost_whatsapp, row.cost_sms)


def save_branch_messaging(session: Session, viewer: Viewer, branch_id: int, *, channels: dict[str, str],
                          send_start: str, send_end: str, cap_messages: int, cap_days: int,
                          wa_phone_number_id: str | None = None, booking_link: str | None = None,
                          cost_whatsapp: int = 450, cost_sms: int = 350) -> MessagingConfig:
    """Head office sets how one branch reaches its customers."""
    viewer.require(Perm.SETTINGS_MANAGE)
    viewer.require_branch(branch_id)
    for kind, channel in channels.items():
        if channel not in CHANNELS or kind not in {k.value for k in TouchKind}:
            raise ValidationError("msg.bad_channel", field=f"channel.{kind}", value=channel)
    for name, value in (("send_start", send_start), ("send_end", send_end)):
        if not _HHMM.match(value or ""):
            raise ValidationError("msg.bad_hour", field=name, value=value)
    if send_start >= send_end:
        raise ValidationError("msg.hours_order", field="send_end", value=send_end)
    if cap_messages < 1 or cap_days < 1:
        raise ValidationError("msg.bad_cap", field="cap", value=f"{cap_messages}/{cap_days}")
    row = session.scalar(select(MessagingConfig).where(MessagingConfig.branch_id == branch_id))
    if row is None:
        row = MessagingConfig(branch_id=branch_id)
        session.add(row)
    values = {"channels": dict(channels), "send_start": send_start, "send_end": send_end,
              "cap_messages": cap_messages, "cap_days": cap_days,
              "wa_phone_number_id": (wa_phone_number_id or "").strip() or None,
              "booking_link": (booking_link or "").strip() or None, "cost_whatsapp": cost_whatsapp,
              "cost_sms": cost_sms}
    changes = audit.diff(row, values) if row.id else {k: [None, v] for k, v in values.items()}
    for k, v in values.items():
        setattr(row, k, v)
    row.updated_at, row.updated_by = clock.now(), viewer.user_id
    session.flush()
    audit.record(session, viewer, "messaging.settings", row, changes=changes)
    return row


# --- Provider credentials (installation-wide) ------------------------------------------------------


@dataclass(frozen=True)
class WhatsAppCredentials:
    api_url: str = "https://graph.facebook.com/v21.0"
    token: str = ""
    app_secret: str = ""
    verify_token: str = ""
    # Marketing templates may go through the Marketing Messages API endpoint (MM Lite) when enabled.
    marketing_endpoint: bool = False


@dataclass(frozen=True)
class SmsCredentials:
    preset: str = "twilio"  # twilio | generic
    url: str = ""
    username: str = ""
    password: str = ""
    sender: str = ""
    callback_url: str = ""  # our delivery-report endpoint, as the gateway must call it
    # generic gateways: field names and how to authenticate
    auth: str = "basic"  # basic | bearer | none
    to_field: str = "to"
    text_field: str = "text"
    sender_field: str = "from"
    callback_field: str = "callback"
    id_field: str = "id"
    body_format: str = "form"  # form | json
    webhook_token: str = ""  # generic delivery reports must carry ?token=<this>


@dataclass(frozen=True)
class ProviderCredentials:
    whatsapp: WhatsAppCredentials = field(default_factory=WhatsAppCredentials)
    sms: SmsCredentials = field(default_factory=SmsCredentials)

    @property
    def whatsapp_ready(self) -> bool:
        return bool(self.whatsapp.token)

    @property
    def sms_ready(self) -> bool:
        return bool(self.sms.url)


def credentials_from_env(env: dict[str, str] | None = None) -> ProviderCredentials:
    """H23_WA_* and H23_SMS_* environment variables (run.sh / the service manager sets them)."""
    e = os.environ if env is None else env
    wa = WhatsAppCredentials(
        api_url=e.get("H23_WA_API_URL", WhatsAppCredentials.api_url).rstrip("/"),
        token=e.get("H23_WA_TOKEN", ""), app_secret=e.get("H23_WA_APP_SECRET", ""),
        verify_token=e.get("H23_WA_VERIFY_TOKEN", ""),
        marketing_endpoint=e.get("H23_WA_MARKETING_ENDPOINT", "") == "1")
    defaults = SmsCredentials()
    sms = SmsCredentials(**{name: e.get(f"H23_SMS_{name.upper()}", getattr(defaults, name))
                            for name in SmsCredentials.__dataclass_fields__})
    return ProviderCredentials(wa, sms)
