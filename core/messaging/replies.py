"""The messages on a lead's timeline: what we sent automatically (with its delivery state) and what
the customer wrote back; and each lead's latest reply, for the worklist."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.accounts.access import Perm, Viewer
from core.leads.lead import get_lead
from db.models import MessageEvent, OutboxMessage


@dataclass(frozen=True)
class TimelineMessage:
    at: dt.datetime
    direction: str  # outbound | inbound
    channel: str
    text: str
    state: str | None = None  # outbound: queued, sent, delivered, read, failed...


def lead_messages(session: Session, viewer: Viewer, lead_id: int, limit: int = 100) -> list[TimelineMessage]:
    """Oldest first; refused (NotFound) for a lead of a branch the viewer may not see."""
    viewer.require(Perm.LEAD_VIEW)
    lead = get_lead(session, viewer, lead_id)
    sent = session.execute(select(OutboxMessage.created_at, OutboxMessage.channel, OutboxMessage.body,
                                  OutboxMessage.state)
                           .where(OutboxMessage.lead_id == lead.id).order_by(OutboxMessage.id.desc())
                           .limit(limit)).all()
    replies = session.execute(select(MessageEvent.at, MessageEvent.provider, MessageEvent.text)
                              .where(MessageEvent.lead_id == lead.id, MessageEvent.direction == "inbound",
                                     MessageEvent.branch_id == lead.branch_id)
                              .order_by(MessageEvent.id.desc()).limit(limit)).all()
    out = [TimelineMessage(at, "outbound", ch, body, state) for at, ch, body, state in sent]
    out += [TimelineMessage(at, "inbound", ch, text or "", None) for at, ch, text in replies]
    return sorted(out, key=lambda m: m.at)[-limit:]


def latest_replies(session: Session, lead_ids: list[int]) -> dict[int, str]:
    """{lead id: the customer's latest reply} for a page of leads (one query). The caller has already
    scoped lead_ids to what the viewer may see."""
    if not lead_ids:
        return {}
    latest = (select(MessageEvent.lead_id, func.max(MessageEvent.id).label("id"))
              .where(MessageEvent.lead_id.in_(lead_ids), MessageEvent.direction == "inbound")
              .group_by(MessageEvent.lead_id).subquery())
    rows = session.execute(select(MessageEvent.lead_id, MessageEvent.text)
                           .join(latest, latest.c.id == MessageEvent.id)).all()
    return {int(lead): text or "" for lead, text in rows if lead is not None}


# How the worklist names an automatic message's state.
STATE_LABEL = {"queued": "antre", "retry": "akan dicoba lagi", "sending": "sedang dikirim", "sent": "terkirim",
               "delivered": "sampai", "read": "dibaca", "failed": "gagal", "cancelled": "dibatalkan"}


def auto_messages(session: Session, touch_ids: list[int]) -> dict[int, str]:
    """{touch id: "WhatsApp otomatis: terkirim"} for the touches of a worklist page (one query), so
    an admin sees the machine has it before messaging the customer by hand."""
    if not touch_ids:
        return {}
    rows = session.execute(select(OutboxMessage.touch_id, OutboxMessage.channel, OutboxMessage.state)
                           .where(OutboxMessage.touch_id.in_(touch_ids))).all()
    names = {"whatsapp": "WhatsApp", "sms": "SMS"}
    return {int(t): f"{names.get(ch, ch)} otomatis: {STATE_LABEL.get(st, st)}" for t, ch, st in rows if t is not None}
