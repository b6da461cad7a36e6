"""Manual entries: idempotent creation, validation per field, If-Match amendments, the entry window
from the timetable, and approval by the commissioner. (What may be entered and what counts towards payment:
test_central_entry_rules.py; the second person: test_central_second_person.py.)"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from central.models import ManualEntry

from .conftest import Api, FakeClock, World

ENTRIES = "/practices/Z91001/manual-entries"
OCTOBER = "2025-10-31"  # its entry window is 1-12 Nov 2025; the clock starts on 5 Nov


def _entry(**changes: object) -> dict:
    return {"service": "WM", "achievement_date": OCTOBER, "values": {"REFERRALS": 12},
            "notes": "From the referral log", **changes}


def _create(api: Api, token: str, body: dict | None = None, key: str | None = None):
    headers = {"Idempotency-Key": key or uuid.uuid4().hex}
    return api.post(ENTRIES, token, json=body or _entry(), headers=headers)


def _count(world: World) -> int:
    with world.session() as session:
        return session.scalar(select(func.count()).select_from(ManualEntry))


def test_replaying_a_create_returns_the_first_response_and_stores_one_entry(api: Api, world: World) -> None:
    token = api.token(world.manager())
    before = _count(world)
    first = _create(api, token, key="outbox-item-1")
    assert first.status_code == 201
    assert first.json()["version"] == 1 and first.json()["status"] == "submitted"
    assert first.headers["ETag"] == '"1"'
    replay = _create(api, token, key="outbox-item-1")
    assert replay.status_code == 201
    assert replay.json() == first.json()
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert _count(world) == before + 1


def test_same_key_with_a_different_body_is_refused(api: Api, world: World) -> None:
    token = api.token(world.manager())
    assert _create(api, token, key="outbox-item-2").status_code == 201
    other = _create(api, token, _entry(values={"REFERRALS": 13}), key="outbox-item-2")
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"


def test_keys_belong_to_their_user(api: Api, world: World) -> None:
    first, second = api.token(world.manager()), api.token(world.manager())
    assert _create(api, first, key="shared-key").status_code == 201
    assert "Idempotent-Replayed" not in _create(api, second, key="shared-key").headers


def test_idempotency_key_is_required(api: Api, world: World) -> None:
    response = api.post(ENTRIES, api.token(world.manager()), json=_entry())
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"Idempotency-Key": "This field is required."}


def test_bad_values_get_a_message_per_field(api: Api, world: World) -> None:
    token = api.token(world.manager())
    before = _count(world)
    values = {"REFERRALS": -1, "ALLOCATION": "forty", "DOSES": 1.5, "X": True}
    bad = _create(api, token, _entry(values=values))
    assert bad.status_code == 422
    fields = bad.json()["error"]["fields"]
    assert fields == {f"values.{k}": "Must be a whole number of 0 or more." for k in
                      ("REFERRALS", "ALLOCATION", "DOSES", "X")}
    qof = _create(api, token, _entry(service="QOF", values={"NUMERATOR": 41, "DENOMINATOR": 40}))
    assert qof.json()["error"]["fields"] == {
        "service": "QOF counts come from the extract; nothing is entered by hand. Services with items "
                   "entered by hand in 2025-26: RSVP, LDHC, WM."}
    unknown = _create(api, token, _entry(service="NOPE"))
    assert "service" in unknown.json()["error"]["fields"]
    assert _count(world) == before  # a refused write changes nothing
    empty = _create(api, token, _entry(values={}, achievement_date="31/10/2025"))
    assert set(empty.json()["error"]["fields"]) == {"achievement_date"}
    nothing = _create(api, token, _entry(values={}))
    assert nothing.json()["error"]["fields"] == {"values": "Enter at least one value."}


def test_amend_with_if_match_and_conflict_returns_the_current_record(api: Api, world: World) -> None:
    token = api.token(world.manager())
    created = _create(api, token).json()
    url = f"{ENTRIES}/{created['id']}"
    change = {"values": {"REFERRALS": 14}, "notes": "Recounted"}
    assert api.call("PUT", url, token, json=change).status_code == 428
    amended = api.call("PUT", url, token, json=change, headers={"If-Match": '"1"'})
    assert amended.status_code == 200
    assert amended.json()["version"] == 2 and amended.headers["ETag"] == '"2"'

    stale = api.call("PUT", url, token, json={"values": {"REFERRALS": 99}}, headers={"If-Match": "1"})
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "version_conflict"
    assert stale.json()["current"]["version"] == 2
    assert stale.json()["current"]["values"] == {"REFERRALS": 14}
    assert api.get(url, token).json()["notes"] == "Recounted"


def test_entries_are_closed_outside_the_entry_window(api: Api, world: World, clock: FakeClock) -> None:
    token = api.token(world.manager())
    created = _create(api, token).json()
    clock.advance(days=8)  # 13 Nov: October's window closed on the 12th
    token = api.token(world.manager())
    closed = _create(api, token)
    assert closed.status_code == 409
    assert closed.json()["error"]["code"] == "entry_window_closed"
    # The desktop's wording, from the shared rules (app.services.windows).
    assert closed.json()["error"]["message"] == "The entry window closed on 12 Nov 2025."
    amend = api.call("PUT", f"{ENTRIES}/{created['id']}", token, json={"values": {"REFERRALS": 1}},
                     headers={"If-Match": "1"})
    assert amend.status_code == 409 and amend.json()["error"]["code"] == "entry_window_closed"
    november = _create(api, token, _entry(achievement_date="2025-11-30"))  # not open until 1 Dec
    assert november.status_code == 409


def test_approved_entries_cannot_be_amended_and_rejected_ones_can(api: Api, world: World) -> None:
    token = api.token(world.manager())
    approver = api.token(world.commissioner("Approval Management"))
    first, second = _create(api, token).json(), _create(api, token).json()
    assert api.post(f"{ENTRIES}/{first['id']}/approve", token).status_code == 403  # practice cannot approve
    approved = api.post(f"{ENTRIES}/{first['id']}/approve", approver).json()
    assert approved["status"] == "approved"
    locked = api.call("PUT", f"{ENTRIES}/{first['id']}", token, json={"values": {"REFERRALS": 1}},
                      headers={"If-Match": str(approved["version"])})
    assert locked.status_code == 409 and locked.json()["error"]["code"] == "already_approved"

    reason = {"reason": "Referrals look high"}
    rejected = api.post(f"{ENTRIES}/{second['id']}/reject", approver, json=reason)
    assert rejected.json()["rejection_reason"] == "Referrals look high"
    change = {"values": {"REFERRALS": 11}}
    fixed = api.call("PUT", f"{ENTRIES}/{second['id']}", token, json=change,
                     headers={"If-Match": str(rejected.json()["version"])})
    assert fixed.status_code == 200 and fixed.json()["status"] == "submitted"


def test_drafts_are_kept_and_an_entry_of_another_practice_is_404(api: Api, world: World) -> None:
    token = api.token(world.manager())
    draft = _create(api, token, _entry(status="draft")).json()
    assert draft["status"] == "draft"
    neighbour = api.token(world.manager(world.neighbour))
    assert api.get(f"/practices/Z91002/manual-entries/{draft['id']}", neighbour).status_code == 404


def _feed_copy(api: Api, token: str, entry_id: int) -> dict:
    """The newest copy of one manual entry in the practice's change feed."""
    since, latest = 0, None
    while True:
        page = api.get(f"/practices/Z91001/changes?since={since}&limit=500", token).json()
        for change in page["changes"]:
            if change["type"] == "manual_entry" and change["id"] == str(entry_id):
                latest = change["data"]
        since = page["next"]
        if not page["more"]:
            return latest


