"""The one rule for text coming in from outside (forms, imports, DGI, webhooks): characters a user cannot
mean and PostgreSQL (or UTF-8) cannot store are refused with the field named, or stripped where refusing
helps nobody.

Refused: NUL always; the other C0 controls except tab, newline and carriage return; DEL; the C1 controls
(U+0080-U+009F); lone surrogates (U+D800-U+DFFF: not encodable in UTF-8, so neither database takes them).
SQLite stores most of these silently; PostgreSQL refuses NUL in text with an error, and UTF-8 refuses a
lone surrogate before the query is even sent.

Policy per edge:
- forms (every ORM write: customer CDDB, lead, booking, master data, settings, templates...): refused by a
  before_flush hook below with ``ValidationError("text.control_char", field=..., value=...)``; form
  validators may call :func:`check_text` first to name their own field;
- imports (files and DGI records): the row is rejected, naming row, column and the value with the
  characters escaped (:func:`visible`); see core.intake.check, which finds the rows column-wise
  (:func:`bad_rows`) so a clean file costs one pass per column;
- webhooks: identifiers with such characters refuse the delivery (400); a customer's free text is cleaned
  (:func:`strip`) and kept (see web.routes and core.messaging.providers.whatsapp)."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
from sqlalchemy import String, event, inspect
from sqlalchemy.orm import Session

from core.platform.errors import DomainError, MultipleErrors, ValidationError
from core.platform.i18n import register

register({
    "text.control_char": {
        "id": "berisi karakter kontrol yang tidak diizinkan ({chars}); hapus karakter tersebut",
        "en": "contains a control character that is not allowed ({chars}); remove it",
    },
})

# The refused characters (Python's re: str values may hold lone surrogates).
BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def has_bad(value: str) -> bool:
    return BAD.search(value) is not None


def visible(value: object) -> str:
    """The value with each refused character written as an escape (a NUL as \\x00), for messages and
    rejection lists (an xlsx cannot even hold a raw control character)."""
    text = str(value)
    return BAD.sub(lambda m: _escape(m.group()), text) if BAD.search(text) else text


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def bad_chars(value: object) -> str:
    """The distinct refused characters of value, escaped and comma separated (for the message)."""
    return ", ".join(dict.fromkeys(_escape(c) for c in BAD.findall(str(value))))


def strip(value: str) -> str:
    """value without the refused characters (for free text we keep rather than refuse)."""
    return BAD.sub("", value) if BAD.search(value) else value


def error(field: str, value: object, row: int | None = None) -> ValidationError:
    return ValidationError("text.control_char", field=field, value=value, row=row, chars=bad_chars(value))


def check_text(field: str, value: Any) -> Any:
    """value unchanged, or ValidationError naming field when a str value holds a refused character."""
    if isinstance(value, str) and has_bad(value):
        raise error(field, value)
    return value


def bad_rows(values: np.ndarray) -> np.ndarray:
    """Positions of the str values holding a refused character, column-wise: the column joined once and
    tested with str.isprintable (a C loop, about 2 ns a character); only a column that is not all
    printable (a refused character, or an allowed tab, newline or no-break space) is searched with the
    rule, and the hits are mapped back to their rows."""
    if not len(values):
        return np.zeros(0, dtype=np.int64)
    strings: np.ndarray | list[str] = values
    try:
        joined = " ".join(strings)
    except TypeError:  # not all str (a None, a number): those cannot hold a character
        strings = [v if isinstance(v, str) else "" for v in values]
        joined = " ".join(strings)
    if joined.isprintable() or BAD.search(joined) is None:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(np.fromiter((len(s) + 1 for s in strings), dtype=np.int64, count=len(strings)))
    hits = np.fromiter((m.start() for m in BAD.finditer(joined)), dtype=np.int64)
    return np.unique(np.searchsorted(ends, hits, side="right"))


# --- Every ORM write: a form's text is refused naming its field -------------------------------------


@event.listens_for(Session, "before_flush")
def _refuse_control_characters(session: Session, _ctx: Any, _instances: Any) -> None:
    errors: list[DomainError] = []
    for obj in list(session.new) + list(session.dirty):
        state = inspect(obj)
        for attr in state.mapper.column_attrs:
            column = attr.columns[0]
            if not isinstance(column.type, String):
                continue
            value = state.dict.get(attr.key)
            if isinstance(value, str) and has_bad(value) and (
                    obj in session.new or state.attrs[attr.key].history.added):
                errors.append(error(attr.key, value))
    if errors:
        raise errors[0] if len(errors) == 1 else MultipleErrors(errors)
