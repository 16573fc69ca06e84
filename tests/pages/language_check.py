"""What a page showed, and which of it is not from the catalogue in the page's language: the checker behind
tests/pages/test_pages_language.py.

Every text the page drew (titles, markdown, captions, alerts, widget labels, options, placeholders, help,
metric labels, tab and expander labels, table column names and labels) is read from AppTest's element tree.
From each text are taken out: the data the page shows (every text held in the test database: names, numbers,
branch and master-data names), every catalogue template of the page's language (its placeholders match
anything), the dealer's own terms (core.pipeline's seed labels, KPB, AHASS...), markup, environment variable
names (H23_..., another check's business), time zone names and a message template's {variables}. What is
left must hold no word. So a hard-coded label is left over in both languages, and a label shown in the other
language is left over in this one."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from typing import Any

from google.protobuf.descriptor import FieldDescriptor
from sqlalchemy import String, select

import db.models  # noqa: F401  (every table on Base.metadata)
from core.messaging import templates as message_templates
from core.pipeline.stages import CONTACT_LABEL, STAGE_LABEL, TEMPERATURE_LABEL
from core.platform.i18n import LANGS, MESSAGES
from db.base import Base

# The dealer's own names, kept in both languages (the seed's labels, its proper names and units).
DEALER_TERMS = sorted({
    *STAGE_LABEL.values(), *TEMPERATURE_LABEL.values(), *CONTACT_LABEL.values(),
    "Leads & Opportunity", "Opportunity", "Leads", "Lead", "Follow Up", "KPB", "AHASS", "CDDB", "Kepala Bengkel",
    "Kepala Cabang", "PIC CRM", "CRM", "PICA", "H-7", "H-3", "H+3", "WhatsApp", "wa.me", "SMS", "NIK", "KTP",
    "DGI", "AHM", "WIB", "WITA", "WIT", "xlsx", "CSV", "csv", "JSON", "SOP", "Pit", "SA", "ID", "Rp", "UU PDP",
    "Source Document", "Booking Service", "Service Advisor", "Admin", "Customer", "Email", "E-mail", "Stage",
    "HOT", "MEDIUM", "COLD", "Regular", "utility", "marketing",  # WhatsApp's own template categories
}, key=len, reverse=True)

# Text fields of the element protos that users read (a widget's value is the user's data, not a label).
_LABEL_FIELDS = {"label", "body", "placeholder", "help", "options", "text", "display_text", "delta", "title"}
_MARKUP = re.compile(r"\{[a-z_]+\}|\bH23_[A-Z_]+\b|\b(?:Asia|UTC)/\w+|:material/[a-z_]+:|:[a-z]+-badge\[|:[a-z]+\["
                     r"|\*\*|__|[#*`>|\[\]()_~]")
_WORD = re.compile(r"[^\W\d_]{2,}")
# st.html blocks: their CSS and tags are markup; the texts between the tags are still checked.
_HTML = re.compile(r"<style>.*?</style>|<[^<>]+>|&[a-z]+;", re.S)


def page_texts(at: Any) -> list[str]:
    """Every user-readable text the page drew, from the element tree (including the sidebar)."""
    texts: list[str] = []
    for node in _walk(at._tree):
        proto = getattr(node, "proto", None)
        if proto is not None and hasattr(proto, "ListFields"):
            texts.extend(_proto_texts(proto))
            if getattr(node, "type", "") == "arrow_data_frame":
                texts.extend(_header_texts(node.value, getattr(proto, "columns", "")))
    return [t for t in texts if t and t.strip()]


def _walk(node: Any) -> Iterator[Any]:
    yield node
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            yield from _walk(child)


def _proto_texts(proto: Any) -> Iterator[str]:
    for field, value in proto.ListFields():
        if field.type == FieldDescriptor.TYPE_MESSAGE:
            for item in [value] if hasattr(value, "ListFields") else value:
                yield from _proto_texts(item)
        elif field.type == FieldDescriptor.TYPE_STRING:
            if field.name == "columns":  # a table's column_config (JSON): its labels are shown
                yield from _column_labels(value)
            elif field.name in _LABEL_FIELDS:
                yield from ([value] if isinstance(value, str) else value)


def _header_texts(frame: Any, config: str) -> list[str]:
    """A table's own column names, those a column_config does not relabel (they are shown as they are)."""
    try:
        relabelled = set(json.loads(config or "{}"))
    except ValueError:
        relabelled = set()
    names = [str(c) for c in getattr(frame, "columns", [])]
    return [n for n in names if not any(k == n or k.endswith(f":{n}") or k.endswith(f'"{n}"') for k in relabelled)]


