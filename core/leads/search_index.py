"""The head office search index: a search over every branch asks a trigram index for its candidates.

At 5,000,000 leads a search over every branch tested every lead's index entry (2.4 s on SQLite, 4.9 s on
PostgreSQL). A trigram index finds a substring in milliseconds, but keeping one up to date row by row
would cost the lead engine's morning insert (151,000 leads) 5-16 s on PostgreSQL. So a new lead starts
with search_indexed false and joins the index here, in the worker, a batch at a time; until then a
search finds it through ix_lead_search_pending, the small partial index of the leads not yet indexed.

- PostgreSQL: ix_lead_search_trgm, a partial GIN (pg_trgm) index on the lead's own searched columns
  WHERE search_indexed; the search condition is asked of it (indexed leads) and of the pending ones.
- SQLite: lead_search, an FTS5 trigram table of the searched columns (rowid = lead id); a trigger sends a
  lead whose searched columns change back to pending. The index only proposes candidates: every lead it
  returns is tested with the search's own condition, so the results are the plain search's, exactly.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    false,
    func,
    literal_column,
    or_,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.orm import Session

from core.platform import text_input
from db.engine import Database
from db.models import Lead

log = logging.getLogger("h23.worker")
BATCH = 20_000  # leads indexed per transaction: short write transactions between the admins' saves
PER_RUN = 500_000  # per worker pass, so the other jobs of the lane get their turn
TRIGRAM = 3  # a needle shorter than this cannot be asked of a trigram index
SEARCHED = ("number", "contact_name", "phone", "plate", "engine_no")


def narrowed(search: ColumnElement[bool], needles: list[tuple[str, str]], dialect: str) -> ColumnElement[bool]:
    """search (a condition on the lead's searched columns) asked of the trigram index: the same leads.
    needles: (column, text) pairs, one per arm of search, each a substring every lead that arm matches
    has in that column (case aside). An arm without one, or one too short for trigrams: search as it is."""
    if not needles or any(len(n) < TRIGRAM for _, n in needles):
        return search
    if dialect == "postgresql":
        # The pending arm's copy spelled differently (coalesce): PostgreSQL would factor (indexed AND search) OR
        # (NOT indexed AND search) back into search alone and scan every lead. As an OR the planner still
        # chooses: the trigram index for a rare text, the covering index's scan for a common name.
        return or_(and_(Lead.search_indexed, search), and_(~Lead.search_indexed, func.coalesce(search, false())))
    query = " OR ".join(
        f'{col} : "{text_input.strip(needle).replace(chr(34), chr(34) * 2)}"' for col, needle in needles
    )
    candidates: Select[Any] = (
        select(literal_column("rowid"))
        .select_from(text("lead_search"))
        .where(text("lead_search MATCH :_lead_search_query").bindparams(bindparam("_lead_search_query", query)))
    )
    # One IN over both lists: an OR of the two would make SQLite scan every lead.
    return and_(search, Lead.id.in_(union_all(candidates, select(Lead.id).where(~Lead.search_indexed))))


def index_pending(session: Session, limit: int = BATCH) -> int:
    """Up to `limit` leads not yet indexed (lowest ids first) join the search index; how many did."""
    last = session.scalar(
        select(func.max(text("id"))).select_from(
            select(Lead.id).where(~Lead.search_indexed).order_by(Lead.id).limit(limit).subquery()
        )
    )
    if last is None:
        return 0
    batch = and_(~Lead.search_indexed, Lead.id <= last)
    if session.get_bind().dialect.name == "sqlite":
        ids = select(Lead.id).where(batch)
        session.execute(text(f"DELETE FROM lead_search WHERE rowid IN ({_sql(session, ids)})"))
        columns = ", ".join(SEARCHED)
        session.execute(
            text(
                f"INSERT INTO lead_search (rowid, {columns}) "
                f"{_sql(session, select(Lead.id, *(Lead.__table__.c[c] for c in SEARCHED)).where(batch))}"
            )
        )
    # updated_at as it was: joining the index is no change anyone made to the lead.
    done = session.execute(update(Lead).where(batch).values(search_indexed=True, updated_at=Lead.updated_at))
    return int(done.rowcount or 0)  # type: ignore[attr-defined]


def _sql(session: Session, statement: object) -> str:
    return str(statement.compile(session.get_bind(), compile_kwargs={"literal_binds": True}))  # type: ignore[attr-defined]


def run_index(db: Database, worker: str) -> list[str]:
    """The worker's job: index the pending leads, a batch per transaction, up to PER_RUN a pass (worker unused:
    batches need no claim, two workers indexing at once each take rows the other's batch has not locked)."""
    total = 0
    while total < PER_RUN:
        with db.transaction(None, system=True) as s:
            n = index_pending(s)
        total += n
        if n < BATCH:
            break
    if total:  # upkeep, not a run of its own: logged, not listed with the day's runs
        log.info("search index: %d leads indexed", total)
    return []
