"""WHERE-clause builders every read query shares: the viewer's branch scope, and the search box's
LIKE, prefix and phone matching (phones are stored E.164)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, false, true

from core.accounts.access import Viewer
from core.customers.phone import normalize_phone
from core.platform import text_input
from core.platform.errors import ValidationError
from core.platform.sqlfuncs import ci_like


def visible_branch_ids(viewer: Viewer, requested: Iterable[int] | None = None) -> frozenset[int] | None:
    """The branches a query may read: the requested ones the viewer may see (a branch user never
    gets another branch, whatever it asks for), all of the viewer's when none is requested.
    None = every branch (head office asking for all)."""
    wanted = frozenset(requested or ())
    if viewer.all_branches:
        return wanted or None
    return wanted & viewer.branch_ids if wanted else viewer.branch_ids


def in_branches(column: Any, branch_ids: frozenset[int] | None) -> ColumnElement[bool]:
    if branch_ids is None:
        return true()  # head office: every branch
    if not branch_ids:
        return false()
    return column.in_(sorted(branch_ids))


def like_escape(text: str) -> str:
    """text for a LIKE pattern: wildcards escaped, and control characters dropped (core.platform.text_input: none is
    ever stored, and PostgreSQL refuses a NUL in a query with an error page)."""
    text = text_input.strip(text)
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains(column: Any, text: str) -> ColumnElement[bool]:
    """Case-insensitive substring (ASCII case on SQLite, as its lower() and LIKE have always done)."""
    return ci_like(column, f"%{like_escape(text)}%")


def prefix(column: Any, text: str) -> ColumnElement[bool]:
    return column.like(f"{like_escape(text)}%", escape="\\")


def phone_pattern(text: str) -> tuple[str, str] | None:
    """How a typed phone is matched against E.164: ("equals" | "prefix" | "contains", the text it looks for),
    None when it cannot be a phone. A whole number matches exactly, a partial one typed as people do
    (0858..., 62858...) as a prefix of the E.164 form."""
    compact = "".join(ch for ch in text if ch not in " -.()")
    try:
        return "equals", normalize_phone(compact)
    except ValidationError:
        pass
    digits = compact.lstrip("+")
    if not digits.isdigit() or len(digits) < 4:
        return None
    if digits.startswith("0"):
        return "prefix", "+62" + digits[1:]
    if digits.startswith("62"):
        return "prefix", "+" + digits
    return "contains", digits


def phone_condition(column: Any, text: str) -> ColumnElement[bool] | None:
    """Phones are stored as E.164 (+628...): the typed text matched as phone_pattern says."""
    pattern = phone_pattern(text)
    if pattern is None:
        return None
    how, value = pattern
    if how == "equals":
        return column == value
    return prefix(column, value) if how == "prefix" else contains(column, value)
