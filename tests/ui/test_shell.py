"""The shell's start-up paths: open on the cache when the server is down, ask to sign in when there is
no session, sign out, and sign in through the dialog to a real server with a first sync."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from app import paths, settings
from app.services import cache_store, tasks
from app.services.profile import PracticeAccess, Profile, load_profile, save_profile
from app.services.secrets import TokenStore
from app.shell import Shell
from app.signals import hub

ODS = "Z99001"


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"https://127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture
def shells(qtbot: object) -> Iterator[list[Shell]]:
    made: list[Shell] = []
    yield made
    for shell in made:
        shell.shutdown()
        if shell.dialog is not None:
            shell.dialog.reject()
        shell.window.close()


def cached_practice(server_url: str) -> Profile:
    cache_store.apply_feed_page(ODS, [
        {"type": "practice", "id": ODS, "deleted": False,
         "data": {"ods": ODS, "name": "Riverside Medical Practice"}},
        {"type": "offer", "id": "24", "deleted": False,
         "data": {"id": 24, "service": "WM", "status": "pending", "start_date": "2025-04-01"}},
    ], 7)
    profile = Profile(server_url, "practice.manager@nhs.net", "Sarah", "Okafor",
                      (PracticeAccess(ODS, "Riverside Medical Practice", ("View", "Finance View")),))
    save_profile(profile)
    return profile


def test_with_the_server_down_the_app_opens_on_the_cache_and_says_it_is_offline(
        qtbot, fresh_hub: None, shells: list[Shell], memory_keyring) -> None:
    url = closed_port_url()
    profile = cached_practice(url)
    store = settings.load()
    store.set(settings.SERVER_URL, url)
    tokens = TokenStore()
    tokens.save(url, profile.email, "a-refresh-token")
    shell = Shell(store, tokens)
    shells.append(shell)
    with qtbot.waitSignal(hub().online_changed, timeout=20_000) as online:
        with qtbot.waitSignal(shell.window.ready, timeout=5_000):
            shell.start()
        shell.window.show_section("offers")  # built, and read from the cache, when first shown
        offers = shell.window.pages["offers"].table.model
        qtbot.waitUntil(lambda: offers.rowCount() == 1, timeout=5_000)
    assert online.args == [False]
    assert shell.dialog is None  # no sign-in form while merely offline
    assert "could not be reached" in shell.window.message.text()
    assert shell.window.practice_name.text() == "Riverside Medical Practice (Z99001)"


def test_without_a_session_the_sign_in_form_opens(qtbot, fresh_hub: None, shells: list[Shell],
                                                  memory_keyring) -> None:
    shell = Shell(settings.load(), TokenStore())
    shells.append(shell)
    with qtbot.waitSignal(shell.settled, timeout=5_000):
        shell.start()
    assert shell.dialog is not None and shell.dialog.isVisible()
    assert shell.dialog.server.text() == ""  # nothing configured yet
    assert shell.window.practice_name.text() == "Not signed in"


def test_signing_out_offline_forgets_the_profile_and_the_stored_token(
        qtbot, fresh_hub: None, shells: list[Shell], memory_keyring) -> None:
    url = closed_port_url()
    profile = cached_practice(url)
    tokens = TokenStore()
    tokens.save(url, profile.email, "a-refresh-token")
    shell = Shell(settings.load(), tokens, offline=True)
    shells.append(shell)
    with qtbot.waitSignal(shell.window.ready, timeout=5_000):
        shell.start()
    shell.window.show_section("offers")
    offers = shell.window.pages["offers"].table.model
    qtbot.waitUntil(lambda: offers.rowCount() == 1, timeout=5_000)  # the practice's data is shown
    shell.sign_out()
    assert tasks.wait_for_idle(5)  # the profile is deleted on the database worker, after queued writes
    assert load_profile() is None and not paths.profile_path().exists()
    assert tokens.load(url, profile.email) is None
    assert shell.window.practice_name.text() == "Not signed in"
    assert offers.rowCount() == 0  # the practice's data is hidden
