"""Report 'Laporan CRM' (the seed's export wizard) and the report charts' aggregates.

The rows are streamed from SQL in batches (a server-side cursor on PostgreSQL) and written as they
come, so an export of millions of leads runs in constant memory: XlsxWriter's constant-memory mode
for Excel (a new sheet every 1,048,575 data rows, Excel's limit), lines made by the database for CSV
(PostgreSQL's COPY, SQLite's string functions). The database formats the cells (dates, NIK mask,
labels) and the rows are fetched by a second thread while this one writes (core.platform.prefetch): the
query and the writer use both cores. Every query
applies the viewer's branch scope explicitly; the NIK is masked unless the viewer may see it whole.
Exports are personal data leaving the system, so each one needs Perm.REPORT_EXPORT and writes an
audit entry (UU PDP).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal
from zoneinfo import ZoneInfo

import xlsxwriter
from sqlalchemy import ColumnElement, String, and_, false, func, or_, select, type_coerce
from sqlalchemy.orm import Session

from core.accounts.access import Perm, Viewer
from core.customers.nik import mask_nik
from core.pipeline.stages import CONTACT_LABEL, STAGE_LABEL, TEMPERATURE_LABEL
from core.platform import clock
from core.platform.errors import ValidationError
from core.platform.prefetch import prefetched
from core.platform.sqlfilters import in_branches, visible_branch_ids
from core.privacy import audit
from core.reports.laporan_sql import CsvBlock, copy_csv_pg, csv_blocks, laporan_sql_rows
from core.reports.sql import count_when
from db.engine import sqlite_page_cache
from db.enums import ServiceKind, Stage, Temperature
from db.models import Branch, Lead, LostReason, Occupation

Kind = Literal["all", "leads", "opportunity"]
KINDS: tuple[Kind, ...] = ("all", "leads", "opportunity")
REPORT_STAGES: tuple[Stage, ...] = (Stage.FU1, Stage.FU2, Stage.FU3, Stage.WON, Stage.LOST)
OPEN_OPPORTUNITY = (Stage.NEW, Stage.FU1, Stage.FU2, Stage.FU3)
EXCEL_MAX_ROWS = 1_048_576  # rows per sheet, the header included
EXPORT_CACHE_MB = 16  # SQLite's page cache while an export scans the leads (db.engine.sqlite_page_cache)
SHEET_TITLE = "Laporan CRM"

LAPORAN_COLUMNS: tuple[str, ...] = (
    "Creation Date", "Branch", "Subject", "Customer", "Phone", "No KTP", "Pekerjaan", "Sales Source", "Stage",
    "Type Last Service", "Date Last Service", "Rekomendasi Service", "KPB Ke", "KPB Date Expired", "Sales Date",
    "Type Unit", "Engine No", "Plate", "Follow Up 1", "Next Plan FU2", "Follow Up 2", "Next Plan FU3",
    "Follow Up 3", "Opportunity Status", "Status Customer", "Lost Reason", "Note",
)

_STAGE_TEXT = {s.value: STAGE_LABEL[s] for s in Stage}
_TEMPERATURE_TEXT = {t.value: label for t, label in TEMPERATURE_LABEL.items()}
_CONTACT_TEXT = {c.value: label for c, label in CONTACT_LABEL.items()}
_SERVICE_TEXT = {ServiceKind.KPB.value: "KPB", ServiceKind.REG.value: "Regular"}


@dataclass(frozen=True)
class ReportFilter:
    """The wizard: type (all/leads/opportunity), stage (only with opportunity; None = all), the
    period of lead creation in branch-local days (inclusive; a day or a month are just ranges) and
    the branches (empty = every branch the viewer may see)."""

    kind: Kind = "all"
    stage: Stage | None = None
    created_from: dt.date | None = None
    created_to: dt.date | None = None
    branch_ids: tuple[int, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValidationError("report.kind", field="kind", value=self.kind)
        if self.stage is not None and (self.kind != "opportunity" or self.stage not in REPORT_STAGES):
            raise ValidationError("report.stage", field="stage", value=self.stage)
        if self.created_from and self.created_to and self.created_from > self.created_to:
            raise ValidationError("report.period", field="created_to", value=self.created_to)

    def describe(self) -> str:
        def day(d: dt.date | None) -> str:
            return d.strftime("%d/%m/%Y") if d else "-"
        return (f"tipe={self.kind} stage={self.stage.value if self.stage else 'all'} "
                f"tanggal={day(self.created_from)}..{day(self.created_to)} "
                f"cabang={','.join(map(str, sorted(self.branch_ids))) or 'semua'}")


# --- Conditions ---------------------------------------------------------------------------------


def _period(session: Session, f: ReportFilter) -> ColumnElement[bool] | None:
    """Lead creation within branch-local days: one range per time zone the branches use (WIB,
    WITA, WIT), matched on the joined branch's zone."""
    if f.created_from is None and f.created_to is None:
        return None
    parts = []
    for (tz,) in session.execute(select(Branch.timezone).distinct()):
        cond = [Branch.timezone == tz]
        if f.created_from is not None:
            cond.append(Lead.created_at >= clock.at_local(f.created_from, 0, 0, tz))
        if f.created_to is not None:
            cond.append(Lead.created_at < clock.at_local(f.created_to + dt.timedelta(days=1), 0, 0, tz))
        parts.append(and_(*cond))
    return or_(*parts) if parts else false()


