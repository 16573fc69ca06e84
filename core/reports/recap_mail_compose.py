"""The weekly recap e-mail's content: the week's monitoring recap (reminded, came for KPB, came for
regular service, did not come and why) and PICA, for one branch or for head office, as an HTML
table with a plain-text alternative and the recap workbook attached, in the recipient's language."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.accounts.access import Viewer
from core.platform.i18n import register, t
from core.reports import recap
from core.reports.recap import Period
from db.models import Branch, LostReason

register({
    "recap_mail.subject": {"id": "Rekap mingguan follow up {scope}, {start} - {end}",
                           "en": "Weekly follow-up recap {scope}, {start} - {end}"},
    "recap_mail.all_branches": {"id": "semua cabang", "en": "all branches"},
    "recap_mail.greeting": {"id": "Yth. {name},", "en": "Dear {name},"},
    "recap_mail.intro": {
        "id": "Berikut rekap monitoring follow up reminder service {scope} untuk minggu {start} - {end}.",
        "en": "Here is the follow-up reminder service recap for {scope}, week {start} - {end}."},
    "recap_mail.recap_title": {"id": "Rekap monitoring follow up reminder service",
                               "en": "Follow-up reminder service recap"},
    "recap_mail.reasons_title": {"id": "Alasan tidak datang", "en": "Why they did not come"},
    "recap_mail.pica_title": {"id": "PICA: follow up gagal per penyebab", "en": "PICA: failed follow-ups by cause"},
    "recap_mail.none": {"id": "Tidak ada.", "en": "None."},
    "recap_mail.footer": {
        "id": "Rekap lengkap ada di lampiran Excel. E-mail ini dikirim otomatis oleh H23 CRM setiap Senin pagi.",
        "en": "The full recap is in the attached workbook. H23 CRM sends this e-mail every Monday morning."},
    "recap_mail.col.branch": {"id": "Cabang", "en": "Branch"},
    "recap_mail.col.reminded": {"id": "Diingatkan", "en": "Reminded"},
    "recap_mail.col.came_kpb": {"id": "Datang KPB", "en": "Came for KPB"},
    "recap_mail.col.came_reg": {"id": "Datang Reguler", "en": "Came for regular service"},
    "recap_mail.col.not_came": {"id": "Tidak datang", "en": "Did not come"},
    "recap_mail.col.reason": {"id": "Alasan", "en": "Reason"},
    "recap_mail.col.count": {"id": "Jumlah", "en": "Count"},
    "recap_mail.col.admin": {"id": "Admin", "en": "Admin"},
    "recap_mail.col.rejected": {"id": "Rejected", "en": "Rejected"},
    "recap_mail.col.not_connected": {"id": "Tidak Terhubung", "en": "Not reached"},
    "recap_mail.col.not_followed": {"id": "Cabang tidak follow up", "en": "Branch did not follow up"},
    "recap_mail.col.total": {"id": "Total", "en": "Total"},
    "recap_mail.still_open": {"id": recap.STILL_OPEN, "en": "Still being followed up"},
    "recap_mail.no_reason": {"id": recap.NO_REASON, "en": "No reason given"},
})

XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
TOTAL = "Total"
Table = tuple[Sequence[str], list[tuple]]  # (column codes, rows)


@dataclass(frozen=True)
class RecapContent:
    """One scope's recap for one week: the same for every recipient but for the language."""

    scope: str | None  # the branch label; None = head office (every branch)
    scope_code: str  # SAM01, or HO
    week: dt.date
    recap: list[tuple[str, int, int, int, int]]  # branch, reminded, came KPB, came regular, did not come
    reasons: list[tuple[str, str, int]]  # branch, reason (Indonesian, as recorded), leads
    pica: list[tuple[str, str, int, int, int, int]]  # branch, admin ('' for head office), 3 causes, total
    reason_en: dict[str, str]
    xlsx: bytes

    @property
    def end(self) -> dt.date:
        return self.week + dt.timedelta(days=6)


def gather(session: Session, branch: Branch | None, week: dt.date) -> RecapContent:
    """The numbers core.reports.recap gives for the week (Monday..Sunday) and scope, read as the system."""
    system = Viewer.system_viewer()
    period = Period(week, week + dt.timedelta(days=6), (branch.id,) if branch else ())
    if branch is None:
        codes = list(session.scalars(select(Branch.code).where(Branch.active.is_(True)).order_by(Branch.code)))
    else:
        codes = [branch.code]
    by_branch = {r.branch: (r.reminded, r.came_kpb, r.came_reg, r.not_came)
                 for r in recap.weekly_recap(session, system, period)}
    rows = [(code, *by_branch.get(code, (0, 0, 0, 0))) for code in sorted(set(codes) | set(by_branch))]
    reasons = [(b, why, n) for b, _week, why, n in recap.not_came_reasons(session, system, period)]
    pica_rows = recap.pica_summary(session, system, period)
    if branch is None:  # head office reads PICA per branch; the branch mail names each admin
        sums: dict[str, list[int]] = {}
        for r in pica_rows:
            acc = sums.setdefault(r.branch, [0, 0, 0])
            acc[0], acc[1], acc[2] = acc[0] + r.rejected, acc[1] + r.not_connected, acc[2] + r.not_followed
        pica = [(b, "", a, c, f, a + c + f) for b, (a, c, f) in sorted(sums.items())]
    else:
        pica = [(r.branch, r.admin, r.rejected, r.not_connected, r.not_followed, r.total) for r in pica_rows]
    reason_en = dict(session.execute(select(LostReason.name_id, LostReason.name_en)).tuples().all())
    return RecapContent(branch.label if branch else None, branch.code if branch else "HO", week,
                        [(r[0], int(r[1]), int(r[2]), int(r[3]), int(r[4])) for r in rows], reasons, pica,
                        reason_en, recap.recap_xlsx(session, system, period))


