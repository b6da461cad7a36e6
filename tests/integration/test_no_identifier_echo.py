"""No error answer of the central service repeats an NHS-number-like value, whatever part of the request
carried it (a service or role in the path, an item in ``values``, an unexpected body key, an extract
cell), and the written forms the re-probe found are refused in notes, names and reasons."""

from __future__ import annotations

import json
import uuid

import pytest
import requests
from nhs_forms import FORMS, NHS_NUMBER, PUNCTUATED_FORMS, punctuated_forms, written_forms
from sqlalchemy import func, select

from app.services.identifiers import contains_nhs_number
from central.models import ManualEntry, User
from central.security import COMMISSIONING_MANAGEMENT, EXTRACT_UPLOAD

from .accounts_helpers import person, user_id
from .conftest import Api, World

N = NHS_NUMBER
ENTRIES = "/practices/Z91001/manual-entries"
OCTOBER = "2025-10-31"  # its entry window is open on the test clock's day
EVERY_FORM = {**written_forms(N), **punctuated_forms(N)}
HEAD = "practice_code,service,indicator_id,achievement_date,numerator,denominator,pca\n"


def assert_not_echoed(response: requests.Response) -> None:
    """The answer is an error, and no digits of N are in it, in any form or escape."""
    assert 400 <= response.status_code < 500, response.text
    shown = json.dumps(response.json(), ensure_ascii=False)
    assert not contains_nhs_number(shown) and not contains_nhs_number(response.text), shown
    groups = (N[:3], N[3:6], N[6:], N[:5], N[5:], N[1:4], N[4:7], N[7:])  # 943 476 5919, 9 434 765 919
    assert not any(group in shown for group in groups), shown


def _entry(**changes: object) -> dict:
    return {"service": "WM", "achievement_date": OCTOBER, "values": {"REFERRALS": 12}, **changes}


def _create(api: Api, token: str, body: dict) -> requests.Response:
    return api.post(ENTRIES, token, json=body, headers={"Idempotency-Key": uuid.uuid4().hex})


def _entries(world: World) -> int:
    with world.session() as session:
        return session.scalar(select(func.count()).select_from(ManualEntry))


@pytest.fixture(scope="module")
def manager(api: Api, world: World) -> str:
    return api.token(world.manager())


def test_a_service_named_by_an_nhs_number_is_not_repeated(api: Api, world: World, manager: str) -> None:
    assert_not_echoed(_create(api, manager, _entry(service=N)))
    assert_not_echoed(api.post("/practices/Z91001/declarations", manager,
                               json={"service": N, "achievement_date": OCTOBER}))
    setter = api.token(world.commissioner(COMMISSIONING_MANAGEMENT))
    answer = api.call("PUT", f"/practices/Z91001/allocations/{N}", setter,
                      json={"achievement_date": OCTOBER, "values": {"ALLOCATION": 1}})
    assert_not_echoed(answer)
    assert answer.status_code == 422 and "[number removed]" in answer.text


@pytest.mark.parametrize("form", sorted(EVERY_FORM))
def test_an_item_or_body_key_holding_an_nhs_number_is_not_repeated(api: Api, world: World, manager: str,
                                                                   form: str) -> None:
    value = EVERY_FORM[form]
    before = _entries(world)
    item = _create(api, manager, _entry(values={"X" + value: 1}))
    assert_not_echoed(item)
    assert any(name.startswith("values.X") for name in item.json()["error"]["fields"]), item.text
    assert_not_echoed(_create(api, manager, _entry(values={value: 1})))
    assert_not_echoed(_create(api, manager, {**_entry(), "NHS " + value: 1}))
    assert_not_echoed(api.post("/practices/Z91001/users", manager, json={**person(), value: 1}))
    assert _entries(world) == before  # a refused write changes nothing


def test_a_role_named_by_an_nhs_number_is_not_repeated(api: Api, world: World, manager: str) -> None:
    colleague = user_id(world, world.viewer())
    removed = api.call("DELETE", f"/practices/Z91001/users/{colleague}/roles/{N}", manager)
    assert removed.status_code == 404
    assert_not_echoed(removed)
    assert "[number removed]" in removed.json()["error"]["message"]
    assert_not_echoed(api.post(f"/practices/Z91001/users/{colleague}/roles/{N}/confirm", manager))
    assert_not_echoed(api.post(f"/practices/Z91001/users/{colleague}/roles", manager, json={"roles": [N]}))


