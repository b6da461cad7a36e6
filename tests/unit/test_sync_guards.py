"""The sync engine against a server that misbehaves: it stops rather than loop, and loses nothing.
Also the service's date is judged in England, as the service judges it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from app_fixtures import Reply

from app.models.outbox import OutboxStatus
from app.services import cache_store, outbox
from app.services.api_client import ServerError
from app.services.auth import Auth
from app.services.profile import Profile
from app.services.secrets import TokenStore
from app.services.sync import SyncEngine, SyncStopped

CHANGES = ("GET", "/api/v1/practices/A81001/changes")


@pytest.fixture
def engine(https_server, tls_files, cache_db: Path, memory_keyring) -> SyncEngine:
    auth = Auth(https_server.url, TokenStore(), ca_file=tls_files.ca_file)
    auth.client.set_token("access-123")
    auth.profile = Profile(https_server.url, "a@nhs.net", "Ann", "Lee", ())  # as after signing in
    https_server.replies[("GET", "/api/v1/me")] = Reply(200, {
        "user": {"email": "a@nhs.net", "first_name": "Ann", "last_name": "Lee"},
        "organisations": [{"ods": "A81001", "name": "The Surgery", "kind": "practice", "roles": ["View"]}]})
    return SyncEngine(auth, sleep=lambda _seconds: None)


def test_a_cursor_that_does_not_move_stops_the_sync_instead_of_looping(https_server, engine) -> None:
    change = {"type": "offer", "id": 1, "deleted": False, "data": {"status": "pending"}}
    https_server.replies[CHANGES] = Reply(200, {"changes": [change], "more": True})  # no "next"
    with pytest.raises(ServerError, match="could not follow"):
        engine.run(["A81001"])
    asked = [seen.path.split("?")[0] for seen in https_server.seen]
    assert asked.count(CHANGES[1]) == 1  # once, not for ever
    assert cache_store.cursor("A81001") is None  # the page was not applied


def test_an_unreadable_reply_to_a_push_puts_the_batch_back_in_the_queue(https_server, engine) -> None:
    first = outbox.enqueue("A81001", "offer_response", "POST", "/practices/A81001/offers/1/accept",
                           owner="a@nhs.net")
    second = outbox.enqueue("A81001", "offer_response", "POST", "/practices/A81001/offers/2/accept",
                            owner="a@nhs.net")
    https_server.replies[("POST", "/api/v1/practices/A81001/offers/1/accept")] = Reply(200, b"not json")
    with pytest.raises(SyncStopped):  # retried, then given up for now
        engine.run(["A81001"])
    assert [outbox.get(key).status for key in (first.key, second.key)] == [OutboxStatus.QUEUED] * 2


def test_the_service_date_is_the_date_in_england() -> None:
    # 23:30 UTC on 1 October is 00:30 on 2 October in England (British Summer Time).
    target = datetime(2025, 10, 1, 23, 30, tzinfo=UTC)
    shifted = Profile("https://x", "a@nhs.net", "A", "B", (), (target - datetime.now(UTC)).total_seconds())
    assert shifted.server_today() == date(2025, 10, 2)
