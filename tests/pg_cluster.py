"""A throwaway PostgreSQL cluster for the tests: ``initdb`` in a temporary folder, a server on a free
loopback port (and a socket in that folder), stopped and removed afterwards.

Used when ``CQRS_TEST_POSTGRES=1`` (``make test-postgres``): the integration tests' session server
then keeps its data in a database of this cluster instead of a SQLite file. ``initdb`` and the server
refuse to run as root, so as root they run as the ``postgres`` user (Debian's package makes it).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ENV_FLAG = "CQRS_TEST_POSTGRES"
SUPERUSER = "cqrs"
START_TIMEOUT = 60  # seconds pg_ctl waits for the server to accept connections


def wanted() -> bool:
    """True when the run asked for PostgreSQL (``CQRS_TEST_POSTGRES=1``)."""
    return os.environ.get(ENV_FLAG, "") == "1"


def bin_dir() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl`` (the newest installed version), or None."""
    found = shutil.which("pg_config")
    if found:
        out = subprocess.run([found, "--bindir"], capture_output=True, text=True, check=False).stdout.strip()
        if out and (Path(out) / "initdb").exists():
            return Path(out)
    versions = [p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/initdb") if p.parts[-3].isdigit()]
    return max(versions, key=lambda folder: int(folder.parent.name), default=None)


@dataclass(frozen=True)
class Cluster:
    folder: Path
    port: int

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """A new empty database; returns its SQLAlchemy URL."""
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user=SUPERUSER, dbname="postgres",
                             autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _as_owner(command: list[str]) -> list[str]:
    """``command`` run as the postgres user when we are root (the server refuses root)."""
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


@contextmanager
def running() -> Iterator[Cluster]:
    """A started cluster, stopped and deleted when the block ends."""
    binaries = bin_dir()
    if binaries is None:
        raise RuntimeError("PostgreSQL is not installed (no initdb found). Install Debian's 'postgresql' "
                           "package, or run the tests without CQRS_TEST_POSTGRES=1.")
    folder = Path(tempfile.mkdtemp(prefix="cqrs-pg-"))
    data = folder / "data"
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    folder.chmod(0o700)
    port = _free_port()
    try:
        _start(binaries, folder, data, port)
        yield Cluster(folder, port)
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(_as_owner([str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w",
                                      "stop"]), check=False, capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def _start(binaries: Path, folder: Path, data: Path, port: int) -> None:
    try:
        subprocess.run(_as_owner([str(binaries / "initdb"), "-D", str(data), "-A", "trust", "-U", SUPERUSER,
                                  "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]),
                       check=True, capture_output=True)
        # Durability off: a test cluster is thrown away, and fsync on a shared CI disk only adds time.
        options = (f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        subprocess.run(_as_owner([str(binaries / "pg_ctl"), "-D", str(data), "-o", options, "-l",
                                  str(folder / "log"), "-w", "-t", str(START_TIMEOUT), "start"]),
                       check=True, capture_output=True)
    except subprocess.CalledProcessError as exc:
        log = folder / "log"
        detail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        raise RuntimeError(f"The test PostgreSQL did not start: {exc.stderr.decode(errors='replace')} "
                           f"{detail}") from exc
