"""Intake speed: the sale row-hash index covers the re-import's freshness check

The re-import asks, per chunk, which row hashes sit on a sale still as its row left it; with the sale's
vehicle, customer, updated_at and branch in the index that probe never reads the sale table itself.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-27 07:10:00
"""

from __future__ import annotations

from alembic import op

import db.base  # noqa: F401

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index('ix_sale_row_hash', table_name='sale')
    op.create_index('ix_sale_row_hash_fresh', 'sale',
                    ['row_hash', 'vehicle_id', 'customer_id', 'updated_at', 'branch_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_sale_row_hash_fresh', table_name='sale')
    op.create_index('ix_sale_row_hash', 'sale', ['row_hash'], unique=False)
