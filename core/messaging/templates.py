"""Message templates: the Indonesian text for each touch kind, with {variables} head office may
use, per branch. The same text is sent by the worker, shown in the worklist's wa.me link and
previewed on the settings screen; the approved WhatsApp template gets the variables, in the order
they appear, as its body parameters {{1}}..{{n}}."""

from __future__ import annotations

import datetime as dt
import string
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.accounts.access import Perm, Viewer
from core.platform import clock
from core.platform.errors import ValidationError
from core.platform.i18n import register
from core.privacy import audit
from db.enums import TouchKind
from db.models import MessageTemplate

register({
    "msg.template_unknown_var": {
        "id": "variabel {{{name}}} tidak dikenal; yang bisa dipakai: {allowed}",
        "en": "unknown variable {{{name}}}; you can use: {allowed}",
    },
    "msg.template_bad": {"id": "teks template tidak valid: {why}", "en": "the template text is invalid: {why}"},
    "msg.template_empty": {"id": "teks template wajib diisi", "en": "the template text is required"},
})

# The variables a template may use, with what they hold (shown on the settings screen).
VARIABLES: dict[str, str] = {
    "nama": "Nama customer",
    "unit": "Tipe motor",
    "plat": "Nomor polisi",
    "kpb": "Nomor KPB (1-4)",
    "deadline": "Batas waktu (dd/mm/yyyy)",
    "cabang": "Nama cabang (AHASS)",
    "telepon_cabang": "Nomor telepon cabang",
    "booking": "Link atau nomor booking",
}

DEFAULTS: dict[TouchKind, str] = {
    TouchKind.MESSAGE_H7: (
        "Halo Bapak/Ibu {nama}, servis KPB {kpb} motor {unit} ({plat}) Anda berlaku sampai {deadline}. "
        "Yuk booking servis di AHASS {cabang} agar tidak antre. Terima kasih."),
    TouchKind.CALL_H3: (
        "Halo Bapak/Ibu {nama}, batas servis motor {unit} ({plat}) Anda tinggal 3 hari lagi ({deadline}). "
        "Booking servis di AHASS {cabang} atau hubungi {telepon_cabang}. Terima kasih."),
    TouchKind.BOOKING_CONFIRM: (
        "Halo Bapak/Ibu {nama}, kami mengingatkan booking servis motor {unit} ({plat}) Anda di AHASS {cabang} "
        "pada {deadline}. Kami tunggu kedatangannya. Terima kasih."),
    TouchKind.FEEDBACK_H3: (
        "Halo Bapak/Ibu {nama}, terima kasih telah melakukan servis motor {unit} ({plat}) di AHASS {cabang}. "
        "Bagaimana hasil servisnya? Kritik dan saran Anda sangat berarti bagi kami."),
    TouchKind.VISIT: (
        "Halo Bapak/Ibu {nama}, AHASS {cabang} siap melayani servis kunjungan (home service) untuk motor "
        "{unit} ({plat}) Anda. Balas pesan ini untuk mengatur jadwalnya. Terima kasih."),
}
# A regular-service reminder (no KPB number) reads differently from a KPB one.
DEFAULT_REGULAR_H7 = (
    "Halo Bapak/Ibu {nama}, motor {unit} ({plat}) Anda sudah waktunya servis berkala pada {deadline}. "
    "Yuk booking servis di AHASS {cabang} agar motor tetap prima. Terima kasih.")


@dataclass(frozen=True)
class MessageVars:
    """What a template can say about one touch."""

    nama: str | None = None
    unit: str | None = None
    plat: str | None = None
    kpb: int | None = None
    deadline: dt.date | None = None
    cabang: str | None = None
    telepon_cabang: str | None = None
    booking: str | None = None

    def as_text(self) -> dict[str, str]:
        return {
            "nama": self.nama or "Pelanggan", "unit": self.unit or "Honda", "plat": self.plat or "-",
            "kpb": str(self.kpb) if self.kpb else "-",
            "deadline": self.deadline.strftime("%d/%m/%Y") if self.deadline else "-",
            "cabang": self.cabang or "-", "telepon_cabang": self.telepon_cabang or "-",
            "booking": self.booking or self.telepon_cabang or "-",
        }


