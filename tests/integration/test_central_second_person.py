"""The practice's second-person rule, held and checked by the service: the setting (read by any member,
changed by the practice's User Administrator or the commissioner's Advanced User Administrator, audited,
published in the practice record), and the single-use check a second person makes of exactly the values
that are then submitted.

Each test gets its own practice under Z91001's PCN, so the setting never leaks into other tests.
"""

from __future__ import annotations

import itertools
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from central.directory import create_organisation, revoke_role, user_by_email
from central.models import PRACTICE, AuditEntry, ManualEntry, Organisation
from central.security import (
    ACHIEVEMENT_ENTRY,
    ADVANCED_USER_ADMINISTRATOR,
    DECLARATION_MANAGEMENT,
    SUPERVISOR,
    USER_ADMINISTRATOR,
    VIEW,
)

from .conftest import START, Api, FakeClock, World

OCTOBER = "2025-10-31"  # its entry window is 1-12 Nov 2025; the clock starts on 5 Nov
VALUES = {"LD_REG": 58}
OFF = {"second_person_required": False, "pending_change": None}
ON = {"second_person_required": True, "pending_change": None}
_codes = itertools.count(501)


@pytest.fixture
def practice(world: World) -> Organisation:
    with world.session() as session:
        pcn = session.get_one(Organisation, world.practice.parent_id)
        org = create_organisation(session, PRACTICE, f"Z91{next(_codes)}", "Careful Surgery", START,
                                  parent=pcn)
        session.commit()
        session.refresh(org)
        session.expunge(org)
        return org


class Staff:
    """The practice's people, signed in on first use; ``again()`` after the clock moves past their tokens."""

    def __init__(self, api: Api, emails: dict[str, str]) -> None:
        self.api, self.emails, self.tokens = api, emails, {}

    def __getitem__(self, who: str) -> str:
        if who not in self.tokens:
            self.tokens[who] = self.api.token(self.emails[who])
        return self.tokens[who]

    def again(self) -> None:
        self.tokens.clear()


@pytest.fixture
def people(api: Api, world: World, practice: Organisation) -> Staff:
    """The submitter (Achievement Entry), a supervisor, a declarer, a viewer, an administrator."""
    def email(*roles: str) -> str:
        return world.user({practice: roles}, "staff")
    return Staff(api, {"submitter": email(ACHIEVEMENT_ENTRY), "supervisor": email(SUPERVISOR),
                       "declarer": email(DECLARATION_MANAGEMENT), "viewer": email(VIEW),
                       "both": email(ACHIEVEMENT_ENTRY, SUPERVISOR), "admin": email(USER_ADMINISTRATOR)})


def _require(api: Api, practice: Organisation, token: str, required: bool = True):
    return api.call("PUT", f"/practices/{practice.ods_code}/settings", token,
                    json={"second_person_required": required})


def _check(api: Api, practice: Organisation, token: str, values: dict[str, Any] | None = None,
           notes: str | None = "From the register report"):
    body = {"service": "LDHC", "achievement_date": OCTOBER, "values": values or VALUES, "notes": notes}
    return api.post(f"/practices/{practice.ods_code}/manual-entries/checks", token, json=body)


def _submit(api: Api, practice: Organisation, token: str, check: str | None = None, key: str | None = None,
            **changes: Any):
    body = {"service": "LDHC", "achievement_date": OCTOBER, "values": VALUES,
            "notes": "From the register report", **changes}
    if check is not None:
        body["second_person_check"] = check
    return api.post(f"/practices/{practice.ods_code}/manual-entries", token, json=body,
                    headers={"Idempotency-Key": key or uuid.uuid4().hex})


def _feed_practice(api: Api, practice: Organisation, token: str) -> dict[str, Any]:
    page = api.get(f"/practices/{practice.ods_code}/changes?since=0&limit=1000", token).json()
    return [c["data"] for c in page["changes"] if c["type"] == "practice"][-1]


