"""The desktop's no-change sync against the real service over TLS: one conditional request per practice,
no /me on the steady path, role and profile changes still picked up from the feed, a lost reply harmless."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import select

from app.services import cache_store
from app.services.auth import Auth
from app.services.profile import load_profile
from app.services.secrets import TokenStore
from app.services.sync import SyncEngine
from central.directory import grant_role, revoke_role, user_by_email
from central.models import Organisation, RoleGrant
from central.security import FINANCE_VIEW, USER_ADMINISTRATOR, VIEW
from central.server import RunningServer

from .conftest import PASSWORD, START, FakeClock, World

ODS = "Z91001"


@pytest.fixture
def seen() -> list[tuple[str, str, int]]:
    return []


@pytest.fixture
def auth(server: RunningServer, world: World, cache_db: Path, memory_keyring: object,
         seen: list[tuple[str, str, int]]) -> Iterator[Auth]:
    signed_in = Auth(server.base_url, TokenStore(), ca_file=server.ca_path)
    signed_in.sign_in(world.user({world.practice: (VIEW, FINANCE_VIEW)}, "steady"), PASSWORD)

    def note(response: requests.Response, *_args: Any, **_kwargs: Any) -> None:
        path = requests.utils.urlparse(response.url).path.removeprefix("/api/v1")
        seen.append((response.request.method or "", path, response.status_code))

    signed_in.client.session.hooks["response"].append(note)
    yield signed_in
    signed_in.close()


@pytest.fixture
def engine(auth: Auth) -> SyncEngine:
    return SyncEngine(auth, sleep=lambda _seconds: None)


def _change_roles(world: World, email: str, *, grant: str | None = None, revoke: str | None = None) -> None:
    with world.session() as session:
        user = user_by_email(session, email)
        practice = session.get_one(Organisation, world.practice.id)
        if grant:
            grant_role(session, user, practice, grant, START)
        if revoke:
            revoke_role(session, user, practice, revoke, START)
        session.commit()


def test_a_sync_with_nothing_new_is_one_conditional_request(engine: SyncEngine,
                                                           seen: list[tuple[str, str, int]]) -> None:
    engine.run([ODS])
    cursor, etag = cache_store.feed_position(ODS)
    assert cursor is not None and etag is not None  # kept beside the cursor
    seen.clear()
    report = engine.run([ODS])
    assert seen == [("GET", f"/practices/{ODS}/changes", 304)]  # and no /me
    assert report.records == 0 and report.kinds == set() and not report.profile_refreshed
    assert cache_store.feed_position(ODS) == (cursor, etag)
    assert cache_store.sync_info(ODS).last_sync_at is not None


def test_a_new_role_is_picked_up_from_the_feed_and_the_practice_pulled_again(
        engine: SyncEngine, auth: Auth, world: World, seen: list[tuple[str, str, int]]) -> None:
    engine.run([ODS])
    assert cache_store.counts(ODS).get("user", 0) == 0  # user records go to User Administrators only
    _change_roles(world, auth.email, grant=USER_ADMINISTRATOR)
    seen.clear()
    report = engine.run([ODS])
    assert report.profile.practice(ODS).has(USER_ADMINISTRATOR) and report.profile_refreshed
    assert load_profile() == report.profile  # saved for the next start
    assert ("GET", "/me", 200) in seen and seen[0] == ("GET", f"/practices/{ODS}/changes", 200)
    assert cache_store.counts(ODS)["user"] >= 1  # the cache was dropped and pulled again from 0
    seen.clear()
    engine.run([ODS])
    assert seen == [("GET", f"/practices/{ODS}/changes", 304)]  # settled: back to one request


def test_a_removed_money_role_leaves_no_money_in_the_cache(engine: SyncEngine, auth: Auth,
                                                           world: World) -> None:
    from central import feed

    with world.session() as session:
        feed.publish(session, world.practice.id, feed.RESULT, "QOF:STEADY1",
                     {"points": "3.00", "payment_gbp": "600.00"})
        session.commit()
    engine.run([ODS])
    assert cache_store.record(ODS, "result", "QOF:STEADY1")["payment_gbp"] == "600.00"
    _change_roles(world, auth.email, revoke=FINANCE_VIEW)
    report = engine.run([ODS])
    assert not report.profile.practice(ODS).sees_money
    assert cache_store.record(ODS, "result", "QOF:STEADY1") == {"id": "QOF:STEADY1", "points": "3.00"}


def test_a_new_name_travels_in_the_feed_within_five_seconds(engine: SyncEngine, auth: Auth, world: World,
                                                            clock: FakeClock,
                                                            seen: list[tuple[str, str, int]]) -> None:
    engine.run([ODS])
    with world.session() as session:
        user_by_email(session, auth.email).first_name = "Renamed"  # type: ignore[union-attr]
        session.commit()
    clock.advance(seconds=5)  # the service quotes a person's profile tag kept for at most 5 s
    seen.clear()
    report = engine.run([ODS])
    assert report.profile.first_name == "Renamed" and auth.profile.first_name == "Renamed"
    assert [path for _, path, _ in seen] == [f"/practices/{ODS}/changes", "/me"]
    assert report.kinds == set()  # same roles: nothing was dropped, nothing to reload


def test_a_lost_reply_is_asked_again_and_applied_once(engine: SyncEngine, auth: Auth, world: World,
                                                      seen: list[tuple[str, str, int]]) -> None:
    from central import feed

    engine.run([ODS])
    with world.session() as session:
        feed.publish(session, world.practice.id, feed.RESULT, "QOF:LOST1", {"points": "1.00"})
        session.commit()
    lost: list[int] = []

    def lose_the_first(response: requests.Response, *_args: Any, **_kwargs: Any) -> None:
        if "/changes" in response.url and not lost:
            lost.append(response.status_code)
            raise requests.exceptions.ConnectionError("connection reset before the body arrived")

    auth.client.session.hooks["response"].insert(0, lose_the_first)
    seen.clear()
    report = engine.run([ODS])
    assert lost == [200] and report.records == 1  # asked twice (the same request), applied once
    assert cache_store.record(ODS, "result", "QOF:LOST1") == {"id": "QOF:LOST1", "points": "1.00"}
    seen.clear()
    engine.run([ODS])
    assert seen == [("GET", f"/practices/{ODS}/changes", 304)]


def test_a_practice_no_longer_visible_is_dropped_from_the_profile(engine: SyncEngine, auth: Auth,
                                                                  world: World) -> None:
    engine.run([ODS])
    with world.session() as session:
        user = user_by_email(session, auth.email)
        for grant in session.scalars(select(RoleGrant).where(RoleGrant.user_id == user.id)):
            session.delete(grant)
        session.commit()
    report = engine.run([ODS])  # the feed answers 404 now: /me says what is left
    assert report.profile.practice(ODS) is None and report.profile_refreshed
