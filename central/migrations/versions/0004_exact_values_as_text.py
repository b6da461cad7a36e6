"""Exact points and £ are stored as text of any length: an exact fraction's numerator and denominator can
run to hundreds of digits (SQLite never enforced the old 40-character limit; PostgreSQL does).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 14:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

COLUMNS = {'calculated_results': ('points', 'payment'), 'declarations': ('points', 'payment')}


def upgrade() -> None:
    for table, names in COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name in names:
                batch_op.alter_column(name, existing_type=sa.String(length=40), type_=sa.Text(),
                                      existing_nullable=False)


def downgrade() -> None:
    for table, names in COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name in names:
                batch_op.alter_column(name, existing_type=sa.Text(), type_=sa.String(length=40),
                                      existing_nullable=False)
