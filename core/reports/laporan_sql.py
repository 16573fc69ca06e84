"""Laporan CRM rows formatted by the database: dates as dd/mm/yyyy (CSV) or Excel day numbers (xlsx, written as
date cells), the NIK masked, labels for the
stage, temperature and contact status, the customer and unit texts. Both exports use them: xlsx hands
the values to the writer (PostgreSQL formats them in its own process, on the other core), CSV gets
whole lines (SQLite joins each row's fields, csv_blocks adds csv.writer's quoting; PostgreSQL's COPY
writes the file).
Same columns and texts as the plain Python reference in tests/reports/laporan_reference.py (tests check they
agree), except that the CSV's user texts follow core.platform.cell_safety's rule in SQL (a formula-like text
gets a quote in front)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Generator, Iterator, Sequence
from typing import IO, Any, NamedTuple

from sqlalchemy import String, case, func, literal, select
from sqlalchemy.orm import Session

from core.accounts.access import Perm, Viewer
from core.pipeline.stages import CONTACT_LABEL, STAGE_LABEL, TEMPERATURE_LABEL
from core.platform import scoped_sql
from core.platform.cell_safety import csv_safe
from core.platform.prefetch import prefetched
from core.platform.sqlfuncs import excel_day, format_text
from core.reports.sql import dmy, local_day
from db.enums import ServiceKind
from db.models import Branch, FollowUp, Lead, LostReason, Occupation, User

_STARS = "*" * 16


def _latest(column: Any) -> Any:
    """A column of the lead's latest contact (its last follow-up row), one index probe per lead
    (ix_followup_lead_id). A scalar subquery, not a join on max(id): PostgreSQL can only filter such a join
    pair by pair (a nested loop of leads x follow-ups)."""
    return (select(column).where(FollowUp.lead_id == Lead.id).order_by(FollowUp.id.desc()).limit(1)
            .correlate(Lead).scalar_subquery())


LAST_CONTACT_DAY = _latest(FollowUp.done_on)
LAST_CONTACT_STATUS = _latest(FollowUp.contact_status)


def report_joins() -> Any:
    """The report's FROM: the lead with its branch, occupation, lost reason and assigned admin."""
    return (Lead.__table__.join(Branch, Branch.id == Lead.branch_id)
            .outerjoin(Occupation, Occupation.id == Lead.occupation_id)
            .outerjoin(LostReason, LostReason.id == Lead.lost_reason_id)
            .outerjoin(User, User.id == Lead.assigned_user_id))


def _label(column: Any, labels: dict[Any, str]) -> Any:
    return case({k.value: v for k, v in labels.items()}, value=column)


def _masked(nik: Any) -> Any:
    """core.customers.nik.mask_nik in SQL: the first 6 and last 2 digits, stars between."""
    n = func.length(nik)
    return case((nik.is_(None), None), (n <= 8, func.substr(literal(_STARS), 1, n)),
                else_=func.substr(nik, 1, 6).concat(func.substr(literal(_STARS), 1, n - 8))
                .concat(func.substr(nik, n - 1, 2)))


def _or_null(column: Any) -> Any:
    return func.nullif(column, "")


def _columns(session: Session, viewer: Viewer, *, for_csv: bool = False) -> list[Any]:
    """The report's columns as SQL expressions, in LAPORAN_COLUMNS order. for_csv: dates as dd/mm/yyyy text and
    each column that can hold a user's text through core.platform.cell_safety's rule (a formula-like text gets a
    quote in front; xlsx needs none: its writer makes string cells); otherwise (xlsx) dates as Excel day numbers.
    Dates, labels and the branch ("[code] name") cannot start with a formula character and are left as they are
    (each wrapped column costs the CSV time)."""
    viewer.require(Perm.REPORT_VIEW)
    dialect = session.get_bind().dialect.name
    zones = sorted(set(session.scalars(select(Branch.timezone).distinct())))
    text = String()
    user = csv_safe if for_csv else _as_is
    day = dmy if for_csv else excel_day
    customer = case(  # only the bare name can start with a formula character: the rule on it alone is the same
        (Lead.customer_code.is_(None), user(Lead.contact_name)),
        (Lead.contact_name.is_(None), literal("[").concat(Lead.customer_code).concat("]")),
        else_=literal("[").concat(Lead.customer_code).concat("] ").concat(Lead.contact_name))
    unit = case((Lead.unit_type_code.is_not(None) & Lead.unit_name.is_not(None),
                 Lead.unit_type_code.concat(" [").concat(Lead.unit_name).concat("]")),
                else_=func.coalesce(Lead.unit_type_code, Lead.unit_name))
    nik = Lead.nik if viewer.can(Perm.NIK_FULL) else _masked(Lead.nik)
    return [day(local_day(dialect, Lead.created_at, Branch.timezone, zones)),
            literal("[").concat(Branch.code).concat("] ").concat(Branch.name), user(User.full_name),
            user(Lead.number), customer, user(Lead.phone), user(nik), user(Occupation.name), user(Lead.sales_source),
            _label(Lead.stage, STAGE_LABEL), user(Lead.last_service_type), day(Lead.last_service_date),
            case({ServiceKind.KPB.value: "KPB", ServiceKind.REG.value: "Regular"}, value=Lead.service_kind,
                 else_=Lead.service_kind.cast(text)),
            Lead.kpb_number, day(Lead.deadline), day(Lead.sales_date), user(unit), user(Lead.engine_no),
            user(Lead.plate), day(Lead.fu1_date), day(Lead.next_plan_fu2), day(Lead.fu2_date),
            day(Lead.next_plan_fu3), day(Lead.fu3_date), _label(Lead.temperature, TEMPERATURE_LABEL),
            _label(Lead.contact_status, CONTACT_LABEL), day(LAST_CONTACT_DAY),
            _label(LAST_CONTACT_STATUS, CONTACT_LABEL), day(Lead.promised_date),
            user(_or_null(LostReason.name_id)), user(_or_null(Lead.lost_note)), user(_or_null(Lead.note))]