def _column_labels(config: str) -> Iterator[str]:
    try:
        columns = json.loads(config)
    except ValueError:
        return
    for column in columns.values() if isinstance(columns, dict) else []:
        if isinstance(column, dict):
            for key in ("label", "help"):
                if isinstance(column.get(key), str):
                    yield column[key]
            display = (column.get("type_config") or {}).get("display_text")
            if isinstance(display, str):
                yield display


def data_strings(session: Any) -> list[str]:
    """Every text the test database holds (what the page shows as data), longest first."""
    found: set[str] = set()
    for table in Base.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, String)]
        if not columns:
            continue
        for row in session.execute(select(*columns)):
            found.update(v for v in row if isinstance(v, str) and len(v) >= 2)
    return sorted(found, key=len, reverse=True)


def _templates(lang: str) -> tuple[re.Pattern[str], ...]:
    return _compiled(lang, len(MESSAGES))  # again once more modules have registered their texts


@cache
def _compiled(lang: str, _size: int) -> tuple[re.Pattern[str], ...]:
    """The catalogue's texts in lang as patterns, longest first; a {placeholder} matches any short run."""
    out = []
    # The customers' message templates are data the dealer writes in Indonesian (a preview shows one filled
    # in), not labels: they are taken out like the catalogue's texts, in both languages.
    bodies = {*message_templates.DEFAULTS.values(), message_templates.DEFAULT_REGULAR_H7}
    for template in [texts[lang] for texts in MESSAGES.values()] + sorted(bodies):
        literal = re.sub(r"\{[^{}]*\}", "", template)
        if not _WORD.search(literal):
            continue  # only placeholders: it would match anything
        parts = re.split(r"\{[^{}]*\}", template.replace("{{", "{").replace("}}", "}"))
        while parts and not parts[0].strip():  # a placeholder at either end would swallow the text beside it
            parts.pop(0)
        while parts and not parts[-1].strip():
            parts.pop()
        body = r".{0,120}?".join(re.escape(p.strip()) for p in parts)
        start = r"(?<!\w)" if parts[0].strip()[:1].isalnum() else ""
        end = r"(?!\w)" if parts[-1].strip()[-1:].isalnum() else ""
        out.append((len(literal), re.compile(start + body + end)))
    return tuple(p for _, p in sorted(out, key=lambda x: -x[0]))


def leftover_words(text: str, lang: str, data: list[str]) -> list[str]:
    """The words of text that neither the data, the dealer's terms nor lang's catalogue account for. The data
    and the catalogue are taken out in both orders (a name may hold a catalogue word, a label a data word):
    a word is left over only when it is left in both."""
    assert lang in LANGS
    text = _HTML.sub(" ", text)
    first = _strip_terms(_strip_templates(_strip_data(text, data), lang))
    second = _strip_terms(_strip_data(_strip_templates(text, lang), data))
    again = _WORD.findall(second)
    return [w for w in _WORD.findall(first) if w in again]


def _strip_data(text: str, data: list[str]) -> str:
    for value in data:
        if value in text:
            text = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", " ", text)
    return text


def _strip_templates(text: str, lang: str) -> str:
    for pattern in _templates(lang):
        text = pattern.sub(" ", text)
    return text


def _strip_terms(text: str) -> str:
    for term in DEALER_TERMS:
        text = text.replace(term, " ")
    return _MARKUP.sub(" ", text)
