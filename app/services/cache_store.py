"""The local cache as the sync engine and the views see it: plain dicts in, plain dicts out.

ORM objects never leave this module. Each feed page is applied together with its cursor in ONE
transaction, so a crash or a bad entry leaves the cache at the end of the previous page and the next
sync resumes from there: nothing is skipped and nothing is applied twice.

The server's ETag for the cursor is kept beside it, in the same transaction, as a record of the reserved
type ``_sync`` (no feed type starts with "_", and none may: such an entry refuses the page). It is
dropped with the practice, and every reader here leaves it out.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, bindparam, delete, func, select, tuple_
from sqlalchemy.dialects.sqlite import insert

from app.models import database
from app.models.base import utcnow
from app.models.cache import CachedRecord, SyncState
from app.models.database import session_scope

RESERVED = "_sync"  # the record type holding this module's own bookkeeping
_ETAG = "etag"
# A sync that changed nothing writes its time only when the stored one is older than this; the newer
# time is kept in memory meanwhile (and sync_info reports it), so only a crash could lose it, and then
# the stored time shown is at most this much earlier than the real one, never later.
SYNCED_WRITTEN_EVERY = timedelta(seconds=30)
_synced: dict[tuple[str, str], tuple[datetime, datetime]] = {}  # (cache, practice) -> (latest, stored)
_synced_lock = threading.Lock()


class FeedError(ValueError):
    """A feed entry that cannot be applied; the whole page is refused."""


@dataclass(frozen=True)
class PageResult:
    upserted: int
    deleted: int


@dataclass(frozen=True)
class SyncInfo:
    practice: str
    cursor: str | None
    last_sync_at: datetime | None


def _check_change(index: int, change: Any) -> tuple[str, str, bool, dict[str, Any] | None]:
    """Validate one ``{"type", "id", "deleted", "data"}`` entry before anything is written."""
    if not isinstance(change, Mapping):
        raise FeedError(f"entry {index} is not an object")
    kind, record_id, deleted, data = (change.get(k) for k in ("type", "id", "deleted", "data"))
    if not isinstance(kind, str) or not kind:
        raise FeedError(f"entry {index} has no type")
    if kind.startswith("_"):
        raise FeedError(f"entry {index} has the reserved type {kind!r}")
    if isinstance(record_id, bool) or not isinstance(record_id, str | int) or record_id == "":
        raise FeedError(f"entry {index} ({kind}) has no id")
    deleted = bool(deleted)
    if not deleted and not isinstance(data, Mapping):
        raise FeedError(f"entry {index} ({kind} {record_id}) has no data")
    return kind, str(record_id), deleted, dict(data) if data is not None else None


def apply_feed_page(practice: str, changes: Iterable[Mapping[str, Any]], next_cursor: str | int | None,
                    etag: str | None = None) -> PageResult:
    """Upsert or delete every change for ``practice`` and store ``next_cursor`` (and the answer's ``etag``,
    or none), all in one transaction: one statement for the upserts, one for the deletions.

    Raises FeedError (and changes nothing, cursor included) if any entry is malformed.
    """
    checked = [_check_change(index, change) for index, change in enumerate(changes)]
    latest: dict[tuple[str, str], dict[str, Any] | None] = {}
    for kind, record_id, is_deleted, data in checked:  # a later entry for the same record wins
        latest.pop((kind, record_id), None)
        latest[(kind, record_id)] = None if is_deleted else data
    deleted = sum(1 for _, _, is_deleted, _ in checked if is_deleted)
    with session_scope() as session:
        now = utcnow()
        gone = [key for key, data in latest.items() if data is None]
        if etag is None:
            gone.append((RESERVED, _ETAG))
        if gone:
            session.execute(delete(CachedRecord).where(
                CachedRecord.practice == practice,
                tuple_(CachedRecord.record_type, CachedRecord.record_id).in_(gone)))
        rows = [{"practice": practice, "record_type": kind, "record_id": record_id, "data": data,
                 "updated_at": now} for (kind, record_id), data in latest.items() if data is not None]
        if etag is not None:
            rows.append({"practice": practice, "record_type": RESERVED, "record_id": _ETAG,
                         "data": {"etag": etag}, "updated_at": now})
        if rows:
            statement = insert(CachedRecord)
            session.execute(statement.on_conflict_do_update(
                index_elements=["practice", "type", "id"],
                set_={"data": statement.excluded.data, "updated_at": statement.excluded.updated_at}), rows)
        cursor = str(next_cursor) if next_cursor is not None else None
        statement = insert(SyncState).values(practice=practice, cursor=cursor, updated_at=now)
        session.execute(statement.on_conflict_do_update(
            index_elements=["practice"], set_={"cursor": cursor, "updated_at": now}))
    return PageResult(len(checked) - deleted, deleted)


def feed_position(practice: str) -> tuple[str | None, str | None]:
    """The cursor to resume from and the ETag the server gave with it (either may be None)."""
    with session_scope() as session:
        row = session.execute(_POSITION, {"practice": practice}).first()
    if row is None:
        return None, None
    cursor, data = row
    etag = data.get("etag") if isinstance(data, dict) else None
    return cursor, etag if isinstance(etag, str) and cursor is not None else None


def _position_query() -> Select[tuple[str | None, Any]]:
    # Built once with a bound practice: every sync reads it, and building costs more than running it.
    practice = bindparam("practice")
    etag = (select(CachedRecord.data).where(CachedRecord.practice == practice,
                                            CachedRecord.record_type == RESERVED,
                                            CachedRecord.record_id == _ETAG).scalar_subquery())
    return select(SyncState.cursor, etag).where(SyncState.practice == practice)


_POSITION = _position_query()


def cursor(practice: str) -> str | None:
    """The feed cursor to resume from (pass it back as ``since``), or None to start from the beginning."""
    with session_scope() as session:
        return session.scalar(select(SyncState.cursor).where(SyncState.practice == practice))


def mark_synced(practice: str, when: datetime | None = None, *, changed: bool = True) -> None:
    """Record the end of a successful sync (shown in the status bar as 'last sync').

    With ``changed`` False (the sync brought nothing new) the time is written only every
    ``SYNCED_WRITTEN_EVERY``; ``sync_info`` reports the latest time either way.
    """
    when = _aware(when or utcnow())
    key = (_cache_name(), practice)
    with _synced_lock:
        kept = _synced.get(key)
        if not changed and kept is not None and kept[1] <= when < kept[1] + SYNCED_WRITTEN_EVERY:
            _synced[key] = (max(kept[0], when), kept[1])
            return
    with session_scope() as session:
        session.execute(_MARK_SYNCED, {"practice": practice, "when": when})
    with _synced_lock:
        _synced[key] = (when, when)


def _mark_synced_statement() -> Any:
    when = bindparam("when")
    statement = insert(SyncState).values(practice=bindparam("practice"), last_sync_at=when, updated_at=when)
    return statement.on_conflict_do_update(index_elements=["practice"],
                                           set_={"last_sync_at": when, "updated_at": when})


_MARK_SYNCED = _mark_synced_statement()


def _cache_name() -> str:
    """Which person's cache is open (each has its own file): times kept in memory are kept per cache."""
    return str(database.engine().url)