def _as_is(column: Any) -> Any:
    return column


def _from_where(columns: Sequence[Any], conditions: Sequence[Any]) -> Any:
    return select(*columns).select_from(report_joins()).where(*conditions).order_by(Lead.id)


def _statement(session: Session, viewer: Viewer, conditions: Sequence[Any], *, for_csv: bool = False) -> Any:
    return _from_where(_columns(session, viewer, for_csv=for_csv), conditions)


# The SQLite CSV lines: each row's fields joined in SQL with this separator (ASCII "unit separator", which
# no report text is expected to hold), then checked a whole batch at a time in Python; see csv_blocks.
_SEP = "\x1f"
_NEEDS_QUOTES = (",", '"')  # with CR and LF: the characters csv.writer quotes a field for


class CsvBlock(NamedTuple):
    """Finished CSV lines, each ending with CRLF, and how many rows they hold."""

    text: str
    rows: int


def _csv_block(rows: Sequence[Any], width: int, exact_rows: Callable[[list[int]], dict[int, Sequence[Any]]]
               ) -> CsvBlock:
    """One batch of (lead id, fields joined by _SEP) as csv.writer's lines. Almost every batch holds no
    comma, quote or line break in any field: then the separators simply become commas, in a few passes
    over one string at C speed. Otherwise the batch goes row by row through csv.writer (which quotes),
    and a row whose texts held the separator itself is fetched again field by field (`exact_rows`)."""
    block = "\r\n".join([row[1] for row in rows]) + "\r\n"
    n = len(rows)
    if (block.count(_SEP) == n * (width - 1) and block.count("\r") == n and block.count("\n") == n
            and not any(c in block for c in _NEEDS_QUOTES)):
        return CsvBlock(block.replace(_SEP, ","), n)
    fields = [row[1].split(_SEP) for row in rows]
    unsplittable = [row[0] for row, f in zip(rows, fields, strict=True) if len(f) != width]
    exact = exact_rows(unsplittable) if unsplittable else {}
    out = io.StringIO()
    csv.writer(out).writerows(exact[row[0]] if len(f) != width else f for row, f in zip(rows, fields, strict=True))
    return CsvBlock(out.getvalue(), n)


def csv_blocks(session: Session, viewer: Viewer, conditions: Sequence[Any], *, batch: int = 10_000
               ) -> Generator[CsvBlock, None, None]:
    """SQLite's CSV export (PostgreSQL has COPY, faster still): the report's rows, oldest lead first,
    byte for byte what csv.writer makes of laporan_sql_rows, in blocks of `batch` rows, fetched by a
    second thread while the caller writes (core.platform.prefetch).

    The database formats every field and joins them (format_text: NULL as nothing, integers as their
    digits), so the driver hands over one string per row. Quoting is decided per batch in Python
    rather than per field in SQL: 18 pattern tests per row took SQLite as long as all the formatting
    (1,000,000 rows: 5.3 s formatted and joined, 10.1 s with the per-field quoting in SQL)."""
    columns = _columns(session, viewer, for_csv=True)
    line = format_text(_SEP.join(["%s"] * len(columns)), *columns)
    stmt = _from_where([Lead.id, line], conditions)

    def exact_rows(ids: list[int]) -> dict[int, Sequence[Any]]:
        exact = _from_where([Lead.id, *columns], [Lead.id.in_(ids)])
        return {row[0]: row[1:] for row in scoped_sql.execute(session, viewer, exact)}

    def fetch() -> Iterator[CsvBlock]:
        # The driver's own cursor: SQLAlchemy's result rows cost 1.2 s per 1,000,000 here, for two values.
        # PostgreSQL (not the product's path there, see above): a server-side cursor, so rows stream.
        name = "laporan_csv" if session.get_bind().dialect.name == "postgresql" else None
        with scoped_sql.driver_cursor(session, viewer, stmt, name=name) as cursor:
            while rows := cursor.fetchmany(batch):
                yield _csv_block(rows, len(columns), exact_rows)

    return prefetched(fetch(), name="laporan-csv")


def laporan_sql_rows(session: Session, viewer: Viewer, conditions: Sequence[Any], *, batch: int = 50_000,
                     for_csv: bool = False) -> Iterator[Sequence[Any]]:
    """Batches of report rows (LAPORAN_COLUMNS) already formatted; `conditions` are the report's
    WHERE (core.reports.laporan builds them, the viewer's branch scope included). for_csv: the texts as the
    CSV holds them (core.platform.cell_safety's rule applied)."""
    stmt = _statement(session, viewer, conditions, for_csv=for_csv)
    # Plain Core rows from the driver (no ORM entities), streamed: a server-side cursor on PostgreSQL.
    result = scoped_sql.execute(session, viewer, stmt, stream_results=True, yield_per=batch)
    yield from result.partitions(batch)


def copy_csv_pg(session: Session, viewer: Viewer, conditions: Sequence[Any], out: IO[bytes]) -> int:
    """PostgreSQL only: the same rows written by the server itself (COPY (SELECT ...) TO STDOUT WITH
    CSV), streamed in chunks into `out` (the caller writes the BOM and header), core.platform.cell_safety's rule
    applied in the query. Returns the rows."""
    # No progress calls while the COPY runs: the connection is busy until it ends (a caller that
    # records progress in the database may share it), and the whole COPY takes seconds.
    return scoped_sql.copy_csv(session, viewer, _statement(session, viewer, conditions, for_csv=True), out)