def test_every_published_record_carries_its_history_of_who_did_what_when(api: Api, world: World,
                                                                          clock: FakeClock) -> None:
    manager = world.manager()
    token = api.token(manager)
    approver_email = world.commissioner("Approval Management")
    approver = api.token(approver_email)
    created = _create(api, token).json()
    assert [(h["action"], h["by"]) for h in created["history"]] == [("manual entry created", manager)]
    assert created["history"][0]["at"].startswith("2025-11-05T10:00")
    assert _feed_copy(api, token, created["id"])["history"] == created["history"]

    clock.advance(hours=2)
    token, approver = api.token(manager), api.token(approver_email)  # access tokens are short-lived
    url = f"{ENTRIES}/{created['id']}"
    amended = api.call("PUT", url, token, json={"values": {"REFERRALS": 13}},
                       headers={"If-Match": "1"}).json()
    assert [h["action"] for h in amended["history"]] == ["manual entry created", "manual entry amended"]
    assert amended["history"][1]["at"].startswith("2025-11-05T12:00")
    rejected = api.post(f"{url}/reject", approver, json={"reason": "The referral log shows 11"}).json()
    assert rejected["history"][-1] == {"action": "manual entry rejected", "at": rejected["history"][-1]["at"],
                                       "by": approver_email}
    fixed = api.call("PUT", url, token, json={"values": {"REFERRALS": 11}},
                     headers={"If-Match": str(rejected["version"])}).json()
    approved = api.post(f"{url}/approve", approver).json()
    assert [h["action"] for h in approved["history"]] == [
        "manual entry created", "manual entry amended", "manual entry rejected", "manual entry amended",
        "manual entry approved"]
    assert len(fixed["history"]) == 4
    assert _feed_copy(api, token, created["id"])["history"] == approved["history"]
    assert api.get(url, token).json()["history"] == approved["history"]
    stale = api.call("PUT", url, token, json={"values": {"REFERRALS": 1}}, headers={"If-Match": "1"})
    assert stale.json()["current"]["history"] == approved["history"]  # the conflict copy has it too


def test_a_replayed_amendment_with_the_same_key_is_applied_once(api: Api, world: World) -> None:
    token = api.token(world.manager())
    created = _create(api, token).json()
    url = f"{ENTRIES}/{created['id']}"
    change = {"values": {"REFERRALS": 15}}
    headers = {"If-Match": "1", "Idempotency-Key": "outbox-amend-1"}
    first = api.call("PUT", url, token, json=change, headers=headers)
    assert first.status_code == 200 and first.json()["version"] == 2
    replay = api.call("PUT", url, token, json=change, headers=headers)  # sent again after a crash
    assert replay.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    assert api.get(url, token).json()["version"] == 2
    other = api.call("PUT", url, token, json={"values": {"REFERRALS": 16}}, headers=headers)
    assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_key_reused"
