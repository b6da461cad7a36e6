"""A keyring backend for end-to-end runs of the app as a process: it keeps passwords in the JSON file
named by CQRS_TEST_KEYRING (a test's temporary folder), so a second start finds the first one's token.
Chosen with PYTHON_KEYRING_BACKEND=file_keyring.FileKeyring; never used outside tests."""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class FileKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    @property
    def _path(self) -> Path:
        return Path(os.environ["CQRS_TEST_KEYRING"])

    def _all(self) -> dict[str, str]:
        return json.loads(self._path.read_text()) if self._path.is_file() else {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._all().get(f"{service} {username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        self._path.write_text(json.dumps({**self._all(), f"{service} {username}": password}))

    def delete_password(self, service: str, username: str) -> None:
        stored = self._all()
        if stored.pop(f"{service} {username}", None) is None:
            raise PasswordDeleteError("not found")
        self._path.write_text(json.dumps(stored))
