"""Outbox of queued writes and manual-entry drafts.

Revision ID: 0002_outbox
Revises: 0001_cache
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_outbox"
down_revision = "0001_cache"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(36), nullable=False),
        sa.Column("practice", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("method", sa.String(8), nullable=False),
        sa.Column("path", sa.String(500), nullable=False),
        sa.Column("body", sa.JSON(), nullable=True),
        sa.Column("if_match", sa.String(100), nullable=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("server_message", sa.Text(), nullable=True),
        sa.Column("server_copy", sa.JSON(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("key", name="uq_outbox_key"),
    )
    op.create_index("ix_outbox_practice", "outbox", ["practice"])
    op.create_index("ix_outbox_status_id", "outbox", ["status", "id"])
    op.create_table(
        "drafts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("practice", sa.String(16), nullable=False),
        sa.Column("service", sa.String(40), nullable=False),
        sa.Column("achievement_date", sa.Date(), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_drafts"),
        sa.UniqueConstraint("practice", "service", "achievement_date", name="uq_drafts_practice"),
    )


def downgrade() -> None:
    op.drop_table("drafts")
    op.drop_index("ix_outbox_status_id", table_name="outbox")
    op.drop_index("ix_outbox_practice", table_name="outbox")
    op.drop_table("outbox")
