"""Fuzzing the service through its own OpenAPI document, and the bounds on every integer it takes.

schemathesis generates valid and invalid requests for every published operation and sends them over real
HTTPS to a service of this module's own (its data must not leak into other tests), signed in as a user
holding every practice role at one practice; half the cases aim at that practice and a colleague there,
so they get past the 404 of a practice nobody can see. Every answer must be below 500, carry a documented
status and content type, and have a body matching the documented schema. The run is bounded
(``MAX_EXAMPLES`` per operation, examples derived from a fixed seed) and keeps no Hypothesis database;
Hypothesis's own caches go to a temporary folder, never into the source tree.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.openapi.checks import JsonSchemaError, UndefinedStatusCode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from central import start_in_thread, tokens
from central.db import begin_write
from central.directory import create_organisation, create_user, grant_role
from central.models import COMMISSIONER, PCN, PRACTICE, User
from central.params import MAX_ID
from central.security import PRACTICE_ROLES, VIEW
from central.server import RunningServer
from central.timetable_store import replace_year

from .conftest import START, Api, FakeClock, World

MAX_EXAMPLES = 20  # per operation: about 700 cases, well under a minute on one core
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]
ODS = "Z93001"


@dataclass
class Target:
    server: RunningServer
    manager_id: int
    colleague_id: int

    def fresh_token(self) -> str:
        """A new sign-in for the manager (issued directly: no password check), re-enabled if fuzzed off."""
        state = self.server.app.state
        with state.sessionmaker() as session:
            begin_write(session)  # the fuzzed server writes too: take the write lock before reading
            manager = session.get_one(User, self.manager_id)
            manager.active = True
            pair = tokens.issue_pair(session, manager, START, state.settings.access_token_ttl,
                                     state.settings.refresh_token_ttl)
            session.commit()
        return pair.access_token


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    running = start_in_thread(tmp_path_factory.mktemp("fuzzed-central"), clock=FakeClock(START))
    with running.app.state.sessionmaker() as session:
        icb = create_organisation(session, COMMISSIONER, "Q3X", "NHS Fuzz ICB", START)
        pcn = create_organisation(session, PCN, "U93001", "Fuzz PCN", START, parent=icb)
        practice = create_organisation(session, PRACTICE, ODS, "Fuzz Surgery", START, parent=pcn)
        replace_year(session, "2025-26")
        manager = create_user(session, "fuzz.manager@nhs.net", "Fuzz", "Manager", "01632 960000", START)
        colleague = create_user(session, "fuzz.colleague@nhs.net", "Fuzz", "Colleague", "01632 960001", START)
        for role in PRACTICE_ROLES:
            grant_role(session, manager, practice, role, START)
        grant_role(session, colleague, practice, VIEW, START)
        session.commit()
        ids = manager.id, colleague.id
    yield Target(running, *ids)
    running.stop()


def _operations(server: RunningServer) -> list[Any]:
    document = requests.get(server.api_url + "/openapi.json", verify=str(server.ca_path), timeout=10).json()
    schema = schemathesis.openapi.from_dict(document)
    operations = [result.ok() for result in schema.get_all_operations()]
    return sorted(operations, key=lambda op: op.label.endswith("/auth/logout"))  # sign-out last


def test_every_operation_answers_as_documented_under_fuzzing(target: Target,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    operations = _operations(target.server)
    statuses: Counter[int] = Counter()
    problems: list[str] = []
    http = requests.Session()
    for operation in operations:
        _fuzz(operation, target, http, target.fresh_token(), statuses, problems)
    http.close()
    cases = sum(statuses.values())
    with capsys.disabled():
        print(f"\nOpenAPI fuzz: {cases} cases over {len(operations)} operations; answers by status: "
              + ", ".join(f"{status} × {count}" for status, count in sorted(statuses.items())))
    assert problems == [], "\n\n".join(problems[:10])
    assert not any(status >= 500 for status in statuses)
    assert len(operations) > 20 and cases >= 5 * len(operations)
    assert {200, 401, 404, 422} <= set(statuses)  # the cases reached handlers, not just the front door


def _fuzz(operation: Any, target: Target, http: requests.Session, token: str, statuses: Counter[int],
          problems: list[str]) -> None:
    ca = str(target.server.ca_path)
    strategy = st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                         operation.as_strategy(GenerationMode.NEGATIVE))

    @settings(max_examples=MAX_EXAMPLES, database=None, derandomize=True, deadline=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=strategy, here=st.booleans())
    def run(case: Any, here: bool) -> None:
        if here and case.path_parameters and "ods" in case.path_parameters:
            case.path_parameters["ods"] = ODS
            if "user_id" in case.path_parameters:
                case.path_parameters["user_id"] = target.colleague_id
        try:
            response = case.call(base_url=target.server.base_url, session=http, timeout=10, verify=ca,
                                 headers={"Authorization": f"Bearer {token}"})
        except requests.RequestException as error:  # a dropped connection is a failure too
            problems.append(f"{operation.label}: no answer ({type(error).__name__})")
            return
        statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS)
        except Exception as failure:  # every check failure is collected, then reported together
            problems.append(f"{operation.label} → {response.status_code}: {str(failure)[:1500]}")

    run()


def test_the_checks_catch_an_answer_that_breaks_the_document(target: Target) -> None:
    """The fuzz run above can fail: an undocumented status, or an error body of another shape, is caught."""
    operations = {op.label: op for op in _operations(target.server)}
    stray = requests.get(target.server.api_url + "/no/such/thing", verify=str(target.server.ca_path),
                         timeout=10)
    assert stray.status_code == 404
    with pytest.raises(FailureGroup) as undocumented:  # GET /me documents no 404
        operations["GET /api/v1/me"].Case().validate_response(stray, checks=CHECKS)
    assert undocumented.group_contains(UndefinedStatusCode)

    fastapi_shaped = requests.Response()  # what FastAPI would answer without our error handlers
    fastapi_shaped.status_code, fastapi_shaped.url, fastapi_shaped.request = 401, stray.url, stray.request
    fastapi_shaped.headers.update({"content-type": "application/json"})
    fastapi_shaped._content = json.dumps({"detail": "Not authenticated"}).encode()
    with pytest.raises(FailureGroup) as off_schema:
        operations["GET /api/v1/me"].Case().validate_response(fastapi_shaped, checks=CHECKS)
    assert off_schema.group_contains(JsonSchemaError)


# --- bounds on integers -------------------------------------------------------------------------

def _field_problem(response: requests.Response, field: str) -> str:
    assert response.status_code == 422, response.text
    body = response.json()["error"]
    assert body["code"] == "invalid"
    assert field in body["fields"], body
    return body["fields"][field]


@pytest.mark.parametrize(("since", "allowed"), [
    (10**20, f"Must be a whole number no more than {MAX_ID:,}."),
    (MAX_ID + 1, f"Must be a whole number no more than {MAX_ID:,}."),
    (-1, "Must be a whole number at least 0."),
    ("1e3", "Must be a whole number."),
])
def test_a_feed_cursor_out_of_range_is_422_naming_since(api: Api, world: World, since: object,
                                                       allowed: str) -> None:
    token = api.token(world.manager())
    response = api.get(f"/practices/{world.practice.ods_code}/changes?since={since}", token)
    assert _field_problem(response, "since") == allowed


@pytest.mark.parametrize("record_id", [2**63, 10**30, -1, 0])
@pytest.mark.parametrize(("method", "template", "field", "who"), [
    ("GET", "/practices/{ods}/manual-entries/{id}", "entry_id", World.manager),
    ("POST", "/practices/{ods}/manual-entries/{id}/approve", "entry_id", World.commissioner),
    ("POST", "/practices/{ods}/offers/{id}/accept", "offer_id", World.manager),
    ("POST", "/declarations/{id}/approve", "declaration_id", World.commissioner),
    ("POST", "/practices/{ods}/users/{id}/disable", "user_id", World.manager),
])
def test_a_record_id_out_of_range_is_422_naming_it(api: Api, world: World, record_id: int, method: str,
                                                   template: str, field: str,
                                                   who: Callable[[World], str]) -> None:
    token = api.token(who(world))
    path = template.format(ods=world.practice.ods_code, id=record_id)
    problem = _field_problem(api.call(method, path, token), field)
    assert problem == (f"Must be a whole number no more than {MAX_ID:,}." if record_id > 0
                       else "Must be a whole number at least 1.")


def test_every_integer_the_service_takes_has_both_bounds(api: Api) -> None:
    document = api.get("/openapi.json").json()
    integers: list[tuple[str, dict[str, Any]]] = []

    def collect(node: Any, where: str) -> None:
        if isinstance(node, dict):
            if node.get("type") == "integer":
                integers.append((where, node))
            for key, value in node.items():
                collect(value, f"{where}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                collect(value, f"{where}[{index}]")

    for path, item in document["paths"].items():
        for method, operation in item.items():
            collect(operation.get("parameters", []), f"{method} {path}")
            collect(operation.get("requestBody", {}), f"{method} {path} body")
    for name, component in document["components"]["schemas"].items():
        collect(component, name)
    assert len(integers) >= 10
    for where, schema in integers:
        assert "minimum" in schema and schema.get("maximum", MAX_ID + 1) <= MAX_ID, where


def test_a_huge_count_in_a_body_is_422_naming_the_item(api: Api, world: World) -> None:
    token = api.token(world.manager())
    response = api.post(f"/practices/{world.practice.ods_code}/manual-entries", token,
                        headers={"Idempotency-Key": "huge-count-1"},
                        json={"service": "WM", "achievement_date": "2025-10-31", "status": "draft",
                              "values": {"REFERRALS": 10**30}})
    assert _field_problem(response, "values.REFERRALS")
