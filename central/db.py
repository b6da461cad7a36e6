"""Database engine and sessions from a URL; schema migrations (Alembic) run at start-up.

SQLite (the default, one file in the data dir) runs in WAL mode with foreign keys on. Write
transactions take SQLite's write lock at BEGIN (``BEGIN IMMEDIATE``) so that concurrent requests wait
for each other instead of failing, and so that change-log ``seq`` numbers commit in increasing order.
A read transaction is never upgraded to a write: SQLite refuses the upgrade (SQLITE_BUSY_SNAPSHOT) when
another writer committed since the read began. Code that reads first and writes later (sign-in, after
its password check) ends the read and opens a short write in a session of :func:`writer`, re-checking
inside it what it read before (central.sign_in).

The connection pool never makes a thread wait: a request holds its connection between the worker
threads that run its dependencies and its handler, so a pool smaller than the requests in flight
could leave a lock holder waiting for a thread held by a request waiting for a connection.
``postgresql+psycopg://`` URLs work too (install the ``postgres`` extra), and several server processes
may share one database. A writer there takes a transaction-scoped advisory lock as it begins, the
counterpart of ``BEGIN IMMEDIATE``: writers of every process take turns, so what SQLite's one write lock
guarantees holds across processes too (feed ``seq`` order, one answer per Idempotency-Key, sign-in
throttle counts, If-Match checks: each re-reads under the lock what it decides on). Readers never take it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
WRITE = "cqrs_write"  # execution option: this transaction will write
POOL_SIZE = 16  # connections kept open: about one per server worker thread (central.server.WORKER_THREADS)
_PG_MIGRATION_LOCK = 7_240_001
PG_WRITE_LOCK = 7_240_003  # held by the one PostgreSQL writer transaction of the moment, in any process


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite files get restrictive permissions, WAL and foreign keys."""
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    if url.startswith("postgresql"):
        return _postgres_engine(url)
    return create_engine(url, pool_pre_ping=True)


def _postgres_engine(url: str) -> Engine:
    engine = create_engine(url, pool_pre_ping=True, pool_size=POOL_SIZE, max_overflow=-1)

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:  # type: ignore[no-untyped-def]
        if connection.get_execution_options().get(WRITE):
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({PG_WRITE_LOCK})")

    return engine


def _sqlite_engine(url: str) -> Engine:
    path = url.split("///", 1)[1] if "///" in url else ""
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not Path(path).exists():
            Path(path).touch(mode=0o600)
    pooled = {"pool_size": POOL_SIZE, "max_overflow": -1} if path and path != ":memory:" else {}
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **pooled)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:  # type: ignore[no-untyped-def]
        immediate = connection.get_execution_options().get(WRITE)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def begin_write(session: Session) -> None:
    """Start ``session``'s transaction as a writer (call before its first statement)."""
    session.connection(execution_options={WRITE: True})


def writer(engine: Engine) -> Engine:
    """``engine`` whose every transaction begins as a writer (shares its pool)."""
    return engine.execution_options(**{WRITE: True})


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision; an existing SQLite file is copied first."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    head = ScriptDirectory.from_config(config).get_current_head()
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    if current == head:
        return
    if current is not None:
        _backup_sqlite(engine, current)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":  # several workers may start at once
            connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def _backup_sqlite(engine: Engine, revision: str) -> None:
    """Copy the database (with the SQLite backup API, so WAL content is included) before migrating."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return
    copy = f"{database}.before-{revision}"
    Path(copy).touch(mode=0o600)
    target = sqlite3.connect(copy)
    try:
        with engine.connect() as connection:
            connection.connection.driver_connection.backup(target)
    finally:
        target.close()
