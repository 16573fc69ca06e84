"""What providers report back: delivery receipts set the message's state and, once, the contact
status of its touch (through core.pipeline.followup_log.log_outcome, as a human would log it, with the
system as actor); customer replies go on the lead's timeline; an opt-out withdraws consent.

Statuses may arrive in any order and more than once: each is stored once (event_key), the message
only moves forward (sent < delivered < read; a failure never undoes a delivery), and the contact
status follows the furthest state reached."""

from __future__ import annotations

import logging

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.accounts.access import Viewer
from core.messaging.providers import sms as sms_provider, whatsapp as wa
from core.messaging.providers.whatsapp import InboundEvent, StatusEvent
from core.platform import clock
from core.platform.errors import DomainError
from db.enums import ContactStatus, TouchState
from db.models import Customer, Lead, MessageEvent, OutboxMessage, Touch

log = logging.getLogger("h23.messaging")

RANK = {"queued": 0, "retry": 0, "sending": 0, "failed": 0, "cancelled": 0, "sent": 1, "delivered": 2, "read": 3}
UNDELIVERABLE = {wa.UNDELIVERABLE} | sms_provider.UNDELIVERABLE_CODES
STOPPED = {wa.STOPPED_MARKETING} | sms_provider.STOPPED_CODES
# A reply that means "stop messaging me" (compared after trimming and upper-casing).
STOP_WORDS = {"STOP", "BERHENTI", "UNSUBSCRIBE", "STOP PROMO", "JANGAN KIRIM LAGI", "BERHENTI LANGGANAN"}
_LABEL = {"whatsapp": "WhatsApp", "sms": "SMS"}


def _store_event(session: Session, key: str, **values: object) -> bool:
    """Insert the event unless a delivery of the same event was stored before; True when new."""
    table: Table = MessageEvent.__table__  # type: ignore[assignment]
    ins = postgresql.insert(table) if session.get_bind().dialect.name == "postgresql" else sqlite.insert(table)
    row = session.execute(ins.values(event_key=key[:200], received_at=clock.now(), **values)
                          .on_conflict_do_nothing(index_elements=["event_key"]).returning(table.c.id)).first()
    return row is not None


def _find_message(session: Session, event: StatusEvent) -> OutboxMessage | None:
    """By our key when the provider echoes it (works before the send response was recorded), else by
    the provider's message id."""
    for where in ((OutboxMessage.idem_key == event.idem_key) if event.idem_key else None,
                  OutboxMessage.provider_id == event.provider_id):
        if where is not None:
            msg = session.scalars(select(OutboxMessage).where(where).with_for_update()
                                  .execution_options(include_all_branches=True)).first()
            if msg is not None:
                return msg
    return None


def apply_status(session: Session, event: StatusEvent) -> str | None:
    """Apply one delivery receipt; returns the message's state after it (None: not one of ours)."""
    msg = _find_message(session, event)
    if not _store_event(session, f"{event.provider}:{event.provider_id}:{event.status}:{event.error_code or ''}",
                        direction="status", provider=event.provider, provider_id=event.provider_id,
                        outbox_id=msg.id if msg else None, branch_id=msg.branch_id if msg else None,
                        customer_id=msg.customer_id if msg else None, lead_id=msg.lead_id if msg else None,
                        status=event.status, error_code=event.error_code, text=event.error, at=event.at):
        return msg.state if msg else None  # the same receipt again
    if msg is None:
        return None
    if msg.provider_id is None:
        msg.provider_id = event.provider_id  # the send response was lost; the receipt tells us
    if event.status in ("sent", "delivered", "read"):
        msg.sent_at = msg.sent_at or event.at
        if event.status in ("delivered", "read"):
            msg.delivered_at = msg.delivered_at or event.at
        if event.status == "read":
            msg.read_at = msg.read_at or event.at
        if RANK[event.status] > RANK[msg.state] or msg.state not in ("sent", "delivered", "read"):
            msg.state = event.status  # forward only; a receipt also proves a failed/in-doubt send went out
        msg.lease_until = None
    elif event.status == "failed" and RANK.get(msg.state, 0) < RANK["delivered"]:
        msg.state, msg.failed_at, msg.error_code, msg.error = "failed", event.at, event.error_code, event.error
    session.flush()
    _log_contact(session, msg)
    return msg.state


