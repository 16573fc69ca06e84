"""Read-only facts (label: value) as one block of escaped HTML: no user value is ever read as Markdown
(a "-", "#" or "===" in a note once drew a giant heading), an empty value is an em dash, and the grid
folds to one column on a phone."""

from __future__ import annotations

import datetime as dt
import html

import streamlit as st

from ui import fmt

EMPTY = "—"  # em dash: an empty fact, never a blank that shifts the rows beside it
_STYLE = """<style>
.h23-facts{display:grid;grid-template-columns:repeat(var(--h23-cols),minmax(0,1fr));gap:.55rem 1.5rem;padding:0;
 margin:.25rem 0 1rem}
.h23-facts dt{font-size:.8rem;opacity:.65;margin:0}
.h23-facts dd{margin:0;overflow-wrap:anywhere;white-space:pre-line}
@media (max-width:640px){.h23-facts{grid-template-columns:1fr}}
</style>"""


def shown(value: object) -> str:
    """A fact's value as the user reads it: dates dd/mm/yyyy, nothing as an em dash."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return EMPTY
    if isinstance(value, dt.date):
        return fmt.date_id(value)
    return str(value)


def facts_html(pairs: list[tuple[str, object]], columns: int = 2) -> str:
    cells = "".join(f"<div><dt>{html.escape(label)}</dt><dd>{html.escape(shown(value))}</dd></div>"
                    for label, value in pairs)
    return f'{_STYLE}<dl class="h23-facts" style="--h23-cols:{int(columns)}">{cells}</dl>'


def facts(pairs: list[tuple[str, object]], columns: int = 2) -> None:
    st.html(facts_html(pairs, columns))