def _day(d: dt.date) -> str:
    return d.strftime("%d/%m/%Y")


def _reason(c: RecapContent, why: str, lang: str) -> str:
    if why == recap.STILL_OPEN:
        return t("recap_mail.still_open", lang)
    if why == recap.NO_REASON:
        return t("recap_mail.no_reason", lang)
    return c.reason_en.get(why, why) if lang == "en" else why


def tables(c: RecapContent, lang: str) -> list[tuple[str, Table]]:
    """(title, (column codes, rows)) for the mail, totals included for head office."""
    recap_rows: list[tuple] = list(c.recap)
    if c.scope is None and len(c.recap) > 1:
        recap_rows.append((TOTAL, sum(r[1] for r in c.recap), sum(r[2] for r in c.recap),
                           sum(r[3] for r in c.recap), sum(r[4] for r in c.recap)))
    pica_cols = ["branch", "rejected", "not_connected", "not_followed", "total"]
    if c.scope is None:
        pica_rows: list[tuple] = [(b, *n) for b, _admin, *n in c.pica]
    else:
        pica_cols.insert(1, "admin")
        pica_rows = list(c.pica)
    return [
        ("recap_mail.recap_title", (["branch", "reminded", "came_kpb", "came_reg", "not_came"], recap_rows)),
        ("recap_mail.reasons_title", (["branch", "reason", "count"],
                                      [(b, _reason(c, why, lang), n) for b, why, n in c.reasons])),
        ("recap_mail.pica_title", (pica_cols, pica_rows)),
    ]


def _scope_name(c: RecapContent, lang: str) -> str:
    return c.scope if c.scope is not None else t("recap_mail.all_branches", lang)


def subject(c: RecapContent, lang: str) -> str:
    return t("recap_mail.subject", lang, scope=c.scope_code if c.scope else _scope_name(c, lang),
             start=_day(c.week), end=_day(c.end))


def _html_table(cols: Sequence[str], rows: list[tuple], lang: str) -> str:
    def cell(tag: str, value: object, style: str = "") -> str:
        return f'<{tag} style="border:1px solid #ccc;padding:4px 8px;{style}">{html.escape(str(value))}</{tag}>'

    head = "".join(cell("th", t(f"recap_mail.col.{c}", lang), "background:#f2f2f2;text-align:left") for c in cols)
    body = "".join("<tr>" + "".join(cell("td", v, "text-align:right" if isinstance(v, int) else "") for v in row)
                   + "</tr>" for row in rows)
    return f'<table style="border-collapse:collapse;margin:0 0 16px 0"><tr>{head}</tr>{body}</table>'


def _text_table(cols: Sequence[str], rows: list[tuple], lang: str) -> str:
    grid = [[t(f"recap_mail.col.{c}", lang) for c in cols], *[[str(v) for v in row] for row in rows]]
    widths = [max(len(r[i]) for r in grid) for i in range(len(cols))]
    return "\n".join("  ".join(v.rjust(w) if n and v.isdigit() else v.ljust(w) for v, w in zip(r, widths, strict=True))
                     .rstrip() for n, r in enumerate(grid))


def bodies(c: RecapContent, name: str, lang: str) -> tuple[str, str]:
    """(plain text, HTML) of the mail to one person."""
    scope, start, end = _scope_name(c, lang), _day(c.week), _day(c.end)
    greeting, intro = t("recap_mail.greeting", lang, name=name), t("recap_mail.intro", lang, scope=scope,
                                                                    start=start, end=end)
    text, parts = [greeting, "", intro, ""], [f"<p>{html.escape(greeting)}</p><p>{html.escape(intro)}</p>"]
    for title, (cols, rows) in tables(c, lang):
        text += [t(title, lang), _text_table(cols, rows, lang) if rows else t("recap_mail.none", lang), ""]
        parts.append(f"<h3 style=\"margin:16px 0 6px 0\">{html.escape(t(title, lang))}</h3>"
                     + (_html_table(cols, rows, lang) if rows else f"<p>{html.escape(t('recap_mail.none', lang))}</p>"))
    footer = t("recap_mail.footer", lang)
    text.append(footer)
    parts.append(f'<p style="color:#666">{html.escape(footer)}</p>')
    page = (f'<html><body style="font-family:Arial,sans-serif;font-size:14px">{"".join(parts)}</body></html>')
    return "\n".join(text) + "\n", page


def build_message(c: RecapContent, *, to: str, name: str, lang: str, sender: str, message_id: str,
                  at: dt.datetime) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = subject(c, lang)
    msg["From"] = formataddr(("H23 CRM", sender))
    msg["To"] = formataddr((name, to))
    msg["Date"] = format_datetime(at)
    # The same id on a resend (a worker that died after the server took the mail) lets mail
    # systems that deduplicate by Message-ID drop the copy.
    msg["Message-ID"] = message_id
    text, page = bodies(c, name, lang)
    msg.set_content(text)
    msg.add_alternative(page, subtype="html")
    msg.add_attachment(c.xlsx, maintype=XLSX_TYPE[0], subtype=XLSX_TYPE[1],
                       filename=f"rekap-mingguan-{c.scope_code}-{c.week:%Y%m%d}.xlsx")
    return msg
