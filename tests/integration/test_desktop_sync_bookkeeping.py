"""A no-change sync against the real service over TLS: two trips to the database worker (one before the
request, one after) and no write to the local cache, while the last sync time shown is still its own."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from app.models import database
from app.services import cache_store, outbox
from app.services.auth import Auth
from app.services.secrets import TokenStore
from app.services.sync import SyncEngine
from central.security import VIEW
from central.server import RunningServer

from .conftest import PASSWORD, World

ODS = "Z91001"


@pytest.fixture
def auth(server: RunningServer, world: World, cache_db: Path, memory_keyring: object) -> Iterator[Auth]:
    signed_in = Auth(server.base_url, TokenStore(), ca_file=server.ca_path)
    signed_in.sign_in(world.user({world.practice: (VIEW,)}, "bookkeeping"), PASSWORD)
    yield signed_in
    signed_in.close()


@pytest.fixture
def writes(cache_db: Path) -> Iterator[list[str]]:
    statements: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE", "REPLACE"):
            statements.append(statement)

    engine = database.engine()
    event.listen(engine, "before_cursor_execute", note)
    yield statements
    event.remove(engine, "before_cursor_execute", note)


def test_a_no_change_sync_makes_two_database_trips_and_no_write(auth: Auth, writes: list[str]) -> None:
    trips: list[Callable[[], Any]] = []

    def db(op: Callable[[], Any]) -> Any:
        trips.append(op)
        return op()

    engine = SyncEngine(auth, db=db, sleep=lambda _seconds: None)
    engine.run([ODS])
    first = cache_store.sync_info(ODS).last_sync_at
    assert first is not None and writes  # the first sync wrote its pages and its time
    trips.clear()
    writes.clear()
    report = engine.run([ODS])
    assert report.pages == 1 and report.records == 0 and report.waiting == outbox.waiting_count() == 0
    assert len(trips) == 2, trips
    assert writes == []
    shown = cache_store.sync_info(ODS).last_sync_at  # what the status bar reads after the sync
    assert shown is not None and report.finished_at is not None and first < shown <= report.finished_at


def test_a_queued_item_is_still_sent_by_a_sync(auth: Auth, writes: list[str]) -> None:
    engine = SyncEngine(auth, db=lambda op: op(), sleep=lambda _seconds: None)
    engine.run([ODS])
    outbox.enqueue(ODS, "offer_response", "POST", f"/practices/{ODS}/offers/999999/accept", owner=auth.email)
    report = engine.run([ODS])
    assert report.pushed + report.failed == 1 and outbox.waiting_count() == 0  # sent (refused: no such offer)
