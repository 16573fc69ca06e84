"""intake jobs: background imports with resume; DGI pull state

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 03:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import db.base

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('import_job',
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('path', sa.String(length=500), nullable=False),
    sa.Column('mapping', sa.JSON(), nullable=False),
    sa.Column('branch_id', ID, nullable=True),
    sa.Column('user_id', ID, nullable=True),
    sa.Column('month_first', sa.Boolean(), nullable=False),
    sa.Column('batch_size', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('queued', 'running', 'done', 'failed', name='importstate', native_enum=False,
                               length=20), nullable=False),
    sa.Column('worker', sa.String(length=80), nullable=True),
    sa.Column('heartbeat_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('total_rows', sa.Integer(), nullable=True),
    sa.Column('rows_done', sa.Integer(), nullable=False),
    sa.Column('batches_done', sa.Integer(), nullable=False),
    sa.Column('created', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('unchanged', sa.Integer(), nullable=False),
    sa.Column('rejected_rows', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.ForeignKeyConstraint(['branch_id'], ['branch.id'], name=op.f('fk_import_job_branch_id_branch')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_import_job_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_job'))
    )
    op.create_index('ix_import_job_state', 'import_job', ['state', 'heartbeat_at'], unique=False)
    op.create_index('ix_import_job_user', 'import_job', ['user_id', 'created_at'], unique=False)
    op.create_table('import_rejection',
    sa.Column('job_id', ID, nullable=False),
    sa.Column('row', sa.Integer(), nullable=False),
    sa.Column('column', sa.String(length=200), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['import_job.id'], name=op.f('fk_import_rejection_job_id_import_job'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_rejection'))
    )
    op.create_index('ix_import_rejection_job_row', 'import_rejection', ['job_id', 'row'], unique=False)
    # The import row a sale was last stored from (core.intake_hash): re-imports skip unchanged rows.
    op.add_column('sale', sa.Column('row_hash', sa.BigInteger(), nullable=True))
    op.create_index('ix_sale_row_hash', 'sale', ['row_hash'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_sale_row_hash', table_name='sale')
    with op.batch_alter_table('sale') as batch:
        batch.drop_column('row_hash')
    op.drop_index('ix_import_rejection_job_row', table_name='import_rejection')
    op.drop_table('import_rejection')
    op.drop_index('ix_import_job_user', table_name='import_job')
    op.drop_index('ix_import_job_state', table_name='import_job')
    op.drop_table('import_job')
