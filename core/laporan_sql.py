"""Laporan CRM rows formatted by the database: dates as dd/mm/yyyy, the NIK masked, labels for the
stage, temperature and contact status, the customer and unit texts. Both exports use them: xlsx hands
the values to the writer (PostgreSQL formats them in its own process, on the other core), CSV gets
whole lines (SQLite builds each line with csv.writer's quoting; PostgreSQL's COPY writes the file).
Same columns and texts as core.reports.laporan_rows (tests check they agree)."""

from __future__ import annotations

from collections.abc import Generator, Iterator, Sequence
from typing import IO, Any

from sqlalchemy import Integer, String, case, func, literal, select
from sqlalchemy.orm import Session

from core.access import Perm, Viewer
from core.pipeline import CONTACT_LABEL, STAGE_LABEL, TEMPERATURE_LABEL
from core.prefetch import prefetched
from core.report_sql import dmy, local_day
from core.reports import LAPORAN_COLUMNS
from core.sqlfuncs import needs_csv_quotes
from db.enums import ServiceKind
from db.models import Branch, Lead, LostReason, Occupation

_STARS = "*" * 16


def _label(column: Any, labels: dict[Any, str]) -> Any:
    return case({k.value: v for k, v in labels.items()}, value=column)


def _masked(nik: Any) -> Any:
    """core.identifiers.mask_nik in SQL: the first 6 and last 2 digits, stars between."""
    n = func.length(nik)
    return case((nik.is_(None), None), (n <= 8, func.substr(literal(_STARS), 1, n)),
                else_=func.substr(nik, 1, 6).concat(func.substr(literal(_STARS), 1, n - 8))
                .concat(func.substr(nik, n - 1, 2)))


def _or_null(column: Any) -> Any:
    return func.nullif(column, "")


# Columns whose text comes from users or imports and may hold a comma, a quote or a line break (the
# others are dates, numbers and fixed labels): only these need CSV quoting.
_FREE_TEXT = frozenset({"Branch", "Subject", "Customer", "Phone", "No KTP", "Pekerjaan", "Sales Source",
                        "Type Last Service", "Rekomendasi Service", "Type Unit", "Engine No", "Plate",
                        "Lost Reason", "Note"})


def _columns(session: Session, viewer: Viewer) -> list[Any]:
    """The report's columns as SQL expressions, in LAPORAN_COLUMNS order."""
    viewer.require(Perm.REPORT_VIEW)
    dialect = session.get_bind().dialect.name
    zones = sorted(set(session.scalars(select(Branch.timezone).distinct())))
    text = String()
    customer = case(
        (Lead.customer_code.is_(None), Lead.contact_name),
        (Lead.contact_name.is_(None), literal("[").concat(Lead.customer_code).concat("]")),
        else_=literal("[").concat(Lead.customer_code).concat("] ").concat(Lead.contact_name))
    unit = case((Lead.unit_type_code.is_not(None) & Lead.unit_name.is_not(None),
                 Lead.unit_type_code.concat(" [").concat(Lead.unit_name).concat("]")),
                else_=func.coalesce(Lead.unit_type_code, Lead.unit_name))
    lost = case((LostReason.name_id.is_not(None) & (func.coalesce(Lead.lost_note, "") != ""),
                 LostReason.name_id.concat(": ").concat(Lead.lost_note)), else_=_or_null(LostReason.name_id))
    nik = Lead.nik if viewer.can(Perm.NIK_FULL) else _masked(Lead.nik)
    return [dmy(local_day(dialect, Lead.created_at, Branch.timezone, zones)),
            literal("[").concat(Branch.code).concat("] ").concat(Branch.name), Lead.number, customer, Lead.phone,
            nik, Occupation.name, Lead.sales_source, _label(Lead.stage, STAGE_LABEL), Lead.last_service_type,
            dmy(Lead.last_service_date),
            case({ServiceKind.KPB.value: "KPB", ServiceKind.REG.value: "Regular"}, value=Lead.service_kind,
                 else_=Lead.service_kind.cast(text)),
            Lead.kpb_number, dmy(Lead.deadline), dmy(Lead.sales_date), unit, Lead.engine_no, Lead.plate,
            dmy(Lead.fu1_date), dmy(Lead.next_plan_fu2), dmy(Lead.fu2_date), dmy(Lead.next_plan_fu3),
            dmy(Lead.fu3_date), _label(Lead.temperature, TEMPERATURE_LABEL),
            _label(Lead.contact_status, CONTACT_LABEL), lost, _or_null(Lead.note)]


