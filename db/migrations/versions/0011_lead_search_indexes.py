"""Lead list search: the branch's newest-first index carries the list's filters and searched columns

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27 07:10:00
"""

from __future__ import annotations

from alembic import op

import db.base  # noqa: F401

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

BRANCH_CREATED_SEARCH = ['branch_id', 'created_at', 'id', 'stage', 'kpb_number', 'contact_name', 'number', 'phone',
                         'plate', 'engine_no']


def upgrade() -> None:
    # Created before the old one is dropped, so the lead list keeps an index while this runs.
    op.create_index('ix_lead_branch_created_search', 'lead', BRANCH_CREATED_SEARCH, unique=False)
    op.drop_index('ix_lead_branch_created', table_name='lead')


def downgrade() -> None:
    op.create_index('ix_lead_branch_created', 'lead', ['branch_id', 'created_at'], unique=False)
    op.drop_index('ix_lead_branch_created_search', table_name='lead')
