"""Opening the local cache: SQLite in WAL mode, foreign keys on, file private to the user (0600),
schema brought up to date by Alembic, with a copy of the file taken before any migration.

    database.open_person(person)     # on the database worker, once that person is signed in
    with database.session_scope() as session:
        ...                          # one transaction: committed on success, rolled back on error

Each person has a cache of their own (app.paths.person_dir): switching person closes one and opens the
other, on the database worker, the one thread that uses the cache.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from app import paths

if TYPE_CHECKING:  # SQLAlchemy is imported when the cache is opened: stored_revision() needs none of it
    from alembic.config import Config
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# The newest migration. Known here so a start-up with an up-to-date cache never imports Alembic (about
# 0.2 s); a test checks it against the migrations folder.
HEAD_REVISION = "0003_outbox_owner"
BACKUPS_KEPT = 5
BUSY_TIMEOUT_SECONDS = 15

class CacheClosed(RuntimeError):
    """Nobody is signed in, so no cache is open: a read or write that arrives then is refused."""

    user_message = "Sign in to see your practice's data on this PC."


_engine: Engine | None = None
_sessions: sessionmaker[Session] | None = None


def create_cache_engine(path: Path) -> Engine:
    """An engine on ``path`` with the pragmas every connection needs."""
    from sqlalchemy import create_engine, event

    paths.create_private_file(path)  # SQLite would create it with the umask's mode
    engine = create_engine(
        f"sqlite:///{path}",
        # Connections are used by one thread at a time (the pool hands them out), but not always the
        # thread that opened them: the db worker, the sync engine and tests all use the same engine.
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_SECONDS},
    )
    event.listen(engine, "connect", _set_pragmas)
    return engine


def _set_pragmas(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers don't block the writer
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL; a power cut loses at most the last commit
    cursor.close()


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str:
    """The newest revision in the migrations folder (imports Alembic)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def stored_revision(path: Path) -> str | None:
    """The revision of the file at ``path``, read with sqlite3 alone, read-only (None: new, unversioned or
    unreadable). At start-up: a cache at HEAD_REVISION is painted from before SQLAlchemy is imported."""
    if not path.is_file():
        return None
    try:
        connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_SECONDS)
    except sqlite3.Error:
        return None
    try:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:
        return None
    finally:
        connection.close()
    return row[0] if row else None


def current_revision(engine: Engine) -> str | None:
    """The revision the file is at, read straight from Alembic's table (None for a new file)."""
    with engine.connect() as connection:
        has_table = connection.exec_driver_sql(
            "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='alembic_version'").scalar_one()
        if not has_table:
            return None
        return connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run the migrations up to ``revision`` (tests use an older one to make an 'old' file)."""
    from alembic import command

    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def backup(path: Path, label: str) -> Path:
    """Copy the database at ``path`` into the backups folder (SQLite's online backup: WAL-safe)."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")
    target = paths.create_private_file(paths.backups_dir() / f"{path.stem}-{stamp}-{label}.sqlite3")
    source, destination = sqlite3.connect(path), sqlite3.connect(target)
    try:
        source.backup(destination)
    finally:
        destination.close()
        source.close()
    _prune_backups(path.stem)
    return target


def _prune_backups(stem: str) -> None:
    old = sorted(paths.backups_dir().glob(f"{stem}-*.sqlite3"))[:-BACKUPS_KEPT]
    for path in old:
        path.unlink(missing_ok=True)


def migrate(engine: Engine, path: Path) -> Path | None:
    """Bring the schema to the newest revision; return the backup taken first, if one was needed."""
    current = current_revision(engine)
    if current == HEAD_REVISION:
        return None
    head = head_revision()
    backup_path = None
    if _has_tables(engine):  # an existing cache, not a brand-new empty file
        backup_path = backup(path, current or "unversioned")
        log.info("Cache %s is at revision %s; copied to %s before migrating", path, current, backup_path)
    upgrade(engine)
    log.info("Cache migrated to revision %s", head)
    return backup_path


def _has_tables(engine: Engine) -> bool:
    with engine.connect() as connection:
        tables = connection.exec_driver_sql("SELECT count(*) FROM sqlite_master WHERE type='table'")
        return tables.scalar_one() > 0


def open_cache(path: Path | None = None) -> Engine:
    """Open (creating and migrating as needed) the cache and make it the one ``session_scope`` uses."""
    from sqlalchemy.orm import sessionmaker

    global _engine, _sessions
    close_cache()
    path = path if path is not None else paths.cache_db_path()
    engine = create_cache_engine(path)
    migrate(engine, path)
    _engine = engine
    _sessions = sessionmaker(engine, expire_on_commit=False)
    return engine


def open_person(person: tuple[str, str]) -> Engine:
    """Close whichever cache is open and open ``person``'s (server or token scope, email)."""
    close_cache()
    paths.set_person(person)
    return open_cache()


def close_person() -> None:
    """Nobody signed in: close the cache; nothing of anyone's is open until the next sign-in."""
    close_cache()
    paths.set_person(None)


def remove_person(person: tuple[str, str]) -> None:
    """Delete everything this PC keeps of ``person`` (cache, picture, profile copy, offline verifier)."""
    if paths.person() == (person[0].strip().rstrip("/"), person[1].strip().lower()):
        close_person()
    folder = paths.people_dir() / paths.person_key(*person)
    shutil.rmtree(folder, ignore_errors=True)
    log.info("Removed a person's data from this PC")


def adopt_shared_cache(person: tuple[str, str] | None) -> str | None:
    """At start-up, before any cache opens: the one cache an older version shared between everyone goes
    to ``person`` (who signed in last), or is deleted when nobody is known or they have their own."""
    shared = paths.shared_cache_path()
    picture = paths.data_dir() / paths.SNAPSHOT_FILE
    files = [shared.with_name(shared.name + suffix) for suffix in ("", "-wal", "-shm")]
    if not shared.exists():
        picture.unlink(missing_ok=True)
        return None
    target = paths.person_dir(*person) if person is not None else None
    if target is not None and not (target / paths.CACHE_FILE).exists():
        for path in [*files, picture]:
            if path.exists():
                os.replace(path, target / path.name)
        log.info("The shared cache of an older version now belongs to the person who signed in last")
        return "moved"
    for path in [*files, picture]:
        path.unlink(missing_ok=True)
    log.info("The shared cache of an older version was removed: it had no known owner")
    return "removed"


def close_cache() -> None:
    """Close every connection (at exit, and in tests before the data folder goes)."""
    global _engine, _sessions
    if _engine is not None:
        _engine.dispose()
    _engine, _sessions = None, None


def engine() -> Engine:
    if _engine is None:
        raise CacheClosed("The local cache is not open; call app.models.database.open_cache() first")
    return _engine


@contextmanager
def session_scope() -> Iterator[Session]:
    """One transaction: commit if the block succeeds, roll back (and re-raise) if it fails."""
    if _sessions is None:
        raise CacheClosed("The local cache is not open; call app.models.database.open_cache() first")
    session = _sessions()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
