"""app.services.cache_store: feed pages applied with their cursor in one transaction."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.models import database
from app.services import cache_store
from app.services.cache_store import FeedError

ODS = "A81001"


def offer(offer_id: int, status: str = "pending") -> dict:
    return {"type": "offer", "id": offer_id, "deleted": False, "data": {"service": "QOF", "status": status}}


def test_a_page_is_stored_with_its_cursor(cache_db: Path) -> None:
    assert cache_store.cursor(ODS) is None
    practice = {"type": "practice", "id": ODS, "data": {"name": "The Surgery"}}
    result = cache_store.apply_feed_page(ODS, [offer(1), offer(2, "accepted"), practice], 3)
    assert result == cache_store.PageResult(upserted=3, deleted=0)
    assert cache_store.cursor(ODS) == "3"
    assert cache_store.records(ODS, "offer") == [{"id": "1", "service": "QOF", "status": "pending"},
                                                 {"id": "2", "service": "QOF", "status": "accepted"}]
    assert cache_store.record(ODS, "practice", ODS) == {"id": ODS, "name": "The Surgery"}
    assert cache_store.counts(ODS) == {"offer": 2, "practice": 1}


def test_updates_and_deletes(cache_db: Path) -> None:
    cache_store.apply_feed_page(ODS, [offer(1), offer(2)], 2)
    gone = [{"type": "offer", "id": 2, "deleted": True}, {"type": "offer", "id": 99, "deleted": True}]
    result = cache_store.apply_feed_page(ODS, [offer(1, "accepted"), *gone], 5)
    assert result == cache_store.PageResult(upserted=1, deleted=2)
    assert cache_store.records(ODS, "offer") == [{"id": "1", "service": "QOF", "status": "accepted"}]
    assert cache_store.cursor(ODS) == "5"


@pytest.mark.parametrize("bad", [
    {"type": "offer", "id": 3, "deleted": False},  # no data
    {"type": "", "id": 3, "data": {}},
    {"type": "offer", "data": {}},
    "not an object",
])
def test_a_bad_entry_refuses_the_whole_page(cache_db: Path, bad: object) -> None:
    cache_store.apply_feed_page(ODS, [offer(1)], 1)
    with pytest.raises(FeedError, match="entry 1"):
        cache_store.apply_feed_page(ODS, [offer(1, "accepted"), bad, offer(4)], 9)
    assert cache_store.cursor(ODS) == "1"  # resume from the last good page
    assert cache_store.records(ODS, "offer") == [{"id": "1", "service": "QOF", "status": "pending"}]


def test_resume_from_the_cursor_after_reopening(cache_db: Path) -> None:
    cache_store.apply_feed_page(ODS, [offer(1)], "page-2")
    database.close_cache()
    database.open_cache()
    assert cache_store.cursor(ODS) == "page-2"
    assert len(cache_store.records(ODS, "offer")) == 1


def test_practices_are_kept_apart(cache_db: Path) -> None:
    cache_store.apply_feed_page(ODS, [offer(1)], 1)
    cache_store.apply_feed_page("B82002", [offer(1, "rejected")], 7)
    assert cache_store.records("B82002", "offer")[0]["status"] == "rejected"
    assert cache_store.records(ODS, "offer")[0]["status"] == "pending"
    assert cache_store.known_practices() == [ODS, "B82002"]
    cache_store.forget_practice("B82002")
    assert cache_store.known_practices() == [ODS]
    assert cache_store.cursor("B82002") is None


def test_last_sync_time(cache_db: Path) -> None:
    assert cache_store.sync_info(ODS) == cache_store.SyncInfo(ODS, None, None)
    cache_store.apply_feed_page(ODS, [], 4)
    when = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)
    cache_store.mark_synced(ODS, when)
    assert cache_store.sync_info(ODS) == cache_store.SyncInfo(ODS, "4", when)


def test_records_are_copies(cache_db: Path) -> None:
    cache_store.apply_feed_page(ODS, [offer(1)], 1)
    cache_store.records(ODS, "offer")[0]["status"] = "changed"
    assert cache_store.records(ODS, "offer")[0]["status"] == "pending"


def test_within_a_page_the_later_entry_for_a_record_wins(cache_db: Path) -> None:
    cache_store.apply_feed_page(ODS, [offer(1), offer(2)], 2)
    page = [offer(1, "accepted"), {"type": "offer", "id": 1, "deleted": True},  # changed, then removed
            {"type": "offer", "id": 2, "deleted": True}, offer(2, "rejected"),  # removed, then made again
            offer(3), offer(3, "accepted")]  # changed twice
    assert cache_store.apply_feed_page(ODS, page, 8) == cache_store.PageResult(upserted=4, deleted=2)
    assert cache_store.records(ODS, "offer") == [{"id": "2", "service": "QOF", "status": "rejected"},
                                                 {"id": "3", "service": "QOF", "status": "accepted"}]


def test_the_etag_is_kept_with_its_cursor_and_hidden_from_every_reader(cache_db: Path) -> None:
    assert cache_store.feed_position(ODS) == (None, None)
    cache_store.apply_feed_page(ODS, [offer(1)], 3, 'W/"abc"')
    assert cache_store.feed_position(ODS) == ("3", 'W/"abc"')
    assert cache_store.counts(ODS) == {"offer": 1}  # the ETag is not a record of the practice
    assert cache_store.records(ODS, "offer") == [{"id": "1", "service": "QOF", "status": "pending"}]
    cache_store.apply_feed_page(ODS, [], 4)  # an answer without an ETag: none may stay beside cursor 4
    assert cache_store.feed_position(ODS) == ("4", None)
    cache_store.apply_feed_page(ODS, [], 5, 'W/"def"')
    cache_store.forget_practice(ODS)  # dropped with the cursor: the next pull is a full one
    assert cache_store.feed_position(ODS) == (None, None) and cache_store.known_practices() == []


def test_a_feed_entry_may_not_use_the_reserved_type(cache_db: Path) -> None:
    cache_store.apply_feed_page(ODS, [offer(1)], 1, 'W/"kept"')
    forged = {"type": cache_store.RESERVED, "id": "etag", "data": {"etag": 'W/"forged"'}}
    with pytest.raises(FeedError, match="entry 1 has the reserved type"):
        cache_store.apply_feed_page(ODS, [offer(2), forged], 9, 'W/"new"')
    assert cache_store.feed_position(ODS) == ("1", 'W/"kept"')  # nothing changed
    assert len(cache_store.records(ODS, "offer")) == 1


def test_a_page_of_a_thousand_entries_is_applied_whole(cache_db: Path) -> None:
    page = [offer(n) for n in range(1, 1001)]
    assert cache_store.apply_feed_page(ODS, page, 1000, 'W/"year"').upserted == 1000
    assert cache_store.counts(ODS) == {"offer": 1000}
    assert cache_store.record(ODS, "offer", 1000) == {"id": "1000", "service": "QOF", "status": "pending"}
