"""What a practice may enter by hand, and what of it counts towards payment, against the real service:
only the service's manual items, each up to its stated maximum and the practice's list size; never an
item that is extracted or that the commissioner sets (the commissioner sets the WM allocation itself);
an extract never carries a hand-entered item, nor does one stored before count; entries needing approval
count once approved; notes hold no NHS number.

Each test gets its own practice under Z91001's PCN, loaded with a real extract for October 2025.
"""

from __future__ import annotations

import itertools
import uuid
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from app.services.rules import load_rules
from central.directory import create_organisation
from central.extract import ExtractError
from central.ingest import ingest_text, recalculate
from central.models import AUTOMATED, PRACTICE, AchievementCount, CalculatedResult, ManualEntry, Organisation
from central.security import COMMISSIONING_MANAGEMENT, PRACTICE_ROLES

from .conftest import START, Api, World

OCTOBER = "2025-10-31"  # its entry window is 1-12 Nov 2025; the clock starts on 5 Nov
LIST_SIZE = 1200
NHS_NUMBER = "943 476 5919"  # passes the modulus-11 check
_codes = itertools.count(401)
HEADER = "practice_code,service,indicator_id,achievement_date,numerator,denominator,pca\n"


@pytest.fixture
def practice(world: World) -> Organisation:
    """A new practice with an October extract: list size 1,200, 12 MMR doses, 20 LD health checks."""
    with world.session() as session:
        pcn = session.get_one(Organisation, world.practice.parent_id)
        org = create_organisation(session, PRACTICE, f"Z91{next(_codes)}", "Counted Surgery", START,
                                  parent=pcn)
        code = org.ods_code
        text = (HEADER + f"{code},QOF,LIST_SIZE,{OCTOBER},{LIST_SIZE},,\n{code},MMR,DOSES,{OCTOBER},12,,\n"
                f"{code},LDHC,CHECKS,{OCTOBER},20,,\n")
        ingest_text(session, text, load_rules("2025-26"), clock=world.server.app.state.settings.clock,
                    filename=f"{code}.csv")
        session.commit()
        session.refresh(org)
        session.expunge(org)
        return org


@pytest.fixture
def token(api: Api, world: World, practice: Organisation) -> str:
    return api.token(world.user({practice: PRACTICE_ROLES}, "manager"))


def _create(api: Api, token: str, ods: str, service: str, values: dict[str, Any], **more: Any):
    body = {"service": service, "achievement_date": OCTOBER, "values": values, **more}
    return api.post(f"/practices/{ods}/manual-entries", token, json=body,
                    headers={"Idempotency-Key": uuid.uuid4().hex})


def _result(world: World, practice: Organisation, service: str) -> CalculatedResult:
    with world.session() as session:
        return session.scalars(select(CalculatedResult).where(
            CalculatedResult.practice_id == practice.id, CalculatedResult.service == service)).one()


def _entries(world: World, practice: Organisation) -> int:
    with world.session() as session:
        return session.scalar(select(func.count()).select_from(ManualEntry)
                              .where(ManualEntry.practice_id == practice.id))


def test_the_issues_example_a_hand_entered_mmr_count_cannot_inflate_the_payment(
        api: Api, world: World, practice: Organisation, token: str) -> None:
    assert _result(world, practice, "MMR").payment == "3618/25"  # 12 doses x £12.06 = £144.72
    response = _create(api, token, practice.ods_code, "MMR", {"DOSES": 10_000_000})
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {
        "values.DOSES": "DOSES is extracted automatically, so it cannot be entered by hand. Items entered by "
                        "hand for MMR: none."}
    assert _result(world, practice, "MMR").payment == "3618/25"  # still £144.72
    assert _entries(world, practice) == 0


def test_unknown_items_are_refused_naming_the_items_allowed(api: Api, practice: Organisation,
                                                          token: str) -> None:
    response = _create(api, token, practice.ods_code, "WM", {"REFERRALS": 3, "FOO": 1})
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {
        "values.FOO": "FOO is not an item of WM. Items entered by hand for WM: REFERRALS."}


def test_an_automatically_extracted_item_is_refused(api: Api, practice: Organisation, token: str) -> None:
    response = _create(api, token, practice.ods_code, "LDHC", {"LD_REG": 50, "CHECKS": 60})
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {
        "values.CHECKS": "CHECKS is extracted automatically, so it cannot be entered by hand. Items entered "
                         "by hand for LDHC: LD_REG."}


def test_values_above_the_stated_maximum_or_the_list_size_are_refused(
        api: Api, world: World, practice: Organisation, token: str) -> None:
    ods = practice.ods_code
    over_list = _create(api, token, ods, "LDHC", {"LD_REG": LIST_SIZE + 1})
    assert over_list.status_code == 422
    assert over_list.json()["error"]["fields"] == {
        "values.LD_REG": "Must be no more than the practice's list size of 1,200 patients."}
    over_max = _create(api, token, ods, "RSVP", {"DOSES": 1001})  # the list is bigger than the maximum
    assert over_max.status_code == 422
    message = over_max.json()["error"]["fields"]["values.DOSES"]
    assert message.startswith("Must be no more than 1,000: one dose per pregnancy")
    assert _entries(world, practice) == 0
    assert _create(api, token, ods, "LDHC", {"LD_REG": LIST_SIZE}).status_code == 201


