"""Lead credits its touch: the touch that preceded the service that closed a lead Won

A lead closed by its vehicle's arrival records the work order and branch (0001) and now also the last
touch done before that service (core.leads.closing.close_leads_served), so "which touch brought them in"
is a fact written once, not a guess made by every report.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 15:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.add_column(sa.Column('won_touch_id', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.drop_column('won_touch_id')
