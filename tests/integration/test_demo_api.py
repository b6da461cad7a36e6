"""The seeded demo served over real HTTPS: the demo users read and act on it as their roles allow."""

import pytest
import requests

from app.services.rules import load_rules
from central import start_in_thread
from central.demo_curves import demo_extracts
from central.extract import parse_extract
from central.results import qof_record
from central.seed import DEMO_PASSWORD, demo_clock


@pytest.fixture(scope="module")
def demo(demo_copy):
    server = start_in_thread(demo_copy(), clock=demo_clock())
    yield server
    server.stop()


def call(server, method, path, token=None, **kwargs):
    headers = kwargs.pop("headers", {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return requests.request(
        method, server.api_url + path, headers=headers, verify=str(server.ca_path), timeout=10, **kwargs
    )


def token(server, email):
    response = call(server, "POST", "/auth/token", json={"email": email, "password": DEMO_PASSWORD})
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def whole_feed(server, access_token, limit=200):
    changes, since = [], 0
    while True:
        page = call(
            server, "GET", f"/practices/Z99001/changes?since={since}&limit={limit}", access_token
        ).json()
        changes += page["changes"]
        since = page["next"]
        if not page["more"]:
            return changes, since


def test_practice_manager_reads_the_whole_demo(demo):
    manager = token(demo, "practice.manager@nhs.net")
    me = call(demo, "GET", "/me", manager).json()
    assert "Z99001" in str(me)
    changes, cursor = whole_feed(demo, manager)
    types = {c["type"] for c in changes}
    assert {
        "practice",
        "offer",
        "result",
        "achievement",
        "benchmark",
        "declaration",
        "manual_entry",
        "timetable_event",
        "user",
    } <= types
    # Resuming from the cursor returns nothing new.
    again = call(demo, "GET", f"/practices/Z99001/changes?since={cursor}", manager).json()
    assert again["changes"] == [] and not again["more"]


def test_viewer_sees_no_users_and_cannot_act(demo):
    viewer = token(demo, "viewer@nhs.net")
    changes, _ = whole_feed(demo, viewer)
    assert changes and "user" not in {c["type"] for c in changes}
    offer = next(c for c in changes if c["type"] == "offer" and c["data"]["status"] == "pending")
    assert call(demo, "POST", f"/practices/Z99001/offers/{offer['id']}/accept", viewer).status_code == 403


def keys(data):
    """Every key at any depth of ``data``."""
    if isinstance(data, dict):
        return set(data) | {key for value in data.values() for key in keys(value)}
    if isinstance(data, list):
        return {key for item in data for key in keys(item)}
    return set()


def money_keys(all_keys):
    return {key for key in all_keys if key.startswith(("payment", "gbp_")) or key.endswith("_gbp")
            or key in ("pounds_per_point", "value_per_point", "unit_value")}


def latest(changes, kind):
    """The newest record of each id of one type in the feed."""
    return {c["id"]: c["data"] for c in changes if c["type"] == kind and not c["deleted"]}


def test_money_reaches_only_roles_that_may_see_it(demo):
    viewer_changes = whole_feed(demo, token(demo, "viewer@nhs.net"))[0]
    viewer_keys = keys(viewer_changes)
    assert money_keys(viewer_keys) == set()  # View only: points, never £
    assert "points" in viewer_keys
    rules = latest(viewer_changes, "rules")["2025-26"]
    assert "value_per_point" not in rules and rules["max_points"] == str(load_rules("2025-26").qof_max_points)
    manager_keys = keys(whole_feed(demo, token(demo, "practice.manager@nhs.net"))[0])
    assert {"pounds_per_point", "payment_gbp", "gbp_unclaimed", "value_per_point",  # Finance View
            "unit_value", "unit_value_gbp", "gbp_headroom"} <= manager_keys


def test_finance_view_gets_every_pound_the_calculation_gives(demo):
    rules = load_rules("2025-26")
    changes = whole_feed(demo, token(demo, "practice.manager@nhs.net"))[0]
    results = latest(changes, "result")
    for day, text in demo_extracts(rules).items():
        [counts] = [p for p in parse_extract(text, rules, require_caps=False).practices
                    if p.practice_code == "Z99001"]
        calculated = qof_record(rules, day, counts.list_size, counts.registers, counts.qof)
        served = results[f"QOF:{day.isoformat()}"]
        assert money_keys(keys(calculated)) == money_keys(keys(served)) != set()
        assert {i["indicator_id"]: i for i in served["indicators"]} == \
            {i["indicator_id"]: i for i in calculated["indicators"]}
        assert {k: v for k, v in served.items() if k != "indicators"} == \
            {k: v for k, v in calculated.items() if k != "indicators"}
    assert latest(changes, "rules")["2025-26"]["value_per_point"] == str(rules.constants.value_per_point_gbp)


def test_the_extract_service_account_reads_nothing_of_a_practice(demo):
    uploader = token(demo, "gpes.extracts@nhs.net")
    manager = token(demo, "practice.manager@nhs.net")
    declaration = latest(whole_feed(demo, manager)[0], "declaration")
    for path in ("", "/changes", "/offers", "/declarations", "/users", "/settings"):
        response = call(demo, "GET", f"/practices/Z99001{path}", uploader)
        assert response.status_code == 404, path
        assert response.json() == call(demo, "GET", f"/practices/Z99009{path}", uploader).json()
    some_declaration = next(iter(declaration))
    assert call(demo, "POST", f"/declarations/{some_declaration}/approve", uploader).status_code == 404


def test_manager_accepts_the_pending_offer(demo):
    manager = token(demo, "practice.manager@nhs.net")
    changes, _ = whole_feed(demo, manager)
    offer = next(c for c in changes if c["type"] == "offer" and c["data"]["status"] == "pending")
    response = call(demo, "POST", f"/practices/Z99001/offers/{offer['id']}/accept", manager)
    assert response.status_code == 200, response.text


def test_extract_upload_needs_the_role_and_refuses_bad_files_whole(demo):
    rules = load_rules("2025-26")
    march = list(demo_extracts(rules).values())[-1]
    headers = {"Content-Type": "text/csv"}
    manager = token(demo, "practice.manager@nhs.net")
    assert call(demo, "POST", "/extracts", manager, data=march, headers=dict(headers)).status_code == 403
    uploader = token(demo, "gpes.extracts@nhs.net")
    bad = march.replace(",QOF,BP002,2026-03-31,", ",QOF,BP999,2026-03-31,", 1)
    response = call(demo, "POST", "/extracts", uploader, data=bad, headers=dict(headers))
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_extract"
    assert any("BP999" in message for message in error["fields"].values())
    # The same file as seeded: recognised, nothing changes.
    response = call(demo, "POST", "/extracts", uploader, data=march, headers=dict(headers))
    assert response.status_code == 200 and response.json()["already_ingested"] is True


def test_another_practices_data_is_not_found(demo):
    manager = token(demo, "practice.manager@nhs.net")
    assert call(demo, "GET", "/practices/Z99002/changes?since=0", manager).status_code == 404


def test_a_manual_entry_recalculates_the_claim_it_caps_once_approved(demo):
    """November's entry window is open on the demo's today (1 Dec 2026): the LD register entered for
    November caps November's health checks once the ICB approves it."""
    manager = token(demo, "practice.manager@nhs.net")
    body = {
        "service": "LDHC",
        "achievement_date": "2026-11-30",
        "values": {"LD_REG": 5},
        "notes": "Register review",
    }
    response = call(
        demo,
        "POST",
        "/practices/Z99001/manual-entries",
        manager,
        json=body,
        headers={"Idempotency-Key": "ld-register-november-review"},
    )
    assert response.status_code == 201, response.text

    def november_claims():
        changes, _ = whole_feed(demo, manager)
        return [c["data"] for c in changes if c["type"] == "result" and c["id"] == "LDHC:2026-11-30"]

    # LDHC entries count towards payment only once the commissioner approves them.
    assert all(claim["cap"] != 5 for claim in november_claims())
    approver = token(demo, "icb.approver@nhs.net")
    entry = response.json()["id"]
    approved = call(demo, "POST", f"/practices/Z99001/manual-entries/{entry}/approve", approver)
    assert approved.status_code == 200, approved.text
    ld = november_claims()[-1]
    # The latest approved register (5) now caps November's health checks that can be paid.
    assert ld["cap"] == 5
    assert ld["paid_count"] == min(5, ld["count"])
