"""Writes and syncs against the seeded demo service over real HTTPS, with a real SQLite cache:

- a full sync announces ``data_changed`` once, with every kind that changed, and the real outbox count;
- its HTTP runs on the network pool and every cache session on the one database worker;
- an outbox item that names nobody is never sent;
- signing out while a declaration is being queued, then signing in as someone else and syncing, never
  sends it in the second person's name (it goes when its owner signs in again).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, update

from app import demo_server, paths, settings
from app.models import database
from app.models.outbox import OutboxItem, OutboxStatus
from app.services import cache_store, declarations, outbox, tasks, writes
from app.services.auth import Auth
from app.services.profile import load_profile
from app.services.secrets import TokenStore
from app.services.sync import SyncController, SyncEngine
from app.shell import Shell
from app.signals import hub

OWNER = demo_server.DEMO_EMAIL  # practice.manager@nhs.net: every practice role at Z99001
SECOND = "viewer@nhs.net"  # View only, at the same practice
ODS = "Z99001"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[demo_server.DemoServer]:
    server = demo_server.start(tmp_path_factory.mktemp("demo-server"))
    yield server
    server.stop()


def _auth(demo: demo_server.DemoServer, email: str = OWNER) -> Auth:
    auth = Auth(demo.base_url, TokenStore(), ca_file=demo.ca_path, token_scope=demo_server.DEMO_TOKEN_SCOPE)
    auth.sign_in(email, demo.password)
    return auth


def test_a_full_sync_announces_once_from_the_right_threads(
        qtbot: Any, fresh_hub: None, memory_keyring: object, demo: demo_server.DemoServer) -> None:
    auth = _auth(demo)
    practices = [p.ods for p in auth.profile.practices]
    changed: list[Any] = []
    counts: list[Any] = []
    hub().data_changed.connect(changed.append)
    hub().outbox_changed.connect(counts.append)
    # Each checkout of a cache connection, and each HTTP reply, with the thread it happened on.
    database.engine().dispose()  # connections the fixture opened on this thread are closed first
    used_by: dict[int, set[str]] = defaultdict(set)

    def checked_out(dbapi: Any, _record: Any, _proxy: Any) -> None:
        used_by[id(dbapi)].add(threading.current_thread().name)

    event.listen(database.engine(), "checkout", checked_out)
    http_threads: set[str] = set()
    auth.client.session.hooks["response"].append(
        lambda response, *_args, **_kwargs: http_threads.add(threading.current_thread().name))

    controller = SyncController(SyncEngine(auth), lambda: practices, interval_minutes=15)
    with qtbot.waitSignal(hub().sync_finished, timeout=60_000) as finished:
        assert controller.sync_now()
    controller.stop()
    assert tasks.wait_for_idle(10)
    event.remove(database.engine(), "checkout", checked_out)  # this test's own reads below don't count
    assert finished.args[0] is True, finished.args

    assert len(changed) == 1, changed  # once for the whole sync: a page reloads at most once
    kinds = changed[0]
    assert isinstance(kinds, frozenset)
    synced = set().union(*(cache_store.counts(ods) for ods in practices))
    assert {"practice", "offer", "result", "timetable_event"} <= synced <= kinds
    assert counts == [0]  # the real count (nothing waits), never a placeholder

    assert http_threads and all(name.startswith("cqrs-net") for name in http_threads), http_threads
    threads = set().union(*used_by.values())
    assert used_by and threads == {next(iter(threads))} and next(iter(threads)).startswith(tasks.DB_THREAD)
    assert all(len(names) == 1 for names in used_by.values())  # no connection seen by two threads
    auth.close()


def test_an_item_that_names_nobody_is_never_sent(cache_db: Path, memory_keyring: object,
                                                 demo: demo_server.DemoServer,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    auth = _auth(demo)
    engine = SyncEngine(auth, sleep=lambda _seconds: None)
    engine.run([ODS])
    offer = next(r for r in cache_store.records(ODS, "offer") if r.get("status") == "pending")
    item = outbox.enqueue(ODS, "offer_response", "POST", f"/practices/{ODS}/offers/{offer['id']}/reject",
                          owner=OWNER)
    with database.session_scope() as session:  # as an item queued before owners were kept
        session.execute(update(OutboxItem).where(OutboxItem.key == item.key).values(owner=None))

    with caplog.at_level(logging.WARNING, logger="app.services.sync"):
        report = engine.run([ODS])
    assert report.pushed == 0 and report.ownerless == 1
    stored = outbox.get(item.key)
    assert stored is not None and stored.status is OutboxStatus.QUEUED and stored.attempts == 0
    assert cache_store.record(ODS, "offer", offer["id"])["status"] == "pending"  # the service never heard
    assert "name nobody" in caplog.text and "not sent" in caplog.text
    auth.close()


def _sign_in_through_the_dialog(shell: Shell, email: str, password: str) -> None:
    shell.ask_sign_in("")
    dialog = shell.dialog
    assert dialog is not None
    dialog.email.setText(email)
    dialog.password.setText(password)
    dialog.submit()


def test_signing_out_while_a_declaration_is_queued_never_sends_it_as_the_next_person(
        qtbot: Any, fresh_hub: None, memory_keyring: object, demo: demo_server.DemoServer) -> None:
    store = settings.load()
    store.set(settings.SERVER_URL, demo.base_url)
    store.set(settings.CA_FILE, str(demo.ca_path))
    shell = Shell(store, TokenStore())
    try:
        with qtbot.waitSignal(shell.settled, timeout=10_000):
            shell.start()  # nobody signed in yet: the sign-in form opens
        with qtbot.waitSignal(hub().sync_finished, timeout=60_000):
            _sign_in_through_the_dialog(shell, OWNER, demo.password)
        assert shell.profile is not None and shell.profile.email == OWNER
        today = shell.profile.server_today()
        row = next(r for r in declarations.load(ODS, finance=False, today=today) if r.can_declare)

        # The declaration is on its way to the database worker (held there) as sign-out is pressed.
        gate = threading.Event()
        queued: list[outbox.OutboxEntry] = []
        tasks.run(lambda: gate.wait(10))
        tasks.run(lambda: declarations.declare(ODS, row.service, row.achievement_date, today, owner=OWNER),
                  queued.append)
        shell.sign_out()
        with qtbot.waitSignal(hub().sync_finished, timeout=60_000) as second_sync:
            _sign_in_through_the_dialog(shell, SECOND, demo.password)
            qtbot.wait(300)  # the second sign-in is under way while the declaration still waits
            gate.set()
        assert second_sync.args[0] is True, second_sync.args
        assert tasks.wait_for_idle(10)
        assert shell.profile is not None and shell.profile.email == SECOND
        assert load_profile() is not None and load_profile().email == SECOND  # sign-out kept theirs

        [item] = queued
        assert outbox.get(item.key) is None  # not even in SECOND's cache: each person's is their own
        with sqlite3.connect(paths.person_dir(demo.base_url, OWNER) / "cache.sqlite3") as connection:
            stored = connection.execute("SELECT owner, status, attempts FROM outbox WHERE key = ?",
                                        (item.key,)).fetchone()
        assert stored == (OWNER, OutboxStatus.QUEUED.value, 0)  # kept in its owner's, never sent as SECOND

        # When its owner signs in again, it goes, in their name.
        shell.sign_out()
        with qtbot.waitSignal(hub().sync_finished, timeout=60_000) as third_sync:
            _sign_in_through_the_dialog(shell, OWNER, demo.password)
        assert third_sync.args[0] is True, third_sync.args
        assert tasks.wait_for_idle(10)
        assert outbox.get(item.key).status is OutboxStatus.SENT
    finally:
        shell.shutdown()
        if shell.dialog is not None:
            shell.dialog.reject()
        shell.window.close()


def test_queuing_announces_once_with_the_count(qtbot: Any, fresh_hub: None) -> None:
    queued: list[str] = []
    changed: list[Any] = []
    counts: list[int] = []
    hub().queued.connect(queued.append)
    hub().data_changed.connect(changed.append)
    hub().outbox_changed.connect(counts.append)
    with qtbot.waitSignal(hub().outbox_changed, timeout=5_000):
        tasks.run(lambda: writes.queue(ODS, "declaration", "POST", f"/practices/{ODS}/declarations",
                                       {"service": "QOF"}, owner=OWNER))
    assert tasks.wait_for_idle(5)
    assert queued == ["declaration"] and changed == [frozenset({"declaration", "outbox"})] and counts == [1]


def test_a_sync_with_nothing_new_reloads_no_page(qtbot: Any, fresh_hub: None, memory_keyring: object,
                                                 demo: demo_server.DemoServer) -> None:
    store = settings.load()
    store.set(settings.SERVER_URL, demo.base_url)
    store.set(settings.CA_FILE, str(demo.ca_path))
    shell = Shell(store, TokenStore())
    try:
        with qtbot.waitSignal(shell.settled, timeout=10_000):
            shell.start()
        with qtbot.waitSignal(hub().sync_finished, timeout=60_000):
            _sign_in_through_the_dialog(shell, OWNER, demo.password)
        assert tasks.wait_for_idle(10)
        built = shell.window.pages.built()
        assert built
        reloads: list[str] = []
        for key, page in built.items():
            page.loaded.connect(lambda key=key: reloads.append(key))
        # The service's clock offset differs in every fresh profile: that alone must not reload pages.
        with qtbot.waitSignal(hub().sync_finished, timeout=60_000) as finished:
            shell.sync_now()
        assert finished.args[0] is True, finished.args
        assert tasks.wait_for_idle(10)
        qtbot.wait(50)
        assert reloads == []
    finally:
        shell.shutdown()
        if shell.dialog is not None:
            shell.dialog.reject()
        shell.window.close()
