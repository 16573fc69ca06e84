"""Process heartbeats: every app process and worker says when it was last alive

With several app processes and workers on more than one machine, a worker that died quietly is only
noticed when imports stop moving; each process now writes its row every few seconds and head office's
health page lists them (core.platform.heartbeat).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 15:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import db.base

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'process_beat',
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('host', sa.String(length=80), nullable=False),
        sa.Column('pid', sa.Integer(), nullable=False),
        sa.Column('detail', sa.String(length=200), nullable=True),
        sa.Column('started_at', db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('beat_at', db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('stopped_at', db.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_process_beat')),
    )


def downgrade() -> None:
    op.drop_table('process_beat')
