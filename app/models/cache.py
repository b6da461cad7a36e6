"""Records carried by the central service's change feed, and the feed cursor per practice.

The feed sends ``{"type", "id", "deleted", "data"}`` entries per practice. Every type (practice,
service, offer, rules_version, achievement, result, manual_entry, declaration, timetable_event,
benchmark, user, role, and any type a newer server adds) is kept the same way: one row per
(practice, type, id) holding the server's JSON, so a new record type needs no schema change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow


class CachedRecord(Base):
    __tablename__ = "cached_records"

    practice: Mapped[str] = mapped_column(String(16), primary_key=True)  # ODS code
    record_type: Mapped[str] = mapped_column("type", String(40), primary_key=True)
    record_id: Mapped[str] = mapped_column("id", String(200), primary_key=True)
    data: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<CachedRecord {self.practice} {self.record_type} {self.record_id}>"


class SyncState(Base):
    """Where the pull for one practice has got to. ``cursor`` is the server's opaque ``next`` value."""

    __tablename__ = "sync_state"

    practice: Mapped[str] = mapped_column(String(16), primary_key=True)
    cursor: Mapped[str | None] = mapped_column(String(100))
    last_sync_at: Mapped[datetime | None]  # end of the last sync that completed
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
