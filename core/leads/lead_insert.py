"""The lead engine's last step: its candidate selection materialised once into a temp table, then the
new leads inserted from it in one INSERT ... SELECT, numbered per branch from reserved number blocks."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Date, Integer, String, case, column, func, insert, literal, select, table, text
from sqlalchemy.orm import Session

from core.leads.lead import priority_sql
from core.platform import clock, numbering
from core.platform.sqlfuncs import text_concat, zero_pad
from core.prediction import arrival
from db.base import UTCDateTime
from db.enums import ServiceKind, Stage
from db.models import ArrivalCalendar, Branch, Customer, Lead, Vehicle

CANDIDATES = "leadgen_candidate"
_CANDIDATE_COLS = [("vehicle_id", Integer), ("branch_id", Integer), ("customer_id", Integer),
                   ("service_kind", String), ("kpb_number", Integer), ("deadline", Date), ("due_key", String),
                   ("category", String), ("sales_source", String), ("day_limit", Date)]


# PostgreSQL's memory per sort/hash of the candidate selection: with the server's default 4 MB its hash joins
# over the work orders spilled to temp files at 1,000,000 vehicles (transaction-local, see deploy/postgresql.md).
CANDIDATE_WORK_MEM = "64MB"


def materialise(session: Session, selection: Any) -> Any:
    sql = selection.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
    pg = session.get_bind().dialect.name == "postgresql"
    session.execute(text(f"DROP TABLE IF EXISTS {CANDIDATES}"))
    if pg:
        session.execute(text(f"SET LOCAL work_mem = '{CANDIDATE_WORK_MEM}'"))
    session.execute(text(f"CREATE TEMPORARY TABLE {CANDIDATES} AS {sql}"))
    if pg:  # autovacuum never analyzes a temp table: without this the insert's joins are planned blind
        session.execute(text(f"ANALYZE {CANDIDATES}"))
    return table(CANDIDATES, *[column(name, type_) for name, type_ in _CANDIDATE_COLS])


def insert_leads(session: Session, candidates: Any, today: dt.date, by_branch: dict[int, int],
                  branch_ids: list[int]) -> tuple[int, int]:
    per_branch = select(candidates.c.branch_id, func.count()).group_by(candidates.c.branch_id)
    counts: dict[int, int] = dict(session.execute(per_branch).tuples().all())
    if not counts:
        return 0, 0
    codes = dict(session.execute(select(Branch.id, Branch.code).where(Branch.id.in_(counts))).tuples().all())
    series_rows = []
    for branch_id, n in counts.items():
        series = numbering.lead_series(codes[branch_id], today)
        series_rows.append((branch_id, series + "/", numbering.reserve(session, series, n)))
        by_branch[branch_id] = by_branch.get(branch_id, 0) + n
    # A CASE per branch (at most a few dozen) is portable where VALUES-with-column-names is not (SQLite).
    prefix_of = case({b: literal(p) for b, p, _ in series_rows}, value=candidates.c.branch_id)
    base_of = case({b: literal(n, Integer) for b, _, n in series_rows}, value=candidates.c.branch_id)
    rank = func.row_number().over(partition_by=candidates.c.branch_id,
                                  order_by=(candidates.c.deadline, candidates.c.vehicle_id, candidates.c.due_key))
    now = clock.now()
    priority = priority_sql(Customer.nik, Customer.phone)
    source = select(
        candidates.c.branch_id, text_concat(prefix_of, zero_pad(base_of + rank - 1, 5)),
        candidates.c.category, literal("Workshop"), candidates.c.sales_source, literal(Stage.LEAD.value),
        priority, candidates.c.customer_id, candidates.c.vehicle_id, Customer.name, Customer.phone, Customer.nik,
        Customer.address, Customer.occupation_id, candidates.c.service_kind, candidates.c.kpb_number,
        candidates.c.deadline, candidates.c.due_key, literal(1), literal(now, UTCDateTime()),
        literal(now, UTCDateTime()), Vehicle.last_job_type, Vehicle.last_service_date,
        Customer.code, Vehicle.engine_no, Vehicle.plate, Vehicle.unit_type_code, Vehicle.unit_name, Vehicle.colour,
        Vehicle.purchase_date,
        arrival.expected_day(session, arrival.counted_from(candidates.c.deadline, candidates.c.day_limit),
                             candidates.c.branch_id, arrival.service_key(
                                 candidates.c.service_kind, candidates.c.kpb_number, candidates.c.category)),
    ).select_from(candidates).outerjoin(Customer, Customer.id == candidates.c.customer_id).join(
        Vehicle, Vehicle.id == candidates.c.vehicle_id).outerjoin(
        ArrivalCalendar, ArrivalCalendar.vehicle_id == candidates.c.vehicle_id)
    cols = ["branch_id", "number", "category", "division", "sales_source", "stage", "priority", "customer_id",
            "vehicle_id", "contact_name", "phone", "nik", "address", "occupation_id", "service_kind",
            "kpb_number", "deadline", "due_key", "version", "created_at", "updated_at", "last_service_type",
            "last_service_date", "customer_code", "engine_no", "plate", "unit_type_code", "unit_name", "colour",
            "sales_date", "expected_on"]
    session.execute(insert(Lead).from_select(cols, source))
    kpb = session.scalar(select(func.count()).select_from(candidates).where(
        candidates.c.service_kind == ServiceKind.KPB.value)) or 0
    return kpb, sum(counts.values()) - kpb
