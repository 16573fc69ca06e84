"""daily-work screens: lead distribution and screen support

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 03:45:00
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op

import db.base  # noqa: F401

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The customer view's timeline reads a customer's touches and bookings by customer id.
    with op.batch_alter_table('touch', schema=None) as batch_op:
        batch_op.create_index('ix_touch_customer', ['customer_id'], unique=False)
        # The worklist: one kind's due touches in due order, and the day's counts per kind.
        batch_op.create_index('ix_touch_branch_state_kind_due', ['branch_id', 'state', 'kind', 'due_on'],
                              unique=False)
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.create_index('ix_booking_customer', ['customer_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.drop_index('ix_booking_customer')
    with op.batch_alter_table('touch', schema=None) as batch_op:
        batch_op.drop_index('ix_touch_branch_state_kind_due')
        batch_op.drop_index('ix_touch_customer')
