"""Alembic environment: run by central.db.migrate() with a connection, never from an alembic.ini."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from central.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is None:  # e.g. `alembic -x url=... upgrade head` run by hand
        arguments = context.get_x_argument(as_dictionary=True)
        url = arguments.get("url") or config.get_main_option("sqlalchemy.url")
        with create_engine(url).begin() as own:
            _run(own)
    else:
        _run(connection)


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) migrations are not supported; run against a database.")
run_migrations()
