"""The source address of a request is the TCP peer, whatever proxy headers say, even from loopback: the
network allow-list, sign-in throttling and the audit log all use it, and nothing longer than its column
is ever stored."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from central import security, start_in_thread
from central.db import begin_write
from central.models import AuditEntry, SignInThrottle
from central.security import FAILURES_BEFORE_WAIT
from central.server import RunningServer

from .conftest import PASSWORD, START, Api, World
from .sources import Sources, forget_failed_sign_ins

WRONG = "Wrong-Pass-2026"
SPOOFS = ({"X-Forwarded-For": "10.2.3.4"}, {"Forwarded": "for=10.2.3.4"},
          {"X-Forwarded-For": "10.2.3.4", "X-Forwarded-Proto": "https", "X-Real-IP": "10.2.3.4"})


@pytest.fixture
def sources(server: RunningServer, world: World) -> Iterator[Sources]:
    made = Sources(server)
    yield made
    made.close()
    forget_failed_sign_ins(world)


def _try(api: Api, email: str, password: str = WRONG, spoof: str | None = None) -> requests.Response:
    headers = {"X-Forwarded-For": spoof} if spoof else {}
    return api.post("/auth/token", json={"email": email, "password": password}, headers=headers)


def test_forwarded_headers_from_loopback_do_not_pass_the_allow_list(tmp_path: Path) -> None:
    running = start_in_thread(tmp_path, allow_networks=["10.0.0.0/8"])
    try:
        for headers in ({}, *SPOOFS):
            answer = requests.get(running.base_url + "/health", headers=headers, verify=str(running.ca_path),
                                  timeout=5)
            assert answer.status_code == 403, headers
            assert answer.json()["error"]["code"] == "network_not_allowed"
    finally:
        running.stop()


def test_forwarded_headers_change_neither_the_throttle_key_nor_the_audit(api: Api, sources: Sources,
                                                                         world: World) -> None:
    victim = world.viewer()  # from 127.0.0.1, the address uvicorn would trust proxy headers from
    answers = [_try(api, victim, spoof=f"10.9.0.{n}").status_code for n in range(FAILURES_BEFORE_WAIT)]
    assert answers[-1] == 429  # a fresh X-Forwarded-For each time does not make a fresh source
    assert _try(api, victim, PASSWORD, spoof="10.9.0.99").status_code == 429
    with world.session() as session:
        keys = set(session.scalars(select(SignInThrottle.key)))
        audited = set(session.scalars(select(AuditEntry.source_address).where(
            AuditEntry.action == "sign-in failed", AuditEntry.actor == victim)))
    assert f"email|{victim}|127.0.0.1" in keys and "source|127.0.0.1" in keys
    assert not any("10.9.0" in key for key in keys)
    assert audited == {"127.0.0.1"}

    # Framing: failures "from" the victim's address, named in a header, do not make the victim wait there.
    office = sources.new()
    framed = world.viewer()
    for _ in range(FAILURES_BEFORE_WAIT + 1):
        _try(api, framed, spoof=office.address)
    assert _try(office, framed, PASSWORD).status_code == 200


def test_a_long_forwarded_header_is_never_stored(api: Api, world: World) -> None:
    assert _try(api, "long.header@nhs.net", spoof="A" * 3000).status_code == 401
    with world.session() as session:
        sources_seen = session.scalars(select(AuditEntry.source_address).where(
            AuditEntry.actor == "long.header@nhs.net")).all()
        keys = session.scalars(select(SignInThrottle.key).where(SignInThrottle.key.contains("long.header")))
        assert sources_seen == ["127.0.0.1"] and all("AAAA" not in key for key in keys)


def test_any_source_is_cut_to_its_column_before_it_is_stored(world: World) -> None:
    assert security.bounded_source("A" * 3000) == "A" * security.SOURCE_MAX
    assert security.bounded_source(None) is None
    with world.session() as session:
        begin_write(session)
        security.record_failure(session, "x" * 254, "B" * 3000, START)
        security.remember_sign_in(session, "x" * 254, "B" * 3000, START)
        lengths = [len(key) for key in session.scalars(select(SignInThrottle.key))]
        assert lengths and max(lengths) <= 400
        session.rollback()