def _conditions(session: Session, viewer: Viewer, f: ReportFilter, *, with_kind: bool = True
                ) -> list[ColumnElement[bool]]:
    conditions = [in_branches(Lead.branch_id, visible_branch_ids(viewer, f.branch_ids))]
    if with_kind:
        if f.kind == "leads":
            conditions.append(Lead.stage == Stage.LEAD)
        elif f.kind == "opportunity":
            conditions.append(Lead.stage == f.stage if f.stage else Lead.stage != Stage.LEAD)
    period = _period(session, f)
    if period is not None:
        conditions.append(period)
    return conditions


# --- Rows ---------------------------------------------------------------------------------------


def count_rows(session: Session, viewer: Viewer, f: ReportFilter) -> int:
    """How many rows the report has (the wizard's preview)."""
    viewer.require(Perm.REPORT_VIEW)
    return session.scalar(select(func.count(Lead.id)).select_from(Lead).join(Branch, Branch.id == Lead.branch_id)
                          .where(*_conditions(session, viewer, f))) or 0


def _text(column: Any) -> Any:
    """A column read as its stored string (enum values map through dicts below, not per-row objects)."""
    return type_coerce(column, String)


def laporan_rows(session: Session, viewer: Viewer, f: ReportFilter, batch: int = 5000) -> Iterator[tuple[Any, ...]]:
    """The report's rows (LAPORAN_COLUMNS), streamed from SQL `batch` rows at a time, oldest lead first.
    Dates are dd/mm/yyyy text; empty cells are None."""
    viewer.require(Perm.REPORT_VIEW)
    full_nik = viewer.can(Perm.NIK_FULL)
    stmt = (
        select(Lead.created_at, Branch.timezone, Branch.code, Branch.name, Lead.number, Lead.customer_code,
               Lead.contact_name, Lead.phone, Lead.nik, Occupation.name, Lead.sales_source, _text(Lead.stage),
               Lead.last_service_type, _text(Lead.last_service_date), _text(Lead.service_kind), Lead.kpb_number,
               _text(Lead.deadline), _text(Lead.sales_date), Lead.unit_type_code, Lead.unit_name, Lead.engine_no,
               Lead.plate, _text(Lead.fu1_date), _text(Lead.next_plan_fu2), _text(Lead.fu2_date),
               _text(Lead.next_plan_fu3), _text(Lead.fu3_date), _text(Lead.temperature), _text(Lead.contact_status),
               LostReason.name_id, Lead.lost_note, Lead.note)
        .join(Branch, Branch.id == Lead.branch_id)
        .outerjoin(Occupation, Occupation.id == Lead.occupation_id)
        .outerjoin(LostReason, LostReason.id == Lead.lost_reason_id)
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

    for (created, tz, b_code, b_name, number, c_code, c_name, phone, nik, occupation, source, stage, last_type,
         last_date, kind, kpb, deadline, sales_date, unit_code, unit_name, engine_no, plate, fu1, plan2, fu2,
         plan3, fu3, temperature, contact, lost_reason, lost_note, note) in session.execute(stmt):
        zone = zones.get(tz)
        if zone is None:
            zone = zones[tz] = ZoneInfo(tz)
        customer = (f"[{c_code}] {c_name}" if c_name else f"[{c_code}]") if c_code else c_name
        unit = f"{unit_code} [{unit_name}]" if unit_code and unit_name else unit_code or unit_name
        if lost_reason and lost_note:
            lost_reason = f"{lost_reason}: {lost_note}"
        yield (
            day(created.astimezone(zone).date()), f"[{b_code}] {b_name}", number, customer, phone,
            (nik if full_nik else mask(nik)) if nik else None, occupation, source, _STAGE_TEXT.get(stage, stage),
            last_type, day(last_date), _SERVICE_TEXT.get(kind, kind), kpb, day(deadline), day(sales_date), unit,
            engine_no, plate, day(fu1), day(plan2), day(fu2), day(plan3), day(fu3),
            _TEMPERATURE_TEXT.get(temperature) if temperature else None,
            _CONTACT_TEXT.get(contact) if contact else None, lost_reason or None, note or None,
        )


# --- Writers ------------------------------------------------------------------------------------

Target = str | Path | IO[bytes]
Progress = Callable[[int], None]


def write_xlsx(rows: Iterable[Sequence[Any]], target: Target, headers: Sequence[str] = LAPORAN_COLUMNS,
               progress: Progress | None = None, *, sheet_rows: int = EXCEL_MAX_ROWS,
               title: str = SHEET_TITLE) -> int:
    """Write rows to an xlsx file with XlsxWriter's constant-memory mode (each row goes to disk as it
    is written). A sheet holds `sheet_rows` rows with its header; the rows go on in "<title> (2)",
    "(3)"... Texts stay texts (a note starting with "=" is not a formula), numbers numbers; an empty
    cell is None. If the rows fail, the error goes on and no file is left at a path target.
    Returns the data rows."""
    per_sheet = sheet_rows - 1
    if per_sheet < 1:
        raise ValueError("sheet_rows must leave room for a data row")
    # Texts are written as string cells below; the two options keep it so for anything that reaches
    # XlsxWriter's generic write() (no "=..." formula, no "http..." link made of a text: core.platform.cell_safety).
    options: dict[str, Any] = {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    if isinstance(target, str | Path):  # the rows' temporary files next to the file, not in /tmp
        options["tmpdir"] = str(Path(target).parent)
    wb = xlsxwriter.Workbook(str(target) if isinstance(target, Path) else target, options)
    sheets = 1
    ws = _xlsx_sheet(wb, title, headers)
    total = in_sheet = 0
    text, number, other = _cell_writers(ws)
    try:
        for row in rows:
            if in_sheet == per_sheet:
                sheets += 1
                ws = _xlsx_sheet(wb, f"{title} ({sheets})", headers)
                text, number, other = _cell_writers(ws)
                in_sheet = 0
            in_sheet += 1
            # Per cell by its type, not XlsxWriter's generic write() (which would read "=..." as a
            # formula and "http..." as a link): this loop is most of an export's time.
            for col, value in enumerate(row):
                if value is None:
                    continue
                kind = value.__class__
                if kind is str:
                    text(in_sheet, col, value)
                elif kind is int or kind is float:
                    number(in_sheet, col, value)
                else:
                    other(in_sheet, col, value)
            total += 1
            if progress is not None and total % 10_000 == 0:
                progress(total)
    except BaseException:
        with contextlib.suppress(Exception):
            wb.close()  # deletes XlsxWriter's temporary row files
        if isinstance(target, str | Path):
            Path(target).unlink(missing_ok=True)  # no truncated file that opens like a whole one
        raise
    wb.close()
    if progress is not None:
        progress(total)
    return total


def _cell_writers(ws: Any) -> tuple[Any, Any, Any]:
    """A sheet's text, number and any-type cell writers. The text and number ones are XlsxWriter's
    own methods behind write_string / write_number, whose wrapper only converts "A1" cell names: 9%
    of the writer's CPU at 27 columns (requirements.txt pins XlsxWriter's major version; the export
    tests read every value back)."""
    return ws._write_string, ws._write_number, ws.write


def _xlsx_sheet(wb: Any, title: str, headers: Sequence[str]) -> Any:
    ws = wb.add_worksheet(title)
    for col, header in enumerate(headers):
        ws.write_string(0, col, header)
    return ws


def write_xlsx_fast(session: Session, viewer: Viewer, f: ReportFilter, target: Target,
                    progress: Progress | None = None, *, sheet_rows: int = EXCEL_MAX_ROWS) -> int:
    """The report as xlsx: the rows formatted by the database (core.reports.laporan_sql, the same values as
    laporan_rows) and fetched by a second thread while this one writes the file."""
    viewer.require(Perm.REPORT_VIEW)
    with sqlite_page_cache(session.connection(), EXPORT_CACHE_MB):
        batches = prefetched(laporan_sql_rows(session, viewer, _conditions(session, viewer, f), batch=5_000),
                             name="laporan-xlsx")
        try:
            return write_xlsx(itertools.chain.from_iterable(batches), target, LAPORAN_COLUMNS, progress,
                              sheet_rows=sheet_rows)
        finally:
            batches.close()  # a failed write stops the reader before the session is used again


def csv_batches(session: Session, viewer: Viewer, f: ReportFilter, batch: int = 50_000) -> Iterator[Sequence[Any]]:
    """The report's rows for CSV, formatted in SQL (core.reports.laporan_sql), in batches: formula-like texts
    with a quote in front (core.platform.cell_safety)."""
    return laporan_sql_rows(session, viewer, _conditions(session, viewer, f), batch=batch, for_csv=True)


def write_csv_fast(session: Session, viewer: Viewer, f: ReportFilter, target: Target,
                   progress: Progress | None = None) -> int:
    """The report as CSV the fastest way each database offers: PostgreSQL writes it itself (COPY ...
    TO STDOUT WITH CSV); SQLite formats and joins each row's fields in SQL, quoted per batch
    (core.reports.laporan_sql.csv_blocks) and fetched by a second thread while this one writes. Same bytes as
    csv.writer over csv_batches (a test checks)."""
    viewer.require(Perm.REPORT_VIEW)
    conditions = _conditions(session, viewer, f)
    if session.get_bind().dialect.name != "postgresql":
        # Closing the blocks when the write fails stops the reader before the session is used again.
        with sqlite_page_cache(session.connection(), EXPORT_CACHE_MB), \
                contextlib.closing(csv_blocks(session, viewer, conditions)) as blocks:
            return write_csv_blocks(blocks, target, LAPORAN_COLUMNS, progress)
    header = io.StringIO()
    csv.writer(header, lineterminator="\n").writerow(LAPORAN_COLUMNS)
    if isinstance(target, str | Path):
        with open(target, "wb") as out:
            out.write(("\ufeff" + header.getvalue()).encode("utf-8"))
            n = copy_csv_pg(session, viewer, conditions, out)
    else:
        target.write(("\ufeff" + header.getvalue()).encode("utf-8"))
        n = copy_csv_pg(session, viewer, conditions, target)
    if progress is not None:
        progress(n)
    return n


def write_csv_blocks(blocks: Iterable[CsvBlock], target: Target, headers: Sequence[str] = LAPORAN_COLUMNS,
                     progress: Progress | None = None) -> int:
    """Write blocks of finished CSV lines (UTF-8 with a BOM, the header through csv.writer, CRLF line
    ends like it). Returns the data rows."""
    def into(out: IO[str]) -> int:
        csv.writer(out).writerow(headers)
        total = 0
        for block in blocks:
            out.write(block.text)
            total += block.rows
            if progress is not None:
                progress(total)
        return total

    if isinstance(target, str | Path):
        with open(target, "w", encoding="utf-8-sig", newline="", buffering=1 << 20) as out:
            return into(out)
    text = io.TextIOWrapper(target, encoding="utf-8-sig", newline="")
    try:
        return into(text)
    finally:
        text.flush()
        text.detach()


# --- Export (permission + audit) ----------------------------------------------------------------


class _Report:
    """What the audit entry is about: the report itself (no row of its own)."""

    __tablename__ = "report"
    id = None
    branch_id = None


def export_laporan(session: Session, viewer: Viewer, f: ReportFilter, target: Target,
                   fmt: Literal["xlsx", "csv"] = "xlsx", *, audit_session: Session | None = None,
                   progress: Progress | None = None, sheet_rows: int = EXCEL_MAX_ROWS) -> int:
    """Export the report to target and write the audit entry (action report.export, the filter and
    the row count in the note) into audit_session (default: session; the caller commits it).
    Needs Perm.REPORT_EXPORT. Returns the number of rows."""
    viewer.require(Perm.REPORT_EXPORT)
    if fmt == "xlsx":
        n = write_xlsx_fast(session, viewer, f, target, progress, sheet_rows=sheet_rows)
    elif fmt == "csv":
        n = write_csv_fast(session, viewer, f, target, progress)
    else:
        raise ValidationError("report.format", field="fmt", value=fmt)
    record_export(audit_session or session, viewer, f, fmt, n)
    return n


def record_export(session: Session, viewer: Viewer, f: ReportFilter, fmt: str, rows: int) -> None:
    viewer.require(Perm.REPORT_EXPORT)
    audit.record(session, viewer, "report.export", _Report(),
                 note=f"Laporan CRM {fmt}: {f.describe()} baris={rows}")


# --- Chart aggregates ---------------------------------------------------------------------------


def prospect_status_by_branch(session: Session, viewer: Viewer, f: ReportFilter) -> list[tuple[str, int, int, int]]:
    """(branch code, HOT, MEDIUM, COLD) over the open opportunities the filter's period and branches
    select: one GROUP BY."""
    viewer.require(Perm.REPORT_VIEW)
    rows = session.execute(
        select(Branch.code, count_when(Lead.temperature == Temperature.HOT),
               count_when(Lead.temperature == Temperature.MEDIUM), count_when(Lead.temperature == Temperature.COLD))
        .select_from(Lead).join(Branch, Branch.id == Lead.branch_id)
        .where(*_conditions(session, viewer, f, with_kind=False), Lead.stage.in_(OPEN_OPPORTUNITY))
        .group_by(Branch.code).order_by(Branch.code))
    return [(code, int(hot), int(medium), int(cold)) for code, hot, medium, cold in rows]


def won_lost_by_branch(session: Session, viewer: Viewer, f: ReportFilter) -> list[tuple[str, int, int, int]]:
    """(branch code, won, lost, open) over the opportunities the filter's period and branches select:
    one GROUP BY."""
    viewer.require(Perm.REPORT_VIEW)
    rows = session.execute(
        select(Branch.code, count_when(Lead.stage == Stage.WON), count_when(Lead.stage == Stage.LOST),
               count_when(Lead.stage.in_(OPEN_OPPORTUNITY)))
        .select_from(Lead).join(Branch, Branch.id == Lead.branch_id)
        .where(*_conditions(session, viewer, f, with_kind=False), Lead.stage != Stage.LEAD)
        .group_by(Branch.code).order_by(Branch.code))
    return [(code, int(won), int(lost), int(open_)) for code, won, lost, open_ in rows]
