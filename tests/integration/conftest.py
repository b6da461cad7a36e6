"""Fixtures for the central service's integration tests: one real HTTPS server on 127.0.0.1 per
session (SQLite file in a temp dir, or a PostgreSQL database of a throwaway cluster when
``CQRS_TEST_POSTGRES=1``: tests/pg_cluster.py; a clock the tests can move), organisations and users made
directly with the models, and a small client that always verifies against the server's own CA.
The demo region is seeded once per session (``demo_seed``, ~5 s) and each user gets a copy (``demo_copy``).
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pg_cluster
import pytest
import requests
from app_fixtures import *  # noqa: F401,F403  (the desktop client's fixtures: data dir, cache, keyrings)
from sqlalchemy import delete
from sqlalchemy.orm import Session

from central import start_in_thread
from central.directory import create_organisation, create_user, grant_role
from central.models import COMMISSIONER, PCN, PRACTICE, Organisation, SignInThrottle
from central.security import (
    ADVANCED_USER_ADMINISTRATOR,
    APPROVAL_MANAGEMENT,
    FINANCE_MANAGEMENT,
    PRACTICE_ROLES,
    VIEW,
    hash_password,
)
from central.server import RunningServer
from central.timetable_store import replace_year

PASSWORD = "Surgery-Pass-2026"
START = datetime(2025, 11, 5, 10, 0, tzinfo=UTC)  # inside October 2025's entry and declaration windows
_password_hash = hash_password(PASSWORD)
_serial = itertools.count(1)


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class Api:
    """requests with the server's CA passed on every call (REQUESTS_CA_BUNDLE would beat Session.verify)."""

    def __init__(self, server: RunningServer) -> None:
        self.base, self.ca = server.base_url, str(server.ca_path)
        self.http = requests.Session()

    def call(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        url = self.base + (path if path.startswith("/health") else "/api/v1" + path)
        return self.http.request(method, url, headers=headers, verify=self.ca, timeout=10, **kwargs)

    def get(self, path: str, token: str | None = None, **kwargs: Any) -> requests.Response:
        return self.call("GET", path, token, **kwargs)

    def post(self, path: str, token: str | None = None, **kwargs: Any) -> requests.Response:
        return self.call("POST", path, token, **kwargs)

    def sign_in(self, email: str, password: str = PASSWORD) -> dict[str, Any]:
        response = self.post("/auth/token", json={"email": email, "password": password})
        assert response.status_code == 200, response.text
        return response.json()

    def token(self, email: str) -> str:
        return self.sign_in(email)["access_token"]


@dataclass
class World:
    """Two practices under one commissioner, a third under another, and their users."""

    server: RunningServer
    icb: Organisation
    practice: Organisation  # Z91001
    neighbour: Organisation  # Z91002, same PCN
    elsewhere: Organisation  # Z92001, another commissioner

    def session(self) -> Session:
        return self.server.app.state.sessionmaker()

    def user(self, roles: dict[Organisation, tuple[str, ...]], prefix: str = "user",
             activated: bool = True) -> str:
        """A new user with ``roles`` per organisation; returns the email."""
        email = f"{prefix}.{next(_serial)}@nhs.net"
        with self.session() as session:
            user = create_user(session, email, "Test", prefix.title(), "01632 960000", START,
                               password_hash=_password_hash if activated else None)
            for org, names in roles.items():
                for role in names:
                    grant_role(session, user, session.get_one(Organisation, org.id), role, START)
            session.commit()
        return email

    def manager(self, practice: Organisation | None = None) -> str:
        return self.user({practice or self.practice: PRACTICE_ROLES}, "manager")

    def viewer(self) -> str:
        return self.user({self.practice: (VIEW,)}, "viewer")

    def commissioner(self, *roles: str) -> str:
        roles = roles or (ADVANCED_USER_ADMINISTRATOR, APPROVAL_MANAGEMENT, FINANCE_MANAGEMENT)
        return self.user({self.icb: roles}, "icb")


@pytest.fixture(scope="session")
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture(autouse=True)
def _reset_clock(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "clock" in request.fixturenames:
        clock = request.getfixturevalue("clock")
        if isinstance(clock, FakeClock):
            clock.now = START


@pytest.fixture(autouse=True)
def _forget_failed_sign_ins(request: pytest.FixtureRequest) -> Iterator[None]:
    """The session's one server sees every test's sign-ins from 127.0.0.1: no test inherits another's
    failures (which the per-source throttle would otherwise count against it)."""
    yield
    if "server" in request.fixturenames:
        server = request.getfixturevalue("server")
        with server.app.state.sessionmaker() as session:
            session.execute(delete(SignInThrottle))
            session.commit()


@pytest.fixture(scope="session")
def postgres() -> Iterator[pg_cluster.Cluster | None]:
    """The session's PostgreSQL cluster when one was asked for (``CQRS_TEST_POSTGRES=1``), else None."""
    if not pg_cluster.wanted():
        yield None
        return
    with pg_cluster.running() as cluster:
        yield cluster


@pytest.fixture(scope="session")
def central_db_url(postgres: pg_cluster.Cluster | None) -> str | None:
    """The session server's database: None (SQLite in its data dir) unless PostgreSQL was asked for."""
    return postgres.create_database("central") if postgres else None


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory, clock: FakeClock,
           central_db_url: str | None) -> Iterator[RunningServer]:
    running = start_in_thread(tmp_path_factory.mktemp("central"), clock=clock, db_url=central_db_url)
    yield running
    running.stop()


@pytest.fixture(scope="session")
def api(server: RunningServer) -> Iterator[Api]:
    client = Api(server)
    yield client
    client.http.close()


@pytest.fixture(scope="session")
def world(server: RunningServer) -> World:
    with server.app.state.sessionmaker() as session:
        icb = create_organisation(session, COMMISSIONER, "Q1X", "NHS Test ICB", START)
        pcn = create_organisation(session, PCN, "U91001", "Test PCN", START, parent=icb)
        practice = create_organisation(session, PRACTICE, "Z91001", "Test Medical Practice", START,
                                       parent=pcn)
        neighbour = create_organisation(session, PRACTICE, "Z91002", "Next Door Surgery", START, parent=pcn)
        other_icb = create_organisation(session, COMMISSIONER, "Q2X", "NHS Other ICB", START)
        elsewhere = create_organisation(session, PRACTICE, "Z92001", "Far Away Surgery", START,
                                        parent=other_icb)
        replace_year(session, "2025-26")
        session.commit()
    return World(server, icb, practice, neighbour, elsewhere)


@pytest.fixture(scope="session")
def demo_seed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo region seeded once for the whole session: a folder to copy, never to open."""
    from central.seed import demo_clock, seed_demo
    from central.settings import Settings

    folder = tmp_path_factory.mktemp("demo-seed")
    assert seed_demo(Settings(folder, clock=demo_clock())).created
    return folder


@pytest.fixture(scope="session")
def demo_copy(demo_seed: Path, tmp_path_factory: pytest.TempPathFactory) -> Callable[[], Path]:
    """Makes a private copy of the seeded demo's data folder, which its user may change."""
    def copy() -> Path:
        target = tmp_path_factory.mktemp("demo") / "data"
        shutil.copytree(demo_seed, target)
        return target
    return copy