@pytest.mark.parametrize("path", [f"/practices/{N}", f"/practices/{N}/offers", f"/practices/Z91001/{N}",
                                  f"/timetable?year={N}", f"/practices/Z91001/changes?since={N}x"])
def test_a_path_or_query_holding_an_nhs_number_is_not_repeated(api: Api, manager: str, path: str) -> None:
    assert_not_echoed(api.get(path, manager))


@pytest.mark.parametrize("form", PUNCTUATED_FORMS)
def test_notes_names_and_reasons_in_the_missed_written_forms_are_refused(api: Api, world: World,
                                                                         manager: str, form: str) -> None:
    value = punctuated_forms(N)[form]
    before = _entries(world)
    notes = _create(api, manager, _entry(notes=f"pt {value} seen", status="draft"))
    assert notes.status_code == 422 and set(notes.json()["error"]["fields"]) == {"notes"}
    assert_not_echoed(notes)
    assert _entries(world) == before
    email = f"named.{uuid.uuid4().hex[:8]}@nhs.net"
    named = api.post("/practices/Z91001/users", manager, json=person(email=email, first_name=f"Ann {value}"))
    assert named.status_code == 422 and "first_name" in named.json()["error"]["fields"]
    assert_not_echoed(named)
    with world.session() as session:
        assert session.scalar(select(func.count()).select_from(User).where(User.email == email)) == 0
    entry = _create(api, manager, _entry()).json()
    approver = api.token(world.commissioner())
    reject = api.post(f"{ENTRIES}/{entry['id']}/reject", approver, json={"reason": f"patient {value} wrong"})
    assert reject.status_code == 422
    assert_not_echoed(reject)
    assert api.get(f"{ENTRIES}/{entry['id']}", manager).json()["status"] == "submitted"


@pytest.fixture(scope="module")
def uploader(api: Api, world: World) -> str:
    return api.token(world.user({world.icb: (EXTRACT_UPLOAD,)}, "gpes"))


def _upload(api: Api, token: str, body: str) -> requests.Response:
    return api.post("/extracts", token, data=body.encode(), headers={"Content-Type": "text/csv"})


@pytest.mark.parametrize("body", [
    HEAD + 'Z91001,QOF,LIST_SIZE,2025-10-31,"9,434,765,919",,\n',
    HEAD + "Z91001,QOF,(943) 476 5919,2025-10-31,5,,\n",
    HEAD + "Z91001,943_476_5919,X,2025-10-31,5,,\n",
    HEAD.replace("\n", ",943/476/5919\n"),
    HEAD + f"Z91001,QOF,LIST_SIZE,2025-10-31,{N},,\n",
    HEAD + 'Z91001,QOF,LIST_SIZE,2025-10-31,"943, 476, 5919",,\n',
    HEAD + "Z91001,QOF,LIST_SIZE,2025-10-31,9812,,\nZ91001,943 | 476 | 5919,X,2025-10-31,5,,\n",
    HEAD + f"{'x' * 20}{N}1,QOF,LIST_SIZE,2025-10-31,9812,,\n",  # cut short in the message
])
def test_an_extract_cell_holding_an_nhs_number_is_never_repeated(api: Api, uploader: str, body: str) -> None:
    refused = _upload(api, uploader, body)
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "invalid_extract", refused.text
    assert_not_echoed(refused)


@pytest.mark.parametrize("form", FORMS)
def test_an_extract_cell_in_every_written_form_is_never_repeated(api: Api, uploader: str, form: str) -> None:
    cell = written_forms(N)[form]
    refused = _upload(api, uploader, HEAD + f'Z91001,QOF,LIST_SIZE,2025-10-31,"{cell}",,\n')
    assert refused.status_code == 422
    assert_not_echoed(refused)


@pytest.mark.parametrize(("field", "value"), [
    ("email", f"p.{N}@nhs.net"), ("work_phone", "943 476 5919"), ("mobile", "(943) 476-5919")])
def test_an_email_or_phone_holding_an_nhs_number_is_refused_and_not_stored(api: Api, world: World,
                                                                          manager: str, field: str,
                                                                          value: str) -> None:
    email = value if field == "email" else f"phoned.{uuid.uuid4().hex[:8]}@nhs.net"
    answer = api.post("/practices/Z91001/users", manager, json=person(**{"email": email, field: value}))
    assert answer.status_code == 422 and field in answer.json()["error"]["fields"]
    assert_not_echoed(answer)
    with world.session() as session:
        assert session.scalar(select(func.count()).select_from(User).where(User.email == email.lower())) == 0
