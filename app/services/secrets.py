"""Refresh-token storage in the OS keyring, and nowhere else on disk.

keyring is imported on first use: finding the OS keyring loads all its backends, which the first paint
of the window does not need.

With no usable keyring backend (a headless Linux box, a locked-down PC) the token is kept in memory for
this session only; ``persistent`` is then False so the UI can say "you will need to sign in again next
time". A Secret Service whose keyring is locked or not set up counts as none: asking it would open an
unlock prompt, which on a PC without a desktop session nobody sees, and the call would wait for it
(that wait was the long "Not connected yet" at start-up). Every keyring call is bounded in time too.
Tokens are never logged: errors are logged by type and message of the keyring, never the value.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

log = logging.getLogger(__name__)

T = TypeVar("T")
SERVICE_NAME = "cqrs-desktop"
KEYRING_WAIT_SECONDS = 5.0  # a keyring answers in milliseconds; longer means it waits on a prompt


def account_key(server_url: str, email: str) -> str:
    """The keyring 'username' for a user on a server, e.g. 'https://cqrs.example:8443 a.b@nhs.net'."""
    return f"{server_url.strip().rstrip('/')} {email.strip().lower()}"


def backend_is_usable(backend: KeyringBackend) -> bool:
    """False for the 'fail' backend and for keyrings.alt's file backends (they write secrets to a file)."""
    from keyring.backends import fail

    if isinstance(backend, fail.Keyring):
        return False
    module = type(backend).__module__
    if module.startswith("keyrings.alt"):
        return False
    # A chainer with nothing behind it behaves like the fail backend.
    return not (hasattr(backend, "backends") and not getattr(backend, "backends", None))


def found_quickly(server_url: str, email: str) -> bool:
    """True when the Linux Secret Service certainly holds this person's refresh token, asked without
    the keyring library (whose start-up takes longer than Qt's) and without reading the secret.

    False means only "not found this way" (another OS, a configured keyring, nothing stored, no Secret
    Service): ask TokenStore then. Start-up uses this to paint the person's window sooner.
    """
    if sys.platform != "linux" or os.environ.get("PYTHON_KEYRING_BACKEND") or _keyring_configured():
        return False
    try:
        import secretstorage  # what keyring's own Secret Service backend uses, without the rest of keyring

        connection = secretstorage.dbus_init()
        try:
            collection = secretstorage.Collection(connection)  # never created here: that would prompt
            if collection.is_locked():  # its secrets cannot be read without a prompt: not signed in
                return False
            # The attributes keyring's backend stores an entry under ("default" scheme).
            found = collection.search_items({"username": account_key(server_url, email),
                                             "service": SERVICE_NAME})
            return next(iter(found), None) is not None
        finally:
            connection.close()
    except Exception as error:  # no Secret Service, no D-Bus, no default collection: ask keyring later
        log.debug("Quick keyring look not possible (%s)", type(error).__name__)
        return False


def secret_service_problem() -> str | None:
    """Why the Secret Service's default keyring cannot be used without a prompt ("locked", "missing"),
    or None when it can, or when there is no Secret Service to ask (keyring decides then)."""
    try:
        import secretstorage
        from secretstorage.exceptions import ItemNotFoundException
    except ImportError:
        return None
    try:
        connection = secretstorage.dbus_init()
    except Exception:  # no session bus: keyring will find no Secret Service either
        return None
    try:
        try:
            collection = secretstorage.Collection(connection)
        except ItemNotFoundException:
            return "missing"
        return "locked" if collection.is_locked() else None
    except Exception as error:
        log.debug("Secret Service state unknown (%s)", type(error).__name__)
        return None
    finally:
        connection.close()


def _keyring_configured() -> bool:
    """A keyringrc.cfg may choose another backend: then only keyring itself can answer."""
    config = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return (config / "python_keyring" / "keyringrc.cfg").exists()


