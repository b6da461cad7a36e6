"""Writes waiting to go to the central service (the outbox), and manual-entry drafts.

An outbox item is stored before any network call, so it survives being offline, a crash or a restart.
Its ``key`` is sent as the ``Idempotency-Key`` header: replaying an item already applied by the
server returns the first result instead of applying it twice.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow


class OutboxStatus(StrEnum):
    QUEUED = "queued"  # waiting to be sent
    SENDING = "sending"  # handed to the sync engine; back to queued if the send did not finish
    SENT = "sent"
    CONFLICT = "conflict"  # the server had a newer version (409); both versions are kept
    FAILED = "failed"  # the server refused it (e.g. 422); kept with the server's message


class OutboxItem(Base):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_id", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)  # send order
    key: Mapped[str] = mapped_column(String(36), unique=True)  # uuid4, the Idempotency-Key
    practice: Mapped[str] = mapped_column(String(16), index=True)
    kind: Mapped[str] = mapped_column(String(40))  # e.g. manual_entry, declaration, offer_response
    # The email of the person who queued it: only their session sends it, so it goes in their name.
    owner: Mapped[str | None] = mapped_column(String(254))
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(500))
    body: Mapped[dict[str, Any] | None]
    if_match: Mapped[str | None] = mapped_column(String(100))  # version being amended, or None
    status: Mapped[str] = mapped_column(String(10), default=OutboxStatus.QUEUED.value)
    server_message: Mapped[str | None] = mapped_column(Text)
    server_copy: Mapped[dict[str, Any] | None]  # the server's current record after a conflict
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Draft(Base):
    """Manual-entry values being prepared (offline) for one service and achievement date."""

    __tablename__ = "drafts"
    __table_args__ = (UniqueConstraint("practice", "service", "achievement_date"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    practice: Mapped[str] = mapped_column(String(16))
    service: Mapped[str] = mapped_column(String(40))
    achievement_date: Mapped[date]
    values: Mapped[dict[str, Any]]
    notes: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
