"""Login cookie: the re-login cookie bound to its server-side session

Logout must end the login, cookie included: the session row keeps the hash of its cookie's secret and
the one-time ticket the page swaps for it (core.login_cookie), so revoking the session revokes the
cookie. Sessions opened before this revision have no cookie of ours: their users log in once more.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 19:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import db.base

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('auth_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cookie_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('cookie_ticket_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('cookie_ticket_expires_at', db.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint('uq_auth_session_cookie_hash', ['cookie_hash'])
        batch_op.create_index('ix_auth_session_cookie_ticket_hash', ['cookie_ticket_hash'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('auth_session', schema=None) as batch_op:
        batch_op.drop_index('ix_auth_session_cookie_ticket_hash')
        batch_op.drop_constraint('uq_auth_session_cookie_hash', type_='unique')
        batch_op.drop_column('cookie_ticket_expires_at')
        batch_op.drop_column('cookie_ticket_hash')
        batch_op.drop_column('cookie_hash')