class TokenStore:
    """Refresh tokens per (server URL, email): OS keyring when available, else memory for this session."""

    def __init__(self, backend: KeyringBackend | None = None, *, wait_seconds: float = KEYRING_WAIT_SECONDS
                 ) -> None:
        self._given = backend
        self._chosen: KeyringBackend | None = None
        self._persistent = False
        self._wait = wait_seconds
        self.problem = ""  # why tokens are not kept: "no keyring", "locked", "not answering"
        self._memory: dict[str, str] = {}
        self._choosing = threading.Lock()  # workers may ask at once; the backend is chosen once

    @property
    def _backend(self) -> KeyringBackend:
        # Chosen on first use, not at start-up: finding the OS keyring loads every backend (~30 ms).
        # Called on workers only (sign-in, sync, the help desk's facts): never a lookup on the GUI thread.
        with self._choosing:
            if self._chosen is None:
                import keyring

                chosen = self._given if self._given is not None else keyring.get_keyring()
                self._persistent = backend_is_usable(chosen)
                self.problem = "" if self._persistent else "no keyring"
                if self._persistent and _uses_secret_service(chosen):
                    state = secret_service_problem()
                    if state is not None:
                        self._persistent, self.problem = False, "locked"
                        log.warning("The Secret Service keyring is %s: asking it would wait for an unlock "
                                    "prompt, so sign-in will last for this session only", state)
                self._chosen = chosen
                if not self._persistent and self.problem == "no keyring":
                    log.warning("No usable OS keyring (%s): sign-in will last for this session only",
                                type(chosen).__name__)
            return self._chosen

    @property
    def persistent(self) -> bool:
        """True while tokens are kept by the OS keyring (so they survive a restart)."""
        self._backend  # noqa: B018  (choose the backend if not done yet)
        return self._persistent

    @property
    def backend_name(self) -> str:
        return type(self._backend).__name__

    def save(self, server_url: str, email: str, token: str) -> bool:
        """Store the refresh token; returns ``persistent`` (False: kept for this session only)."""
        from keyring.errors import KeyringError  # keyring loads on first use

        key = account_key(server_url, email)
        if self.persistent:
            try:
                self._bounded(lambda: self._backend.set_password(SERVICE_NAME, key, token))
                return True
            except (KeyringError, OSError, RuntimeError) as error:
                self._fall_back(error)
        self._memory[key] = token
        return False

    def load(self, server_url: str, email: str) -> str | None:
        from keyring.errors import KeyringError  # keyring loads on first use

        key = account_key(server_url, email)
        if key in self._memory:
            return self._memory[key]
        if not self.persistent:
            return None
        try:
            return self._bounded(lambda: self._backend.get_password(SERVICE_NAME, key))
        except (KeyringError, OSError, RuntimeError) as error:
            self._fall_back(error)
            return None

    def delete(self, server_url: str, email: str) -> None:
        """Forget the token (sign-out) wherever it is kept. Deleting a missing token is not an error."""
        from keyring.errors import KeyringError, PasswordDeleteError  # keyring loads on first use

        key = account_key(server_url, email)
        self._memory.pop(key, None)
        if not self.persistent:
            return
        try:
            self._bounded(lambda: self._backend.delete_password(SERVICE_NAME, key))
        except PasswordDeleteError:
            pass  # nothing stored
        except (KeyringError, OSError, RuntimeError) as error:
            log.warning("Could not delete the sign-in token from the keyring: %s", type(error).__name__)

    def _bounded(self, call: Callable[[], T]) -> T:
        """``call()`` on a thread of its own, given ``wait_seconds``: a keyring waiting on something nobody
        can answer must not hold up signing in (the thread is left to finish or hang on its own)."""
        done: Future[T] = Future()

        def run() -> None:
            try:
                done.set_result(call())
            except BaseException as error:
                done.set_exception(error)

        threading.Thread(target=run, name="cqrs-keyring-call", daemon=True).start()
        try:
            return done.result(timeout=self._wait)
        except FutureTimeout:
            self.problem = "not answering"
            raise KeyringTimeout(f"no answer within {self._wait:g} s") from None

    def _fall_back(self, error: BaseException) -> None:
        # The keyring refused (locked, D-Bus gone...): carry on for this session rather than fail sign-in.
        log.warning("Keyring %s failed (%s); keeping sign-in for this session only",
                    type(self._backend).__name__, type(error).__name__)
        self._persistent = False
        self.problem = self.problem or "not answering"


class KeyringTimeout(RuntimeError):
    """The keyring did not answer in time (e.g. an unlock prompt on a screen nobody is looking at)."""


def _uses_secret_service(backend: KeyringBackend) -> bool:
    names = [type(backend).__module__] + [type(b).__module__ for b in getattr(backend, "backends", ())]
    return any(name.endswith("SecretService") for name in names)
