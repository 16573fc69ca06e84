"""The weekly recap e-mail (a worker job, core.platform.jobs registry): every Monday from 07:00 branch-local time
each branch head (Kepala Cabang, Kepala Bengkel) gets last week's recap and PICA for their branch;
head office (PIC CRM) gets one covering every branch, from 07:00 WIB, when every branch's Sunday has
ended. With no SMTP server configured (H23_SMTP_HOST) the job does nothing.

Exactly once per recipient and week: one recap_mail row per (week, branch or head office, user),
inserted under a unique key, so any number of workers queue it once; a worker claims rows with a
lease (UPDATE ... RETURNING, SKIP LOCKED on PostgreSQL), so a worker that died before sending is
taken over when the lease ends and no live worker's row is ever taken. SMTP refusing for now (4xx,
server down) retries with backoff; a 5xx answer or too many attempts is 'failed', shown to PIC CRM.
Heads without an e-mail address, and branches without a head, are recorded too: reported, not skipped."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, or_, select, update
from sqlalchemy.orm import Session

from core.accounts.access import Perm, Viewer
from core.platform import clock, mailer
from core.platform.errors import DomainError, ValidationError
from core.platform.i18n import register
from core.platform.mailer import Delivery, SmtpSettings
from core.platform.sqlfilters import in_branches, visible_branch_ids
from core.reports.recap_mail_compose import RecapContent, build_message, gather
from core.reports.recap_mail_recipients import HEAD_OFFICE_TZ, MAIL, _scopes, enqueue, next_send, recapped_week
from db.engine import Database
from db.models import Branch, RecapMail, User

log = logging.getLogger("h23.recap_mail")

register({
    # Branch heads are told whom to ask; only head office, who runs the installation, gets the setting's name.
    "recap_mail.off": {"id": "E-mail rekap mingguan belum diatur; hubungi kantor pusat.",
                       "en": "The weekly recap e-mail is not set up; ask head office."},
    "recap_mail.off_admin": {"id": "E-mail rekap mingguan belum aktif: server e-mail (H23_SMTP_HOST) belum diatur.",
                             "en": "The weekly recap e-mail is off: no mail server is set (H23_SMTP_HOST)."},
})

LEASE = dt.timedelta(minutes=10)  # far longer than composing and sending one batch takes
RETRY_AFTER = dt.timedelta(minutes=5)  # first retry; doubles each attempt, at most RETRY_MAX
RETRY_MAX = dt.timedelta(hours=2)
MAX_ATTEMPTS = 8  # about 8 hours of an unreachable server before a mail is given up as failed
BATCH = 20
TICK_SECONDS = 50.0  # one worker tick sends for at most this long
CLAIMABLE = ("queued", "retry")
STATES = ("queued", "sending", "sent", "retry", "failed", "no_email", "no_head")


def retry_delay(attempts: int) -> dt.timedelta:
    return min(RETRY_AFTER * (2 ** max(attempts - 1, 0)), RETRY_MAX)


@dataclass(frozen=True)
class Claimed:
    id: int
    dedup_key: str
    week: dt.date
    branch_id: int | None
    user_id: int | None
    email: str
    lang: str
    attempts: int


def claim(db: Database, worker: str, now: dt.datetime, limit: int = BATCH) -> list[Claimed]:
    """Take up to `limit` due mails in one statement; a claim whose lease ended (its worker died
    before recording the send) is taken over."""
    m = MAIL.c
    due = or_(and_(m.state.in_(CLAIMABLE), m.next_attempt_at <= now), and_(m.state == "sending", m.lease_until < now))
    with db.session(None, system=True) as s:  # most ticks find nothing: no write transaction for them
        if s.execute(select(m.id).where(due).limit(1)).first() is None:
            return []
    pick = select(m.id).where(due).order_by(m.next_attempt_at, m.id).limit(limit).with_for_update(skip_locked=True)
    with db.transaction(None, system=True) as s:
        rows = s.execute(
            update(MAIL).where(m.id.in_(pick.scalar_subquery()))
            .values(state="sending", attempts=m.attempts + 1, claimed_by=worker, lease_until=now + LEASE)
            .returning(m.id, m.dedup_key, m.week, m.branch_id, m.user_id, m.email, m.lang, m.attempts)).all()
    return [Claimed(int(r.id), r.dedup_key, r.week, r.branch_id, r.user_id, r.email, r.lang, int(r.attempts))
            for r in sorted(rows, key=lambda r: r.id)]


def record(db: Database, worker: str, mail: Claimed, result: Delivery, now: dt.datetime) -> str:
    """Store one send's outcome; only while the claim is still this worker's."""
    if result.ok:
        values: dict[str, Any] = {"state": "sent", "sent_at": now, "error": None}
    elif result.permanent or mail.attempts >= MAX_ATTEMPTS:
        values = {"state": "failed", "error": result.error}
    else:
        values = {"state": "retry", "error": result.error, "next_attempt_at": now + retry_delay(mail.attempts)}
    with db.transaction(None, system=True) as s:
        s.execute(update(MAIL).where(MAIL.c.id == mail.id, MAIL.c.claimed_by == worker, MAIL.c.state == "sending")
                  .values(lease_until=None, **values))
    return str(values["state"])


@dataclass
class SendReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0

    def count(self, state: str) -> None:
        if state == "sent":
            self.sent += 1
        elif state == "retry":
            self.retried += 1
        else:
            self.failed += 1

    @property
    def total(self) -> int:
        return self.sent + self.retried + self.failed


def _names(db: Database, user_ids: Iterable[int | None]) -> dict[int, str]:
    ids = sorted({u for u in user_ids if u is not None})
    if not ids:
        return {}
    with db.session(None, system=True) as s:
        return {int(i): n for i, n in s.execute(select(User.id, User.full_name).where(User.id.in_(ids)))}


def _contents(db: Database, mails: list[Claimed]) -> dict[tuple[int | None, dt.date], RecapContent | Exception]:
    """Each (scope, week)'s recap, read once for all its recipients."""
    out: dict[tuple[int | None, dt.date], RecapContent | Exception] = {}
    with db.session(None, system=True) as s:
        for key in sorted({(m.branch_id, m.week) for m in mails}, key=lambda k: (k[0] or 0, k[1])):
            try:
                branch = s.get(Branch, key[0]) if key[0] is not None else None
                out[key] = gather(s, branch, key[1])
            except Exception as e:  # recorded against its mails (retried), the others still go
                log.exception("recap mail: composing %s failed", key)
                out[key] = e
    return out


