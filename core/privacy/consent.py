"""UU PDP consent: what a customer agreed to, when, how, with what proof; and its withdrawal.

The customer's flags (consent_contact / consent_message) are what the follow-up plan and the
messaging read; every change of them goes through here and leaves a ConsentRecord as evidence.
A withdrawal takes effect at once: the flags are cleared and the customer's planned touches that
the withdrawal forbids are cancelled in the same transaction (the law allows 3x24 h; we need none).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.accounts.access import Perm, Viewer
from core.platform import clock
from core.platform.errors import DomainError, NotFound, ValidationError
from core.platform.i18n import register
from core.platform.sqlfuncs import rowcount
from core.privacy import audit
from db.enums import Channel, TouchState
from db.models import AuditLog, ConsentRecord, Customer, Lead, Touch, User

register({
    "privacy.proof_required": {
        "id": "bukti persetujuan wajib diisi (kata-kata customer, no formulir, id pesan...)",
        "en": "proof is required (the customer's words, a form number, a message id...)",
    },
    "privacy.channel_required": {"id": "cara persetujuan wajib diisi", "en": "how it was given is required"},
    "privacy.unknown_purpose": {"id": "tujuan tidak dikenal", "en": "unknown purpose"},
    "privacy.anonymised": {
        "id": "Customer ini sudah dianonimkan; datanya tidak bisa diubah.",
        "en": "This customer has been anonymised; their data cannot be changed.",
    },
    "field.purpose": {"id": "Tujuan", "en": "Purpose"},
    "field.channel": {"id": "Cara", "en": "How"},
    "field.proof": {"id": "Bukti", "en": "Proof"},
})


class Purpose(enum.StrEnum):
    CONTACT = "contact"  # may be called / visited
    MESSAGE = "message"  # may receive WhatsApp / SMS


_FLAG = {Purpose.CONTACT: "consent_contact", Purpose.MESSAGE: "consent_message"}
# Touches each withdrawal stops. Without contact consent nobody may call, visit or message.
_STOPPED_CHANNELS = {
    Purpose.MESSAGE: (Channel.WHATSAPP, Channel.SMS),
    Purpose.CONTACT: (Channel.WHATSAPP, Channel.SMS, Channel.CALL, Channel.VISIT),
}
MAX_CHANNEL = 40


def _purpose(value: object) -> Purpose:
    try:
        return Purpose(str(value))
    except ValueError:
        raise ValidationError("privacy.unknown_purpose", field="purpose", value=value) from None


def _clean_evidence(channel: str, proof: str) -> tuple[str, str]:
    channel, proof = (channel or "").strip(), (proof or "").strip()
    if not channel:
        raise ValidationError("privacy.channel_required", field="channel", value=channel)
    if not proof:
        raise ValidationError("privacy.proof_required", field="proof", value=proof)
    return channel[:MAX_CHANNEL], proof


def _customer(session: Session, viewer: Viewer | None, customer_id: int, perm: Perm) -> Customer:
    """The customer, if the viewer may act on it; viewer None = the system (a webhook, the worker)."""
    if viewer is not None:
        viewer.require(perm)
    customer = session.get(Customer, customer_id)
    if customer is None or (viewer is not None and not viewer.may_see_branch(customer.branch_id)):
        raise NotFound("error.not_found", what="customer")
    return customer


def _record(session: Session, viewer: Viewer | None, customer: Customer, purpose: Purpose, granted: bool,
            channel: str, proof: str, at: dt.datetime) -> ConsentRecord:
    row = ConsentRecord(branch_id=customer.branch_id, customer_id=customer.id, purpose=purpose.value,
                        granted=granted, channel=channel, proof=proof, at=at,
                        by_user_id=viewer.user_id if viewer else None, recorded_at=clock.now())
    session.add(row)
    return row


def grant_consent(session: Session, viewer: Viewer | None, customer_id: int, *, purpose: str,
                  channel: str, proof: str, at: dt.datetime | None = None) -> ConsentRecord:
    """Record that the customer agreed to `purpose` (contact / message), how and with what proof."""
    purpose_ = _purpose(purpose)
    channel, proof = _clean_evidence(channel, proof)
    customer = _customer(session, viewer, customer_id, Perm.CUSTOMER_CHANGE)
    if customer.anonymised_at is not None:
        raise DomainError("privacy.anonymised")
    at = at or clock.now()
    flag = _FLAG[purpose_]
    changes = audit.apply(customer, {flag: True, "consent_at": at, "consent_source": channel})
    row = _record(session, viewer, customer, purpose_, True, channel, proof, at)
    audit.record(session, viewer or Viewer.system_viewer(), "customer.consent_grant", customer,
                 changes=changes, note=f"{purpose_.value} via {channel}")
    session.flush()
    return row


def withdraw_consent(session: Session, customer_id: int, *, channel: str, proof: str,
                     at: dt.datetime | None = None, viewer: Viewer | None = None,
                     purposes: Iterable[str] = (Purpose.CONTACT, Purpose.MESSAGE)) -> int:
    """Rule: a withdrawal stops messaging at once. Records the withdrawal of each purpose (both by
    default, as an opt-out means), clears the customer's flags and cancels their planned touches
    on the channels no longer allowed. Returns how many touches were cancelled.

    viewer None = the customer withdrew through a channel the system handles (an opt-out reply)."""
    purposes_ = [_purpose(p) for p in purposes]
    channel, proof = _clean_evidence(channel, proof)
    customer = _customer(session, viewer, customer_id, Perm.CUSTOMER_CHANGE)
    at = at or clock.now()
    flags = {_FLAG[p]: False for p in purposes_}
    changes = audit.apply(customer, {**flags, "consent_at": at, "consent_source": channel})
    for purpose in purposes_:
        _record(session, viewer, customer, purpose, False, channel, proof, at)
    stopped = {c for p in purposes_ for c in _STOPPED_CHANNELS[p]}
    cancelled = cancel_customer_touches(session, customer.id, stopped)
    audit.record(session, viewer or Viewer.system_viewer(), "customer.consent_withdraw", customer,
                 changes=changes, note=f"{','.join(p.value for p in purposes_)} via {channel}; "
                                        f"{cancelled} planned touches cancelled")
    session.flush()
    return cancelled


def cancel_customer_touches(session: Session, customer_id: int, channels: Iterable[Channel]) -> int:
    """Planned touches of one customer on the given channels, whichever branch planned them."""
    result = session.execute(
        update(Touch).where(Touch.customer_id == customer_id, Touch.state == TouchState.PLANNED,
                            Touch.channel.in_(list(channels)))
        .values(state=TouchState.CANCELLED, note="consent withdrawn")
        .execution_options(include_all_branches=True, synchronize_session=False))
    return rowcount(result)


@dataclass(frozen=True)
class ConsentEvent:
    at: dt.datetime
    purpose: str
    granted: bool
    channel: str
    proof: str
    by: str  # the user's name, or "system"


def consent_history(session: Session, viewer: Viewer, customer_id: int, *, limit: int = 200
                    ) -> Sequence[ConsentEvent]:
    """The customer's consent records, newest first."""
    _customer(session, viewer, customer_id, Perm.CUSTOMER_VIEW)
    rows = session.execute(
        select(ConsentRecord.at, ConsentRecord.purpose, ConsentRecord.granted, ConsentRecord.channel,
               ConsentRecord.proof, User.full_name)
        .outerjoin(User, User.id == ConsentRecord.by_user_id)
        .where(ConsentRecord.customer_id == customer_id)
        .order_by(ConsentRecord.at.desc(), ConsentRecord.id.desc()).limit(limit)
        .execution_options(include_all_branches=True))
    return [ConsentEvent(r.at, r.purpose, r.granted, r.channel, r.proof, r.full_name or "system") for r in rows]


