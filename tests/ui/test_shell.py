"""The shell's start-up paths: open on the cache when the server is down, ask to sign in when there is
no session (showing nothing of the cache until then), sign in offline against this PC's verifier, keep
each person's cache apart, and sign out (optionally removing that person's data)."""

from __future__ import annotations

import socket
import sqlite3
from collections.abc import Iterator

import pytest

from app import paths, settings
from app.models import database
from app.services import cache_store, offline_sign_in, people, tasks
from app.services.auth import SIGN_IN_MESSAGES
from app.services.profile import PracticeAccess, Profile, load_profile, save_profile
from app.services.secrets import TokenStore
from app.shell import Shell
from app.signals import hub

ODS = "Z99001"
MANAGER, VIEWER, PASSWORD = "practice.manager@nhs.net", "new.viewer@nhs.net", "Surgery-Pass-2026"


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


def cached_practice(server_url: str, email: str = MANAGER, offers: int = 1) -> Profile:
    """``email``'s own cache holding ``offers`` offers of the practice, and the profile of their sign-in."""
    profile = Profile(server_url, email, "Sarah" if email == MANAGER else "Ben", "Okafor",
                      (PracticeAccess(ODS, "Riverside Medical Practice", ("View", "Finance View")),))
    people.open_for(people.person_of(server_url, email), profile)
    cache_store.apply_feed_page(ODS, [
        {"type": "practice", "id": ODS, "deleted": False,
         "data": {"ods": ODS, "name": "Riverside Medical Practice"}},
        *({"type": "offer", "id": str(24 + n), "deleted": False,
           "data": {"id": 24 + n, "service": "WM", "status": "pending", "start_date": "2025-04-01"}}
          for n in range(offers)),
    ], 7)
    database.close_person()
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


def offers_shown(shell: Shell) -> int:
    shell.window.show_section("offers")
    return shell.window.pages["offers"].table.model.rowCount()


def sign_in_through_the_form(qtbot, shell: Shell, email: str, password: str) -> str:
    """Type into the open sign-in form and submit; the form's message afterwards ("" once closed)."""
    dialog = shell.dialog
    assert dialog is not None and dialog.isVisible()
    dialog.email.setText(email)
    dialog.password.setText(password)
    dialog.submit()
    qtbot.waitUntil(lambda: shell.dialog is None or dialog.sign_in_button.isEnabled(), timeout=15_000)
    return "" if shell.dialog is None else dialog.error.text()


def test_without_a_session_nothing_of_the_cache_is_shown_before_or_after_cancel(
        qtbot, fresh_hub: None, shells: list[Shell], memory_keyring) -> None:
    url = closed_port_url()
    cached_practice(url)  # the last person's cache, with £, but no refresh token in the keyring
    store = settings.load()
    store.set(settings.SERVER_URL, url)
    shell = Shell(store, TokenStore())
    shells.append(shell)
    with qtbot.waitSignal(shell.settled, timeout=5_000):
        shell.start()
    assert shell.dialog is not None and shell.dialog.isVisible()
    assert "your practice's data on this PC is shown once you have" in shell.dialog.findChild(
        type(shell.window.message)).text()
    assert shell.window.practice_name.text() == "Not signed in"
    assert offers_shown(shell) == 0
    assert paths.person() is None  # their cache is not even open
    shell.dialog.reject()
    assert tasks.wait_for_idle(5)
    assert shell.window.practice_name.text() == "Not signed in" and offers_shown(shell) == 0


def test_without_a_keyring_the_form_says_why_at_once(qtbot, fresh_hub: None, shells: list[Shell],
                                                     no_keyring) -> None:
    cached_practice(closed_port_url())
    shell = Shell(settings.load(), TokenStore())
    shells.append(shell)
    with qtbot.waitSignal(shell.settled, timeout=5_000):
        shell.start()
    assert shell.dialog is not None
    texts = " ".join(label.text() for label in shell.dialog.findChildren(type(shell.window.message)))
    assert "This PC has no keyring, so your sign-in is not kept between sessions: please sign in." in texts


