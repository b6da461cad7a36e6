"""The desktop sync engine against the real central service over TLS, with a real SQLite cache:
pull in pages, push before pull, idempotent replays, conflicts, refusals, 401 renewal, offline retries,
and an outbox that survives a restart."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.models import database
from app.models.outbox import OutboxStatus
from app.services import cache_store, outbox
from app.services.auth import Auth, SignInRequired
from app.services.profile import PracticeAccess, Profile
from app.services.secrets import TokenStore
from app.services.sync import SyncController, SyncEngine, SyncStopped, forget_practices_with_new_roles
from app.signals import hub
from central.models import ManualEntry
from central.server import RunningServer

from .conftest import PASSWORD, World

ODS = "Z91001"
ENTRIES = f"/practices/{ODS}/manual-entries"
OFFLINE_EMAIL = "offline.manager@nhs.net"


def _entry(referrals: int = 12, **changes: object) -> dict:
    return {"service": "WM", "achievement_date": "2025-10-31",
            "values": {"REFERRALS": referrals}, "notes": "From the referral log", **changes}


@pytest.fixture
def auth(server: RunningServer, world: World, cache_db: Path, memory_keyring: object) -> Iterator[Auth]:
    signed_in = Auth(server.base_url, TokenStore(), ca_file=server.ca_path)
    signed_in.sign_in(world.manager(), PASSWORD)
    yield signed_in
    signed_in.close()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def engine(auth: Auth, sleeps: list[float]) -> SyncEngine:
    return SyncEngine(auth, page_size=7, sleep=sleeps.append)


def _entries_on_server(world: World) -> int:
    with world.session() as session:
        return session.scalar(select(func.count()).select_from(ManualEntry)) or 0


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_pull_fills_the_cache_page_by_page_and_resumes_from_the_cursor(engine: SyncEngine) -> None:
    report = engine.run([ODS])
    counts = cache_store.counts(ODS)
    assert counts["practice"] == 1 and counts["timetable_event"] >= 12  # the 2025/26 timetable
    assert report.pages >= 2  # page_size 7: the feed came in several pages
    assert report.records >= sum(counts.values())
    assert cache_store.record(ODS, "practice", ODS)["name"] == "Test Medical Practice"
    assert cache_store.sync_info(ODS).last_sync_at is not None
    cursor = cache_store.cursor(ODS)
    assert cursor is not None and int(cursor) > 0

    again = engine.run([ODS])
    assert again.records == 0 and again.pages == 1  # nothing new since the stored cursor


def test_push_comes_before_pull_so_the_new_entry_is_cached_in_the_same_sync(engine: SyncEngine,
                                                                            world: World) -> None:
    item = outbox.enqueue(ODS, "manual_entry", "POST", ENTRIES, _entry(referrals=17), owner=engine.auth.email)
    before = _entries_on_server(world)
    report = engine.run([ODS])
    assert report.pushed == 1 and "manual_entry" in report.kinds
    assert outbox.get(item.key).status is OutboxStatus.SENT
    assert _entries_on_server(world) == before + 1
    cached = [r for r in cache_store.records(ODS, "manual_entry") if r["values"]["REFERRALS"] == 17]
    assert len(cached) == 1 and cached[0]["status"] == "submitted"


def test_a_replayed_item_is_applied_once(engine: SyncEngine, auth: Auth, world: World) -> None:
    item = outbox.enqueue(ODS, "manual_entry", "POST", ENTRIES, _entry(referrals=21), owner=engine.auth.email)
    # The server got the item but the app stopped before it heard back: the same key is sent again.
    auth.request("POST", ENTRIES, json=item.body, idempotency_key=item.key)
    before = _entries_on_server(world)
    engine.run([ODS])
    assert outbox.get(item.key).status is OutboxStatus.SENT
    assert _entries_on_server(world) == before


def test_a_stale_amendment_becomes_a_conflict_keeping_both_versions(engine: SyncEngine, auth: Auth) -> None:
    created = auth.request("POST", ENTRIES, json=_entry(referrals=5), idempotency_key="conflict-create")
    path = f"{ENTRIES}/{created['id']}"
    change = {"values": {"REFERRALS": 6}, "notes": None, "status": "submitted"}
    auth.request("PUT", path, json=change, if_match="1")  # somebody else amended it first: version 2
    ours = {"values": {"REFERRALS": 9}, "notes": "our figure", "status": "submitted"}
    item = outbox.enqueue(ODS, "manual_entry", "PUT", path, ours, if_match=1, owner=engine.auth.email)

    report = engine.run([ODS])
    assert report.conflicts == 1
    stored = outbox.get(item.key)
    assert stored.status is OutboxStatus.CONFLICT
    assert stored.body == ours  # our version is kept...
    theirs = stored.server_copy
    assert theirs["version"] == 2 and theirs["values"]["REFERRALS"] == 6  # ...and so is theirs
    assert "changed this entry" in stored.server_message

    outbox.resubmit(item.key, owner=auth.email, if_match=2)  # the user keeps theirs over the newer version
    assert engine.run([ODS]).pushed == 1
    assert cache_store.record(ODS, "manual_entry", created["id"])["values"]["REFERRALS"] == 9


def test_a_refused_item_is_kept_with_the_servers_reason(engine: SyncEngine, world: World) -> None:
    item = outbox.enqueue(ODS, "manual_entry", "POST", ENTRIES, _entry(referrals=-3), owner=engine.auth.email)
    before = _entries_on_server(world)
    report = engine.run([ODS])
    assert report.failed == 1
    stored = outbox.get(item.key)
    assert stored.status is OutboxStatus.FAILED and stored.body["values"]["REFERRALS"] == -3
    assert "values.REFERRALS" in stored.server_message  # names the field
    assert _entries_on_server(world) == before


def test_an_expired_access_token_is_renewed_once(engine: SyncEngine, auth: Auth) -> None:
    auth.client.set_token("expired-or-forged")
    item = outbox.enqueue(ODS, "manual_entry", "POST", ENTRIES, _entry(referrals=3), owner=engine.auth.email)
    assert engine.run([ODS]).pushed == 1
    assert outbox.get(item.key).status is OutboxStatus.SENT
    assert auth.client.token != "expired-or-forged"


def test_when_the_session_cannot_be_renewed_the_item_waits_for_sign_in(engine: SyncEngine,
                                                                       auth: Auth) -> None:
    auth.tokens.delete(auth.token_scope, auth.email)  # e.g. signed out on another PC
    auth.client.set_token("expired-or-forged")
    item = outbox.enqueue(ODS, "manual_entry", "POST", ENTRIES, _entry(referrals=4), owner=engine.auth.email)
    with pytest.raises(SignInRequired):
        engine.run([ODS])
    assert outbox.get(item.key).status is OutboxStatus.QUEUED
    assert outbox.waiting_count(ODS) == 1


def test_offline_calls_back_off_then_leave_the_outbox_queued(
        cache_db: Path, memory_keyring: object, server: RunningServer, sleeps: list[float]) -> None:
    offline = Auth(f"https://127.0.0.1:{_closed_port()}", TokenStore(), ca_file=server.ca_path)
    offline.client.set_token("any")
    offline.profile = Profile(offline.server_url, OFFLINE_EMAIL, "A", "B", ())  # signed in before
    item = outbox.enqueue(ODS, "manual_entry", "POST", ENTRIES, _entry(), owner=OFFLINE_EMAIL)
    with pytest.raises(SyncStopped):
        SyncEngine(offline, sleep=sleeps.append).run([ODS])
    assert sleeps == [0.5, 1.0]  # three attempts, backing off
    stored = outbox.get(item.key)
    assert stored.status is OutboxStatus.QUEUED and stored.attempts == 1
    assert "could not be reached" in stored.server_message
    offline.close()


def test_the_outbox_survives_a_crash_mid_send_and_is_sent_after_restart(engine: SyncEngine,
                                                                         world: World) -> None:
    item = outbox.enqueue(ODS, "manual_entry", "POST", ENTRIES, _entry(referrals=8), owner=engine.auth.email)
    assert [i.key for i in outbox.next_batch(engine.auth.email)] == [item.key]  # "sending" when the app died
    database.close_cache()
    database.open_cache()  # the next start
    assert outbox.recover_interrupted() == 1
    before = _entries_on_server(world)
    assert engine.run([ODS]).pushed == 1
    assert _entries_on_server(world) == before + 1


def test_new_roles_make_a_practice_sync_again_from_the_start(engine: SyncEngine) -> None:
    engine.run([ODS])
    assert cache_store.cursor(ODS) is not None
    def profile(*roles: str) -> Profile:
        return Profile("https://x", "a@nhs.net", "A", "B", (PracticeAccess(ODS, "Test", roles),))

    old, new = profile("View"), profile("View", "User Administrator")
    assert forget_practices_with_new_roles(old, old) == []
    assert forget_practices_with_new_roles(old, new) == [ODS]
    assert cache_store.cursor(ODS) is None and cache_store.counts(ODS) == {}


def test_the_controller_reports_through_the_hub(qtbot: object, fresh_hub: None, engine: SyncEngine) -> None:
    seen: list[tuple[str, object]] = []
    hub().sync_started.connect(lambda: seen.append(("started", None)))
    hub().online_changed.connect(lambda online: seen.append(("online", online)))
    hub().data_changed.connect(lambda kinds: seen.append(("changed", kinds)))
    hub().outbox_changed.connect(lambda count: seen.append(("outbox", count)))
    controller = SyncController(engine, lambda: [ODS], interval_minutes=15)
    with qtbot.waitSignal(hub().sync_finished, timeout=20_000) as finished:  # type: ignore[attr-defined]
        assert controller.sync_now()
        assert not controller.sync_now()  # one sync at a time
    ok, message = finished.args
    assert ok and message.startswith("Synced:")
    assert ("started", None) in seen and ("online", True) in seen and ("outbox", 0) in seen
    changes = [kinds for what, kinds in seen if what == "changed"]
    assert len(changes) == 1 and isinstance(changes[0], frozenset) and "practice" in changes[0]  # once
    controller.stop()


def test_the_controller_goes_offline_when_the_service_is_down(qtbot: object, fresh_hub: None, cache_db: Path,
                                                              memory_keyring: object,
                                                              server: RunningServer) -> None:
    offline = Auth(f"https://127.0.0.1:{_closed_port()}", TokenStore(), ca_file=server.ca_path)
    offline.client.set_token("any")
    engine = SyncEngine(offline, sleep=lambda _seconds: None)
    controller = SyncController(engine, lambda: [ODS], interval_minutes=15)
    with qtbot.waitSignal(hub().online_changed, timeout=20_000) as online:  # type: ignore[attr-defined]
        controller.sync_now()
    assert online.args == [False]
    controller.stop()
    offline.close()


def test_a_role_removed_on_the_service_is_gone_after_the_next_sync(engine: SyncEngine, auth: Auth,
                                                                   world: World) -> None:
    from sqlalchemy import delete

    from central.models import RoleGrant, User

    assert auth.profile.practice(ODS).has("Finance View")
    with world.session() as session:
        user = session.scalar(select(User).where(User.email == auth.email))
        finance = RoleGrant.role == "Finance View"
        session.execute(delete(RoleGrant).where(RoleGrant.user_id == user.id, finance))
        session.commit()
    report = engine.run([ODS])
    assert not report.profile.practice(ODS).has("Finance View")
    assert cache_store.cursor(ODS) is not None  # the practice was forgotten, then pulled again in full
