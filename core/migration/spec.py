"""The shape of a mapping: which Odoo fields go to which of our columns through which conversion, which
many2one fields point at which already migrated model, and which of our columns must stay unique."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table
from sqlalchemy.orm import Session

from core.migration.convert import Context, Convert, Reject, empty, t


@dataclass(frozen=True)
class Field:
    odoo: str  # the Odoo field name
    ours: str  # our column
    conv: Convert
    required: bool = False


@dataclass(frozen=True)
class Ref:
    """A many2one (or many2many for users' branches) to a model migrated before: Odoo id -> our `column`
    of the target's row (its id, or e.g. the unit type's code). Given but not found: the record is rejected."""

    odoo: str
    ours: str
    target: str  # the Odoo model it points at
    required: bool = False
    column: str = "id"
    many: bool = False  # a many2many: a list of ids


@dataclass(frozen=True)
class Unique:
    """Our columns that must be unique (NIK, engine number, a document number); `only_if` limits the rule
    (one OPEN lead per vehicle and due)."""

    columns: tuple[str, ...]
    only_if: Callable[[dict[str, Any]], bool] | None = None


# (our row so far, the Odoo record, lookups from prepare) -> more of our columns; raises Reject.
Derive = Callable[[dict[str, Any], dict[str, Any], dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class ModelMap:
    odoo: str  # e.g. "dym.work.order"
    table: Table
    fields: tuple[Field, ...]
    refs: tuple[Ref, ...] = ()
    unique: tuple[Unique, ...] = ()
    defaults: dict[str, Any] = field(default_factory=dict)  # columns a new row needs that Odoo does not give
    insert_only: tuple[str, ...] = ()  # columns written when the row is created, never updated
    derive: Derive | None = None
    prepare: Callable[[Session], dict[str, Any]] | None = None
    branch_field: str | None = "branch_id"  # the Odoo many2one whose branch's time zone dates are read in
    synced: bool = True  # the table has odoo_synced_at (own edits are kept)
    after: Callable[[Session, list[dict[str, Any]]], None] | None = None  # after a page is written
    before_insert: Callable[[Session, list[dict[str, Any]]], None] | None = None  # e.g. number the new rows
    never_blank: tuple[str, ...] = ()  # an empty Odoo value never clears these (our own number stays)

    @property
    def odoo_fields(self) -> list[str]:
        return sorted({f.odoo for f in self.fields} | {r.odoo for r in self.refs})

    def convert(self, record: dict[str, Any], ctx: Context) -> dict[str, Any]:
        """Our row from the Odoo record; refs stay Odoo ids here (the writer resolves them)."""
        row: dict[str, Any] = {}
        for f in self.fields:
            value = f.conv(record.get(f.odoo, False), ctx)
            if f.required and (value is None or value == ""):
                raise Reject(t("odoo.required", "en", field=f.odoo))
            row[f.ours] = value
        for r in self.refs:
            raw = record.get(r.odoo, False)
            if r.required and empty(raw):
                raise Reject(t("odoo.required", "en", field=r.odoo))
            row[r.ours] = raw
        return row