def test_the_allocation_is_set_by_the_commissioner_never_by_the_practice(
        api: Api, world: World, practice: Organisation, token: str) -> None:
    ods = practice.ods_code
    refused = _create(api, token, ods, "WM", {"REFERRALS": 50, "ALLOCATION": 10_000})
    assert refused.status_code == 422
    assert refused.json()["error"]["fields"] == {
        "values.ALLOCATION": "ALLOCATION is set by your commissioner, not entered by the practice. Items "
                             "entered by hand for WM: REFERRALS."}
    allocation = {"achievement_date": OCTOBER, "values": {"ALLOCATION": 40}}
    url = f"/practices/{ods}/allocations/WM"
    assert api.call("PUT", url, token, json=allocation).status_code == 403  # the practice cannot set it
    other_icb = api.token(world.user({world.elsewhere: PRACTICE_ROLES}, "stranger"))
    assert api.call("PUT", url, other_icb, json=allocation).status_code == 404

    commissioner = api.token(world.commissioner(COMMISSIONING_MANAGEMENT))
    wrong_item = api.call("PUT", url, commissioner, json={"achievement_date": OCTOBER,
                                                          "values": {"REFERRALS": 40}})
    assert wrong_item.status_code == 422 and "values.REFERRALS" in wrong_item.json()["error"]["fields"]
    stored = api.call("PUT", url, commissioner, json=allocation)
    assert stored.status_code == 200 and stored.json()["values"] == {"ALLOCATION": 40}
    claim = _result(world, practice, "WM").detail
    assert claim["cap"] == 40 and claim["items"] == {"ALLOCATION": 40}  # the refused referrals never counted


def test_an_entry_needing_approval_counts_only_once_approved_and_drafts_never(
        api: Api, world: World, practice: Organisation, token: str) -> None:
    ods = practice.ods_code
    assert _result(world, practice, "LDHC").detail["waiting_for"] == "LD_REG"  # nothing paid yet
    draft = _create(api, token, ods, "LDHC", {"LD_REG": 15}, status="draft")
    assert draft.status_code == 201 and _result(world, practice, "LDHC").payment == "0"
    submitted = _create(api, token, ods, "LDHC", {"LD_REG": 15})
    assert submitted.status_code == 201
    assert _result(world, practice, "LDHC").payment == "0"  # awaiting the commissioner's approval

    approver = api.token(world.commissioner("Approval Management"))
    entry_id = submitted.json()["id"]
    assert api.post(f"/practices/{ods}/manual-entries/{entry_id}/approve", approver).status_code == 200
    result = _result(world, practice, "LDHC")
    assert (result.detail["cap"], result.detail["paid_count"], result.payment) == (15, 15, "2100")


def test_a_hand_entered_item_never_comes_from_an_extract(api: Api, world: World,
                                                        practice: Organisation, token: str) -> None:
    ods = practice.ods_code
    created = _create(api, token, ods, "LDHC", {"LD_REG": 50}).json()
    approver = api.token(world.commissioner("Approval Management"))
    api.post(f"/practices/{ods}/manual-entries/{created['id']}/approve", approver)
    assert _result(world, practice, "LDHC").detail["cap"] == 50
    rules = load_rules("2025-26")
    clock = world.server.app.state.settings.clock
    with world.session() as session:  # a later extract carries the register itself: refused whole
        text = HEADER + f"{ods},QOF,LIST_SIZE,{OCTOBER},{LIST_SIZE},,\n{ods},LDHC,CHECKS,{OCTOBER},25,,\n" \
                        f"{ods},LDHC,LD_REG,{OCTOBER},18,,\n"
        with pytest.raises(ExtractError) as refused:
            ingest_text(session, text, rules, clock=clock)
        assert [str(p) for p in refused.value.problems] == [
            "line 4: LDHC LD_REG is entered by hand on CQRS by the practice, not extracted (items an extract "
            "may carry for LDHC: CHECKS)"]
        session.rollback()
    result = _result(world, practice, "LDHC").detail
    assert (result["count"], result["cap"], result["paid_count"]) == (20, 50, 20)  # nothing was loaded

    with world.session() as session:  # a register row loaded before such rows were refused
        session.add(AchievementCount(practice_id=practice.id, service="LDHC", indicator_id="LD_REG",
                                     achievement_date=date(2025, 10, 31), source=AUTOMATED, numerator=5,
                                     updated_at=START))
        recalculate(session, rules, session.get_one(Organisation, practice.id), date(2025, 10, 31),
                    clock=clock)
        session.commit()
    assert _result(world, practice, "LDHC").detail["cap"] == 50  # the hand entry still counts


def test_nhs_numbers_in_notes_or_reasons_are_refused_and_never_echoed(
        api: Api, world: World, practice: Organisation, token: str) -> None:
    ods = practice.ods_code
    refused = _create(api, token, ods, "LDHC", {"LD_REG": 50}, notes=f"Checked for NHS {NHS_NUMBER} today")
    assert refused.status_code == 422
    assert set(refused.json()["error"]["fields"]) == {"notes"}
    assert "looks like an NHS number" in refused.json()["error"]["fields"]["notes"]
    assert "9434765919" not in refused.text.replace(" ", "") and _entries(world, practice) == 0

    created = _create(api, token, ods, "LDHC", {"LD_REG": 50}, notes="From the register report").json()
    url = f"/practices/{ods}/manual-entries/{created['id']}"
    amend = api.call("PUT", url, token, json={"values": {"LD_REG": 51}, "notes": f"re {NHS_NUMBER}"},
                     headers={"If-Match": "1"})
    assert amend.status_code == 422 and "9434765919" not in amend.text.replace(" ", "")
    approver = api.token(world.commissioner("Approval Management"))
    reason = api.post(f"{url}/reject", approver, json={"reason": f"Patient {NHS_NUMBER} is not on it"})
    assert reason.status_code == 422 and set(reason.json()["error"]["fields"]) == {"reason"}
    assert "9434765919" not in reason.text.replace(" ", "")
    stored = api.get(url, token).json()
    assert (stored["version"], stored["notes"], stored["status"]) == (1, "From the register report",
                                                                      "submitted")
