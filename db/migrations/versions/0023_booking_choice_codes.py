"""Booking reason-to-come and carrier relation as stable codes (PHONE_REMINDER, SELF...), shown through
the catalogue in the reader's language; the Indonesian texts stored so far become their codes. A text
that is in neither list stays as it was (the screens show it as it is).

The lists are copied here, not imported: a migration keeps meaning what it meant when it was written.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

# column -> {code: (the text the screens stored, other spellings seen in the data)}
_CODES: dict[str, dict[str, tuple[str, ...]]] = {
    'reason_to_come': {
        'PHONE_REMINDER': ('Telp Reminder', 'Telepon Reminder'), 'WA_REMINDER': ('WA Reminder',),
        'SMS_REMINDER': ('SMS Reminder',), 'OWN_INITIATIVE': ('Inisiatif sendiri',),
        'SERVICE_VISIT': ('Servis kunjung',), 'OTHER': ('Lainnya',)},
    'carrier_relation': {
        'SELF': ('Sendiri',), 'FAMILY': ('Keluarga',), 'FRIEND': ('Teman',), 'EMPLOYEE': ('Karyawan',),
        'OTHER': ('Lainnya',)},
}

_booking = sa.table('booking', sa.column('reason_to_come', sa.String), sa.column('carrier_relation', sa.String))


def upgrade() -> None:
    for column, codes in _CODES.items():
        col = _booking.c[column]
        for code, texts in codes.items():
            op.execute(_booking.update().where(sa.func.lower(sa.func.trim(col)).in_([t.lower() for t in texts]))
                       .values({column: code}))


def downgrade() -> None:
    for column, codes in _CODES.items():
        col = _booking.c[column]
        for code, texts in codes.items():
            op.execute(_booking.update().where(col == code).values({column: texts[0]}))
