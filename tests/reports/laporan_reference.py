"""The Laporan CRM rows computed the plain way, row by row in Python: the reference the product's SQL exports
(core.reports.laporan_sql, laporan_export) are checked against. Test code only: the product never calls it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import String, select, type_coerce
from sqlalchemy.orm import Session

from core.accounts.access import Perm, Viewer
from core.customers.nik import mask_nik
from core.pipeline.stages import CONTACT_LABEL, STAGE_LABEL, TEMPERATURE_LABEL
from core.reports.laporan import ReportFilter, _conditions
from core.reports.laporan_sql import LAST_CONTACT_DAY, LAST_CONTACT_STATUS, report_joins
from db.enums import ServiceKind, Stage
from db.models import Branch, Lead, LostReason, Occupation, User

_STAGE_TEXT = {s.value: STAGE_LABEL[s] for s in Stage}
_TEMPERATURE_TEXT = {t.value: label for t, label in TEMPERATURE_LABEL.items()}
_CONTACT_TEXT = {c.value: label for c, label in CONTACT_LABEL.items()}
_SERVICE_TEXT = {ServiceKind.KPB.value: "KPB", ServiceKind.REG.value: "Regular"}


def _text(column: Any) -> Any:
    """A column read as its stored string (enum values map through dicts below, not per-row objects)."""
    return type_coerce(column, String)


def laporan_rows(session: Session, viewer: Viewer, f: ReportFilter, batch: int = 5000) -> Iterator[tuple[Any, ...]]:
    """The report's rows (LAPORAN_COLUMNS), streamed from SQL `batch` rows at a time, oldest lead first.
    Dates are dd/mm/yyyy text; empty cells are None."""
    viewer.require(Perm.REPORT_VIEW)
    full_nik = viewer.can(Perm.NIK_FULL)
    stmt = (
        select(Lead.created_at, Branch.timezone, Branch.code, Branch.name, User.full_name, Lead.number,
               Lead.customer_code,
               Lead.contact_name, Lead.phone, Lead.nik, Occupation.name, Lead.sales_source, _text(Lead.stage),
               Lead.last_service_type, _text(Lead.last_service_date), _text(Lead.service_kind), Lead.kpb_number,
               _text(Lead.deadline), _text(Lead.sales_date), Lead.unit_type_code, Lead.unit_name, Lead.engine_no,
               Lead.plate, _text(Lead.fu1_date), _text(Lead.next_plan_fu2), _text(Lead.fu2_date),
               _text(Lead.next_plan_fu3), _text(Lead.fu3_date), _text(Lead.temperature), _text(Lead.contact_status),
               _text(LAST_CONTACT_DAY).label("last_day"), _text(LAST_CONTACT_STATUS).label("last_status"),
               _text(Lead.promised_date),
               LostReason.name_id, Lead.lost_note, Lead.note)
        .select_from(report_joins())
        .where(*_conditions(session, viewer, f))
        # Ids follow creation order, so this is the creation order without a sort step: a sort of a
        # million wide rows is what made the export's memory grow (SQLite keeps temp data in memory).
        .order_by(Lead.id)
        .execution_options(stream_results=True, yield_per=batch)
    )
    days: dict[Any, str | None] = {None: None}
    zones: dict[str, ZoneInfo] = {}
    mask = mask_nik

    def day(value: Any) -> str | None:
        """dd/mm/yyyy of a date column, read as stored (SQLite: 'yyyy-mm-dd' text, no per-row parsing;
        PostgreSQL: a date from the driver); each distinct day is formatted once."""
        try:
            return days[value]
        except KeyError:
            d = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
            text = days[value] = f"{d.day:02d}/{d.month:02d}/{d.year}"
            return text

    for (created, tz, b_code, b_name, admin, number, c_code, c_name, phone, nik, occupation, source, stage, last_type,
         last_date, kind, kpb, deadline, sales_date, unit_code, unit_name, engine_no, plate, fu1, plan2, fu2,
         plan3, fu3, temperature, contact, last_day, last_status, promised, lost_reason, lost_note, note,
         ) in session.connection().execute(stmt):  # Core rows: the branch scope is in the conditions
        zone = zones.get(tz)
        if zone is None:
            zone = zones[tz] = ZoneInfo(tz)
        customer = (f"[{c_code}] {c_name}" if c_name else f"[{c_code}]") if c_code else c_name
        unit = f"{unit_code} [{unit_name}]" if unit_code and unit_name else unit_code or unit_name
        yield (
            day(created.astimezone(zone).date()), f"[{b_code}] {b_name}", admin, number, customer, phone,
            (nik if full_nik else mask(nik)) if nik else None, occupation, source, _STAGE_TEXT.get(stage, stage),
            last_type, day(last_date), _SERVICE_TEXT.get(kind, kind), kpb, day(deadline), day(sales_date), unit,
            engine_no, plate, day(fu1), day(plan2), day(fu2), day(plan3), day(fu3),
            _TEMPERATURE_TEXT.get(temperature) if temperature else None,
            _CONTACT_TEXT.get(contact) if contact else None, day(last_day),
            _CONTACT_TEXT.get(last_status) if last_status else None, day(promised), lost_reason or None,
            lost_note or None, note or None,
        )
