"""Authorisation everywhere: 401 without a token, 403 for a missing role, and 404 for a practice
(or its records) the caller has no role at — the same answer as for one that does not exist."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from central.directory import create_organisation
from central.models import PRACTICE, Declaration, ManualEntry, Offer, Organisation, User
from central.security import EXTRACT_UPLOAD

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
                                {"service": "QOF", "achievement_date": "2026-03-31"}),  # the year end
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


def test_the_extract_service_account_is_no_member_of_any_practice(api: Api, world: World) -> None:
    with world.session() as session:
        pcn = session.get_one(Organisation, world.practice.parent_id)
        practice = create_organisation(session, PRACTICE, "Z91120", "Upload Target", START, parent=pcn)
        session.commit()
    author = world.manager(practice)
    with world.session() as session:
        author_id = session.scalars(select(User.id).where(User.email == author)).one()
        entry = ManualEntry(practice_id=practice.id, service="LDHC", achievement_date=date(2025, 10, 31),
                            values={"LD_REG": 40}, status="submitted", version=1, created_by_id=author_id,
                            updated_by_id=author_id, created_at=START, updated_at=START)
        declaration = Declaration(practice_id=practice.id, service="QOF", achievement_date=date(2025, 10, 31),
                                  status="Awaiting Commissioning Organisation Approval", points="1",
                                  payment="2", snapshot={}, history=[], updated_at=START)
        session.add_all([entry, declaration])
        session.commit()
        entry_id, declaration_id = entry.id, declaration.id
    uploader = api.token(world.user({world.icb: (EXTRACT_UPLOAD,)}, "gpes"))
    for method, path in (("GET", ""), ("GET", "/changes"), ("GET", "/declarations"), ("GET", "/users"),
                         ("GET", "/offers"), ("GET", f"/manual-entries/{entry_id}"),
                         ("POST", "/declarations"), ("POST", f"/manual-entries/{entry_id}/approve")):
        theirs = api.call(method, f"/practices/Z91120{path}", uploader,
                          json={"service": "QOF", "achievement_date": "2026-03-31"})
        missing = api.call(method, f"/practices/Z99999{path}", uploader,
                           json={"service": "QOF", "achievement_date": "2026-03-31"})
        assert theirs.status_code == missing.status_code == 404, path
        assert theirs.json() == missing.json()
    assert api.post(f"/declarations/{declaration_id}/approve", uploader).status_code == 404
    with world.session() as session:  # the refused writes changed nothing
        assert session.get_one(ManualEntry, entry_id).status == "submitted"
        assert session.get_one(Declaration, declaration_id).status.startswith("Awaiting Commissioning")

    # Uploading stays its one right, within its own area.
    with open("resources/examples/extract-2025-26.csv", encoding="utf-8") as handle:
        extract = handle.read().replace("Z99001,", "Z91120,").replace(",2026-03-31,", ",2025-09-30,")
    uploaded = api.post("/extracts", uploader, data=extract.encode(), headers={"Content-Type": "text/csv"})
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["practices"] == ["Z91120"]
