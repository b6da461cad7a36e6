"""Authorisation everywhere: 401 without a token, 403 for a missing role, and 404 for a practice
(or its records) the caller has no role at — the same answer as for one that does not exist."""

from __future__ import annotations

from datetime import date

import pytest

from central.models import Offer

from .conftest import START, Api, World

PRACTICE_PATHS = [
    ("GET", "/practices/{ods}"),
    ("GET", "/practices/{ods}/changes"),
    ("GET", "/practices/{ods}/offers"),
    ("GET", "/practices/{ods}/declarations"),
    ("GET", "/practices/{ods}/users"),
    ("POST", "/practices/{ods}/offers/1/accept"),
    ("POST", "/practices/{ods}/declarations"),
]


OTHER_PATHS = [("GET", "/me"), ("GET", "/timetable?year=2025-26"), ("POST", "/declarations/1/approve")]


@pytest.mark.parametrize(("method", "path"), PRACTICE_PATHS + OTHER_PATHS)
def test_no_token_is_401(api: Api, method: str, path: str) -> None:
    response = api.call(method, path.format(ods="Z91001"), json={})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorised"


def test_made_up_token_is_401(api: Api) -> None:
    assert api.get("/me", "not-a-real-token").json()["error"]["code"] == "token_invalid"


@pytest.mark.parametrize(("method", "path"), PRACTICE_PATHS)
def test_another_practice_looks_like_no_practice(api: Api, world: World, method: str, path: str) -> None:
    token = api.token(world.manager(world.neighbour))  # every role, but at the practice next door
    theirs = api.call(method, path.format(ods="Z91001"), token, json={})
    missing = api.call(method, path.format(ods="Z99999"), token, json={})
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()


def test_commissioner_roles_reach_only_their_own_practices(api: Api, world: World) -> None:
    token = api.token(world.commissioner())
    assert api.get("/practices/Z91001", token).status_code == 200
    assert api.get("/practices/Z91002", token).status_code == 200
    assert api.get("/practices/Z92001", token).status_code == 404


def test_seeing_a_practice_without_the_role_is_403(api: Api, world: World) -> None:
    token = api.token(world.viewer())
    assert api.get("/practices/Z91001", token).status_code == 200
    for method, path, body in (("GET", "/practices/Z91001/users", None),
                               ("POST", "/practices/Z91001/offers/1/accept", None),
                               ("POST", "/practices/Z91001/declarations",
                                {"service": "QOF", "achievement_date": "2025-10-31"}),
                               ("POST", "/practices/Z91001/manual-entries",
                                {"service": "QOF", "achievement_date": "2025-10-31", "values": {"X": 1}})):
        response = api.call(method, path, token, json=body, headers={"Idempotency-Key": "k"})
        assert response.status_code == 403, path
        assert response.json()["error"]["code"] == "forbidden"


def test_practice_details_list_offers_and_the_callers_roles(api: Api, world: World) -> None:
    with world.session() as session:
        session.add(Offer(practice_id=world.practice.id, service="QOF", status="accepted",
                          start_date=date(2025, 4, 1), end_date=date(2026, 3, 31), created_at=START))
        session.commit()
    body = api.get("/practices/z91001", api.token(world.viewer())).json()
    assert body["ods"] == "Z91001"
    assert body["pcn"]["ods"] == "U91001" and body["commissioner"]["ods"] == "Q1X"
    assert body["your_roles"] == ["View"]
    assert any(o["service"] == "QOF" for o in body["offers"])


def test_timetable_lists_the_years_events(api: Api, world: World) -> None:
    token = api.token(world.viewer())
    events = api.get("/timetable?year=2025-26", token).json()["events"]
    kinds = {e["kind"] for e in events}
    assert {"extraction", "entry window", "declaration deadline", "payment", "year end"} <= kinds
    assert api.get("/timetable?year=2025", token).status_code == 422
    assert api.get("/timetable?year=2031-32", token).json()["events"] == []
