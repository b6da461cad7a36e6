"""Drop the practice indexes of achievement_counts and calculated_results: each table's unique key starts
with practice_id, so the second index only cost every bulk write (a national month is 830,000 rows).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 16:10:00
"""

from __future__ import annotations

from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index('ix_achievement_counts_practice_id', table_name='achievement_counts')
    op.drop_index('ix_calculated_results_practice_id', table_name='calculated_results')


def downgrade() -> None:
    op.create_index('ix_calculated_results_practice_id', 'calculated_results', ['practice_id'])
    op.create_index('ix_achievement_counts_practice_id', 'achievement_counts', ['practice_id'])
