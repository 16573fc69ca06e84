"""The outbox: automatic messages as rows with states, queued once per touch, claimed in batches by
any number of workers, sent concurrently, recorded set-based.

States: queued -> sending (claimed, leased) -> sent -> delivered -> read; retry (transient error,
waits next_attempt_at); failed (permanent, or out of attempts); cancelled (consent withdrawn, touch
no longer planned). A claim whose worker died is taken over when its lease ends; a message the dead
worker did get out is recognised by its status webhook (which echoes our idem_key) before that."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, and_, bindparam, case, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.messaging import templates
from core.messaging.config import (
    AUTO_KINDS,
    MANUAL,
    BranchMessaging,
    all_branch_messaging,
    within_sending_hours,
)
from core.messaging.providers.base import Outgoing, Provider, SendResult
from core.platform import clock
from db.engine import Database
from db.enums import TouchKind, TouchState
from db.models import Branch, Customer, Lead, OutboxMessage, Touch, Vehicle

OUTBOX: Table = OutboxMessage.__table__  # type: ignore[assignment]
CLAIMABLE = ("queued", "retry")
MAX_ATTEMPTS = 6


@dataclass(frozen=True)
class SendOptions:
    batch: int = 200
    concurrency: int = 16
    # A claim older than this is taken over (its worker died). Longer than the slowest batch can take
    # (batch / concurrency x the 15 s read timeout), so a live worker never loses its rows.
    lease: dt.timedelta = dt.timedelta(minutes=10)
    backoff: dt.timedelta = dt.timedelta(seconds=30)  # first retry; x4 each attempt, at most 1 h
    max_seconds: float = 50.0  # one worker tick sends for at most this long


def backoff_delay(attempts: int, base: dt.timedelta) -> dt.timedelta:
    """Rule: transient errors retry after base, 4x base, 16x base... capped at one hour."""
    return min(base * (4 ** max(attempts - 1, 0)), dt.timedelta(hours=1))


# --- Queueing ---------------------------------------------------------------------------------------


@dataclass
class EnqueueResult:
    queued: int = 0
    capped: int = 0


def enqueue_due(session: Session, *, limit: int = 5000, now: dt.datetime | None = None) -> EnqueueResult:
    """Queue one message for each due touch whose branch sends that kind automatically, to customers
    who consented to messages; hold back customers at their frequency cap. Safe to run in any
    number of workers at once: the idem_key lets one insert win."""
    now = now or clock.now()
    result = EnqueueResult()
    for cfg in all_branch_messaging(session).values():
        kinds = [k for k in AUTO_KINDS if cfg.channel_for(k) != MANUAL]
        if kinds:
            _enqueue_branch(session, cfg, kinds, limit, now, result)
    return result


def _enqueue_branch(session: Session, cfg: BranchMessaging, kinds: list[TouchKind], limit: int,
                    now: dt.datetime, result: EnqueueResult) -> None:
    today = clock.local(now, cfg.timezone).date()
    rows = session.execute(
        select(Touch.id, Touch.kind, Touch.lead_id, Touch.customer_id, Touch.due_on, Customer.name,
               Customer.phone, Vehicle.unit_name, Vehicle.plate, Lead.kpb_number, Lead.deadline, Branch.name,
               Branch.phone)
        .join(Customer, Customer.id == Touch.customer_id)
        .join(Branch, Branch.id == Touch.branch_id)
        .outerjoin(Vehicle, Vehicle.id == Touch.vehicle_id)
        .outerjoin(Lead, Lead.id == Touch.lead_id)
        .outerjoin(OutboxMessage, OutboxMessage.touch_id == Touch.id)
        .where(Touch.branch_id == cfg.branch_id, Touch.kind.in_(kinds), Touch.state == TouchState.PLANNED,
               Touch.due_on <= today, OutboxMessage.id.is_(None), Customer.consent_message.is_(True),
               Customer.anonymised_at.is_(None), Customer.phone.is_not(None))
        .order_by(Touch.due_on, Touch.id).limit(limit)).all()
    if not rows:
        return
    sent_lately = _recent_counts(session, {r.customer_id for r in rows}, now - dt.timedelta(days=cfg.cap_days))
    tpl = templates.branch_templates(session, cfg.branch_id)
    values = []
    for r in rows:
        if sent_lately[r.customer_id] >= cfg.cap_messages:
            result.capped += 1  # the touch stays in the worklist; the cap frees up in a few days
            continue
        sent_lately[r.customer_id] += 1
        kind = TouchKind(r.kind)
        body_tpl = templates.body_for(tpl, kind, r.kpb_number)
        v = templates.MessageVars(nama=r.name, unit=r.unit_name, plat=r.plate, kpb=r.kpb_number,
                                  deadline=r.deadline or r.due_on, cabang=r[11], telepon_cabang=r[12],
                                  booking=cfg.booking_link)
        values.append({
            "branch_id": cfg.branch_id, "idem_key": f"t{r.id}", "touch_id": r.id, "lead_id": r.lead_id,
            "customer_id": r.customer_id, "kind": kind.value, "channel": cfg.channel_for(kind),
            "to_phone": r.phone, "body": templates.render(body_tpl, v), "wa_template": tpl[kind].wa_template,
            "wa_category": tpl[kind].wa_category, "wa_sender": cfg.wa_phone_number_id,
            "params": templates.wa_params(body_tpl, v), "state": "queued", "attempts": 0,
            "next_attempt_at": now, "cost": 0, "created_at": now})
    if values:
        result.queued += insert_ignoring_duplicates(session, values)


def insert_ignoring_duplicates(session: Session, values: list[dict[str, Any]]) -> int:
    """INSERT ... ON CONFLICT (idem_key) DO NOTHING, 500 rows a statement: queued twice exists once."""
    dialect = session.get_bind().dialect.name
    ins = postgresql.insert(OUTBOX) if dialect == "postgresql" else sqlite.insert(OUTBOX)
    inserted = 0
    for i in range(0, len(values), 500):
        stmt = ins.values(values[i:i + 500]).on_conflict_do_nothing(index_elements=["idem_key"])
        inserted += len(session.execute(stmt.returning(OUTBOX.c.id)).all())
    return inserted


def _recent_counts(session: Session, customer_ids: Iterable[int], since: dt.datetime) -> Counter[int]:
    rows = session.execute(
        select(OutboxMessage.customer_id, func.count())
        .where(OutboxMessage.customer_id.in_(list(customer_ids)), OutboxMessage.created_at >= since,
               OutboxMessage.state != "cancelled")
        .group_by(OutboxMessage.customer_id)).all()
    return Counter({int(cid): int(n) for cid, n in rows if cid is not None})


def cancel_unsendable(session: Session) -> int:
    """Rule: a customer who withdrew consent (or was anonymised) is never messaged, and a touch no
    longer planned (lead closed, booking cancelled) needs no message: cancel what still waits."""
    no_consent = select(Customer.id).where(or_(Customer.consent_message.is_(False),
                                               Customer.anonymised_at.is_not(None)))
    not_planned = select(Touch.id).where(Touch.state != TouchState.PLANNED)
    result = session.execute(
        update(OUTBOX).where(OUTBOX.c.state.in_(CLAIMABLE),
                             or_(OUTBOX.c.customer_id.in_(no_consent), OUTBOX.c.touch_id.in_(not_planned)))
        .values(state="cancelled", error_code="not_sendable", lease_until=None))
    return max(result.rowcount or 0, 0)  # type: ignore[attr-defined]


# --- Claiming, sending, recording ------------------------------------------------------------------


def claim(session: Session, worker: str, *, limit: int, now: dt.datetime, lease: dt.timedelta,
          branch_ids: list[int], channels: Iterable[str] = ("whatsapp", "sms")) -> list[Outgoing]:
    """Take up to `limit` due messages of open branches, to consenting customers, in one statement:
    UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING. Two workers never get the
    same row (PostgreSQL skips locked rows; SQLite serialises writers with BEGIN IMMEDIATE). Only
    `channels` with a provider configured are taken: the others wait, queued, until one is."""
    channels = list(channels)
    if not branch_ids or not channels:
        return []
    o = OUTBOX.c
    due = or_(and_(o.state.in_(CLAIMABLE), o.next_attempt_at <= now), and_(o.state == "sending", o.lease_until < now))
    pick = (select(o.id).join(Customer.__table__, Customer.__table__.c.id == o.customer_id)
            .where(due, o.branch_id.in_(branch_ids), o.channel.in_(channels),
                   Customer.__table__.c.consent_message.is_(True),
                   Customer.__table__.c.anonymised_at.is_(None))
            .order_by(o.next_attempt_at, o.id).limit(limit).with_for_update(skip_locked=True, of=OUTBOX))
    rows = session.execute(
        update(OUTBOX).where(o.id.in_(pick.scalar_subquery()))
        .values(state="sending", attempts=o.attempts + 1, claimed_by=worker, lease_until=now + lease)
        .returning(o.id, o.idem_key, o.channel, o.to_phone, o.body, o.wa_template, o.wa_category, o.wa_sender,
                   o.params, o.branch_id, o.attempts)).all()
    return [Outgoing(r.id, r.idem_key, r.channel, r.to_phone, r.body, r.wa_template, r.wa_category, r.wa_sender,
                     list(r.params or []), r.branch_id, r.attempts) for r in rows]


@dataclass
class SendReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    batches: int = 0
    errors: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {"sent": self.sent, "retried": self.retried, "failed": self.failed, "batches": self.batches,
                "errors": dict(self.errors)}


def send_all(batch: list[Outgoing], providers: dict[str, Provider], pool: ThreadPoolExecutor) -> list[SendResult]:
    def one(msg: Outgoing) -> SendResult:
        provider = providers.get(msg.channel)
        if provider is None:
            return SendResult(False, error_code="not_configured", error=f"no {msg.channel} provider configured")
        try:
            return provider.send(msg)
        except Exception as e:  # a provider bug must not lose the batch: retry later
            return SendResult(False, error_code="error", error=repr(e)[:500], transient=True)
    return list(pool.map(one, batch))


def record(session: Session, worker: str, batch: list[Outgoing], results: list[SendResult], *,
           now: dt.datetime, backoff: dt.timedelta, configs: dict[int, BranchMessaging]) -> SendReport:
    """Write a batch's outcomes with three executemany UPDATEs (sent / retry / failed). Only rows this
    worker still holds change; a status webhook that got there first keeps its (later) state."""
    report = SendReport(batches=1)
    sent: list[dict[str, Any]] = []
    retry: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    for msg, res in zip(batch, results, strict=True):
        if res.ok:
            cfg = configs.get(msg.branch_id)
            sent.append({"k": msg.id, "pid": res.provider_id, "cost": cfg.cost_of(msg.channel) if cfg else 0})
        elif res.transient and msg.attempts < MAX_ATTEMPTS:
            retry.append({"k": msg.id, "code": res.error_code, "err": res.error,
                          "at": now + backoff_delay(msg.attempts, backoff)})
        else:
            failed.append({"k": msg.id, "code": res.error_code, "err": res.error})
        if not res.ok:
            report.errors[res.error_code or "?"] += 1
    o = OUTBOX.c
    mine = and_(o.id == bindparam("k"), o.claimed_by == worker)
    if sent:
        session.execute(update(OUTBOX).where(mine).values(
            state=case((o.state == "sending", "sent"), else_=o.state), provider_id=bindparam("pid"),
            sent_at=func.coalesce(o.sent_at, now), cost=bindparam("cost"), lease_until=None, error_code=None,
            error=None), sent)
    if retry:
        session.execute(update(OUTBOX).where(mine, o.state == "sending").values(
            state="retry", next_attempt_at=bindparam("at"), error_code=bindparam("code"), error=bindparam("err"),
            lease_until=None), retry)
    if failed:
        session.execute(update(OUTBOX).where(mine, o.state == "sending").values(
            state="failed", failed_at=now, error_code=bindparam("code"), error=bindparam("err"),
            lease_until=None), failed)
        from core.messaging import receipts  # a refusal may say something about the customer

        for row in failed:
            receipts.apply_send_failure(session, row["k"])
    report.sent, report.retried, report.failed = len(sent), len(retry), len(failed)
    return report


def run_sender(db: Database, worker: str, providers: dict[str, Provider], options: SendOptions | None = None,
               *, now: Callable[[], dt.datetime] = clock.now, once: bool = False) -> SendReport:
    """Claim, send and record batches until nothing is due (or max_seconds passed)."""
    opts = options or SendOptions()
    total = SendReport()
    started = clock.now()
    with ThreadPoolExecutor(max_workers=opts.concurrency, thread_name_prefix="outbox") as pool:
        while True:
            with db.transaction(None, system=True) as s:
                at = now()
                configs = all_branch_messaging(s)
                open_ids = [b for b, c in configs.items() if within_sending_hours(c, at)]
                batch = claim(s, worker, limit=opts.batch, now=at, lease=opts.lease, branch_ids=open_ids,
                              channels=providers)
            if not batch:
                break
            results = send_all(batch, providers, pool)
            with db.transaction(None, system=True) as s:
                rep = record(s, worker, batch, results, now=now(), backoff=opts.backoff, configs=configs)
            total.sent += rep.sent
            total.retried += rep.retried
            total.failed += rep.failed
            total.batches += 1
            total.errors.update(rep.errors)
            if once or (clock.now() - started).total_seconds() > opts.max_seconds:
                break
    return total
