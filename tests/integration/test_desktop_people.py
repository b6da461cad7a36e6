"""Two people on one PC against the real central service: each has a cache of their own, so the second
never sees the first one's rows or £; an account the service disables loses its offline sign-in here."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest
from app_fixtures import MemoryKeyring
from pytestqt.qtbot import QtBot

from app import paths, settings
from app.services import cache_store, offline_sign_in, tasks
from app.services.auth import SignInRefused
from app.services.secrets import TokenStore
from app.shell import Shell
from app.signals import hub
from central.directory import user_by_email
from central.security import FINANCE_VIEW, VIEW
from central.server import RunningServer

from .conftest import PASSWORD, World
from .sources import forget_failed_sign_ins

FAKE_OFFER = 990_001  # written into the first person's cache only: the service has no such offer


@pytest.fixture(autouse=True)
def _forget_failures(world: World) -> Iterator[None]:
    yield
    forget_failed_sign_ins(world)


@pytest.fixture
def shell(qtbot: QtBot, fresh_hub: None, server: RunningServer, memory_keyring: MemoryKeyring
          ) -> Iterator[Shell]:
    store = settings.load()
    store.set(settings.SERVER_URL, server.base_url)
    store.set(settings.CA_FILE, str(server.ca_path))
    made = Shell(store, TokenStore())
    made.start()
    yield made
    made.shutdown()
    if made.dialog is not None:
        made.dialog.reject()
    made.window.close()


def sign_in(qtbot: QtBot, shell: Shell, email: str, password: str = PASSWORD) -> str:
    if shell.dialog is None:
        shell.ask_sign_in("")
    dialog = shell.dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible, timeout=5_000)
    dialog.email.setText(email)
    dialog.password.setText(password)
    finished: list[bool] = []
    hub().sync_finished.connect(lambda ok, _message: finished.append(ok))
    dialog.submit()
    qtbot.waitUntil(lambda: shell.dialog is None or dialog.sign_in_button.isEnabled(), timeout=15_000)
    if shell.dialog is not None:
        return dialog.error.text()
    qtbot.waitUntil(lambda: bool(finished), timeout=20_000)  # the first sync, into this person's cache
    return ""


def offer_ids_in(path: object) -> set[str]:
    with sqlite3.connect(path) as connection:  # type: ignore[arg-type]
        rows = connection.execute("SELECT id FROM cached_records WHERE type = 'offer'").fetchall()
    return {str(row[0]) for row in rows}


def test_the_next_person_never_sees_the_first_persons_rows(qtbot: QtBot, shell: Shell, world: World,
                                                            server: RunningServer) -> None:
    first = world.user({world.practice: (VIEW, FINANCE_VIEW)}, "finance")
    second = world.viewer()
    assert sign_in(qtbot, shell, first) == ""
    ods = "Z91001"
    tasks.run(lambda: cache_store.apply_feed_page(ods, [
        {"type": "offer", "id": str(FAKE_OFFER), "deleted": False,
         "data": {"id": FAKE_OFFER, "service": "WM", "status": "pending", "start_date": "2025-04-01"}}], 1))
    assert tasks.wait_for_idle(10)
    first_cache = paths.cache_db_path()
    assert str(FAKE_OFFER) in offer_ids_in(first_cache)

    shell.sign_out()
    assert tasks.wait_for_idle(10)
    assert sign_in(qtbot, shell, second) == ""
    assert tasks.wait_for_idle(10)
    assert shell.profile is not None and shell.profile.email == second
    second_cache = paths.cache_db_path()
    assert second_cache.parent == paths.person_dir(server.base_url, second) != first_cache.parent
    assert str(FAKE_OFFER) not in offer_ids_in(second_cache)  # nor in what B's folder holds
    shell.window.show_section("offers")
    model = shell.window.pages["offers"].table.model
    qtbot.waitUntil(lambda: not tasks.runner().pending, timeout=5_000)
    shown = {str(model.index(row, column).data()) for row in range(model.rowCount())
             for column in range(model.columnCount())}
    assert not any(str(FAKE_OFFER) in text for text in shown)
    assert str(FAKE_OFFER) in offer_ids_in(first_cache)  # kept for the first person's next sign-in


def test_a_disabled_account_loses_its_offline_sign_in(qtbot: QtBot, shell: Shell, world: World,
                                                      server: RunningServer) -> None:
    email = world.viewer()
    assert sign_in(qtbot, shell, email) == ""
    scope = server.base_url
    assert offline_sign_in.verifier_path(scope, email).is_file()  # kept at the online sign-in
    shell.sign_out()
    assert tasks.wait_for_idle(10)
    with world.session() as session:
        user = user_by_email(session, email)
        assert user is not None
        user.active = False
        session.commit()
    assert "disabled" in sign_in(qtbot, shell, email)
    assert not offline_sign_in.verifier_path(scope, email).exists()
    with pytest.raises(SignInRefused):
        offline_sign_in.verify(scope, email, PASSWORD)
