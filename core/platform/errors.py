"""Domain errors: one class, a message code and the facts that explain it.

A rule raises ``DomainError("lead.lost_needs_reason")``; the caller decides the language.
Validation errors also name the field and value (and the row, for imports), so a user can
find and fix the exact cell.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from core.platform.i18n import DEFAULT_LANG, t


class FieldList(list[str]):
    """Field names as a message parameter: written with the field labels of the language the message is
    read in (not the one it was raised in), e.g. 'No KTP, Alamat' or 'KTP number, Address'."""

    def labels(self, lang: str) -> str:
        return ", ".join(t(f"field.{name}", lang) for name in self)


class DomainError(Exception):
    """A business rule refused an operation."""

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(self.message("en"))

    def message(self, lang: str = DEFAULT_LANG) -> str:
        return t(self.code, lang, **{k: v.labels(lang) if isinstance(v, FieldList) else v
                                     for k, v in self.params.items()})


class ValidationError(DomainError):
    """A value that does not fit its field; names the field, the value and (if known) the row."""

    def __init__(self, code: str, field: str, value: Any, row: int | None = None, **params: Any):
        self.field = field
        self.value = value
        self.row = row
        super().__init__(code, field=field, value=value, **params)

    def message(self, lang: str = DEFAULT_LANG) -> str:
        base = t(self.code, lang, **self.params)
        where = t("error.where_row", lang, row=self.row) if self.row is not None else ""
        field_label = t(f"field.{self.field}", lang)
        if field_label == f"field.{self.field}":
            field_label = self.field
        shown = _shown(self.value)
        # A missing value has nothing to show: "(None)" or "('')" after the message reads as a fault.
        return f"{where}{field_label}: {base}" + (f" ({shown})" if shown else "")


class PermissionDenied(DomainError):
    """The acting user may not do this (wrong branch or missing permission)."""


class NotFound(DomainError):
    """The object does not exist, or is not visible to the acting user (we do not say which)."""


class MultipleErrors(DomainError):
    """Several validation errors at once (e.g. all missing mandatory fields of a form)."""

    def __init__(self, errors: list[DomainError]) -> None:
        self.errors = errors
        super().__init__("error.multiple", count=len(errors))

    def message(self, lang: str = DEFAULT_LANG) -> str:
        return "; ".join(e.message(lang) for e in self.errors)


def _shown(value: Any) -> str:
    """The offending value as a user reads it: dates dd/mm/yyyy (as typed), anything else quoted;
    nothing for a value that is not there (None, an empty or blank text)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return ""
    if isinstance(value, dt.date):
        try:
            return value.strftime("%d/%m/%Y")
        except ValueError:  # pandas' NaT is a datetime without a day
            pass
    return repr(value)
