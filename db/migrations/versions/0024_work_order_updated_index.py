"""Work orders by when they were written: the daily usage refresh (core.prediction.usage) finds the vehicles
whose readings changed since its last run (a late import, a corrected km) by this index, instead of every
work order of its 45-day lookback.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-04 18:10:00
"""

from __future__ import annotations

from alembic import op

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_work_order_updated', 'work_order', ['updated_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_work_order_updated', table_name='work_order')