def _from_where(columns: Sequence[Any], conditions: Sequence[Any]) -> Any:
    return (
        select(*columns)
        .join(Branch, Branch.id == Lead.branch_id)
        .outerjoin(Occupation, Occupation.id == Lead.occupation_id)
        .outerjoin(LostReason, LostReason.id == Lead.lost_reason_id)
        .where(*conditions)
        .order_by(Lead.id)
    )


def _statement(session: Session, viewer: Viewer, conditions: Sequence[Any]) -> Any:
    return _from_where(_columns(session, viewer), conditions)


def _csv_field(column: Any, free_text: bool) -> Any:
    """One CSV field as csv.writer (QUOTE_MINIMAL) writes it: NULL as nothing, numbers as their digits,
    a text with a comma, quote, CR or LF in quotes with its quotes doubled."""
    value = func.coalesce(column.cast(String()) if isinstance(column.type, Integer) else column, "")
    if not free_text:
        return value
    return case((needs_csv_quotes(value), literal('"').concat(func.replace(value, '"', '""')).concat('"')),
                else_=value)


def csv_lines(session: Session, viewer: Viewer, conditions: Sequence[Any], *, batch: int = 10_000
              ) -> Generator[list[str], None, None]:
    """The report's rows as CSV lines (without the line end), byte for byte what csv.writer makes of
    laporan_sql_rows, in lists of `batch`, oldest lead first: SQLite's CSV export (PostgreSQL has
    COPY, which writes the same fields with LF line ends). The driver builds one string
    per row instead of 27 values, and a second thread fetches while the caller writes (core.prefetch).
    Two reader threads on their own connections (each formatting every other id range) were slower
    here, not faster: 43.6 s against 37.3 s for 1,000,000 rows at load 10, with 8% more CPU (likely
    SQLite's memory allocator, which its threads share, under the string building)."""
    fields = [_csv_field(c, name in _FREE_TEXT)
              for c, name in zip(_columns(session, viewer), LAPORAN_COLUMNS, strict=True)]
    line = fields[0]
    for field_ in fields[1:]:
        line = line.concat(",").concat(field_)
    stmt = _from_where([line], conditions)

    def fetch() -> Iterator[list[str]]:
        result = session.connection().execute(stmt.execution_options(stream_results=True, yield_per=batch))
        for part in result.partitions(batch):
            yield [row[0] for row in part]

    return prefetched(fetch(), name="laporan-csv")


def laporan_sql_rows(session: Session, viewer: Viewer, conditions: Sequence[Any], *, batch: int = 50_000
                     ) -> Iterator[Sequence[Any]]:
    """Batches of report rows (LAPORAN_COLUMNS) already formatted; `conditions` are the report's
    WHERE (core.reports builds them, the viewer's branch scope included)."""
    stmt = _statement(session, viewer, conditions)
    # Plain Core rows from the driver (no ORM entities), streamed: a server-side cursor on PostgreSQL.
    result = session.connection().execute(stmt.execution_options(stream_results=True, yield_per=batch))
    yield from result.partitions(batch)


def copy_csv_pg(session: Session, viewer: Viewer, conditions: Sequence[Any], out: IO[bytes]) -> int:
    """PostgreSQL only: the same rows written by the server itself (COPY (SELECT ...) TO STDOUT WITH
    CSV), streamed in chunks into `out` (the caller writes the BOM and header). Returns the rows."""
    stmt = _statement(session, viewer, conditions)
    compiled = stmt.compile(dialect=session.get_bind().dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params()
    processors = compiled._bind_processors  # the types' own conversions (enums to values, UTC datetimes)
    values = {k: (processors[k](v) if k in processors else v) for k, v in params.items()}
    cursor = session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    # No progress calls while the COPY runs: the connection is busy until it ends (a caller that
    # records progress in the database may share it), and the whole COPY takes seconds.
    with cursor.copy(f"COPY ({compiled.string}) TO STDOUT WITH (FORMAT csv)", values) as copy:
        for chunk in copy:
            out.write(chunk)
    return max(int(cursor.rowcount), 0)  # COPY's own count