def sync_info(practice: str) -> SyncInfo:
    with session_scope() as session:
        state = session.get(SyncState, practice)
        if state is None:
            return SyncInfo(practice, None, None)
        stored = state.last_sync_at
        cursor = state.cursor
    with _synced_lock:
        kept = _synced.get((_cache_name(), practice))
    if kept is not None and stored is not None and kept[0] > _aware(stored):
        return SyncInfo(practice, cursor, kept[0])
    return SyncInfo(practice, cursor, stored)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def known_practices() -> list[str]:
    """ODS codes the cache holds anything for, sorted."""
    with session_scope() as session:
        synced = set(session.scalars(select(SyncState.practice)))
        ours = select(CachedRecord.practice).where(CachedRecord.record_type != RESERVED).distinct()
        synced.update(session.scalars(ours))
        return sorted(synced)


def records(practice: str, record_type: str) -> list[dict[str, Any]]:
    """Every cached record of one type for a practice, as fresh dicts (ordered by id).

    Each dict is the server's ``data`` with ``"id"`` filled in from the feed entry if it had none.
    """
    with session_scope() as session:
        rows = session.execute(
            select(CachedRecord.record_id, CachedRecord.data)
            .where(CachedRecord.practice == practice, CachedRecord.record_type == record_type)
            .order_by(CachedRecord.record_id))
        return [{"id": record_id, **data} if "id" not in data else dict(data) for record_id, data in rows]


def record(practice: str, record_type: str, record_id: str | int) -> dict[str, Any] | None:
    """One cached record, or None."""
    with session_scope() as session:
        row = session.get(CachedRecord, (practice, record_type, str(record_id)))
        if row is None:
            return None
        return {"id": row.record_id, **row.data} if "id" not in row.data else dict(row.data)


def counts(practice: str) -> dict[str, int]:
    """How many records of each type the cache holds for a practice (diagnostics, empty states)."""
    with session_scope() as session:
        rows = session.execute(
            select(CachedRecord.record_type, func.count())
            .where(CachedRecord.practice == practice, CachedRecord.record_type != RESERVED)
            .group_by(CachedRecord.record_type))
        return {kind: count for kind, count in rows}


def forget_practice(practice: str) -> None:
    """Drop a practice's records and cursor in one transaction (a full re-sync starts from nothing)."""
    with session_scope() as session:
        session.execute(delete(CachedRecord).where(CachedRecord.practice == practice))
        session.execute(delete(SyncState).where(SyncState.practice == practice))
    with _synced_lock:
        _synced.pop((_cache_name(), practice), None)
