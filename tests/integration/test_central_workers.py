"""Writers taking turns whatever the database: concurrent requests with one Idempotency-Key make one
record, concurrent amendments of one version let one through; ``serve --workers N`` runs N processes on
one PostgreSQL database (and is refused on SQLite), whose writers still take turns across processes.

The concurrency tests run on the session server (SQLite, or PostgreSQL under ``make test-postgres``);
the worker processes need PostgreSQL and are skipped without it.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from threading import Barrier

import pg_cluster
import pytest
import requests
from sqlalchemy import func, select

from central.cli import main
from central.db import make_engine, make_sessionmaker
from central.directory import create_organisation, create_user, grant_role
from central.models import (
    ACCEPTED,
    COMMISSIONER,
    PCN,
    PRACTICE,
    CalculatedResult,
    Declaration,
    ManualEntry,
    Offer,
    SignInThrottle,
    TimetableEvent,
)
from central.security import FAILURES_BEFORE_WAIT, PRACTICE_ROLES, hash_password
from central.server import RunningServer
from central.timetable_store import replace_year
from central.tls import ensure_self_signed

from .conftest import Api, World

ODS = "Z91001"
ENTRIES = f"/practices/{ODS}/manual-entries"
RACERS = 6
YEAR_END = date(2026, 3, 31)
MANAGER, STRANGER, RIGHT = "workers.manager@nhs.net", "workers.stranger@nhs.net", "Right-Pass-2026"
needs_postgres = pytest.mark.skipif(
    not pg_cluster.wanted(), reason="needs PostgreSQL: run `make test-postgres` (CQRS_TEST_POSTGRES=1)")


def _entry(referrals: int) -> dict:
    return {"service": "WM", "achievement_date": "2025-10-31", "values": {"REFERRALS": referrals},
            "notes": "Racing copies"}


def _race(count: int, call: Callable[[], requests.Response]) -> list[requests.Response]:
    """``call()`` from ``count`` threads released together; each thread has its own connection."""
    start = Barrier(count)

    def one(_: int) -> requests.Response:
        start.wait()
        return call()

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def _entries(world: World) -> int:
    with world.session() as session:
        return session.scalar(select(func.count()).select_from(ManualEntry)) or 0


def test_copies_of_one_request_sent_at_once_make_one_entry(server: RunningServer, world: World) -> None:
    token = Api(server).token(world.manager())
    before = _entries(world)

    def post() -> requests.Response:
        return Api(server).post(ENTRIES, token, json=_entry(31), headers={"Idempotency-Key": "race-once"})

    answers = _race(RACERS, post)
    assert sorted({a.status_code for a in answers}) == [201], [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    assert _entries(world) == before + 1


def test_amendments_of_one_version_sent_at_once_let_one_through(server: RunningServer, world: World) -> None:
    api = Api(server)
    token = api.token(world.manager())
    created = api.post(ENTRIES, token, json=_entry(40), headers={"Idempotency-Key": "race-amend"}).json()
    path = f"{ENTRIES}/{created['id']}"

    def amend() -> requests.Response:
        change = {"values": {"REFERRALS": 41}, "notes": None, "status": "submitted"}
        headers = {"If-Match": str(created["version"])}
        return Api(server).call("PUT", path, token, json=change, headers=headers)

    codes = sorted(a.status_code for a in _race(RACERS, amend))
    assert codes == [200] + [409] * (RACERS - 1)


def test_more_than_one_worker_is_refused_on_sqlite(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--data-dir", str(tmp_path), "serve", "--workers", "2", "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert "needs a PostgreSQL database" in err and "--db postgresql+psycopg://" in err
    assert not (tmp_path / "central.db").exists()  # refused before anything was made


def test_a_worker_count_below_one_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["--data-dir", str(tmp_path), "serve", "--workers", "0"])
    assert stopped.value.code == 2
    assert "a whole number of server processes" in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(p) for p in (task / "children").read_text().split()}
    return found


def _wait_healthy(url: str, ca: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
        try:
            if requests.get(url + "/health", verify=ca, timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise AssertionError("the worker processes did not answer /health within 60 s")


def _region(url: str) -> list[str]:
    """Practices able to declare QOF 2025/26 now (a deadline moved out, as benchmarks/rush.py does), a
    manager of them all and a user for the failed sign-ins; returns the practices' codes."""
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        now = datetime.now(UTC)
        icb = create_organisation(session, COMMISSIONER, "Q9W", "NHS Workers ICB", now)
        pcn = create_organisation(session, PCN, "U97901", "Workers PCN", now, parent=icb)
        replace_year(session, "2025-26")
        session.add(TimetableEvent(year="2025-26", kind="declaration deadline", title="Late deadline",
                                   starts=date(2027, 6, 30), ends=date(2027, 6, 30), service=None,
                                   achievement_date=YEAR_END))
        manager = create_user(session, MANAGER, "Work", "Er", "01632 960000", now,
                              password_hash=hash_password(RIGHT))
        create_user(session, STRANGER, "Wrong", "Guess", "01632 960000", now,
                    password_hash=hash_password(RIGHT))
        codes = [f"Z979{n:02d}" for n in range(1, 4)]
        for code in codes:
            practice = create_organisation(session, PRACTICE, code, f"Worker Surgery {code}", now, parent=pcn)
            for role in PRACTICE_ROLES:
                grant_role(session, manager, practice, role, now)
            session.add(Offer(practice_id=practice.id, service="QOF", status=ACCEPTED,
                              start_date=date(2025, 4, 1), end_date=YEAR_END, created_at=now,
                              responded_at=now))
            session.add(CalculatedResult(practice_id=practice.id, service="QOF", indicator_id="DM020",
                                         achievement_date=YEAR_END, points="12.5", payment="2801.37",
                                         calculated_at=now))
        session.commit()
    engine.dispose()
    return codes


