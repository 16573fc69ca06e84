"""Outgoing e-mail over SMTP with the standard library. The server comes from the environment
(H23_SMTP_*), like the messaging providers' credentials: an installation setting, never the database.

Each send reports whether the server took the message, and if not whether trying again can help:
4xx replies and a lost connection are transient, a 5xx reply to the message is permanent."""

from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

from core.platform.errors import ValidationError
from core.platform.i18n import register

register({
    "mail.bad_port": {"id": "H23_SMTP_PORT harus angka 1-65535, bukan {value}",
                      "en": "H23_SMTP_PORT must be a number 1-65535, not {value}"},
})


@dataclass(frozen=True)
class SmtpSettings:
    host: str = ""
    port: int = 25
    user: str = ""
    password: str = ""
    sender: str = ""
    starttls: bool = False
    cafile: str = ""  # the CA that signed the server's certificate, when not a public one (a company relay)
    timeout: float = 20.0  # seconds per SMTP command: a hung server must not hold the worker's tick

    @property
    def ready(self) -> bool:
        return bool(self.host)

    @property
    def from_address(self) -> str:
        return self.sender or self.user or "h23-crm@localhost"


def smtp_from_env(env: dict[str, str] | None = None) -> SmtpSettings:
    """H23_SMTP_HOST, _PORT (default 587 with STARTTLS, else 25), _USER, _PASSWORD, _FROM, _STARTTLS=1/0,
    _CAFILE (a PEM file of the CA to trust for the server's certificate; default: the system's)."""
    e = os.environ if env is None else env
    starttls = e.get("H23_SMTP_STARTTLS", "0").strip() == "1"
    raw_port = e.get("H23_SMTP_PORT", "").strip()
    port = 587 if starttls else 25
    if raw_port:
        if not raw_port.isdigit() or not 0 < int(raw_port) < 65536:
            raise ValidationError("mail.bad_port", field="H23_SMTP_PORT", value=raw_port)
        port = int(raw_port)
    return SmtpSettings(host=e.get("H23_SMTP_HOST", "").strip(), port=port, user=e.get("H23_SMTP_USER", ""),
                        password=e.get("H23_SMTP_PASSWORD", ""), sender=e.get("H23_SMTP_FROM", "").strip(),
                        starttls=starttls, cafile=e.get("H23_SMTP_CAFILE", "").strip())


@dataclass(frozen=True)
class Delivery:
    ok: bool
    permanent: bool = False
    error: str | None = None


def connect(cfg: SmtpSettings) -> smtplib.SMTP:
    """An open, greeted (and if asked, encrypted and logged-in) connection; raises when the server
    cannot be reached or refuses us, which the caller treats as transient."""
    smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)
    try:
        smtp.ehlo()
        if cfg.starttls:
            # The server's certificate and name are checked (a relay's own CA via H23_SMTP_CAFILE).
            smtp.starttls(context=ssl.create_default_context(cafile=cfg.cafile or None))
            smtp.ehlo()
        if cfg.user:
            smtp.login(cfg.user, cfg.password)
    except BaseException:
        smtp.close()
        raise
    return smtp


def deliver(smtp: smtplib.SMTP, message: EmailMessage) -> Delivery:
    """Send one message (one recipient) on an open connection."""
    try:
        smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as e:
        code, text = next(iter(e.recipients.values()))
        return Delivery(False, permanent=500 <= code < 600, error=f"{code} {_text(text)}")
    except smtplib.SMTPResponseException as e:  # refused the sender or the data
        return Delivery(False, permanent=500 <= e.smtp_code < 600, error=f"{e.smtp_code} {_text(e.smtp_error)}")
    except (smtplib.SMTPException, OSError) as e:  # disconnected, timed out
        return Delivery(False, error=describe(e))
    return Delivery(True)


def describe(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{error.smtp_code} {_text(error.smtp_error)}"
    return f"{type(error).__name__}: {error}"


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def close(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):  # the server hung up first: nothing left to do
        smtp.close()
