"""Arrival habit: when customers come relative to the due day, per service and branch, the motorcycles
whose customers come by the calendar whatever their km (core.prediction.arrival), and each lead's expected day, which its H-7 / H-3 touches are planned on

The table starts empty and the new column NULL: the next weekly refresh measures the habit, and leads
opened before it keep their touches on the deadline, as before.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04 18:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'arrival_offset',
        sa.Column('service', sa.String(length=8), nullable=False),
        sa.Column('branch_id', _BIG_ID, nullable=False),
        sa.Column('offset_days', sa.Float(), nullable=False),
        sa.Column('services', sa.Integer(), nullable=False),
        sa.Column('refreshed_on', sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint('service', 'branch_id', name=op.f('pk_arrival_offset')),
    )
    op.create_table(
        'arrival_calendar',
        sa.Column('vehicle_id', _BIG_ID, nullable=False),
        sa.Column('services', sa.Integer(), nullable=False),
        sa.Column('refreshed_on', sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(['vehicle_id'], ['vehicle.id'], name=op.f('fk_arrival_calendar_vehicle_id_vehicle'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('vehicle_id', name=op.f('pk_arrival_calendar')),
    )
    op.add_column('lead', sa.Column('expected_on', sa.Date(), nullable=True))  # no table rebuild on SQLite


def downgrade() -> None:
    with op.batch_alter_table('lead') as batch:
        batch.drop_column('expected_on')
    op.drop_table('arrival_calendar')
    op.drop_table('arrival_offset')
