"""The desktop client signing in to the real central service over HTTPS.

Where the refresh token is kept (the OS keyring, or memory when there is none; never a file), session
resume with token rotation, sign-out, what the sign-in dialog tells a practice manager for each refusal
or connection problem, and that no secret reaches the log file. Every test uses users of its own: the
server (and its sign-in throttle) is shared by the whole session.
"""

from __future__ import annotations

import dataclasses
import logging
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from app_fixtures import MemoryKeyring
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot

from app.logging_setup import setup_logging
from app.services import tasks
from app.services.api_client import CertificateNotTrusted, Unreachable
from app.services.auth import SIGN_IN_MESSAGES, Auth, SignInRefused, SignInRequired
from app.services.profile import Profile, load_profile
from app.services.secrets import SERVICE_NAME, TokenStore, account_key
from app.views.sign_in_dialog import SignInDialog
from central.directory import issue_activation, user_by_email
from central.security import FAILURES_BEFORE_WAIT, PRACTICE_ROLES, VIEW
from central.server import RunningServer

from .conftest import PASSWORD, START, World
from .sources import forget_failed_sign_ins

SIGNING_IN = "Signing in…"
WRONG_PASSWORD = "Not-The-Pass-2026"
SETTLE_MS = 10_000


@pytest.fixture(autouse=True)
def _forget_failures(world: World) -> Iterator[None]:
    """Failed sign-ins here must not make later tests' sign-ins from this address wait."""
    yield
    forget_failed_sign_ins(world)


@pytest.fixture(autouse=True)
def _no_leaked_tasks() -> Iterator[None]:
    """Every background sign-in is delivered and the runner stopped before the next test starts."""
    yield
    idle = tasks.wait_for_idle(10)
    stopped = tasks.shutdown()
    assert idle and stopped, "a background task was still running at the end of the test"


@pytest.fixture
def auths(server: RunningServer) -> Iterator[Callable[..., Auth]]:
    """Make Auth objects for the test server (its CA trusted unless told otherwise); closed afterwards."""
    made: list[Auth] = []

    def make(tokens: TokenStore | None = None, *, ca_file: Path | None = server.ca_path) -> Auth:
        auth = Auth(server.base_url, tokens if tokens is not None else TokenStore(), ca_file=ca_file)
        made.append(auth)
        return auth

    yield make
    for auth in made:
        auth.close()


def _only_keyring_entry(keyring: MemoryKeyring) -> tuple[tuple[str, str], str]:
    assert len(keyring.passwords) == 1, keyring.passwords
    ((key, token),) = keyring.passwords.items()
    return key, token


def _files_holding(folder: Path, *secrets: str) -> list[str]:
    """Names of the files under ``folder`` (at any depth) whose bytes contain any of ``secrets``."""
    files = [path for path in folder.rglob("*") if path.is_file()]
    assert files, f"nothing was written under {folder.name}"
    return [path.name for path in files
            if any(secret.encode() in path.read_bytes() for secret in secrets)]


def _without_clock_offset(profile: Profile) -> Profile:
    # The offset is measured at each sign-in (server time minus our time), so it moves by a few ms.
    return dataclasses.replace(profile, server_clock_offset_seconds=0.0)


# --- Auth against the service ----------------------------------------------------------------------

def test_sign_in_keeps_the_refresh_token_in_the_keyring_and_no_secret_on_disk(
        server: RunningServer, world: World, app_data_dir: Path, memory_keyring: MemoryKeyring,
        auths: Callable[..., Auth]) -> None:
    email = world.manager()
    auth = auths()

    profile = auth.sign_in(f"  {email.upper()} ", PASSWORD)  # typed with capitals and spaces

    assert isinstance(profile, Profile)
    assert (profile.email, profile.server_url) == (email, server.base_url)
    home = profile.practice("Z91001")
    assert home is not None and home.via is None
    assert set(home.roles) == set(PRACTICE_ROLES)
    (service, account), refresh_token = _only_keyring_entry(memory_keyring)
    assert (service, account) == (SERVICE_NAME, account_key(server.base_url, email))
    assert refresh_token and auth.client.token and refresh_token != auth.client.token
    assert load_profile() == profile
    assert (app_data_dir / "profile.json").is_file()
    assert _files_holding(app_data_dir, refresh_token, auth.client.token, PASSWORD) == []


