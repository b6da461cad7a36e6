"""A practice that links an existing account by email sees only what its administrator typed: the
person's stored name and phones, their activation and even their id in the add answer stay hidden, so
the practice cannot tell an existing account from a new one. The person's own profile and their other
practices are untouched."""

from __future__ import annotations

from typing import Any

from central.directory import create_user, grant_role
from central.models import Organisation
from central.security import VIEW, hash_password

from .accounts_helpers import add, listed, new_practice, user_id, users_path
from .conftest import PASSWORD, START, Api, FakeClock, World

SAM = {"first_name": "Sam", "last_name": "Jones", "work_phone": "01632 999999"}
TOMS = ("Tom", "Hughes", "960555", "900555")


def _tom(world: World, home: Organisation, email: str) -> None:
    with world.session() as session:
        tom = create_user(session, email, "Tom", "Hughes", "01632 960555", START, mobile="07700 900555",
                          password_hash=hash_password(PASSWORD))
        grant_role(session, tom, session.get_one(Organisation, home.id), VIEW, START)
        session.commit()


def _feed_user(api: Api, token: str, practice: Organisation, user: int) -> dict[str, Any]:
    changes = api.get(f"/practices/{practice.ods_code}/changes?limit=1000", token).json()["changes"]
    return [c["data"] for c in changes if c["type"] == "user" and c["id"] == str(user)][-1]


def _as_seen(record: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in record.items() if key not in ("id", "email")}


def test_the_practice_sees_what_it_typed_never_the_stored_account(api: Api, world: World) -> None:
    home, bridge = new_practice(world, "Home"), new_practice(world, "Bridge")
    _tom(world, home, "tom.hughes@nhs.net")
    home_admin, bm = api.token(world.manager(home)), api.token(world.manager(bridge))

    linked = add(api, bm, bridge, email="tom.hughes@nhs.net", **SAM)
    fresh = add(api, bm, bridge, email="sam.jones.new@nhs.net", **SAM)
    assert linked.status_code == fresh.status_code == 201
    assert "id" not in linked.json()["user"] and "id" not in fresh.json()["user"]
    assert {**linked.json()["user"], "email": "x"} == {**fresh.json()["user"], "email": "x"}

    tom_id, new_id = user_id(world, "tom.hughes@nhs.net"), user_id(world, "sam.jones.new@nhs.net")
    page = api.get(users_path(bridge), bm)
    feed = api.get(f"/practices/{bridge.ods_code}/changes?limit=1000", bm)
    for text in (linked.text, page.text, feed.text):
        assert not any(part in text for part in TOMS)
    shown = listed(api, bm, bridge, tom_id)
    assert (shown["first_name"], shown["last_name"], shown["work_phone"], shown["mobile"]) == \
        ("Sam", "Jones", "01632 999999", None)
    # Exactly what a brand-new invitation with the same details looks like.
    assert _as_seen(shown) == _as_seen(listed(api, bm, bridge, new_id))
    assert shown["status"] == "invited" and shown["activated"] is False
    assert _as_seen(_feed_user(api, bm, bridge, tom_id)) == _as_seen(_feed_user(api, bm, bridge, new_id))

    # The person and their home practice still see the person's own details.
    tom = api.token("tom.hughes@nhs.net")
    assert api.get("/me", tom).json()["user"]["last_name"] == "Hughes"
    at_home = listed(api, home_admin, home, tom_id)
    assert (at_home["first_name"], at_home["work_phone"], at_home["status"]) == \
        ("Tom", "01632 960555", "active")
    # Once they have signed in, the practice that linked them sees them active, still as it typed them.
    after = listed(api, bm, bridge, tom_id)
    assert (after["last_name"], after["status"], after["activated"]) == ("Jones", "active", True)
    assert _feed_user(api, bm, bridge, tom_id)["status"] == "active"
    names = [u["last_name"].lower() for u in api.get(users_path(bridge), bm).json()["users"]]
    assert names == sorted(names)


def test_a_linked_invitation_expires_and_is_resent_like_a_new_one(api: Api, world: World,
                                                                  clock: FakeClock) -> None:
    home, bridge = new_practice(world, "Home"), new_practice(world, "Bridge")
    _tom(world, home, "tom.hughes.two@nhs.net")
    bm_email = world.manager(bridge)
    bm = api.token(bm_email)
    add(api, bm, bridge, email="tom.hughes.two@nhs.net", **SAM)
    add(api, bm, bridge, email="sam.jones.two@nhs.net", **SAM)
    tom_id, new_id = user_id(world, "tom.hughes.two@nhs.net"), user_id(world, "sam.jones.two@nhs.net")
    # Both links' ends travel with the synced records, so the desktop tells an expired invitation apart.
    expiries = {who: _feed_user(api, bm, bridge, who)["activation_expires"] for who in (tom_id, new_id)}
    assert all(expiries.values()) and len({value[:13] for value in expiries.values()}) == 1
    clock.advance(days=14, seconds=1)
    bm = api.token(bm_email)
    assert listed(api, bm, bridge, tom_id)["status"] == listed(api, bm, bridge, new_id)["status"] == \
        "activation expired"
    resent = [api.post(users_path(bridge, who) + "/resend-activation", bm) for who in (tom_id, new_id)]
    assert [r.status_code for r in resent] == [200, 200]
    assert resent[0].json() == {**resent[1].json(), "message": resent[1].json()["message"].replace(
        "sam.jones.two", "tom.hughes.two")}
    assert listed(api, bm, bridge, tom_id)["status"] == listed(api, bm, bridge, new_id)["status"] == "invited"


def test_a_phone_that_is_not_a_uk_number_is_refused_naming_the_field(api: Api, world: World) -> None:
    bridge = new_practice(world, "Bridge")
    token = api.token(world.manager(bridge))
    refused = add(api, token, bridge, email="sam.jones.phone@nhs.net", work_phone="12345")
    assert refused.status_code == 422
    assert "work_phone" in refused.text and "UK number" in refused.text
    assert add(api, token, bridge, email="sam.jones.phone@nhs.net", mobile="+1 555 0100").status_code == 422
    assert add(api, token, bridge, email="sam.jones.phone@nhs.net").status_code == 201  # nothing was kept
