"""Declarations: declared by the practice, approved and finance-approved by the commissioner, paid;
refused while a recalculation is pending or outside the window, and for a monthly QOF result (QOF is
declared for its year end only); reopened by a recalculation.

QOF is declared here for its year end (31 Mar 2026), with the service's clock inside that window."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from central.declarations_flow import finish_recalculation, request_recalculation
from central.models import AuditEntry, CalculatedResult, Change, Declaration, IdempotencyRecord, Organisation
from central.routers.declarations import reopen_declarations
from central.security import DECLARATION_MANAGEMENT, FINANCE_VIEW, VIEW

from .conftest import START, Api, FakeClock, World

YEAR_END = date(2026, 3, 31)
DECLARE = {"service": "QOF", "achievement_date": YEAR_END.isoformat()}
YEAR_END_OPEN = datetime(2026, 4, 8, 10, 0, tzinfo=UTC)  # the year end can be declared until 24 Jun 2026
OCTOBER = date(2025, 10, 31)  # a monthly QOF result, inside October's window at START


@pytest.fixture(autouse=True)
def _year_end_window(clock: FakeClock) -> Iterator[None]:
    clock.now = YEAR_END_OPEN
    yield
    clock.now = START


def _results(world: World, practice: Organisation, service: str = "QOF", when: date = YEAR_END) -> None:
    with world.session() as session:
        for indicator, points, payment in (("DM020", "12.5", "2801.37"), ("AST007", "41/3", "1000.1")):
            session.add(CalculatedResult(practice_id=practice.id, service=service, indicator_id=indicator,
                                         achievement_date=when, points=points, payment=payment,
                                         calculated_at=START))
        session.commit()


def _practice(world: World, ods: str) -> Organisation:
    from central.directory import create_organisation
    from central.models import PRACTICE

    with world.session() as session:
        pcn = session.get_one(Organisation, world.practice.parent_id)
        practice = create_organisation(session, PRACTICE, ods, f"Practice {ods}", START, parent=pcn)
        session.commit()
        return practice


def test_full_status_flow_through_commissioner_approval_to_paid(api: Api, world: World) -> None:
    practice = _practice(world, "Z91101")
    _results(world, practice)
    manager = api.token(world.manager(practice))
    declared = api.post("/practices/Z91101/declarations", manager, json=DECLARE)
    assert declared.status_code == 201, declared.text
    body = declared.json()
    assert body["status"] == "Awaiting Commissioning Organisation Approval"
    assert body["points"] == "157/6" and body["payment"] == "3801.47"  # exact sums: 12.5 + 41/3
    assert body["snapshot"]["DM020"] == {"points": "12.5", "payment": "2801.37"}
    url = f"/declarations/{body['id']}"

    assert api.post(f"{url}/approve", manager).status_code == 403  # the practice cannot approve itself
    finance_only = api.token(world.commissioner("Finance Management"))
    approver = api.token(world.commissioner("Approval Management"))
    assert api.post(f"{url}/finance-approve", finance_only).json()["error"]["code"] == "wrong_status"
    assert api.post(f"{url}/approve", finance_only).status_code == 403
    assert api.post(f"{url}/approve", approver).json()["status"] == "Approved"
    assert api.post(f"{url}/finance-approve", approver).status_code == 403
    assert api.post(f"{url}/finance-approve", finance_only).json()["status"] == "Finance Approved"
    paid = api.post(f"{url}/mark-paid", finance_only).json()
    assert paid["status"] == "Paid"
    assert [h["status"] for h in paid["history"]] == [
        "Awaiting Commissioning Organisation Approval", "Approved", "Finance Approved", "Paid"]
    again = api.post("/practices/Z91101/declarations", manager, json=DECLARE)
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_declared"


def test_another_commissioner_cannot_see_the_declaration(api: Api, world: World) -> None:
    practice = _practice(world, "Z91102")
    _results(world, practice)
    manager = api.token(world.manager(practice))
    declared = api.post("/practices/Z91102/declarations", manager, json=DECLARE).json()
    stranger = api.token(world.user({world.elsewhere.parent: ("Approval Management",)}, "stranger"))
    missing = api.post("/declarations/999999/approve", stranger)
    theirs = api.post(f"/declarations/{declared['id']}/approve", stranger)
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()


def test_nothing_to_declare_without_calculated_results(api: Api, world: World) -> None:
    practice = _practice(world, "Z91103")
    response = api.post("/practices/Z91103/declarations", api.token(world.manager(practice)), json=DECLARE)
    assert response.status_code == 409 and response.json()["error"]["code"] == "nothing_to_declare"


def test_declaring_waits_for_a_pending_recalculation(api: Api, world: World) -> None:
    practice = _practice(world, "Z91104")
    _results(world, practice)
    with world.session() as session:
        pending = request_recalculation(session, practice.id, START)
        session.commit()
    token = api.token(world.manager(practice))
    refused = api.post("/practices/Z91104/declarations", token, json=DECLARE)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "recalculation_pending"
    with world.session() as session:
        finish_recalculation(session, session.merge(pending), START)
        session.commit()
    assert api.post("/practices/Z91104/declarations", token, json=DECLARE).status_code == 201


def test_declaring_only_inside_the_declaration_window(api: Api, world: World, clock: FakeClock) -> None:
    practice = _practice(world, "Z91105")
    _results(world, practice)
    clock.now = datetime(2026, 6, 25, 10, 0, tzinfo=UTC)  # the year end's deadline was 24 Jun 2026
    late = api.post("/practices/Z91105/declarations", api.token(world.manager(practice)), json=DECLARE)
    assert late.status_code == 409 and late.json()["error"]["code"] == "declaration_window_closed"
    assert "24 Jun 2026" in late.json()["error"]["message"]
    early = api.post("/practices/Z91105/declarations", api.token(world.manager(practice)),
                     json={"service": "QOF", "achievement_date": "2027-03-31"})  # the next year end
    assert early.status_code == 409 and early.json()["error"]["code"] == "declaration_window_closed"


def test_a_monthly_qof_result_is_not_declared_and_nothing_is_written(api: Api, world: World,
                                                                     clock: FakeClock) -> None:
    practice = _practice(world, "Z91112")
    _results(world, practice, when=OCTOBER)
    clock.now = START  # inside October's declaration window: the refusal is not about the window

    def written() -> tuple[int, ...]:
        with world.session() as session:
            return tuple(session.scalar(select(func.count()).select_from(table)) or 0
                         for table in (Declaration, AuditEntry, Change, IdempotencyRecord))

    token = api.token(world.manager(practice))
    before = written()
    refused = api.post("/practices/Z91112/declarations", token,
                       json={"service": "QOF", "achievement_date": OCTOBER.isoformat()},
                       headers={"Idempotency-Key": "declare-z91112-october"})
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["code"] == "not_declarable"
    assert error["message"].startswith("QOF is declared once a year, for the year end (31 Mar 2026).")
    assert "31 Oct 2025 shows progress" in error["message"]
    assert error["fields"] == {"achievement_date": "QOF is declared for its year end only: 31 Mar 2026."}
    assert written() == before  # nothing written: no declaration, audit line, feed change or stored reply
    # The same date of an enhanced service is a claim, declared as before.
    _results(world, practice, service="LDHC", when=OCTOBER)
    assert api.post("/practices/Z91112/declarations", token,
                    json={"service": "LDHC", "achievement_date": OCTOBER.isoformat()}).status_code == 201


def test_a_recalculation_sends_the_declaration_back_to_the_practice(api: Api, world: World) -> None:
    practice = _practice(world, "Z91106")
    _results(world, practice)
    manager = api.token(world.manager(practice))
    declared = api.post("/practices/Z91106/declarations", manager, json=DECLARE).json()
    api.post(f"/declarations/{declared['id']}/approve", api.token(world.commissioner("Approval Management")))
    cursor = api.get("/practices/Z91106/changes?limit=1000", manager).json()["next"]

    with world.session() as session:
        reopened = reopen_declarations(session, practice.id, "QOF", YEAR_END)
        session.commit()
    assert [d.id for d in reopened] == [declared["id"]]

    changes = api.get(f"/practices/Z91106/changes?since={cursor}", manager).json()["changes"]
    assert [(c["type"], c["data"]["status"]) for c in changes] == [
        ("declaration", "Awaiting Service Provider Approval")]
    assert changes[0]["data"]["history"][-1]["reason"] == "Achievement was recalculated"
    redeclared = api.post("/practices/Z91106/declarations", manager, json=DECLARE)
    assert redeclared.status_code == 201
    assert redeclared.json()["status"] == "Awaiting Commissioning Organisation Approval"


def test_a_declaration_sent_again_with_its_key_gets_the_first_answer(api: Api, world: World) -> None:
    practice = _practice(world, "Z91109")
    _results(world, practice)
    manager = api.token(world.manager(practice))
    headers = {"Idempotency-Key": "declare-z91109-october"}
    first = api.post("/practices/Z91109/declarations", manager, json=DECLARE, headers=headers)
    assert first.status_code == 201, first.text
    replay = api.post("/practices/Z91109/declarations", manager, json=DECLARE, headers=headers)
    assert replay.status_code == 201 and replay.json() == first.json()  # the reply was lost, not refused
    assert replay.headers["Idempotent-Replayed"] == "true"
    fresh = api.post("/practices/Z91109/declarations", manager, json=DECLARE)  # no key: a real repeat
    assert fresh.status_code == 409 and fresh.json()["error"]["code"] == "already_declared"


# --- money only for roles that may see it ---------------------------------------------------------

def _money_keys(data: object) -> set[str]:
    """Every £ key at any depth of ``data``: payment*, gbp_*, *_gbp, £ per point, unit value."""
    if isinstance(data, dict):
        found = {key for key in data if key.startswith(("payment", "gbp_")) or key.endswith("_gbp")
                 or key in ("pounds_per_point", "value_per_point", "unit_value")}
        return found.union(*(_money_keys(value) for value in data.values()))
    if isinstance(data, list):
        return set().union(*(_money_keys(item) for item in data))
    return set()


def test_view_at_the_practice_sees_declarations_without_money(api: Api, world: World) -> None:
    practice = _practice(world, "Z91110")
    _results(world, practice)
    assert api.post("/practices/Z91110/declarations", api.token(world.manager(practice)),
                    json=DECLARE).status_code == 201
    viewer = api.token(world.user({practice: (VIEW,)}, "viewer"))
    listed = api.get("/practices/Z91110/declarations", viewer)
    assert listed.status_code == 200
    [declaration] = listed.json()["declarations"]
    assert _money_keys(declaration) == set()
    assert declaration["points"] == "157/6"  # points are kept
    assert declaration["snapshot"] == {"DM020": {"points": "12.5"}, "AST007": {"points": "41/3"}}

    finance = api.token(world.user({practice: (FINANCE_VIEW,)}, "finance"))
    [with_money] = api.get("/practices/Z91110/declarations", finance).json()["declarations"]
    assert with_money["payment"] == "3801.47"
    assert with_money["snapshot"]["DM020"] == {"points": "12.5", "payment": "2801.37"}


def test_a_declarer_without_finance_view_gets_replies_without_money(api: Api, world: World) -> None:
    practice = _practice(world, "Z91111")
    _results(world, practice)
    declarer = api.token(world.user({practice: (DECLARATION_MANAGEMENT,)}, "declarer"))
    headers = {"Idempotency-Key": "declare-z91111-october"}
    declared = api.post("/practices/Z91111/declarations", declarer, json=DECLARE, headers=headers)
    assert declared.status_code == 201, declared.text
    assert _money_keys(declared.json()) == set()
    assert declared.json()["snapshot"]["DM020"] == {"points": "12.5"}
    replay = api.post("/practices/Z91111/declarations", declarer, json=DECLARE, headers=headers)
    assert replay.headers["Idempotent-Replayed"] == "true" and _money_keys(replay.json()) == set()
    again = api.post("/practices/Z91111/declarations", declarer, json=DECLARE)
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_declared"
    assert again.json()["current"]["points"] == "157/6" and _money_keys(again.json()) == set()

    # The same refusal to someone who also holds Finance View carries the £ (the strip is per role).
    finance_declarer = api.token(world.user({practice: (DECLARATION_MANAGEMENT, FINANCE_VIEW)}, "declarer"))
    refused = api.post("/practices/Z91111/declarations", finance_declarer, json=DECLARE).json()
    assert refused["current"]["payment"] == "3801.47"