def _posting(base: str, ca: str) -> Callable[..., requests.Response]:
    def post(path: str, **kwargs: object) -> requests.Response:
        for _ in range(20):  # every password check taken: wait as told, then again
            answer = requests.post(base + "/api/v1" + path, verify=ca, timeout=30, **kwargs)  # type: ignore[arg-type]
            if answer.status_code != 503:
                return answer
            time.sleep(float(answer.headers.get("Retry-After", "1")))
        return answer
    return post


@needs_postgres
def test_two_worker_processes_share_one_database_and_take_turns_to_write(
        postgres: pg_cluster.Cluster, tmp_path: Path) -> None:
    url = postgres.create_database("workers")
    ca = str(ensure_self_signed(tmp_path).ca_path)
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "central.cli", "--data-dir", str(tmp_path), "serve", "--workers", "2",
         "--db", url, "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"https://127.0.0.1:{port}"
    try:
        _wait_healthy(base, ca, process)
        assert len(_children(process.pid)) >= 2  # the two workers (and uvicorn's own helper, if any)
        codes = _region(url)
        post = _posting(base, ca)
        token = post("/auth/token", json={"email": MANAGER, "password": RIGHT}).json()["access_token"]
        body = {"service": "QOF", "achievement_date": YEAR_END.isoformat()}
        for code in codes:  # copies of one declaration, racing in both processes
            headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": f"race-{code}"}
            declare = partial(post, f"/practices/{code}/declarations", json=body, headers=headers)
            answers = _race(RACERS, declare)
            assert [a.status_code for a in answers] == [201] * RACERS, [a.text[:200] for a in answers]
            assert len({a.json()["id"] for a in answers}) == 1
        tries = FAILURES_BEFORE_WAIT - 1
        wrong = {"email": STRANGER, "password": "Wrong-1x"}
        refused = _race(tries, partial(post, "/auth/token", json=wrong))
        assert [a.status_code for a in refused] == [401] * tries
        engine = make_engine(url)
        with make_sessionmaker(engine)() as session:
            declared = session.scalar(select(func.count()).select_from(Declaration))
            counted = {row.key: row.failures for row in session.scalars(select(SignInThrottle))}
        engine.dispose()
        assert declared == len(codes)
        assert counted[f"email|{STRANGER}|127.0.0.1"] == tries  # no failure lost between the processes
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
    assert process.returncode == 0 or process.returncode < 0  # stopped as asked, not crashed
