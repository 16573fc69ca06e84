"""Vehicle usage: each motorcycle's km per day from its own odometer readings and the day its next
service's km limit is reached (core.prediction), and the typical rate per model and branch

The tables start empty: the first daily lead run after the upgrade fills them for every vehicle
(one set-based pass), later runs only for the vehicles with new readings.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 15:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'vehicle_usage',
        sa.Column('vehicle_id', _BIG_ID, nullable=False),
        sa.Column('readings', sa.Integer(), nullable=False),
        sa.Column('ignored', sa.Integer(), nullable=False),
        sa.Column('own_km_per_day', sa.Float(), nullable=True),
        sa.Column('km_per_day', sa.Float(), nullable=False),
        sa.Column('weight', sa.Float(), nullable=False),
        sa.Column('span_days', sa.Integer(), nullable=True),
        sa.Column('resid_ss', sa.Float(), nullable=True),
        sa.Column('last_km', sa.Integer(), nullable=True),
        sa.Column('last_km_on', sa.Date(), nullable=True),
        sa.Column('next_kind', sa.String(length=3), nullable=False),
        sa.Column('next_kpb_number', sa.Integer(), nullable=True),
        sa.Column('km_due_on', sa.Date(), nullable=True),
        sa.Column('refreshed_on', sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(['vehicle_id'], ['vehicle.id'], name=op.f('fk_vehicle_usage_vehicle_id_vehicle'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('vehicle_id', name=op.f('pk_vehicle_usage')),
    )
    op.create_index('ix_vehicle_usage_km_due', 'vehicle_usage', ['km_due_on'], unique=False)
    op.create_index('ix_vehicle_usage_refreshed', 'vehicle_usage', ['refreshed_on'], unique=False)
    op.create_table(
        'usage_typical',
        sa.Column('unit_type_code', sa.String(length=30), nullable=False),
        sa.Column('branch_id', _BIG_ID, nullable=False),
        sa.Column('km_per_day', sa.Float(), nullable=False),
        sa.Column('vehicles', sa.Integer(), nullable=False),
        sa.Column('shrink_days', sa.Float(), nullable=True),
        sa.Column('refreshed_on', sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint('unit_type_code', 'branch_id', name=op.f('pk_usage_typical')),
    )


def downgrade() -> None:
    op.drop_table('usage_typical')
    op.drop_index('ix_vehicle_usage_refreshed', table_name='vehicle_usage')
    op.drop_index('ix_vehicle_usage_km_due', table_name='vehicle_usage')
    op.drop_table('vehicle_usage')
