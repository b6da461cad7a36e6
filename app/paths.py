"""Every file location of the desktop client, in one place.

By default files live in Qt's per-user application data folder (AppDataLocation); ``--data-dir``
(or a test) calls :func:`configure` to put everything somewhere else. Folders are created on first
use and kept private to the user (0700): the cache holds practice data.

Each person has a folder of their own, ``people/<key>/``, keyed by server and email address: their cache,
the picture of their window, their profile and their offline sign-in verifier. ``set_person`` chooses
whose files the cache and snapshot paths name; with nobody chosen they name the single shared cache of
older versions (which start-up moves to its owner) — tools and tests use it, the app never opens it.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

APP_NAME = "CQRS Desktop"
ORGANISATION_NAME = "CQRS"
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600

CACHE_FILE = "cache.sqlite3"
SNAPSHOT_FILE = "page-snapshot.sqlite3"
PROFILE_FILE = "profile.json"
VERIFIER_FILE = "offline-sign-in.json"

_override: Path | None = None
_person: tuple[str, str] | None = None  # (server or token scope, email) whose cache is in use


def configure(data_dir: Path | str | None) -> Path:
    """Use ``data_dir`` for every file (None goes back to the default) and return the folder in use."""
    global _override, _person
    _override = Path(data_dir).expanduser().resolve() if data_dir is not None else None
    _person = None
    return _root()


def default_data_dir() -> Path:
    """Qt's AppDataLocation for this app, e.g. ~/.local/share/CQRS/CQRS Desktop on Linux."""
    # QtCore only: cheap to import and no QApplication is needed for QStandardPaths.
    from PySide6.QtCore import QCoreApplication, QStandardPaths

    # The location depends on the application identity; set it so it does not depend on the exe name.
    if QCoreApplication.applicationName() != APP_NAME:
        QCoreApplication.setOrganizationName(ORGANISATION_NAME)
        QCoreApplication.setApplicationName(APP_NAME)
    location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    if not location:
        location = str(Path.home() / ".cqrs-desktop")
    return Path(location)


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) if needed and make it readable by this user only."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    if os.name == "posix":
        os.chmod(path, PRIVATE_DIR_MODE)
    return path


def _root() -> Path:
    return ensure_private_dir(_override if _override is not None else default_data_dir())


def data_dir() -> Path:
    """The root folder of every file the client writes."""
    return _root()


def person_key(server: str, email: str) -> str:
    """The folder name of one person on one server: a hash, so the folder list names nobody."""
    identity = f"{server.strip().rstrip('/')}|{email.strip().lower()}"
    return hashlib.sha256(identity.encode("utf-8")).hexdigest()[:16]


def people_dir() -> Path:
    return ensure_private_dir(data_dir() / "people")


def person_dir(server: str, email: str) -> Path:
    """The private folder of one person's files (created on first use)."""
    return ensure_private_dir(people_dir() / person_key(server, email))


def set_person(person: tuple[str, str] | None) -> None:
    """Whose cache and snapshot the paths below name from now on (None: nobody signed in)."""
    global _person
    _person = (person[0].strip().rstrip("/"), person[1].strip().lower()) if person is not None else None


def person() -> tuple[str, str] | None:
    return _person


def shared_cache_path() -> Path:
    """The one cache every person shared in older versions (moved to its owner at start-up)."""
    return data_dir() / CACHE_FILE


def cache_db_path() -> Path:
    """The local SQLite cache of the person in use (records from the sync feed, the outbox and drafts)."""
    return person_dir(*_person) / CACHE_FILE if _person is not None else shared_cache_path()


def snapshot_path() -> Path:
    """The picture of the window last on screen, painted at the next start once that person is known."""
    return person_dir(*_person) / SNAPSHOT_FILE if _person is not None else data_dir() / SNAPSHOT_FILE


def settings_path() -> Path:
    """The JSON file holding user settings (see app.settings)."""
    return data_dir() / "settings.json"


def profile_path() -> Path:
    """Who signed in last and which practices and roles they have: lets the app open offline."""
    return data_dir() / "profile.json"


def log_dir() -> Path:
    return ensure_private_dir(data_dir() / "logs")


def log_file_path() -> Path:
    return log_dir() / "cqrs-desktop.log"


def backups_dir() -> Path:
    """Copies of the cache taken before a schema migration."""
    return ensure_private_dir(data_dir() / "backups")


def demo_server_dir() -> Path:
    """Database, CA and certificate of the embedded central service started by ``--demo``."""
    return ensure_private_dir(data_dir() / "demo-server")


def create_private_file(path: Path) -> Path:
    """Create ``path`` empty with mode 0600 if it does not exist, and tighten its mode if it does."""
    ensure_private_dir(path.parent)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, PRIVATE_FILE_MODE)
    os.close(fd)
    if os.name == "posix":
        os.chmod(path, PRIVATE_FILE_MODE)
    return path


def write_private_json(path: Path, data: Any) -> None:
    """Write ``data`` as JSON atomically (a temporary file, then ``os.replace``), private to the user."""
    ensure_private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)  # readers see the old file or the new one, never half of one
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
