"""The sync feed: every change a practice may see, numbered by a global, increasing ``seq``.

Writers call :func:`publish` inside the transaction that makes the change, so the feed row commits
with it. Rows commit in ``seq`` order: SQLite writers hold the database's write lock from BEGIN
(see central.db) and PostgreSQL writers take a transaction-scoped advisory lock here, so a client
resuming from any cursor never skips a change committed later with a smaller number.

A page carries a *view tag* (:func:`view_tag`, sent as the answer's ``ETag``): it names the point the
page brings the caller to (practice, cursor) and everything that decides what this caller is shown
there (their roles, so whether users and £ are included, and their profile's tag). A client that sends
it back as ``If-None-Match`` with that cursor gets ``304 Not Modified`` only when there is nothing new
for it *and* nothing about what it may see has changed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, bindparam, or_, select, text
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
from central.money import may_see_money
from central.money import without_money as without_money  # £ is stripped per caller by central.money

__all__ = ["ACHIEVEMENT", "ADMIN_ONLY_TYPES", "BENCHMARK", "DECLARATION", "MANUAL_ENTRY", "OFFER", "PRACTICE",
           "RESULT", "RULES", "TIMETABLE_EVENT", "USER", "Page", "matches", "page", "publish", "view_tag",
           "without_money"]

MAX_LIMIT = 1000
VIEW_VERSION = 1  # bump when what a role set is shown changes (types, £ fields): every tag changes with it
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
    query = _PAGE_WITH_ADMIN if include_admin else _PAGE
    rows = list(session.scalars(query, {"practice_id": practice_id, "since": since, "fetch": limit + 1}))
    more = len(rows) > limit
    rows = rows[:limit]
    changes = [{"seq": r.seq, "type": r.type, "id": r.entity_id, "deleted": r.deleted, "data": r.data}
               for r in rows]
    return Page(changes, rows[-1].seq if rows else since, more)


def _page_query(include_admin: bool) -> Select[tuple[Change]]:
    # Built once with bound values: building a statement costs more than running this one.
    practice_id = bindparam("practice_id")
    query = (select(Change)
             .where(Change.seq > bindparam("since"),
                    or_(Change.practice_id == practice_id, Change.practice_id.is_(None)))
             .order_by(Change.seq).limit(bindparam("fetch")))
    return query if include_admin else query.where(Change.type.not_in(ADMIN_ONLY_TYPES))


_PAGE, _PAGE_WITH_ADMIN = _page_query(False), _page_query(True)


def view_tag(practice_id: int, cursor: int, user_id: int, roles: Iterable[str], include_admin: bool,
             profile_tag: str) -> str:
    """The weak ETag of the feed at ``cursor`` as this caller sees it (see the module's notes)."""
    held = sorted(roles)
    parts = [VIEW_VERSION, practice_id, cursor, user_id, held, include_admin,
             may_see_money([frozenset(held)]), profile_tag]
    digest = hashlib.sha256(json.dumps(parts, separators=(",", ":")).encode("utf-8")).hexdigest()
    return f'W/"{digest[:40]}"'


def matches(if_none_match: str | None, tag: str) -> bool:
    """True when ``If-None-Match`` names ``tag`` (weak comparison). ``*`` never matches: a 304 is only
    for a client that shows the tag of what it holds."""
    if not if_none_match:
        return False
    opaque = tag.removeprefix("W/")
    return any(candidate.strip().removeprefix("W/") == opaque for candidate in if_none_match.split(","))
