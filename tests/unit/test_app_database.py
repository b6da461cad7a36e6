"""app.models.database: WAL, private file, Alembic migrations, a backup before migrating an old file."""

import os
import sqlite3
import stat
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from app import paths
from app.models import cache, database, outbox  # noqa: F401  (tables on the metadata)
from app.models.base import Base


def tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
    return {name for (name,) in rows}


def test_new_cache_has_the_whole_schema_and_no_backup(app_data_dir: Path) -> None:
    engine = database.open_cache()
    path = paths.cache_db_path()
    assert database.current_revision(engine) == database.head_revision()
    assert {"cached_records", "sync_state", "outbox", "drafts", "alembic_version"} <= tables(path)
    assert list(paths.backups_dir().iterdir()) == []  # nothing worth copying


def test_the_known_head_is_the_newest_migration() -> None:
    assert database.head_revision() == database.HEAD_REVISION


def test_migrations_match_the_models(cache_db: Path) -> None:
    with database.engine().connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def test_pragmas_and_file_mode(cache_db: Path) -> None:
    with database.engine().connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
    if os.name == "posix":
        assert stat.S_IMODE(os.stat(cache_db).st_mode) == 0o600


def test_old_file_is_backed_up_then_upgraded(app_data_dir: Path) -> None:
    path = paths.cache_db_path()
    old = database.create_cache_engine(path)
    database.upgrade(old, "0001_cache")  # a cache written by the first release
    with old.begin() as connection:
        connection.execute(text("INSERT INTO sync_state (practice, cursor, updated_at) "
                                "VALUES ('A81001', '77', '2026-11-01 09:00:00')"))
    old.dispose()
    assert "outbox" not in tables(path)

    database.open_cache()
    assert "outbox" in tables(path)
    backups = list(paths.backups_dir().glob("*.sqlite3"))
    assert len(backups) == 1 and "0001_cache" in backups[0].name
    assert tables(backups[0]) >= {"sync_state", "cached_records"} and "outbox" not in tables(backups[0])
    with sqlite3.connect(backups[0]) as connection:
        assert connection.execute("SELECT cursor FROM sync_state").fetchall() == [("77",)]
    if os.name == "posix":
        assert stat.S_IMODE(os.stat(backups[0]).st_mode) == 0o600

    database.close_cache()
    database.open_cache()  # already current: no second copy
    assert len(list(paths.backups_dir().glob("*.sqlite3"))) == 1


def test_only_the_newest_backups_are_kept(app_data_dir: Path) -> None:
    path = paths.cache_db_path()
    database.open_cache()
    database.close_cache()
    for _ in range(database.BACKUPS_KEPT + 3):
        database.backup(path, "test")
    assert len(list(paths.backups_dir().glob("*.sqlite3"))) == database.BACKUPS_KEPT


def test_session_scope_commits_or_rolls_back(cache_db: Path) -> None:
    with database.session_scope() as session:
        session.add(cache.SyncState(practice="A81001", cursor="1"))
    with pytest.raises(RuntimeError), database.session_scope() as session:
        session.add(cache.SyncState(practice="B82002", cursor="1"))
        session.flush()
        raise RuntimeError("boom")
    with database.session_scope() as session:
        assert [s.practice for s in session.query(cache.SyncState)] == ["A81001"]


def test_session_scope_needs_an_open_cache(app_data_dir: Path) -> None:
    database.close_cache()
    with pytest.raises(RuntimeError, match="not open"), database.session_scope():
        pass