def test_resume_rotates_the_refresh_token_and_sign_out_ends_the_session(
        server: RunningServer, world: World, app_data_dir: Path, memory_keyring: MemoryKeyring,
        auths: Callable[..., Auth]) -> None:
    email = world.manager()
    signed_in = auths().sign_in(email, PASSWORD)
    key, first_token = _only_keyring_entry(memory_keyring)

    # Next start of the app: a new session and a new token store over the same keyring.
    auth = auths(TokenStore())
    resumed = auth.resume(email.upper())

    assert _without_clock_offset(resumed) == _without_clock_offset(signed_in)
    rotated_key, rotated_token = _only_keyring_entry(memory_keyring)
    assert rotated_key == key
    assert rotated_token != first_token
    assert auth.request("GET", "/me")["user"]["email"] == email  # the new access token works

    auth.sign_out()

    assert memory_keyring.passwords == {}
    assert auth.profile is None and auth.client.token is None
    with pytest.raises(SignInRequired):
        auths().resume(email)
    # The service ended the session too: the last refresh token, put back by hand, is refused (and dropped).
    memory_keyring.set_password(*key, rotated_token)
    with pytest.raises(SignInRequired):
        auths().resume(email)
    assert memory_keyring.passwords == {}


def test_without_a_keyring_the_sign_in_lasts_for_this_session_only(
        server: RunningServer, world: World, app_data_dir: Path, no_keyring: object,
        auths: Callable[..., Auth]) -> None:
    email = world.viewer()
    store = TokenStore()
    assert store.persistent is False

    profile = auths(store).sign_in(email, PASSWORD)

    assert profile.email == email and profile.practice("Z91001") is not None
    assert store.persistent is False
    refresh_token = store.load(server.base_url, email)
    assert refresh_token
    assert _files_holding(app_data_dir, refresh_token, PASSWORD) == []
    assert auths(store).resume(email).email == email  # same app session: the token is in memory
    assert store.load(server.base_url, email) not in (None, refresh_token)  # rotated, still in memory
    with pytest.raises(SignInRequired):
        auths(TokenStore()).resume(email)  # next app session: nothing was kept


def test_requests_ca_bundle_does_not_make_the_client_trust_a_server(
        server: RunningServer, world: World, app_data_dir: Path, memory_keyring: MemoryKeyring,
        auths: Callable[..., Auth], monkeypatch: pytest.MonkeyPatch) -> None:
    """Trust comes from the OS store and the configured CA file only, not from requests' variables."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.ca_path))
    monkeypatch.setenv("CURL_CA_BUNDLE", str(server.ca_path))
    with pytest.raises(CertificateNotTrusted):
        auths(ca_file=None).sign_in(world.viewer(), PASSWORD)
    assert memory_keyring.passwords == {}


# --- The sign-in dialog ------------------------------------------------------------------------------

class RecordingSignIn:
    """The dialog's ``sign_in`` callable: a fresh Auth per attempt, as the app does; counts attempts."""

    def __init__(self, ca_file: Path | None) -> None:
        self.ca_file = ca_file
        self.calls: list[tuple[str, str]] = []
        self.finished = 0
        self._lock = threading.Lock()

    def __call__(self, server_url: str, email: str, password: str) -> Profile:
        self.calls.append((server_url, email))
        auth = Auth(server_url, TokenStore(), ca_file=self.ca_file)
        try:
            return auth.sign_in(email, password)
        finally:
            auth.close()
            with self._lock:
                self.finished += 1


def _open_dialog(qtbot: QtBot, sign_in: Callable[[str, str, str], object], server_url: str) -> SignInDialog:
    dialog = SignInDialog(sign_in, server_url=server_url)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def _type_and_click(qtbot: QtBot, dialog: SignInDialog, email: str, password: str) -> None:
    dialog.email.clear()
    dialog.password.clear()
    qtbot.keyClicks(dialog.email, email)
    qtbot.keyClicks(dialog.password, password)
    assert (dialog.email.text(), dialog.password.text()) == (email, password)
    qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)


