"""The PCA counts by reason of an extracted QOF count (NHS England's INDICATOR_VALUES layout gives them).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain JSON (not JSONB): the same column type on SQLite and PostgreSQL; it is only read back whole.
    with op.batch_alter_table('achievement_counts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pca_reasons', sa.JSON(none_as_null=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('achievement_counts', schema=None) as batch_op:
        batch_op.drop_column('pca_reasons')
