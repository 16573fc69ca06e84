"""reports: export jobs and pre-aggregated chart tables

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 03:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import db.base

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    bigid = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
    op.create_table('export_job',
    sa.Column('user_id', bigid, nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('fmt', sa.String(length=4), nullable=False),
    sa.Column('filter', sa.JSON(), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done_rows', sa.Integer(), nullable=False),
    sa.Column('path', sa.String(length=500), nullable=True),
    sa.Column('file_name', sa.String(length=120), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('worker', sa.String(length=80), nullable=True),
    sa.Column('created_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('heartbeat_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('expires_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('id', bigid, autoincrement=True, nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_export_job_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_export_job'))
    )
    with op.batch_alter_table('export_job', schema=None) as batch_op:
        batch_op.create_index('ix_export_job_user_created', ['user_id', 'created_at'], unique=False)
        batch_op.create_index('ix_export_job_state', ['state'], unique=False)

    op.create_table('report_daily',
    sa.Column('metric', sa.String(length=20), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('branch_id', bigid, nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['branch_id'], ['branch.id'], name=op.f('fk_report_daily_branch_id_branch')),
    sa.PrimaryKeyConstraint('metric', 'day', 'branch_id', 'key', name=op.f('pk_report_daily'))
    )
    op.create_table('report_refresh',
    sa.Column('name', sa.String(length=20), nullable=False),
    sa.Column('refreshed_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('watermark', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('note', sa.String(length=255), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_report_refresh'))
    )
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.create_index('ix_lead_updated', ['updated_at'], unique=False)
        batch_op.create_index('ix_lead_created', ['created_at'], unique=False)
    with op.batch_alter_table('followup', schema=None) as batch_op:
        batch_op.create_index('ix_followup_created', ['created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('followup', schema=None) as batch_op:
        batch_op.drop_index('ix_followup_created')
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.drop_index('ix_lead_updated')
        batch_op.drop_index('ix_lead_created')
    op.drop_table('report_refresh')
    op.drop_table('report_daily')
    with op.batch_alter_table('export_job', schema=None) as batch_op:
        batch_op.drop_index('ix_export_job_state')
        batch_op.drop_index('ix_export_job_user_created')
    op.drop_table('export_job')
