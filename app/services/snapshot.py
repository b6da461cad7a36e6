"""A ready-to-draw picture of the window the user last had on screen, kept beside the cache.

The next start paints it before SQLAlchemy, the rules or any page is imported, then swaps in the live
window (app.views.snapshot_window). It holds what the window showed — texts, table cells, where each
widget was — and whose it is. It lives in that person's own folder (app.paths.person_dir) and is painted
only once they count as signed in (their refresh token is in the keyring), and only when the saved
profile names the same person on the same server: nothing of one person's cache is painted for anyone.

Plain ``sqlite3`` and ``json`` only, so importing this costs nothing. Written on the database worker (a
connection opened and closed by each call), read at start-up read-only.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from app import paths

log = logging.getLogger(__name__)

FORMAT = 1  # bump when the widget descriptions change: an older snapshot is then ignored
SCHEMA = ("CREATE TABLE IF NOT EXISTS snapshot (id INTEGER PRIMARY KEY CHECK (id = 1), "
          "format INTEGER NOT NULL, server_url TEXT NOT NULL, email TEXT NOT NULL, body TEXT NOT NULL)")


@dataclass(frozen=True)
class Snapshot:
    server_url: str
    email: str
    section: str  # the key of the page on screen
    title: str  # the window title
    size: tuple[int, int]  # the window's width and height when it was taken
    font_size: float  # the application font's point size (the Text size setting) when it was taken
    widgets: list[dict[str, Any]]  # what to draw, parents before children (see app.views.snapshot_window)

    def body(self) -> str:
        return json.dumps({key: value for key, value in asdict(self).items()
                           if key not in ("server_url", "email")}, separators=(",", ":"))

    @classmethod
    def from_row(cls, server_url: str, email: str, body: str) -> Snapshot:
        data = json.loads(body)
        width, height = data["size"]
        return cls(server_url, email, str(data["section"]), str(data["title"]), (int(width), int(height)),
                   float(data["font_size"]), list(data["widgets"]))


def save(snapshot: Snapshot, path: Path | None = None) -> None:
    """Replace the stored snapshot (on the database worker; the file is created private to the user)."""
    person = paths.person()
    if path is None and person is not None and person[1] != snapshot.email.strip().lower():
        log.info("A picture of someone else's window was not kept")  # the cache in use changed since
        return
    path = path or paths.snapshot_path()
    paths.create_private_file(path)
    connection = sqlite3.connect(path)
    try:
        with connection:
            connection.execute(SCHEMA)
            connection.execute("INSERT OR REPLACE INTO snapshot (id, format, server_url, email, body) "
                               "VALUES (1, ?, ?, ?, ?)", (FORMAT, snapshot.server_url, snapshot.email,
                                                          snapshot.body()))
    finally:
        connection.close()


def clear(path: Path | None = None) -> None:
    """Forget the snapshot (signed out: nothing of the cache is painted before the next sign-in)."""
    (path or paths.snapshot_path()).unlink(missing_ok=True)


def saved_person(profile_path: Path | None = None) -> tuple[str, str] | None:
    """(server URL, email) of the saved profile, read without importing the profile's module (its rules)."""
    try:
        data = json.loads((profile_path or paths.profile_path()).read_text(encoding="utf-8"))
        return str(data["server_url"]), str(data["email"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as error:
        log.warning("Profile could not be read for the start-up picture (%s)", error)
        return None


def load(person: tuple[str, str] | None, path: Path | None = None) -> Snapshot | None:
    """The stored snapshot if it was taken for ``person`` (server URL, email) in this format, else None.

    Read-only: a start-up never writes here, and a missing or damaged file only means no early picture.
    """
    path = path or paths.snapshot_path()
    if person is None or not path.is_file():
        return None
    try:
        connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        row = connection.execute(
            "SELECT format, server_url, email, body FROM snapshot WHERE id = 1").fetchone()
    except sqlite3.Error as error:
        log.warning("The start-up picture could not be read (%s)", error)
        return None
    finally:
        connection.close()
    if row is None or row[0] != FORMAT or (row[1], row[2]) != person:
        return None
    try:
        return Snapshot.from_row(row[1], row[2], row[3])
    except (ValueError, KeyError, TypeError) as error:
        log.warning("The start-up picture is damaged (%s)", error)
        return None