def test_the_setting_is_read_by_members_and_changed_only_by_administrators(
        api: Api, world: World, practice: Organisation, people: Staff) -> None:
    url = f"/practices/{practice.ods_code}/settings"
    assert api.get(url, people["viewer"]).json() == OFF
    for who in ("viewer", "submitter", "supervisor"):
        refused = _require(api, practice, people[who])
        assert refused.status_code == 403, who
    assert api.get(url, people["viewer"]).json() == OFF
    assert _require(api, practice, people["admin"]).json() == ON
    assert _feed_practice(api, practice, people["viewer"])["second_person_required"] is True
    bad = api.call("PUT", url, people["admin"], json={"second_person_required": "yes"})
    assert bad.status_code == 422 and "second_person_required" in bad.json()["error"]["fields"]

    icb_admin = api.token(world.commissioner(ADVANCED_USER_ADMINISTRATOR))
    assert _require(api, practice, icb_admin, False).json() == OFF
    with world.session() as session:
        changes = [e.detail for e in session.scalars(select(AuditEntry).where(
            AuditEntry.organisation_id == practice.id, AuditEntry.action == "practice settings changed")
            .order_by(AuditEntry.id))]
    assert changes == [{"second_person_required": {"from": False, "to": True}},
                       {"second_person_required": {"from": True, "to": False}}]
    stranger = api.token(world.user({world.elsewhere: (USER_ADMINISTRATOR,)}, "stranger"))
    assert api.get(url, stranger).status_code == 404


def test_without_the_setting_no_check_is_needed(api: Api, practice: Organisation,
                                                people: Staff) -> None:
    created = _submit(api, practice, people["submitter"])
    assert created.status_code == 201 and created.json()["checked_by"] is None


def test_when_required_a_submission_needs_a_valid_check_by_someone_else_with_the_role(
        api: Api, world: World, practice: Organisation, people: Staff) -> None:
    _require(api, practice, people["admin"])
    missing = _submit(api, practice, people["submitter"])
    assert missing.status_code == 422
    assert "second person" in missing.json()["error"]["fields"]["second_person_check"]
    draft = _submit(api, practice, people["submitter"], status="draft")
    assert draft.status_code == 201  # drafts need no check

    assert _check(api, practice, people["viewer"]).status_code == 403  # no Declaration Management/Supervisor
    own = _check(api, practice, people["both"]).json()["second_person_check"]
    same_person = _submit(api, practice, people["both"], own)
    assert same_person.status_code == 422
    assert "someone other than" in same_person.json()["error"]["fields"]["second_person_check"]

    other_values = _check(api, practice, people["supervisor"], {"LD_REG": 57}).json()["second_person_check"]
    mismatch = _submit(api, practice, people["submitter"], other_values)
    assert mismatch.status_code == 422 and "second_person_check" in mismatch.json()["error"]["fields"]
    other_notes = _check(api, practice, people["supervisor"], notes=None).json()["second_person_check"]
    assert _submit(api, practice, people["submitter"], other_notes).status_code == 422

    check = _check(api, practice, people["declarer"])
    assert check.status_code == 201 and check.json()["checked_by_name"] == "Test Staff"
    token = check.json()["second_person_check"]
    accepted = _submit(api, practice, people["submitter"], token, key="checked-once")
    assert accepted.status_code == 201, accepted.text
    declarer_email = check.json()["checked_by"]
    assert accepted.json()["checked_by"] == declarer_email
    with world.session() as session:
        entry = session.get_one(ManualEntry, accepted.json()["id"])
        assert entry.checked_by_id is not None and entry.status == "submitted"
    replay = _submit(api, practice, people["submitter"], token, key="checked-once")
    assert replay.status_code == 201 and replay.json() == accepted.json()  # the first answer again
    reused = _submit(api, practice, people["submitter"], token)
    assert reused.status_code == 422 and "already used" in reused.json()["error"]["fields"][
        "second_person_check"]


