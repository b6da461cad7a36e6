"""Where benchmarks/rush.py keeps each size's data, and the CPU time of a process tree."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Database:
    """Where each size keeps its data: SQLite in its data folder (``url`` None), or a PostgreSQL database
    (``new_database`` makes an empty one per size; with a given ``url``, that one, which must be empty)."""

    url: str | None = None
    new_database: Callable[[str], str] | None = None
    server_pid: int | None = None  # the database server, whose CPU is reported apart

    def for_size(self, count: int) -> str | None:
        return self.new_database(f"rush_{count}") if self.new_database else self.url

    @property
    def name(self) -> str:
        return "sqlite" if self.url is None and self.new_database is None else "postgresql"


@contextmanager
def throwaway_postgres() -> Iterator[Database]:
    """A PostgreSQL cluster of the test harness (tests/pg_cluster.py), a new database per size."""
    sys.path.insert(0, str(ROOT / "tests"))
    import pg_cluster

    with pg_cluster.running() as cluster:
        pid = int((cluster.folder / "data" / "postmaster.pid").read_text().split()[0])
        yield Database(new_database=cluster.create_database, server_pid=pid)


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of ``pid`` and its live descendants (the server's worker processes, a database's backends)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = [int(c) for task in Path(f"/proc/{pid}/task").iterdir()
                    for c in (task / "children").read_text().split()]
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own + sum(tree_cpu_seconds(child) for child in children)
