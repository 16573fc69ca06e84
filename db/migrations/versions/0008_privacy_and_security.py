"""privacy and security: consent records, audit search indexes

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 03:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import db.base

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'consent_record',
        sa.Column('branch_id', _ID, nullable=False),
        sa.Column('customer_id', _ID, nullable=False),
        sa.Column('purpose', sa.String(length=20), nullable=False),
        sa.Column('granted', sa.Boolean(), nullable=False),
        sa.Column('channel', sa.String(length=40), nullable=False),
        sa.Column('proof', sa.Text(), nullable=False),
        sa.Column('at', db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('by_user_id', _ID, nullable=True),
        sa.Column('recorded_at', db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('id', _ID, autoincrement=True, nullable=False),
        sa.ForeignKeyConstraint(['branch_id'], ['branch.id'], name=op.f('fk_consent_record_branch_id_branch')),
        sa.ForeignKeyConstraint(['by_user_id'], ['app_user.id'], ondelete='SET NULL',
                                name=op.f('fk_consent_record_by_user_id_app_user')),
        sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ondelete='CASCADE',
                                name=op.f('fk_consent_record_customer_id_customer')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_record')),
    )
    with op.batch_alter_table('consent_record', schema=None) as batch_op:
        batch_op.create_index('ix_consent_record_customer_at', ['customer_id', 'at'], unique=False)
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_object', ['object_type', 'object_id'], unique=False)
        batch_op.create_index('ix_audit_log_user_at', ['user_id', 'at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_user_at')
        batch_op.drop_index('ix_audit_log_object')
    with op.batch_alter_table('consent_record', schema=None) as batch_op:
        batch_op.drop_index('ix_consent_record_customer_at')
    op.drop_table('consent_record')
