"""Alembic environment of the local cache. Run by app.models.database with an open connection;
there is no alembic.ini."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection

from app.models import cache, outbox  # noqa: F401  (registers the tables on Base.metadata)
from app.models.base import Base

config = context.config


def _run(connection: Connection) -> None:
    # SQLite cannot ALTER most things: batch mode rebuilds the table instead.
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) migrations are not supported; run against a database.")

_connection = config.attributes.get("connection")
if _connection is not None:
    _run(_connection)
else:  # by hand: alembic -x url=sqlite:///path upgrade head
    with create_engine(context.get_x_argument(as_dictionary=True)["url"]).begin() as _own:
        _run(_own)
