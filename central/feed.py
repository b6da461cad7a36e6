"""The sync feed: every change a practice may see, numbered by a global, increasing ``seq``.

Writers call :func:`publish` inside the transaction that makes the change, so the feed row commits
with it. Rows commit in ``seq`` order: SQLite writers hold the database's write lock from BEGIN
(see central.db) and PostgreSQL writers take a transaction-scoped advisory lock here, so a client
resuming from any cursor never skips a change committed later with a smaller number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select, text
from sqlalchemy.orm import Session

# Record type names are the desktop's too: defined once in app.services.record_types.
from app.services.record_types import (
    ACHIEVEMENT,
    ADMIN_ONLY_TYPES,
    BENCHMARK,
    DECLARATION,
    MANUAL_ENTRY,
    OFFER,
    PRACTICE,
    RESULT,
    RULES,
    TIMETABLE_EVENT,
    USER,
)
from central.models import Change
from central.money import without_money as without_money  # £ is stripped per caller by central.money

__all__ = ["ACHIEVEMENT", "ADMIN_ONLY_TYPES", "BENCHMARK", "DECLARATION", "MANUAL_ENTRY", "OFFER", "PRACTICE",
           "RESULT", "RULES", "TIMETABLE_EVENT", "USER", "Page", "page", "publish", "without_money"]

MAX_LIMIT = 1000
_PG_FEED_LOCK = 7_240_002


@dataclass(frozen=True)
class Page:
    changes: list[dict[str, Any]]
    next: int
    more: bool

    def as_json(self) -> dict[str, Any]:
        return {"changes": self.changes, "next": self.next, "more": self.more}


def publish(session: Session, practice_id: int | None, type: str, id: object, data: dict[str, Any] | None,
            deleted: bool = False) -> Change:
    """Append a change for ``practice_id`` (None: for every practice) in the caller's transaction."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_FEED_LOCK})
    change = Change(practice_id=practice_id, type=type, entity_id=str(id), deleted=deleted,
                    data=None if deleted else data, created_at=datetime.now(UTC))
    session.add(change)
    session.flush()
    return change


def page(session: Session, practice_id: int, since: int, limit: int, *, include_admin: bool) -> Page:
    """Changes after ``since`` for a practice; ``next`` is the cursor to pass as ``since`` next time."""
    limit = max(1, min(limit, MAX_LIMIT))
    query = (select(Change)
             .where(Change.seq > since, or_(Change.practice_id == practice_id, Change.practice_id.is_(None)))
             .order_by(Change.seq).limit(limit + 1))
    if not include_admin:
        query = query.where(Change.type.not_in(ADMIN_ONLY_TYPES))
    rows = list(session.scalars(query))
    more = len(rows) > limit
    rows = rows[:limit]
    changes = [{"seq": r.seq, "type": r.type, "id": r.entity_id, "deleted": r.deleted, "data": r.data}
               for r in rows]
    return Page(changes, rows[-1].seq if rows else since, more)
