"""Who may see a practice, as every /practices/{ods} route asks it (central.access): in few statements,
and with a role removed, an access suspended or a commissioner's role removed counting at the next
request, within the 5-second token cache and not after it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event

from central.directory import create_organisation, restore, revoke_role, suspend, user_by_email
from central.models import COMMISSIONER, PCN, PRACTICE, Organisation
from central.security import APPROVAL_MANAGEMENT, VIEW

from .conftest import START, Api, World


def _practice(world: World, ods: str) -> Organisation:
    """A practice of this file's own (Z966xx), so that no other test's feed shows its role changes."""
    with world.session() as session:
        pcn = session.get_one(Organisation, world.practice.parent_id)
        practice = create_organisation(session, PRACTICE, ods, f"Practice {ods}", START, parent=pcn)
        session.commit()
        return practice


def _changes(api: Api, token: str, ods: str) -> int:
    return api.get(f"/practices/{ods}/changes?since=0&limit=1", token).status_code


def _revoke(world: World, email: str, org_id: int, role: str) -> None:
    with world.session() as session:
        user = user_by_email(session, email)
        revoke_role(session, user, session.get_one(Organisation, org_id), role, START)
        session.commit()


def test_a_removed_role_is_refused_at_the_next_request(api: Api, world: World) -> None:
    practice = _practice(world, "Z96611")
    email = world.user({practice: (VIEW,)}, "removed")
    token = api.token(email)
    assert _changes(api, token, practice.ods_code) == 200
    _revoke(world, email, practice.id, VIEW)
    assert _changes(api, token, practice.ods_code) == 404  # the token is cached; the roles are not


def test_a_suspended_access_is_refused_at_the_next_request_and_restored_likewise(api: Api,
                                                                                 world: World) -> None:
    practice = _practice(world, "Z96612")
    manager = world.manager(practice)
    email = world.user({practice: (VIEW,)}, "suspended")
    token = api.token(email)
    assert _changes(api, token, practice.ods_code) == 200
    with world.session() as session:
        here = session.get_one(Organisation, practice.id)
        suspend(session, user_by_email(session, email), here, START, by=user_by_email(session, manager))
        session.commit()
    assert _changes(api, token, practice.ods_code) == 404
    with world.session() as session:
        restore(session, user_by_email(session, email), session.get_one(Organisation, practice.id), START)
        session.commit()
    assert _changes(api, token, practice.ods_code) == 200


def test_a_commissioners_role_reaches_its_practices_until_removed(api: Api, world: World) -> None:
    email = world.commissioner(APPROVAL_MANAGEMENT)
    token = api.token(email)
    assert _changes(api, token, world.practice.ods_code) == 200  # under a PCN of the commissioner
    assert _changes(api, token, world.elsewhere.ods_code) == 404  # another commissioner's
    assert _changes(api, token, world.icb.ods_code) == 404  # a commissioner is not a practice
    _revoke(world, email, world.icb.id, APPROVAL_MANAGEMENT)
    assert _changes(api, token, world.practice.ods_code) == 404


def test_a_practice_deeper_than_the_query_looks_finds_its_commissioner(api: Api, world: World) -> None:
    with world.session() as session:  # commissioner > PCN > PCN > PCN > practice: four levels above it
        above = create_organisation(session, COMMISSIONER, "Q4DEEP", "NHS Deep ICB", START)
        for level in range(3):
            above = create_organisation(session, PCN, f"U9DEEP{level}", f"Deep PCN {level}", START,
                                        parent=above)
        create_organisation(session, PRACTICE, "Z96601", "Deep Surgery", START, parent=above)
        session.commit()
        icb = session.get_one(Organisation, above.parent.parent.parent.id)
    token = api.token(world.user({icb: (APPROVAL_MANAGEMENT,)}, "deep"))
    assert _changes(api, token, "Z96601") == 200
    assert _changes(api, token, world.practice.ods_code) == 404


@pytest.fixture
def selects(world: World) -> Iterator[list[str]]:
    statements: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    engine = world.server.app.state.engine
    event.listen(engine, "before_cursor_execute", note)
    yield statements
    event.remove(engine, "before_cursor_execute", note)


def test_a_no_change_feed_request_reads_the_database_four_times(api: Api, world: World,
                                                               selects: list[str]) -> None:
    token = api.token(world.commissioner(APPROVAL_MANAGEMENT))  # the commissioner's roles are read too
    first = api.get(f"/practices/{world.practice.ods_code}/changes?since=0&limit=1000", token)
    assert first.status_code == 200
    selects.clear()
    again = api.get(f"/practices/{world.practice.ods_code}/changes?since={first.json()['next']}", token,
                    headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    # The account, the practice with its commissioner, the roles at both, the feed page (the token
    # and the profile tag are remembered for up to 5 s).
    assert len(selects) == 4, selects