VIEW_LOG_MINUTES = 10  # one log row per user, record and kind of view in this window, not one per rerun


def record_personal_view(session: Session, viewer: Viewer, action: str, obj: object, *,
                         note: str | None = None) -> bool:
    """Rule: who viewed personal data is logged (customer detail, the whole NIK, a data export).
    A page reruns on every click, so a repeat within VIEW_LOG_MINUTES is not logged again.
    Returns whether a row was written."""
    object_type, object_id = type(obj).__tablename__, getattr(obj, "id", None)  # type: ignore[attr-defined]
    since = clock.now() - dt.timedelta(minutes=VIEW_LOG_MINUTES)
    recent = session.scalar(select(AuditLog.id).where(
        AuditLog.user_id == viewer.user_id if viewer.user_id is not None else AuditLog.user_id.is_(None),
        AuditLog.action == action, AuditLog.object_type == object_type, AuditLog.object_id == object_id,
        AuditLog.at >= since).limit(1))
    if recent is not None:
        return False
    audit.record(session, viewer, action, obj, note=note)
    session.flush()
    return True


def record_lead_nik_view(session: Session, viewer: Viewer, lead_id: int) -> bool:
    """The lead form shows the whole NIK to roles that may see it: that viewing is logged like the
    customer view's (same window). False when nothing was written (masked, no NIK, or a repeat)."""
    lead = session.get(Lead, lead_id)
    if lead is None or not lead.nik or not viewer.can(Perm.NIK_FULL):
        return False
    return record_personal_view(session, viewer, "lead.view_nik", lead)