def test_offline_sign_in_shows_only_that_persons_cache(qtbot, fresh_hub: None, shells: list[Shell],
                                                       memory_keyring) -> None:
    url = closed_port_url()
    manager = cached_practice(url, MANAGER, offers=2)
    viewer = cached_practice(url, VIEWER, offers=0)
    for person in (manager, viewer):  # both signed in here online before
        offline_sign_in.remember(url, person.email, PASSWORD, person)
    store = settings.load()
    store.set(settings.SERVER_URL, url)
    shell = Shell(store, TokenStore())
    shells.append(shell)
    with qtbot.waitSignal(shell.settled, timeout=5_000):
        shell.start()
    assert sign_in_through_the_form(qtbot, shell, MANAGER, "Not-The-Pass-2026") == \
        SIGN_IN_MESSAGES["invalid_credentials"]  # the service's own words
    assert offers_shown(shell) == 0
    assert sign_in_through_the_form(qtbot, shell, MANAGER, PASSWORD) == ""
    qtbot.waitUntil(lambda: offers_shown(shell) == 2, timeout=5_000)
    assert shell.offline_session and "signed in on this PC only" in shell.window.message.text()

    shell.sign_out()
    assert tasks.wait_for_idle(5)
    assert offers_shown(shell) == 0 and paths.person() is None
    shell.ask_sign_in("")
    assert sign_in_through_the_form(qtbot, shell, VIEWER, PASSWORD) == ""
    qtbot.waitUntil(lambda: shell.window.practice_name.text().startswith("Riverside"), timeout=5_000)
    assert tasks.wait_for_idle(5)
    assert offers_shown(shell) == 0  # the manager's offers stay in the manager's cache
    viewer_folder = paths.person_dir(url, VIEWER)
    assert paths.cache_db_path().parent == viewer_folder
    with sqlite3.connect(viewer_folder / "cache.sqlite3") as connection:
        offers = connection.execute("SELECT count(*) FROM cached_records WHERE type = 'offer'").fetchone()
    assert offers == (0,)
    assert not (viewer_folder / "page-snapshot.sqlite3").exists()


def test_sign_out_asks_first_mentions_unsent_items_and_can_remove_the_data(
        qtbot, fresh_hub: None, shells: list[Shell], memory_keyring) -> None:
    from app.services import outbox

    url = closed_port_url()
    profile = cached_practice(url)
    person = people.person_of(url, profile.email)
    people.open_for(person, profile)
    outbox.enqueue(ODS, "declaration", "POST", f"/practices/{ODS}/declarations", {"service": "QOF"},
                   owner=profile.email)
    database.close_person()
    tokens = TokenStore()
    tokens.save(url, profile.email, "a-refresh-token")
    shell = Shell(settings.load(), tokens, offline=True)
    shells.append(shell)
    with qtbot.waitSignal(shell.window.ready, timeout=5_000):
        shell.start()
    qtbot.waitUntil(lambda: offers_shown(shell) == 1, timeout=5_000)
    shell.ask_sign_out()
    qtbot.waitUntil(lambda: getattr(shell, "sign_out_dialog", None) is not None, timeout=5_000)
    dialog = shell.sign_out_dialog
    assert dialog.isVisible() and "1 change you made has not been sent" in dialog.warning.text()
    dialog.reject()  # Cancel: still signed in, nothing removed
    assert shell.profile is not None and offers_shown(shell) == 1
    shell.ask_sign_out()
    qtbot.waitUntil(lambda: shell.sign_out_dialog is not dialog, timeout=5_000)
    shell.sign_out_dialog.remove.setChecked(True)
    shell.sign_out_dialog.accept()
    assert tasks.wait_for_idle(5)
    assert not (paths.people_dir() / paths.person_key(*person)).exists()
    assert tokens.load(url, profile.email) is None and load_profile() is None
    assert "removed from this PC" in shell.window.message.text()


@pytest.mark.parametrize("text_scale", [1.0, 2.0], indirect=True, ids=["100%", "200%"])
def test_the_sign_out_tick_box_grows_with_the_text(qtbot, text_scale) -> None:
    from PySide6.QtWidgets import QStyle, QStyleOptionButton

    from app.views.sign_out_dialog import SignOutDialog

    dialog = SignOutDialog("Sarah Okafor", 0)
    qtbot.addWidget(dialog)
    dialog.show()
    option = QStyleOptionButton()
    dialog.remove.initStyleOption(option)
    tick = dialog.remove.style().subElementRect(QStyle.SubElement.SE_CheckBoxIndicator, option, dialog.remove)
    line = dialog.remove.fontMetrics().height()
    assert 0.8 * line <= tick.height() <= 1.2 * line and tick.width() == tick.height()


