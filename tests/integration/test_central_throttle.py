"""Sign-in throttling against the real service: only failures count, per email and source and per source,
with a wait that doubles; never a lock on the account itself, and never a wait on the source's failures
for someone who has signed in correctly from that address before.

Each test signs in from loopback addresses of its own (tests/integration/sources.py), so the service
sees a new source for each, as it would see another practice's network.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from central import security
from central.db import begin_write
from central.models import AuditEntry, SignInThrottle
from central.security import (
    FAILURES_BEFORE_WAIT,
    FIRST_WAIT,
    FORGET_AFTER,
    KNOWN_FOR,
    LONGEST_WAIT,
    SOURCE_FAILURES_BEFORE_WAIT,
)
from central.server import RunningServer

from .conftest import PASSWORD, START, FakeClock, World
from .sources import SourceApi, Sources, forget_failed_sign_ins

WRONG = "Wrong-Pass-2026"


@pytest.fixture
def sources(server: RunningServer, world: World) -> Iterator[Sources]:
    made = Sources(server)
    yield made
    made.close()
    forget_failed_sign_ins(world)


def _try(api: SourceApi, email: str, password: str = WRONG) -> int:
    return api.post("/auth/token", json={"email": email, "password": password}).status_code


def test_failures_elsewhere_never_lock_the_real_user_out(sources: Sources, world: World,
                                                         clock: FakeClock) -> None:
    victim = world.viewer()
    attacker = sources.new()
    answers = [_try(attacker, victim) for _ in range(3 * FAILURES_BEFORE_WAIT)]
    assert answers[:FAILURES_BEFORE_WAIT - 1] == [401] * (FAILURES_BEFORE_WAIT - 1)
    assert set(answers[FAILURES_BEFORE_WAIT - 1:]) == {429}  # the attacker waits...
    clock.advance(seconds=1)
    assert _try(attacker, victim) == 429  # ...longer with every failure (now 2 s)

    office = sources.new()  # ...while the real user, at their own desk, signs in at once
    assert _try(office, victim, PASSWORD) == 200
    assert _try(attacker, victim, PASSWORD) == 429  # the attacker's address still waits, right or wrong


def test_a_spray_over_forty_emails_from_one_source_is_slowed(sources: Sources, world: World,
                                                            clock: FakeClock) -> None:
    emails = [world.viewer() for _ in range(40)]
    sprayer = sources.new()
    answers = [_try(sprayer, email) for _ in range(4) for email in emails]  # 160 tries, 4 per email
    assert answers.count(401) == SOURCE_FAILURES_BEFORE_WAIT - 1
    assert answers[SOURCE_FAILURES_BEFORE_WAIT - 1:] == [429] * (160 - SOURCE_FAILURES_BEFORE_WAIT + 1)
    with world.session() as session:  # a waiting source costs no password check, so nothing to audit
        audited = session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "sign-in failed", AuditEntry.source_address == sprayer.address))
    assert audited == SOURCE_FAILURES_BEFORE_WAIT

    refused = sprayer.post("/auth/token", json={"email": emails[0], "password": WRONG})
    assert refused.json()["error"]["code"] == "sign_in_throttled"
    assert refused.headers["Retry-After"] == "1"
    assert "wait 1 second" in refused.json()["error"]["message"]
    clock.advance(seconds=1)
    assert _try(sprayer, emails[1]) == 429  # one more failure: the wait doubles
    doubled = sprayer.post("/auth/token", json={"email": emails[2], "password": WRONG})
    assert doubled.headers["Retry-After"] == "2"
    assert _try(sources.new(), emails[0], PASSWORD) == 200  # people elsewhere are not slowed


def test_many_correct_sign_ins_from_one_source_are_never_slowed(sources: Sources, world: World) -> None:
    practice_network = sources.new()
    staff = [world.viewer() for _ in range(SOURCE_FAILURES_BEFORE_WAIT + 5)]
    # Mistyped passwords here and there, each under both budgets, mixed with many correct sign-ins.
    for index, email in enumerate(staff):
        if index < SOURCE_FAILURES_BEFORE_WAIT - 1:
            assert _try(practice_network, email) == 401
        assert _try(practice_network, email, PASSWORD) == 200
    for email in staff[:3]:  # and again: only failures count, successes never do
        assert _try(practice_network, email, PASSWORD) == 200
    with world.session() as session:
        source = session.get_one(SignInThrottle, f"source|{practice_network.address}")
        assert (source.failures, source.blocked_until) == (SOURCE_FAILURES_BEFORE_WAIT - 1, None)
        # A correct password clears its own email and source, and nothing else.
        assert session.get(SignInThrottle, f"email|{staff[0]}|{practice_network.address}") is None


def test_a_correct_password_after_the_wait_works_and_starts_the_count_again(
        sources: Sources, world: World, clock: FakeClock) -> None:
    email = world.viewer()
    desk = sources.new()
    for _ in range(FAILURES_BEFORE_WAIT - 1):
        assert _try(desk, email) == 401
    fifth = desk.post("/auth/token", json={"email": email, "password": WRONG})
    assert fifth.status_code == 429 and fifth.headers["Retry-After"] == "1"
    assert _try(desk, email, PASSWORD) == 429  # even the right password waits, at this desk only
    clock.advance(seconds=1)
    assert _try(desk, email, PASSWORD) == 200
    assert [_try(desk, email) for _ in range(FAILURES_BEFORE_WAIT - 1)] == [401] * (FAILURES_BEFORE_WAIT - 1)


def test_the_wait_doubles_to_fifteen_minutes_and_is_forgotten_after_quiet_time(world: World) -> None:
    email, source = "nobody.at.all@nhs.net", "192.0.2.10"
    now = START
    with world.session() as session:
        begin_write(session)  # reads, then writes: hold the write lock from the start
        waits = []
        for _ in range(FAILURES_BEFORE_WAIT + 12):
            until = security.record_failure(session, email, source, now)
            if until is not None:
                waits.append(until - now)
                now = until  # the next try comes as soon as the wait ends
        assert waits[:4] == [FIRST_WAIT, 2 * FIRST_WAIT, 4 * FIRST_WAIT, 8 * FIRST_WAIT]
        assert max(waits) == LONGEST_WAIT == waits[-1]
        assert security.sign_in_wait_until(session, email, source, now - timedelta(seconds=1)) == now
        assert security.sign_in_wait_until(session, email, "192.0.2.11", now - timedelta(seconds=1)) is None

        quiet = now + FORGET_AFTER + timedelta(seconds=1)
        assert security.record_failure(session, email, source, quiet) is None  # counting from 1 again
        assert session.get_one(SignInThrottle, f"email|{email}|{source}").failures == 1
        session.rollback()


def test_a_patient_sprayer_never_blocks_colleagues_who_signed_in_there_before(
        sources: Sources, world: World, clock: FakeClock) -> None:
    shared = sources.new()  # one practice address, shared by staff and an attacker
    colleague, newcomer = world.viewer(), world.viewer()
    assert _try(shared, colleague, PASSWORD) == 200  # signed in here once before
    waits = []
    for failure in range(34):  # each one as soon as the last wait ends: every one is counted
        answer = shared.post("/auth/token", json={"email": f"guess.{failure}@nhs.net", "password": WRONG})
        if answer.status_code == 429:
            waits.append(int(answer.headers["Retry-After"]))
            assert _try(shared, newcomer, PASSWORD) == 429  # an email new here waits with the source
        assert _try(shared, colleague, PASSWORD) == 200, failure  # never the colleague
        clock.advance(seconds=waits[-1] if answer.status_code == 429 else 0)
    assert len(waits) == 34 - SOURCE_FAILURES_BEFORE_WAIT + 1 and max(waits) == LONGEST_WAIT.total_seconds()
    with world.session() as session:
        known = session.get_one(SignInThrottle, f"known|{colleague}|{shared.address}")
        assert known.failures == 0 and known.blocked_until is not None
    # Their own failures still make them wait, at that address only.
    assert [_try(shared, colleague) for _ in range(FAILURES_BEFORE_WAIT)][-1] == 429
    assert _try(shared, colleague, PASSWORD) == 429


def test_an_address_is_known_for_thirty_days_after_the_last_correct_sign_in(world: World) -> None:
    email, source = "known.person@nhs.net", "192.0.2.20"
    with world.session() as session:
        begin_write(session)
        for _ in range(SOURCE_FAILURES_BEFORE_WAIT):
            security.record_failure(session, "someone.else@nhs.net", source, START)
        assert security.sign_in_wait_until(session, email, source, START) is not None
        security.remember_sign_in(session, email, source, START)
        assert security.sign_in_wait_until(session, email, source, START) is None
        assert security.is_known(session, email, source, START + KNOWN_FOR - timedelta(seconds=1))
        assert not security.is_known(session, email, source, START + KNOWN_FOR)
        assert not security.is_known(session, email, "192.0.2.21", START)
        session.rollback()
