"""messaging: templates, channels, outbox, delivery events

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 03:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import db.base

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('message_template',
    sa.Column('branch_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('wa_template', sa.String(length=80), nullable=True),
    sa.Column('wa_category', sa.String(length=20), nullable=False),
    sa.Column('updated_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_by', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.ForeignKeyConstraint(['branch_id'], ['branch.id'], name=op.f('fk_message_template_branch_id_branch'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by'], ['app_user.id'], name=op.f('fk_message_template_updated_by_app_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_template')),
    sa.UniqueConstraint('branch_id', 'kind', name=op.f('uq_message_template_branch_id_kind'))
    )
    op.create_table('messaging_config',
    sa.Column('branch_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('channels', sa.JSON(), nullable=False),
    sa.Column('send_start', sa.String(length=5), nullable=False),
    sa.Column('send_end', sa.String(length=5), nullable=False),
    sa.Column('cap_messages', sa.Integer(), nullable=False),
    sa.Column('cap_days', sa.Integer(), nullable=False),
    sa.Column('wa_phone_number_id', sa.String(length=40), nullable=True),
    sa.Column('booking_link', sa.String(length=200), nullable=True),
    sa.Column('cost_whatsapp', sa.Integer(), nullable=False),
    sa.Column('cost_sms', sa.Integer(), nullable=False),
    sa.Column('updated_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_by', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.ForeignKeyConstraint(['branch_id'], ['branch.id'], name=op.f('fk_messaging_config_branch_id_branch'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by'], ['app_user.id'], name=op.f('fk_messaging_config_updated_by_app_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_messaging_config')),
    sa.UniqueConstraint('branch_id', name=op.f('uq_messaging_config_branch_id'))
    )
    op.create_table('outbox_message',
    sa.Column('branch_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('idem_key', sa.String(length=60), nullable=False),
    sa.Column('touch_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('lead_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('to_phone', sa.String(length=16), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('wa_template', sa.String(length=80), nullable=True),
    sa.Column('wa_category', sa.String(length=20), nullable=True),
    sa.Column('wa_sender', sa.String(length=40), nullable=True),
    sa.Column('params', sa.JSON(), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('lease_until', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('claimed_by', sa.String(length=80), nullable=True),
    sa.Column('provider_id', sa.String(length=120), nullable=True),
    sa.Column('error_code', sa.String(length=40), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('cost', sa.Integer(), nullable=False),
    sa.Column('outcome_logged', sa.String(length=20), nullable=True),
    sa.Column('created_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('read_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('failed_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.ForeignKeyConstraint(['branch_id'], ['branch.id'], name=op.f('fk_outbox_message_branch_id_branch')),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_outbox_message_customer_id_customer')),
    sa.ForeignKeyConstraint(['touch_id'], ['touch.id'], name=op.f('fk_outbox_message_touch_id_touch'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_message')),
    sa.UniqueConstraint('idem_key', name=op.f('uq_outbox_message_idem_key'))
    )
    op.create_index('ix_outbox_message_branch_created', 'outbox_message', ['branch_id', 'created_at'], unique=False)
    op.create_index('ix_outbox_message_customer_created', 'outbox_message', ['customer_id', 'created_at'], unique=False)
    op.create_index('ix_outbox_message_provider_id', 'outbox_message', ['provider_id'], unique=False)
    op.create_index('ix_outbox_message_state_next', 'outbox_message', ['state', 'next_attempt_at'], unique=False)
    op.create_index('ix_outbox_message_touch', 'outbox_message', ['touch_id'], unique=False)
    op.create_table('message_event',
    sa.Column('event_key', sa.String(length=200), nullable=False),
    sa.Column('direction', sa.String(length=10), nullable=False),
    sa.Column('provider', sa.String(length=20), nullable=False),
    sa.Column('provider_id', sa.String(length=120), nullable=True),
    sa.Column('outbox_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('branch_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('lead_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=True),
    sa.Column('error_code', sa.String(length=40), nullable=True),
    sa.Column('from_phone', sa.String(length=16), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('received_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.ForeignKeyConstraint(['branch_id'], ['branch.id'], name=op.f('fk_message_event_branch_id_branch'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_message_event_customer_id_customer'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['outbox_id'], ['outbox_message.id'], name=op.f('fk_message_event_outbox_id_outbox_message'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_event')),
    sa.UniqueConstraint('event_key', name=op.f('uq_message_event_event_key'))
    )
    op.create_index('ix_message_event_branch_at', 'message_event', ['branch_id', 'at'], unique=False)
    op.create_index('ix_message_event_customer_at', 'message_event', ['customer_id', 'at'], unique=False)
    op.create_index('ix_message_event_lead_at', 'message_event', ['lead_id', 'at'], unique=False)


def downgrade() -> None:
    op.drop_table('message_event')
    op.drop_table('outbox_message')
    op.drop_table('messaging_config')
    op.drop_table('message_template')
