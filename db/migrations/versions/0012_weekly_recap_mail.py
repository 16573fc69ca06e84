"""Weekly recap e-mail: the send log (one row per recipient, branch or head office, and week)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-27 07:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import db.base

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    bigid = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
    op.create_table('recap_mail',
    sa.Column('dedup_key', sa.String(length=60), nullable=False),
    sa.Column('week', sa.Date(), nullable=False),
    sa.Column('branch_id', bigid, nullable=True),
    sa.Column('user_id', bigid, nullable=True),
    sa.Column('email', sa.String(length=120), nullable=True),
    sa.Column('lang', sa.String(length=2), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('lease_until', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('claimed_by', sa.String(length=80), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('id', bigid, autoincrement=True, nullable=False),
    sa.ForeignKeyConstraint(['branch_id'], ['branch.id'], name=op.f('fk_recap_mail_branch_id_branch'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_recap_mail_user_id_app_user'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recap_mail')),
    sa.UniqueConstraint('dedup_key', name=op.f('uq_recap_mail_dedup_key'))
    )
    with op.batch_alter_table('recap_mail', schema=None) as batch_op:
        batch_op.create_index('ix_recap_mail_state_next', ['state', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_recap_mail_branch_latest', ['branch_id', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('recap_mail', schema=None) as batch_op:
        batch_op.drop_index('ix_recap_mail_branch_latest')
        batch_op.drop_index('ix_recap_mail_state_next')
    op.drop_table('recap_mail')
