"""Who queued each outbox item: only that person's session sends it.

Revision ID: 0003_outbox_owner
Revises: 0002_outbox
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_outbox_owner"
down_revision = "0002_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Items queued before this revision truly have no owner (nobody recorded who queued them): they stay
    # owner-less, and an item without an owner is never sent, so none goes in the wrong person's name.
    op.add_column("outbox", sa.Column("owner", sa.String(254), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("owner")
