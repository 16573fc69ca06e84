"""Head office search: a substring index over every branch's leads, kept off the lead engine's inserts

A search over every branch (5,000,000 leads) scanned every lead's index entry: 2.4 s on SQLite, 4.9 s on
PostgreSQL. A trigram index answers it in milliseconds, but maintaining one row by row costs the lead
engine's bulk insert 5-10 s (151,000 leads: 1.3 s -> 5.5 s for two columns, 16 s for all five, PostgreSQL).
So a lead starts with search_indexed false and joins the trigram index later, in the worker
(core.leads.search_index); until then the search finds it through the small partial index of the leads not
yet indexed. PostgreSQL: a partial GIN (pg_trgm) index on the lead itself, WHERE search_indexed. SQLite: an
FTS5 trigram table with the searched columns (rowid = lead id), and a trigger that sends a lead whose searched
columns change back to 'not yet indexed'. The leads there at the upgrade are indexed by it.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 15:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import db.base  # noqa: F401

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

SEARCHED = ['number', 'contact_name', 'phone', 'plate', 'engine_no']


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        # The leads there now are indexed by the index build itself (one sort: minutes at 5,000,000 leads, where
        # setting a flag row by row would rewrite every lead): true for them, false for every lead from now on.
        op.add_column('lead', sa.Column('search_indexed', sa.Boolean(), server_default=sa.true(), nullable=False))
        op.alter_column('lead', 'search_indexed', server_default=sa.false())
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        op.execute("SET LOCAL maintenance_work_mem = '512MB'")  # the build's sort (the server default is 64 MB)
        columns = ', '.join(f'{c} gin_trgm_ops' for c in SEARCHED)
        op.execute(f'CREATE INDEX ix_lead_search_trgm ON lead USING gin ({columns}) WHERE search_indexed')
        # The new column's statistics: without them the planner costs the pending leads' scan as a large one, and
        # PostgreSQL's JIT then spent 415 ms compiling an 800 ms search (44 ms once analyzed).
        # (An empty table is left as it is: statistics of no rows would mislead the planner once leads arrive.)
        if op.get_bind().scalar(sa.text('SELECT EXISTS (SELECT 1 FROM lead)')):
            op.execute('ANALYZE lead')
    else:
        # SQLite cannot change a column's default in place: false from the start, the leads there now copied
        # into the index and marked.
        op.add_column('lead', sa.Column('search_indexed', sa.Boolean(), server_default=sa.false(), nullable=False))
        searched = ', '.join(SEARCHED)
        op.execute(f"CREATE VIRTUAL TABLE lead_search USING fts5({searched}, tokenize='trigram')")
        op.execute(f'INSERT INTO lead_search (rowid, {searched}) SELECT id, {searched} FROM lead')
        op.execute('UPDATE lead SET search_indexed = 1')
        changed = ' OR '.join(f'NEW.{c} IS NOT OLD.{c}' for c in SEARCHED)
        op.execute(f"CREATE TRIGGER lead_search_stale AFTER UPDATE OF {searched} ON lead "
                   f"WHEN NEW.search_indexed AND ({changed}) "
                   "BEGIN UPDATE lead SET search_indexed = 0 WHERE id = NEW.id; END")
    op.create_index('ix_lead_search_pending', 'lead', ['id'], unique=False,
                    sqlite_where=sa.text('search_indexed = 0'), postgresql_where=sa.text('NOT search_indexed'))


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP INDEX ix_lead_search_trgm')
    else:
        op.execute('DROP TRIGGER lead_search_stale')
        op.execute('DROP TABLE lead_search')
    op.drop_index('ix_lead_search_pending', table_name='lead')
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.drop_column('search_indexed')
