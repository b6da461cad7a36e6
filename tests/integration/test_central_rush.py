"""A rush of sign-ins never stalls the service: passwords are checked outside any transaction, at most one
per core at once (the rest wait briefly, then get 503 with Retry-After), and old argon2 hashes are
upgraded at the next correct sign-in. Real threads against the session's real TLS server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack
from pathlib import Path

import anyio
import httpx
import pytest
import requests
from argon2 import PasswordHasher

from central.api import create_app
from central.db import begin_write
from central.directory import create_user, grant_role, user_by_email
from central.models import AuditEntry, User
from central.security import PASSWORD_CHECKS, VIEW, password_check_slot
from central.server import WORKER_THREADS
from central.settings import Settings

from .conftest import PASSWORD, START, Api, World
from .sources import forget_failed_sign_ins

OLD_HASHER = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4)  # argon2-cffi's earlier default
TODAY = "$argon2id$v=19$m=19456,t=2,p=1$"  # OWASP's minimum: 19 MiB, 2 passes, 1 lane


@pytest.fixture(autouse=True)
def _forget_failures(world: World) -> Iterator[None]:
    yield
    forget_failed_sign_ins(world)


def _user_with_hash(world: World, password_hash: str, prefix: str) -> str:
    email = f"{prefix}.{uuid.uuid4().hex[:12]}@nhs.net"
    with world.session() as session:
        user = create_user(session, email, "Old", "Hash", "01632 960000", START, password_hash=password_hash)
        grant_role(session, user, session.merge(world.practice), VIEW, START)
        session.commit()
    return email


def _stored_hash(world: World, email: str) -> str:
    with world.session() as session:
        user = user_by_email(session, email)
        assert user is not None and user.password_hash is not None
        return user.password_hash


def test_a_hash_with_old_parameters_is_upgraded_at_sign_in(api: Api, world: World) -> None:
    email = _user_with_hash(world, OLD_HASHER.hash(PASSWORD), "old")
    assert _stored_hash(world, email).startswith("$argon2id$v=19$m=65536,t=3,p=4$")

    wrong = api.post("/auth/token", json={"email": email, "password": "Not-the-pass-1"})
    assert wrong.status_code == 401
    assert _stored_hash(world, email).startswith("$argon2id$v=19$m=65536,t=3,p=4$")  # only a correct one

    with ThreadPoolExecutor(4) as pool:  # several at once: each checks the hash it read, none is refused
        answers = list(pool.map(lambda _: requests.post(
            f"{api.base}/api/v1/auth/token", json={"email": email, "password": PASSWORD}, verify=api.ca,
            timeout=30), range(4)))
    assert [a.status_code for a in answers] == [200] * 4, [a.text for a in answers]
    upgraded = _stored_hash(world, email)
    assert upgraded.startswith(TODAY)
    assert PasswordHasher().verify(upgraded, PASSWORD)
    assert api.sign_in(email)["access_token"]  # the new hash signs in too
    assert _stored_hash(world, email) == upgraded  # and is not replaced again


def test_a_hash_with_todays_parameters_is_left_alone(api: Api, world: World) -> None:
    email = world.viewer()
    before = _stored_hash(world, email)
    assert before.startswith(TODAY)
    api.sign_in(email)
    assert _stored_hash(world, email) == before


def test_sign_ins_and_writes_during_a_held_write_lock_leave_health_and_reads_answering(
        api: Api, world: World) -> None:
    emails = [world.viewer() for _ in range(WORKER_THREADS + 4)]  # more than the server's worker threads
    reader = api.token(world.viewer())
    writers = [api.token(world.viewer()) for _ in range(WORKER_THREADS + 4)]
    holder = world.session()
    begin_write(holder)  # another process's long write: SQLite's write lock is taken here and held
    holder.get(User, 1)

    def sign_in(email: str) -> int:
        return requests.post(f"{api.base}/api/v1/auth/token", json={"email": email, "password": PASSWORD},
                             verify=api.ca, timeout=60).status_code

    def sign_out(token: str) -> int:
        return requests.post(f"{api.base}/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"},
                             verify=api.ca, timeout=60).status_code

    pool = ThreadPoolExecutor(len(emails) + len(writers))
    try:
        waiting = [pool.submit(sign_in, e) for e in emails] + [pool.submit(sign_out, t) for t in writers]
        anyio.run(anyio.sleep, 1.0)  # let them reach the lock
        assert not any(f.done() for f in waiting), "nothing can write while the lock is held"
        # Health and reads answer at once, not after the lock: a timeout of 10 s proves they did not hang.
        for _ in range(3):
            assert requests.get(f"{api.base}/health", verify=api.ca, timeout=10).status_code == 200
            assert requests.get(f"{api.base}/api/v1/me", headers={"Authorization": f"Bearer {reader}"},
                                verify=api.ca, timeout=10).status_code == 200
    finally:
        holder.rollback()
        holder.close()
    try:
        statuses = [f.result(timeout=60) for f in waiting]
    finally:
        pool.shutdown()
    assert statuses == [200] * len(emails) + [204] * len(writers)
    with world.session() as session:
        signed_in = session.query(AuditEntry).filter(AuditEntry.action == "sign-in",
                                                     AuditEntry.target_id.in_(
                                                         [str(user_by_email(session, e).id) for e in emails]))
        assert signed_in.count() == len(emails)


def test_a_sign_in_that_finds_every_password_check_taken_gets_503_with_retry_after(tmp_path: Path) -> None:
    app = create_app(Settings(tmp_path))
    body = {"email": "nobody.here@nhs.net", "password": PASSWORD}

    async def scenario() -> tuple[httpx.Response, httpx.Response]:
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://central") as client:
            async with AsyncExitStack() as taken:
                for _ in range(PASSWORD_CHECKS):  # every core busy with someone else's password
                    await taken.enter_async_context(password_check_slot())
                refused = await client.post("/api/v1/auth/token", json=body)
            async with AsyncExitStack() as taken:  # a check that frees up within the wait is waited for
                for _ in range(PASSWORD_CHECKS):
                    await taken.enter_async_context(password_check_slot())
                async with anyio.create_task_group() as tasks:
                    answers: list[httpx.Response] = []

                    async def ask() -> None:
                        answers.append(await client.post("/api/v1/auth/token", json=body))

                    tasks.start_soon(ask)
                    await anyio.sleep(0.3)
                    await taken.aclose()
            return refused, answers[0]

    try:
        refused, waited = anyio.run(scenario)
    finally:
        app.state.engine.dispose()
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "1"
    assert refused.json()["error"]["code"] == "busy"
    assert waited.status_code == 401  # checked (an unknown account), not turned away
    operation = app.openapi()["paths"]["/api/v1/auth/token"]["post"]
    assert "503" in operation["responses"]
    assert "503" in app.openapi()["paths"]["/api/v1/auth/activate"]["post"]["responses"]
