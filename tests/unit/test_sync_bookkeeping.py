"""The sync's own bookkeeping in the local cache: the outbox's queued counts in one read, and the time
of a sync that changed nothing kept without a write, yet always the latest when asked for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import update

from app.models import database
from app.models.cache import SyncState
from app.models.outbox import OutboxItem
from app.services import cache_store, outbox

ODS = "A81001"
ME = "sarah.okafor@nhs.net"
T0 = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)


def _stored(practice: str = ODS) -> datetime | None:
    with database.session_scope() as session:
        state = session.get(SyncState, practice)
        when = state.last_sync_at if state is not None else None
    return when if when is None or when.tzinfo else when.replace(tzinfo=UTC)


def test_queued_counts_are_the_ownerless_and_the_owners_items(cache_db: Path) -> None:
    assert outbox.queued_counts(ME) == (0, 0) and outbox.queued_counts(None) == (0, 0)
    path = f"/practices/{ODS}/declarations"
    legacy = outbox.enqueue(ODS, "declaration", "POST", path, owner=ME)
    with database.session_scope() as session:
        session.execute(update(OutboxItem).where(OutboxItem.key == legacy.key).values(owner=None))
    outbox.enqueue(ODS, "declaration", "POST", path, owner=" Sarah.Okafor@NHS.net")
    outbox.enqueue(ODS, "declaration", "POST", path, owner="someone.else@nhs.net")
    assert outbox.queued_counts(ME) == (1, 1)
    assert outbox.queued_counts(None) == (1, 0)
    outbox.next_batch(ME)  # now "sending": no longer queued
    assert outbox.queued_counts(ME) == (1, 0)


def test_a_sync_with_nothing_new_is_kept_in_memory_and_written_every_30_seconds(cache_db: Path) -> None:
    cache_store.apply_feed_page(ODS, [], 4)
    cache_store.mark_synced(ODS, T0, changed=False)  # the first of this session is always written
    assert _stored() == T0
    later = T0 + timedelta(seconds=10)
    cache_store.mark_synced(ODS, later, changed=False)
    assert _stored() == T0  # not written...
    assert cache_store.sync_info(ODS) == cache_store.SyncInfo(ODS, "4", later)  # ...yet shown
    much_later = T0 + cache_store.SYNCED_WRITTEN_EVERY
    cache_store.mark_synced(ODS, much_later, changed=False)
    assert _stored() == much_later
    changed = much_later + timedelta(seconds=1)
    cache_store.mark_synced(ODS, changed)  # a sync that brought changes always writes
    assert _stored() == changed and cache_store.sync_info(ODS).last_sync_at == changed


def test_the_kept_time_belongs_to_one_cache_and_goes_with_the_practice(cache_db: Path,
                                                                      tmp_path: Path) -> None:
    cache_store.apply_feed_page(ODS, [], 4)
    cache_store.mark_synced(ODS, T0)
    cache_store.mark_synced(ODS, T0 + timedelta(seconds=5), changed=False)
    cache_store.forget_practice(ODS)
    assert cache_store.sync_info(ODS) == cache_store.SyncInfo(ODS, None, None)
    cache_store.apply_feed_page(ODS, [], 7)
    assert cache_store.sync_info(ODS).last_sync_at is None  # nothing remembered from before
    cache_store.mark_synced(ODS, T0)
    cache_store.mark_synced(ODS, T0 + timedelta(seconds=5), changed=False)
    database.close_cache()
    database.open_cache(tmp_path / "someone-else.sqlite3")  # another person's cache
    try:
        cache_store.apply_feed_page(ODS, [], 2)
        assert cache_store.sync_info(ODS).last_sync_at is None
    finally:
        database.close_cache()
