"""app.services.snapshot: the start-up picture is stored privately, read read-only, and only for its owner;
app.models.database.stored_revision reads the schema version without SQLAlchemy."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

from app import paths
from app.models import database
from app.services import snapshot
from app.services.profile import PracticeAccess, Profile, save_profile

SERVER, EMAIL = "https://cqrs.example", "practice.manager@nhs.net"


def picture(email: str = EMAIL) -> snapshot.Snapshot:
    return snapshot.Snapshot(SERVER, email, "dashboard", "CQRS Desktop", (1280, 800), 9.0,
                             [{"kind": "label", "rect": [1, 2, 30, 40], "text": "Dashboard", "align": 1,
                               "wrap": False, "name": "pageHeading", "font": [13.0, True], "access": ""}])


def test_a_saved_picture_is_read_back_for_its_owner_only(app_data_dir: Path) -> None:
    snapshot.save(picture())
    assert snapshot.load((SERVER, EMAIL)) == picture()
    assert snapshot.load((SERVER, "someone.else@nhs.net")) is None
    assert snapshot.load(("https://other.example", EMAIL)) is None
    assert snapshot.load(None) is None  # nobody signed in: nothing is painted
    snapshot.save(picture("someone.else@nhs.net"))  # replaces, never adds
    assert snapshot.load((SERVER, EMAIL)) is None
    assert snapshot.load((SERVER, "someone.else@nhs.net")) == picture("someone.else@nhs.net")


def test_the_picture_file_is_private_and_beside_the_cache(app_data_dir: Path) -> None:
    snapshot.save(picture())
    path = paths.snapshot_path()
    assert path.parent == paths.cache_db_path().parent
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    snapshot.clear()
    assert not path.exists()
    snapshot.clear()  # already gone: fine


def test_the_saved_person_is_read_from_the_profile(app_data_dir: Path) -> None:
    assert snapshot.saved_person() is None
    save_profile(Profile(SERVER, EMAIL, "Sarah", "Okafor", (PracticeAccess("Z99001", "Riverside", ()),)))
    assert snapshot.saved_person() == (SERVER, EMAIL)
    paths.profile_path().write_text("{not json", encoding="utf-8")
    assert snapshot.saved_person() is None


def test_a_damaged_or_older_picture_is_ignored(app_data_dir: Path) -> None:
    snapshot.save(picture())
    with sqlite3.connect(paths.snapshot_path()) as connection:
        connection.execute("UPDATE snapshot SET format = format - 1")
    assert snapshot.load((SERVER, EMAIL)) is None
    with sqlite3.connect(paths.snapshot_path()) as connection:
        connection.execute("UPDATE snapshot SET format = ?, body = '{'", (snapshot.FORMAT,))
    assert snapshot.load((SERVER, EMAIL)) is None
    paths.snapshot_path().write_bytes(b"not a database at all")
    assert snapshot.load((SERVER, EMAIL)) is None


def test_reading_never_writes(app_data_dir: Path) -> None:
    snapshot.save(picture())
    path = paths.snapshot_path()
    os.chmod(path, 0o400)
    try:
        assert snapshot.load((SERVER, EMAIL)) == picture()  # read-only open works on a read-only file
    finally:
        os.chmod(path, 0o600)
    assert not path.with_name(path.name + "-journal").exists()


def test_stored_revision_tells_a_current_cache_from_a_new_or_old_one(app_data_dir: Path) -> None:
    path = paths.cache_db_path()
    assert database.stored_revision(path) is None  # no file yet
    database.open_cache()
    database.close_cache()
    assert database.stored_revision(path) == database.HEAD_REVISION
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0002_outbox'")
    assert database.stored_revision(path) == "0002_outbox"
    other = path.with_name("empty.sqlite3")
    sqlite3.connect(other).close()
    assert database.stored_revision(other) is None  # a SQLite file without Alembic's table


def test_the_start_up_modules_import_no_sqlalchemy() -> None:
    code = ("import sys, app.main, app.services.snapshot, app.views.snapshot_window; "
            "heavy = [m for m in ('sqlalchemy', 'alembic', 'requests', 'keyring', 'app.services.rules', "
            "'app.views.main_window', 'matplotlib') if m in sys.modules]; print(heavy)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert result.stdout.strip() == "[]"