def _attempt(qtbot: QtBot, dialog: SignInDialog, sign_in: RecordingSignIn, email: str,
             password: str) -> str:
    """Sign in through the form and wait for the answer; returns the message shown ('' if accepted)."""
    before = sign_in.finished
    _type_and_click(qtbot, dialog, email, password)

    def settled() -> bool:
        if sign_in.finished <= before:
            return False
        return dialog.result() == QDialog.DialogCode.Accepted or dialog.error.text() != SIGNING_IN

    qtbot.waitUntil(settled, timeout=SETTLE_MS)
    assert dialog.password.text() == "", "the password box should be cleared after every attempt"
    if dialog.result() == QDialog.DialogCode.Accepted:
        return ""
    assert dialog.error.isVisibleTo(dialog)
    assert dialog.sign_in_button.isEnabled() and dialog.email.isEnabled()  # ready for another go
    return dialog.error.text()


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def desktop(app_data_dir: Path, memory_keyring: MemoryKeyring) -> MemoryKeyring:
    """The app's data folder and keyring, both private to the test."""
    return memory_keyring


def test_dialog_signs_in_and_returns_the_profile(
        qtbot: QtBot, server: RunningServer, world: World, desktop: MemoryKeyring) -> None:
    email = world.manager()
    sign_in = RecordingSignIn(server.ca_path)
    dialog = _open_dialog(qtbot, sign_in, server.base_url)

    assert _attempt(qtbot, dialog, sign_in, email, PASSWORD) == ""

    assert dialog.result() == QDialog.DialogCode.Accepted
    assert isinstance(dialog.result_value, Profile)
    assert dialog.result_value.email == email
    assert sign_in.calls == [(server.base_url, email)]
    assert load_profile() == dialog.result_value
    assert _only_keyring_entry(desktop)[0] == (SERVICE_NAME, account_key(server.base_url, email))


def _disabled(world: World) -> str:
    email = world.viewer()
    with world.session() as session:
        user = user_by_email(session, email)
        assert user is not None
        user.active = False
        session.commit()
    return email


def _never_activated(world: World) -> str:
    return world.user({world.practice: (VIEW,)}, "newcomer", activated=False)  # and no activation link


def _activation_pending(world: World) -> str:
    email = _never_activated(world)
    with world.session() as session:
        user = user_by_email(session, email)
        assert user is not None
        issue_activation(session, user, START)  # live for 14 days of the server's clock
        session.commit()
    return email


@pytest.mark.parametrize(("make_user", "password", "code"), [
    pytest.param(World.viewer, WRONG_PASSWORD, "invalid_credentials", id="wrong password"),
    pytest.param(_disabled, PASSWORD, "account_disabled", id="account disabled"),
    # Not activated yet: the same answer as a wrong password, so nobody learns who has an account.
    pytest.param(_never_activated, PASSWORD, "invalid_credentials", id="activation link expired"),
    pytest.param(_activation_pending, PASSWORD, "invalid_credentials", id="activation pending"),
])
def test_dialog_explains_why_the_service_refused(
        qtbot: QtBot, server: RunningServer, world: World, desktop: MemoryKeyring,
        make_user: Callable[[World], str], password: str, code: str) -> None:
    email = make_user(world)
    sign_in = RecordingSignIn(server.ca_path)
    dialog = _open_dialog(qtbot, sign_in, server.base_url)

    assert _attempt(qtbot, dialog, sign_in, email, password) == SIGN_IN_MESSAGES[code]

    assert dialog.result() != QDialog.DialogCode.Accepted and dialog.result_value is None
    assert desktop.passwords == {}
    assert load_profile() is None


def test_dialog_says_how_long_to_wait_after_repeated_failures(
        qtbot: QtBot, server: RunningServer, world: World, desktop: MemoryKeyring) -> None:
    email = world.viewer()
    sign_in = RecordingSignIn(server.ca_path)
    dialog = _open_dialog(qtbot, sign_in, server.base_url)

    for _ in range(FAILURES_BEFORE_WAIT - 1):
        refused = _attempt(qtbot, dialog, sign_in, email, WRONG_PASSWORD)
        assert refused == SIGN_IN_MESSAGES["invalid_credentials"]
    waiting = _attempt(qtbot, dialog, sign_in, email, WRONG_PASSWORD)
    assert waiting == "Too many failed sign-in attempts. Please wait 1 second and try again."
    # Even the right password has to wait, from this computer, until the wait ends.
    assert _attempt(qtbot, dialog, sign_in, email, PASSWORD) == waiting
    assert dialog.result_value is None and desktop.passwords == {}