def send_batch(db: Database, worker: str, cfg: SmtpSettings, now: dt.datetime | None = None,
               limit: int = BATCH) -> tuple[SendReport, int]:
    """Claim, compose and send one batch over one SMTP connection: (what happened, rows claimed)."""
    now = now or clock.now()
    mails = claim(db, worker, now, limit)
    report = SendReport()
    if not mails:
        return report, 0
    contents, names = _contents(db, mails), _names(db, (m.user_id for m in mails))
    try:
        smtp = mailer.connect(cfg)
    except Exception as e:  # server down or refusing us: every mail of the batch waits for a retry
        for m in mails:
            report.count(record(db, worker, m, Delivery(False, error=mailer.describe(e)), clock.now()))
        return report, len(mails)
    domain = cfg.from_address.rpartition("@")[2] or "localhost"
    try:
        for m in mails:
            content = contents[(m.branch_id, m.week)]
            if isinstance(content, Exception):
                result = Delivery(False, error=f"{type(content).__name__}: {content}")
            else:
                name = names.get(m.user_id or 0, m.email)
                message = build_message(content, to=m.email, name=name, lang=m.lang, sender=cfg.from_address,
                                        message_id=f"<recap.{m.dedup_key.replace(':', '.')}@{domain}>", at=now)
                result = mailer.deliver(smtp, message)
            report.count(record(db, worker, m, result, clock.now()))
    finally:
        mailer.close(smtp)
    return report, len(mails)


def _send_until_done(db: Database, worker: str, cfg: SmtpSettings) -> SendReport:
    total, started = SendReport(), time.monotonic()
    while time.monotonic() - started < TICK_SECONDS:
        report, claimed = send_batch(db, worker, cfg)
        total.sent, total.retried, total.failed = (total.sent + report.sent, total.retried + report.retried,
                                                   total.failed + report.failed)
        if claimed < BATCH:
            break
    return total


