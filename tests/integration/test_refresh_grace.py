"""The refresh grace window: a client whose refresh reply was lost sends the spent token again and, within
``GRACE_WINDOW``, gets the same new pair; after it, or once the new pair is in use, that is reuse."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from central.models import AuditEntry, RefreshToken, User
from central.security import token_digest
from central.tokens import GRACE_WINDOW, open_successor

from .conftest import Api, FakeClock, World

JUST_INSIDE = GRACE_WINDOW.total_seconds() / 3  # 10 s
JUST_OUTSIDE = GRACE_WINDOW.total_seconds() + 1  # 31 s


def _refresh(api: Api, token: str) -> tuple[int, dict[str, Any]]:
    response = api.post("/auth/refresh", json={"refresh_token": token})
    return response.status_code, response.json()


def _row(world: World, refresh_token: str) -> RefreshToken:
    with world.session() as session:
        return session.scalars(select(RefreshToken).where(
            RefreshToken.token_hash == token_digest(refresh_token))).one()


def _reuse_audits(world: World, email: str) -> int:
    with world.session() as session:
        user_id = session.scalars(select(User.id).where(User.email == email)).one()
        return session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "refresh token reused", AuditEntry.target_id == str(user_id))) or 0


def test_a_replay_within_the_window_gets_the_same_pair_and_the_sign_in_lives_on(
        api: Api, world: World, clock: FakeClock) -> None:
    email = world.viewer()
    first = api.sign_in(email)
    status, second = _refresh(api, first["refresh_token"])  # this reply is "lost" on the way back
    assert status == 200
    clock.advance(seconds=JUST_INSIDE)
    for _ in range(2):  # the client retries, perhaps more than once
        status, again = _refresh(api, first["refresh_token"])
        assert status == 200
        assert (again["access_token"], again["refresh_token"]) == (second["access_token"],
                                                                   second["refresh_token"])
        assert again["expires_in"] == second["expires_in"] - JUST_INSIDE
    assert _reuse_audits(world, email) == 0
    assert api.get("/me", again["access_token"]).status_code == 200
    status, third = _refresh(api, again["refresh_token"])  # the family goes on as usual
    assert status == 200 and api.get("/me", third["access_token"]).status_code == 200


def test_a_replay_after_the_window_is_reuse_and_ends_the_sign_in(
        api: Api, world: World, clock: FakeClock) -> None:
    email = world.viewer()
    first = api.sign_in(email)
    _, second = _refresh(api, first["refresh_token"])
    clock.advance(seconds=JUST_OUTSIDE)
    status, body = _refresh(api, first["refresh_token"])
    assert (status, body["error"]["code"]) == (401, "refresh_token_reused")
    assert _reuse_audits(world, email) == 1
    assert api.get("/me", second["access_token"]).status_code == 401  # the whole family is revoked
    assert _refresh(api, second["refresh_token"])[0] == 401
    assert _row(world, first["refresh_token"]).successor_sealed is None


def test_a_replay_once_the_new_pair_is_in_use_is_reuse(api: Api, world: World, clock: FakeClock) -> None:
    email = world.viewer()
    first = api.sign_in(email)
    _, second = _refresh(api, first["refresh_token"])
    _, third = _refresh(api, second["refresh_token"])  # the new pair arrived and was used after all
    clock.advance(seconds=1)
    status, body = _refresh(api, first["refresh_token"])  # so the old token is in someone else's hands
    assert (status, body["error"]["code"]) == (401, "refresh_token_reused")
    assert _reuse_audits(world, email) == 1
    assert api.get("/me", third["access_token"]).status_code == 401


def test_no_sealed_pair_is_kept_after_the_window(api: Api, world: World, clock: FakeClock) -> None:
    first = api.sign_in(world.viewer())
    _refresh(api, first["refresh_token"])
    assert _row(world, first["refresh_token"]).successor_sealed is not None
    clock.advance(seconds=JUST_OUTSIDE)
    other = api.sign_in(world.viewer())
    assert _refresh(api, other["refresh_token"])[0] == 200  # any rotation clears what has expired
    assert _row(world, first["refresh_token"]).successor_sealed is None
    with world.session() as session:
        kept = session.scalars(select(RefreshToken.used_at).where(RefreshToken.successor_sealed.is_not(None)))
        assert all(clock.now - used_at <= GRACE_WINDOW for used_at in kept)


def test_a_copy_of_the_database_cannot_open_the_sealed_pair(api: Api, world: World) -> None:
    first = api.sign_in(world.viewer())
    _, second = _refresh(api, first["refresh_token"])
    row = _row(world, first["refresh_token"])
    sealed = row.successor_sealed
    assert sealed is not None
    assert second["refresh_token"] not in sealed and second["access_token"] not in sealed
    # Everything the database holds (the sealed text, the token's hash) is not enough...
    assert open_successor(row.token_hash, row.token_hash, sealed) is None
    assert open_successor(second["refresh_token"], row.token_hash, sealed) is None
    # ...nor is the right token with the sealed text moved to another row.
    assert open_successor(first["refresh_token"], token_digest(second["refresh_token"]), sealed) is None
    opened = open_successor(first["refresh_token"], row.token_hash, sealed)
    assert opened is not None and opened[:2] == (second["access_token"], second["refresh_token"])