def test_an_amendment_needs_a_new_check_and_an_old_check_expires(
        api: Api, practice: Organisation, people: Staff, clock: FakeClock) -> None:
    _require(api, practice, people["admin"])
    first = _check(api, practice, people["supervisor"]).json()["second_person_check"]
    created = _submit(api, practice, people["submitter"], first).json()
    url = f"/practices/{practice.ods_code}/manual-entries/{created['id']}"
    change = {"values": {"LD_REG": 60}, "notes": None}
    unchecked = api.call("PUT", url, people["submitter"], json=change, headers={"If-Match": "1"})
    assert unchecked.status_code == 422 and "second_person_check" in unchecked.json()["error"]["fields"]
    stale = _check(api, practice, people["supervisor"], {"LD_REG": 60}, None).json()["second_person_check"]
    clock.advance(hours=25)  # a check lasts a day (the entry window is still open)
    people.again()
    expired = api.call("PUT", url, people["submitter"], json={**change, "second_person_check": stale},
                       headers={"If-Match": "1"})
    assert expired.status_code == 422 and "more than a day old" in expired.json()["error"]["fields"][
        "second_person_check"]
    fresh = _check(api, practice, people["supervisor"], {"LD_REG": 60}, None).json()["second_person_check"]
    amended = api.call("PUT", url, people["submitter"], json={**change, "second_person_check": fresh},
                       headers={"If-Match": "1"})
    assert amended.status_code == 200 and amended.json()["values"] == {"LD_REG": 60}
    assert amended.json()["checked_by"] == people.emails["supervisor"]


def test_a_check_by_someone_who_has_since_lost_the_role_is_refused(
        api: Api, world: World, practice: Organisation, people: Staff) -> None:
    _require(api, practice, people["admin"])
    token = _check(api, practice, people["supervisor"]).json()["second_person_check"]
    with world.session() as session:
        supervisor = user_by_email(session, people.emails["supervisor"])
        revoke_role(session, supervisor, session.get_one(Organisation, practice.id), SUPERVISOR)
        session.commit()
    refused = _submit(api, practice, people["submitter"], token)
    assert refused.status_code == 422
    assert "no longer has" in refused.json()["error"]["fields"]["second_person_check"]


def test_turning_the_check_off_needs_a_second_administrator(
        api: Api, world: World, practice: Organisation, people: Staff) -> None:
    url = f"/practices/{practice.ods_code}/settings"
    lone = world.user({practice: (USER_ADMINISTRATOR, ACHIEVEMENT_ENTRY)}, "lone")
    lone_token = api.token(lone)
    assert _require(api, practice, lone_token).json() == ON  # on: at once

    asked = _require(api, practice, lone_token, False)  # the submitter-administrator alone: only a request
    assert asked.status_code == 202 and asked.json()["second_person_required"] is True
    assert asked.json()["pending_change"]["requested_by"] == lone
    assert "another User Administrator" in asked.json()["message"]
    assert _require(api, practice, lone_token, False).status_code == 202  # asking again changes nothing
    alone = _submit(api, practice, lone_token)
    assert alone.status_code == 422 and "second_person_check" in alone.json()["error"]["fields"]
    assert _feed_practice(api, practice, people["viewer"])["second_person_required"] is True

    withdrawn = _require(api, practice, lone_token)  # turning it on withdraws the request
    assert withdrawn.status_code == 200 and withdrawn.json() == ON
    assert _require(api, practice, lone_token, False).status_code == 202
    confirmed = _require(api, practice, people["admin"], False)  # a second User Administrator agrees
    assert confirmed.status_code == 200 and confirmed.json() == OFF
    assert api.get(url, people["viewer"]).json() == OFF
    assert _submit(api, practice, lone_token).status_code == 201
    with world.session() as session:
        entries = session.scalars(select(AuditEntry).where(
            AuditEntry.organisation_id == practice.id,
            AuditEntry.action.in_(("practice settings change requested", "practice settings changed")))
            .order_by(AuditEntry.id)).all()
    assert [e.action for e in entries][-2:] == ["practice settings change requested",
                                                "practice settings changed"]
    assert entries[-1].detail == {"second_person_required": {"from": True, "to": False}, "requested_by": lone}
    assert entries[-1].actor != lone