def apply_send_failure(session: Session, outbox_id: int) -> None:
    """A send refused for good may still say something about the customer (invalid number, opted out)."""
    msg = session.get(OutboxMessage, outbox_id)
    if msg is not None and msg.state == "failed":
        _log_contact(session, msg)


def _outcome(msg: OutboxMessage) -> ContactStatus | None:
    """Rule: delivered or read -> Terhubung; undeliverable number -> Tidak Terhubung; the customer
    stopped messages -> Rejected (and consent withdrawn). Other failures leave it to the admin."""
    if msg.state in ("delivered", "read"):
        return ContactStatus.TERHUBUNG
    if msg.state == "failed" and msg.error_code in UNDELIVERABLE:
        return ContactStatus.TIDAK_TERHUBUNG
    if msg.state == "failed" and msg.error_code in STOPPED:
        return ContactStatus.REJECTED
    return None


def _log_contact(session: Session, msg: OutboxMessage) -> None:
    outcome = _outcome(msg)
    if outcome is None or msg.outcome_logged is not None:
        return
    msg.outcome_logged = outcome.value
    note = f"{_LABEL.get(msg.channel, msg.channel)} otomatis: {msg.state}" + \
        (f" ({msg.error_code})" if msg.error_code and msg.state == "failed" else "")
    log_touch_outcome(session, msg.touch_id, outcome, note)
    if outcome == ContactStatus.REJECTED and msg.customer_id is not None:
        withdraw(session, msg.customer_id, channel=msg.channel, proof=f"{msg.channel} error {msg.error_code}")


def log_touch_outcome(session: Session, touch_id: int | None, outcome: ContactStatus, note: str) -> bool:
    """Log the contact status on the touch exactly as an admin would, with the system as actor. A
    refusal (say the lead's CDDB is incomplete) leaves the touch in the worklist for a human."""
    if touch_id is None:
        return False
    from core.pipeline.followup_log import OutcomeInput, log_outcome  # followup_log renders our templates

    touch = session.get(Touch, touch_id)
    if touch is None or touch.state != TouchState.PLANNED:
        return False
    try:
        with session.begin_nested():
            log_outcome(session, Viewer.system_viewer(), touch_id, OutcomeInput(contact_status=outcome, note=note))
        return True
    except DomainError as e:
        log.info("touch %s left for the admin: %s", touch_id, e.code)
        return False


def withdraw(session: Session, customer_id: int, *, channel: str, proof: str) -> None:
    """Consent for messages withdrawn, at once (UU PDP), through the privacy module."""
    from core.privacy import consent as privacy

    privacy.withdraw_consent(session, customer_id, channel=channel, proof=proof, purposes=[privacy.Purpose.MESSAGE])


def apply_inbound(session: Session, event: InboundEvent) -> int | None:
    """A customer's message: stored on their latest lead's timeline; a stop word withdraws consent
    and answers their pending automatic message as Rejected. Returns the event id (None: repeat)."""
    customer = session.scalars(select(Customer).where(Customer.phone == event.from_phone).order_by(Customer.id.desc())
                               .execution_options(include_all_branches=True)).first()
    lead = None
    if customer is not None:
        lead = session.scalars(select(Lead).where(Lead.customer_id == customer.id)
                               .order_by(Lead.closed_at.is_not(None), Lead.id.desc())
                               .execution_options(include_all_branches=True)).first()
    branch_id = lead.branch_id if lead else (customer.branch_id if customer else None)
    if not _store_event(session, f"{event.provider}:in:{event.provider_id}", direction="inbound",
                        provider=event.provider, provider_id=event.provider_id, branch_id=branch_id,
                        customer_id=customer.id if customer else None, lead_id=lead.id if lead else None,
                        from_phone=event.from_phone[:16], text=event.text, at=event.at):
        return None
    if customer is not None and event.text.strip().upper() in STOP_WORDS:
        pending = session.scalars(select(OutboxMessage).where(
            OutboxMessage.customer_id == customer.id, OutboxMessage.outcome_logged.is_(None))
            .order_by(OutboxMessage.id.desc()).execution_options(include_all_branches=True)).first()
        if pending is not None:
            pending.outcome_logged = ContactStatus.REJECTED.value
            log_touch_outcome(session, pending.touch_id, ContactStatus.REJECTED, f"Customer membalas: {event.text}")
        withdraw(session, customer.id, channel=event.provider, proof=f"reply {event.provider_id}: {event.text}")
    return session.scalar(select(MessageEvent.id).where(
        MessageEvent.event_key == f"{event.provider}:in:{event.provider_id}"))
