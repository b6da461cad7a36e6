"""Refresh-token storage in the OS keyring, and nowhere else on disk.

keyring is imported on first use: finding the OS keyring loads all its backends, which the first paint
of the window does not need.

With no usable keyring backend (a headless Linux box, a locked-down PC) the token is kept in memory for
this session only; ``persistent`` is then False so the UI can say "you will need to sign in again next
time". Tokens are never logged: errors are logged by type and message of the keyring, never the value.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

log = logging.getLogger(__name__)

SERVICE_NAME = "cqrs-desktop"


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


class TokenStore:
    """Refresh tokens per (server URL, email): OS keyring when available, else memory for this session."""

    def __init__(self, backend: KeyringBackend | None = None) -> None:
        self._given = backend
        self._chosen: KeyringBackend | None = None
        self._persistent = False
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
                self._chosen = chosen
                if not self._persistent:
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
                self._backend.set_password(SERVICE_NAME, key, token)
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
            return self._backend.get_password(SERVICE_NAME, key)
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
            self._backend.delete_password(SERVICE_NAME, key)
        except PasswordDeleteError:
            pass  # nothing stored
        except (KeyringError, OSError, RuntimeError) as error:
            log.warning("Could not delete the sign-in token from the keyring: %s", type(error).__name__)

    def _fall_back(self, error: BaseException) -> None:
        # The keyring refused (locked, D-Bus gone...): carry on for this session rather than fail sign-in.
        log.warning("Keyring %s failed (%s); keeping sign-in for this session only",
                    type(self._backend).__name__, type(error).__name__)
        self._persistent = False