SAMPLE = MessageVars(nama="RESTU ANDIKA", unit="New Vario Techno 150", plat="KT 2146 FK", kpb=3,
                     deadline=dt.date(2020, 7, 31), cabang="SAMARINDA", telepon_cabang="0541-123456",
                     booking="https://ahass.example/booking")


def variables_in(body: str) -> list[str]:
    """The variables a template uses, in order of appearance (repeats kept: each is a parameter)."""
    try:
        return [name for _, name, _, _ in string.Formatter().parse(body) if name is not None]
    except ValueError as e:
        raise ValidationError("msg.template_bad", field="body", value=body, why=str(e)) from None


def validate(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationError("msg.template_empty", field="body", value=body)
    for name in variables_in(body):
        if name not in VARIABLES:
            raise ValidationError("msg.template_unknown_var", field="body", value=name, name=name,
                                  allowed=", ".join("{" + v + "}" for v in VARIABLES))
    return body


def render(body: str, values: MessageVars) -> str:
    return body.format_map(values.as_text())


def wa_params(body: str, values: MessageVars) -> list[str]:
    """The body parameters of the approved WhatsApp template, {{1}}..{{n}}, in order."""
    texts = values.as_text()
    return [texts[name] for name in variables_in(body)]


def default_body(kind: TouchKind, *, kpb: int | None = None) -> str:
    if kind == TouchKind.MESSAGE_H7 and not kpb:
        return DEFAULT_REGULAR_H7
    return DEFAULTS[kind]


@dataclass(frozen=True)
class Template:
    kind: TouchKind
    body: str
    wa_template: str | None
    wa_category: str
    custom: bool  # False: the built-in default


def branch_templates(session: Session, branch_id: int) -> dict[TouchKind, Template]:
    """Every kind's template for a branch: its own text where head office wrote one, else the default."""
    rows = {r.kind: r for r in session.scalars(
        select(MessageTemplate).where(MessageTemplate.branch_id == branch_id))}
    out = {}
    for kind in TouchKind:
        row = rows.get(kind.value)
        out[kind] = (Template(kind, row.body, row.wa_template, row.wa_category, True) if row is not None
                     else Template(kind, DEFAULTS[kind], None, "utility", False))
    return out


def body_for(templates: dict[TouchKind, Template], kind: TouchKind, kpb: int | None) -> str:
    template = templates[kind]
    return template.body if template.custom else default_body(kind, kpb=kpb)


def save_template(session: Session, viewer: Viewer, branch_id: int, kind: TouchKind, body: str,
                  wa_template: str | None = None, wa_category: str = "utility") -> MessageTemplate:
    """Head office sets a branch's text for one touch kind (checked: only known variables)."""
    viewer.require(Perm.SETTINGS_MANAGE)
    viewer.require_branch(branch_id)
    body = validate(body)
    if wa_category not in ("utility", "marketing"):
        raise ValidationError("msg.template_bad", field="wa_category", value=wa_category, why=wa_category)
    row = session.scalar(select(MessageTemplate).where(MessageTemplate.branch_id == branch_id,
                                                       MessageTemplate.kind == kind.value))
    if row is None:
        row = MessageTemplate(branch_id=branch_id, kind=kind.value, body=body)
        session.add(row)
    changes = {"body": body, "wa_template": (wa_template or "").strip() or None, "wa_category": wa_category}
    diff = audit.diff(row, changes) if row.id else {k: [None, v] for k, v in changes.items()}
    for k, v in changes.items():
        setattr(row, k, v)
    row.updated_at, row.updated_by = clock.now(), viewer.user_id
    session.flush()
    audit.record(session, viewer, "messaging.template", row, changes=diff, note=kind.value)
    return row


@dataclass(frozen=True)
class BranchTexts:
    """What the worklist needs to write a branch's manual messages: its own texts (None: default)."""

    bodies: dict[TouchKind, str | None]
    branch_phone: str | None
    booking: str | None


def branch_texts(session: Session, branch_code: str) -> BranchTexts | None:
    from db.models import Branch, MessagingConfig

    branch = session.scalar(select(Branch).where(Branch.code == branch_code))
    if branch is None:
        return None
    tpl = branch_templates(session, branch.id)
    booking = session.scalar(select(MessagingConfig.booking_link).where(MessagingConfig.branch_id == branch.id))
    return BranchTexts({k: t.body if t.custom else None for k, t in tpl.items()}, branch.phone, booking)