def test_dialog_says_when_the_server_cannot_be_reached(
        qtbot: QtBot, server: RunningServer, world: World, desktop: MemoryKeyring) -> None:
    nowhere = f"https://127.0.0.1:{_closed_port()}"
    sign_in = RecordingSignIn(server.ca_path)
    dialog = _open_dialog(qtbot, sign_in, nowhere)

    assert _attempt(qtbot, dialog, sign_in, world.viewer(), PASSWORD) == Unreachable.default_message
    assert sign_in.calls and sign_in.calls[0][0] == nowhere


def test_dialog_refuses_a_server_whose_certificate_is_not_trusted(
        qtbot: QtBot, server: RunningServer, world: World, desktop: MemoryKeyring) -> None:
    # No CA file: the test server's own CA is in no trust store, whatever REQUESTS_CA_BUNDLE says here.
    sign_in = RecordingSignIn(None)
    dialog = _open_dialog(qtbot, sign_in, server.base_url)

    message = _attempt(qtbot, dialog, sign_in, world.viewer(), PASSWORD)

    assert message == CertificateNotTrusted.default_message
    assert desktop.passwords == {}


@pytest.mark.parametrize(("server_url", "email", "password", "field", "named"), [
    pytest.param(None, "manager@nhs.net", "", "password", "password", id="empty password"),
    pytest.param(None, "manager.nhs.net", PASSWORD, "email", "email address", id="email without @"),
    pytest.param(None, "", PASSWORD, "email", "email address", id="empty email"),
    pytest.param("http://127.0.0.1:1", "manager@nhs.net", PASSWORD, "server", "server address",
                 id="server not https"),
])
def test_dialog_checks_the_fields_before_signing_in(
        qtbot: QtBot, server: RunningServer, desktop: MemoryKeyring, server_url: str | None, email: str,
        password: str, field: str, named: str) -> None:
    sign_in = RecordingSignIn(server.ca_path)
    dialog = _open_dialog(qtbot, sign_in, server_url or server.base_url)

    _type_and_click(qtbot, dialog, email, password)
    assert tasks.wait_for_idle(5)

    assert sign_in.calls == []
    assert named in dialog.error.text().lower(), dialog.error.text()
    assert dialog.error.isVisibleTo(dialog) and dialog.error.property("kind") == "error"
    assert dialog.focusWidget() is getattr(dialog, field)
    assert dialog.result() != QDialog.DialogCode.Accepted and dialog.result_value is None


# --- The log file --------------------------------------------------------------------------------------

@pytest.fixture
def debug_log_file(tmp_path: Path) -> Iterator[Path]:
    """The app's own logging set up at DEBUG into a file; the previous logging is put back afterwards."""
    root = logging.getLogger()
    handlers_before = list(root.handlers)
    levels_before = {name: logging.getLogger(name).level for name in ("", "urllib3", "alembic")}
    log_file = setup_logging(logging.DEBUG, log_file=tmp_path / "x.log", to_stderr=False)
    yield log_file
    for handler in [h for h in root.handlers if h not in handlers_before]:
        root.removeHandler(handler)
        handler.close()
    for name, level in levels_before.items():
        logging.getLogger(name).setLevel(level)


def test_no_password_or_token_reaches_the_log_file(
        server: RunningServer, world: World, app_data_dir: Path, memory_keyring: MemoryKeyring,
        auths: Callable[..., Auth], debug_log_file: Path) -> None:
    email = world.manager()
    secrets: list[str] = [PASSWORD, WRONG_PASSWORD]

    with pytest.raises(SignInRefused, match="not right"):
        auths().sign_in(email, WRONG_PASSWORD)
    auth = auths()
    auth.sign_in(email, PASSWORD)
    first_access = auth.client.token
    auth.client.set_token(None)  # the next request renews the session with the refresh token...
    first_refresh = _only_keyring_entry(memory_keyring)[1]
    auth.request("GET", "/me")
    assert auth.client.token and first_access
    secrets += [first_refresh, first_access, _only_keyring_entry(memory_keyring)[1], auth.client.token]
    auth.sign_out()  # ...and this one ends it
    for handler in logging.getLogger().handlers:
        handler.flush()

    text = debug_log_file.read_text(encoding="utf-8")
    assert f"Signed in as {email}" in text  # the sign-in was logged...
    assert "POST /auth/token -> 200" in text and "POST /auth/refresh -> 200" in text  # ...at DEBUG too
    assert len(set(secrets)) == len(secrets)
    leaked = [index for index, secret in enumerate(secrets) if secret in text]
    assert leaked == [], "secrets (0-1 passwords, then refresh and access tokens) found in the log"
