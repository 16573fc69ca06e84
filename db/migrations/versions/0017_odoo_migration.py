"""Odoo 8 migration: every migrated row keeps its Odoo id; watermarks and runs of the sync

The dealer runs Odoo 8 and H23 side by side for weeks (issue 15): each row brought over keeps the Odoo
record id (unique per table, NULL for H23's own rows) and when the sync last wrote it, so a row edited in
H23 afterwards is never overwritten. odoo_watermark keeps how far each Odoo model was read; odoo_sync_run
each dry or real run's counts and rejections.

Revision ID: 0017
Revises: 0014
Create Date: 2026-12-03 15:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import db.base

revision = '0017'
down_revision = '0014'
branch_labels = None
depends_on = None

SYNCED = ('branch', 'app_user', 'customer', 'vehicle', 'sale', 'work_order', 'lead', 'booking')
KEYED = ('unit_type',)


def upgrade() -> None:
    for table in (*SYNCED, *KEYED):
        op.add_column(table, sa.Column('odoo_id', sa.BigInteger(), nullable=True))
        op.create_index(f'ix_{table}_odoo_id', table, ['odoo_id'], unique=True)
    for table in SYNCED:
        op.add_column(table, sa.Column('odoo_synced_at', db.base.UTCDateTime(timezone=True), nullable=True))
    op.create_table(
        'odoo_watermark',
        sa.Column('model', sa.String(length=60), nullable=False),
        sa.Column('write_date', sa.String(length=19), nullable=True),
        sa.Column('last_id', sa.BigInteger(), nullable=False),
        sa.Column('updated_at', db.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('model', name=op.f('pk_odoo_watermark')),
    )
    op.create_table(
        'odoo_sync_run',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('dry_run', sa.Boolean(), nullable=False),
        sa.Column('url', sa.String(length=255), nullable=False),
        sa.Column('database', sa.String(length=80), nullable=False),
        sa.Column('login', sa.String(length=80), nullable=False),
        sa.Column('models', sa.JSON(), nullable=True),
        sa.Column('requested_by', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
        sa.Column('created_at', db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('started_at', db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column('finished_at', db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column('heartbeat_at', db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column('counts', sa.JSON(), nullable=True),
        sa.Column('rejections', sa.JSON(), nullable=True),
        sa.Column('rejected_total', sa.Integer(), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_odoo_sync_run')),
    )


def downgrade() -> None:
    op.drop_table('odoo_sync_run')
    op.drop_table('odoo_watermark')
    for table in SYNCED:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column('odoo_synced_at')
    for table in (*SYNCED, *KEYED):
        op.drop_index(f'ix_{table}_odoo_id', table_name=table)
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column('odoo_id')