def run_weekly(db: Database, worker: str, cfg: SmtpSettings | None = None) -> list[str]:
    """The worker job: queue the week's mails once they are due, send what is due; [] when idle."""
    cfg = mailer.smtp_from_env() if cfg is None else cfg
    if not cfg.ready:
        return []
    queued = enqueue(db, clock.now())
    report = _send_until_done(db, worker, cfg)
    if not (queued or report.total):
        return []
    summary = f"recap_mail: queued {queued}, sent {report.sent}, retry {report.retried}, failed {report.failed}"
    log.info(summary)
    return [summary]


def send_now(db: Database, viewer: Viewer, worker: str, cfg: SmtpSettings | None = None) -> SendReport:
    """PIC CRM's "Kirim sekarang": this week's mails now, through the same queue and claims as the
    worker. Whoever already got this week's mail does not get it again; failed and waiting ones
    are tried again at once with a fresh set of attempts."""
    viewer.require(Perm.SETTINGS_MANAGE)
    cfg = mailer.smtp_from_env() if cfg is None else cfg
    if not cfg.ready:
        raise DomainError("recap_mail.off_admin")
    now = clock.now()
    enqueue(db, now, force=True)
    with db.session(None, system=True) as s:
        slots = [(sc.branch_id, recapped_week(now, sc.timezone)) for sc in _scopes(s)]
    this_week = or_(*[and_(MAIL.c.branch_id.is_(None) if b is None else MAIL.c.branch_id == b, MAIL.c.week == w)
                      for b, w in slots])
    with db.transaction(None, system=True) as s:
        s.execute(update(MAIL).where(this_week, MAIL.c.state.in_(("retry", "failed")))
                  .values(state="queued", attempts=0, next_attempt_at=now))
    return _send_until_done(db, worker, cfg)


# --- What the recap page shows ---------------------------------------------------------------------


@dataclass(frozen=True)
class SendRow:
    week: dt.date
    scope: str  # branch code, or "HO"
    to: str | None  # the person's name (None: a branch without a head)
    email: str | None
    state: str
    attempts: int
    error: str | None
    at: dt.datetime  # sent, or queued
    next_attempt_at: dt.datetime | None


@dataclass(frozen=True)
class MailStatus:
    enabled: bool
    problem: str | None  # why it is off, in the viewer's language
    server: str | None  # host:port
    timezone: str
    next_at: dt.datetime
    rows: list[SendRow]
    may_send_now: bool


def status(session: Session, viewer: Viewer, *, env: dict[str, str] | None = None, limit: int = 20) -> MailStatus:
    """The recap page's e-mail box: on or off, when the next mail goes, the latest sends the viewer
    may see (a branch head: their branches'; head office: all, its own mail included)."""
    viewer.require(Perm.REPORT_EXPORT)
    problem: str | None = None
    admin = viewer.can(Perm.SETTINGS_MANAGE)
    try:
        cfg = mailer.smtp_from_env(env)
        if not cfg.ready:
            problem = DomainError("recap_mail.off_admin" if admin else "recap_mail.off").message(viewer.lang)
    except ValidationError as e:  # a bad setting (H23_SMTP_PORT): its name only for head office
        cfg, problem = SmtpSettings(), e.message(viewer.lang) if admin else DomainError("recap_mail.off").message(
            viewer.lang)
    branches = visible_branch_ids(viewer)
    if branches is None:
        tz = HEAD_OFFICE_TZ
    else:
        tz = session.scalar(select(Branch.timezone).where(in_branches(Branch.id, branches)).order_by(Branch.code)
                            .limit(1)) or HEAD_OFFICE_TZ
    scope = case((RecapMail.branch_id.is_(None), "HO"), else_=Branch.code)
    rows = session.execute(
        select(RecapMail, scope, User.full_name).outerjoin(Branch, Branch.id == RecapMail.branch_id)
        .outerjoin(User, User.id == RecapMail.user_id)
        .where(in_branches(RecapMail.branch_id, branches)).order_by(RecapMail.id.desc()).limit(limit)).all()
    return MailStatus(
        enabled=problem is None, problem=problem, server=f"{cfg.host}:{cfg.port}" if cfg.ready else None,
        timezone=tz, next_at=next_send(clock.now(), tz),
        rows=[SendRow(m.week, code, name, m.email, m.state, m.attempts, m.error, m.sent_at or m.created_at,
                      m.next_attempt_at if m.state in CLAIMABLE else None) for m, code, name in rows],
        may_send_now=viewer.can(Perm.SETTINGS_MANAGE) and problem is None)