def test_cancel_then_sign_in_again_keeps_the_server_and_email_typed(
        qtbot, fresh_hub: None, shells: list[Shell], memory_keyring) -> None:
    shell = Shell(settings.load(), TokenStore())
    shells.append(shell)
    with qtbot.waitSignal(shell.settled, timeout=5_000):
        shell.start()
    assert shell.dialog is not None and shell.dialog.server.text() == ""
    shell.dialog.server.setText("https://cqrs.riverside.example")
    shell.dialog.email.setText(VIEWER)
    shell.dialog.password.setText("typed but never kept")
    shell.dialog.reject()
    shell.ask_sign_in("")
    assert shell.dialog.server.text() == "https://cqrs.riverside.example"
    assert shell.dialog.email.text() == VIEWER and shell.dialog.password.text() == ""
    assert shell.dialog.first_empty_field() is shell.dialog.password


def test_the_could_not_be_reached_banner_goes_when_the_connection_comes_back(
        qtbot, fresh_hub: None, shells: list[Shell], memory_keyring) -> None:
    url = closed_port_url()
    profile = cached_practice(url)
    store = settings.load()
    store.set(settings.SERVER_URL, url)
    tokens = TokenStore()
    tokens.save(url, profile.email, "a-refresh-token")
    shell = Shell(store, tokens)
    shells.append(shell)
    with qtbot.waitSignal(hub().online_changed, timeout=20_000):
        shell.start()
        qtbot.waitUntil(lambda: shell.window.busy.busy, timeout=5_000)
        assert shell.window.busy.text.text() == f"Connecting to {url}…"  # progress while connecting
    qtbot.waitUntil(lambda: "could not be reached" in shell.window.message.text(), timeout=5_000)
    assert shell.window.message.isVisible() and not shell.window.busy.busy
    hub().online_changed.emit(True)  # as a sync that reached the service says
    assert not shell.window.message.isVisible()
    shell.window.show_message("A sync is already running.")  # shown while online: not about the connection
    hub().online_changed.emit(True)
    assert shell.window.message.isVisible()


def test_a_kept_sign_in_the_service_no_longer_accepts_takes_the_data_off_screen(
        qtbot, fresh_hub: None, shells: list[Shell], memory_keyring, https_server, tls_files) -> None:
    from app_fixtures import Reply

    https_server.replies[("POST", "/api/v1/auth/refresh")] = Reply(401, {"error": {
        "code": "token_invalid", "message": "The refresh token is not valid. Please sign in."}})
    url = https_server.url
    profile = cached_practice(url)
    store = settings.load()
    store.set(settings.SERVER_URL, url)
    store.set(settings.CA_FILE, str(tls_files.ca_file))
    tokens = TokenStore()
    tokens.save(url, profile.email, "a-revoked-refresh-token")
    shell = Shell(store, tokens)
    shells.append(shell)
    with qtbot.waitSignal(shell.settled, timeout=10_000):
        shell.start()
    assert shell.dialog is not None and shell.dialog.isVisible()  # asked to sign in again, with the reason
    assert shell.profile is None and shell.window.practice_name.text() == "Not signed in"
    assert tasks.wait_for_idle(5)
    assert offers_shown(shell) == 0 and paths.person() is None
    assert tokens.load(url, profile.email) is None


def test_a_server_and_ca_set_by_the_site_cannot_be_changed_in_the_sign_in_form(
        qtbot, fresh_hub: None, shells: list[Shell], memory_keyring, tmp_path) -> None:
    from app import site_settings
    from app.services import site_config

    ca = tmp_path / "practice-ca.pem"
    ca.write_text("pem", encoding="utf-8")
    site_file = tmp_path / "site.toml"
    site_file.write_text(f'server_url = "https://cqrs.example.nhs.uk"\nca_file = "{ca}"\n', encoding="utf-8")
    store = site_settings.load(site_config.load(site_file))
    store.set(settings.SERVER_URL, "https://typed-by-the-user.example")  # refused: the site's wins
    shell = Shell(store, TokenStore())
    shells.append(shell)
    with qtbot.waitSignal(shell.settled, timeout=5_000):
        shell.start()
    dialog = shell.dialog
    assert dialog is not None and shell.ca_from_site
    assert dialog.server.text() == "https://cqrs.example.nhs.uk" and not dialog.server.isEnabled()
    assert "Set by your practice" in dialog.server.toolTip()
    assert not dialog.import_ca.isEnabled()
