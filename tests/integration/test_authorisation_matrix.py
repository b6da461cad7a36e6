"""The authorisation matrix: every route of the API, asked by every kind of caller, gets the status in
one table, and a successful answer carries no £ at any depth unless the caller's role may see money.

Callers: nobody signed in; each practice role at the practice asked about, and at another practice of
the same PCN; each commissioner role at the practice's commissioner, and at another commissioner; and
the Extract Upload service account. Every cell asks about the same practice (OWN). A cell whose write
may succeed gets a fresh record; a refused write must leave its record exactly as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts

from central.api import API_PREFIX
from central.declarations_flow import APPROVED, FINANCE_APPROVED
from central.models import (
    AchievementCount,
    ActivationToken,
    Declaration,
    ExtractUpload,
    ManualEntry,
    Offer,
    PracticeSuspension,
    RoleGrant,
    SecondPersonCheck,
    User,
)
from central.money import MoneyGuardedRoute
from central.security import (
    ACHIEVEMENT_ENTRY,
    ADVANCED_USER_ADMINISTRATOR,
    APPROVAL_MANAGEMENT,
    COMMISSIONING_MANAGEMENT,
    DECLARATION_MANAGEMENT,
    EXTRACT_UPLOAD,
    FINANCE_MANAGEMENT,
    FINANCE_VIEW,
    SERVICE_MANAGEMENT,
    SUPERVISOR,
    USER_ADMINISTRATOR,
)

from .authorisation_world import (
    CALLERS,
    DECLARED_SERVICE,
    MONTH,
    OWN,
    OWN_COMMISSIONER,
    OWN_PRACTICE,
    Caller,
    MatrixWorld,
    build,
)
from .conftest import PASSWORD, Api, FakeClock, World

MONEY_ROLES = {FINANCE_VIEW, APPROVAL_MANAGEMENT, FINANCE_MANAGEMENT}  # as DESIGN.md says, independently
ANY_MEMBER: tuple[str, ...] = ()  # anyone who can see the practice
ADMINS = (USER_ADMINISTRATOR, ADVANCED_USER_ADMINISTRATOR)
PRACTICE_DATA, SIGNED_IN, UPLOAD, PUBLIC = "practice data", "signed in", "upload", "public"
ENTRY = {"service": "LDHC", "achievement_date": MONTH.isoformat(), "values": {"LD_REG": 7}}

Params = dict[str, Any]


@dataclass(frozen=True)
class Endpoint:
    """One route and who may use it. ``target`` makes the record a cell acts on (``fresh`` for a cell that
    may change it); ``request`` the body and headers; ``state`` what a refused write must not change."""

    method: str
    path: str
    kind: str = PRACTICE_DATA
    allowed: tuple[str, ...] = ANY_MEMBER
    success: int = 200
    money: bool = False  # a caller who may see money finds £ in the answer
    target: Callable[[MatrixWorld], Params] = lambda w: {}
    fresh: Callable[[MatrixWorld], Params] | None = None
    request: Callable[[MatrixWorld, Params], dict[str, Any]] = lambda w, p: {}
    state: Callable[[MatrixWorld, Params], Any] | None = None
    after_success: Callable[[MatrixWorld], None] | None = None
    fresh_token: bool = False
    query: str = ""

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


def _json(body: Any, **headers: str) -> Callable[[MatrixWorld, Params], dict[str, Any]]:
    return lambda w, p: {"json": body, "headers": dict(headers)}


def _roles_of(w: MatrixWorld, p: Params) -> Any:
    return w.rows(RoleGrant, user_id=p["user_id"], organisation_id=w.practice.id)


def _user_state(w: MatrixWorld, p: Params) -> Any:
    return (_roles_of(w, p), w.rows(User, id=p["user_id"]), w.rows(PracticeSuspension, user_id=p["user_id"]),
            w.rows(ActivationToken, user_id=p["user_id"]))


def _users(path: str, success: int = 200, **kwargs: Any) -> Endpoint:
    return Endpoint("POST", f"/practices/{{ods}}/users/{{user_id}}{path}", allowed=ADMINS, success=success,
                    state=_user_state, **kwargs)


ENDPOINTS: tuple[Endpoint, ...] = (
    # --- signing in and the signed-in caller -----------------------------------------------------------
    Endpoint("POST", "/auth/token", PUBLIC,
             request=lambda w, p: {"json": {"email": w.emails[f"{SUPERVISOR} @ {OWN_PRACTICE}"],
                                            "password": PASSWORD}}),
    Endpoint("POST", "/auth/refresh", PUBLIC, request=lambda w, p: {"json": {"refresh_token": w.api.sign_in(
        w.emails[f"{SUPERVISOR} @ {OWN_PRACTICE}"])["refresh_token"]}}),
    Endpoint("POST", "/auth/activate", PUBLIC, success=400,  # a made-up code: refused, whoever asks
             request=_json({"token": "not-a-real-activation-code", "password": PASSWORD})),
    Endpoint("GET", "/openapi.json", PUBLIC),
    Endpoint("GET", "/docs", PUBLIC),
    Endpoint("GET", "/me", SIGNED_IN),
    Endpoint("POST", "/auth/logout", SIGNED_IN, success=204, fresh_token=True),
    Endpoint("GET", "/timetable", SIGNED_IN, query="?year=2025-26"),
    Endpoint("POST", "/extracts", UPLOAD,
             request=lambda w, p: {"data": w.extract.encode(), "headers": {"Content-Type": "text/csv"}},
             state=lambda w, p: w.count(ExtractUpload)),
    # --- the practice and its feed --------------------------------------------------------------------
    Endpoint("GET", "/practices/{ods}"),
    Endpoint("GET", "/practices/{ods}/changes", money=True, query="?limit=1000"),
    Endpoint("GET", "/practices/{ods}/settings"),
    Endpoint("PUT", "/practices/{ods}/settings", allowed=ADMINS,
             request=_json({"second_person_required": True}), state=lambda w, p: w.setting(),
             after_success=MatrixWorld.clear_setting),
    # --- offers ---------------------------------------------------------------------------------------
    Endpoint("GET", "/practices/{ods}/offers"),
    *(Endpoint("POST", f"/practices/{{ods}}/offers/{{offer_id}}/{answer}", allowed=(SERVICE_MANAGEMENT,),
               target=MatrixWorld.offer, fresh=MatrixWorld.offer,
               state=lambda w, p: w.rows(Offer, id=p["offer_id"])) for answer in ("accept", "reject")),
    # --- manual entries -------------------------------------------------------------------------------
    Endpoint("POST", "/practices/{ods}/manual-entries", allowed=(ACHIEVEMENT_ENTRY,), success=201,
             target=MatrixWorld.key, fresh=MatrixWorld.key,
             request=lambda w, p: {"json": ENTRY, "headers": {"Idempotency-Key": p["key"]}},
             state=lambda w, p: w.rows(ManualEntry, practice_id=w.practice.id)),
    Endpoint("POST", "/practices/{ods}/manual-entries/checks", allowed=(DECLARATION_MANAGEMENT, SUPERVISOR),
             success=201, request=_json({**ENTRY, "notes": None}),
             state=lambda w, p: w.rows(SecondPersonCheck, practice_id=w.practice.id)),
    Endpoint("GET", "/practices/{ods}/manual-entries/{entry_id}", target=MatrixWorld.entry),
    Endpoint("PUT", "/practices/{ods}/manual-entries/{entry_id}", allowed=(ACHIEVEMENT_ENTRY,),
             target=MatrixWorld.entry, fresh=MatrixWorld.entry,
             request=_json({"values": {"LD_REG": 8}, "status": "submitted"}, **{"If-Match": '"1"'}),
             state=lambda w, p: w.rows(ManualEntry, id=p["entry_id"])),
    Endpoint("POST", "/practices/{ods}/manual-entries/{entry_id}/approve", allowed=(APPROVAL_MANAGEMENT,),
             target=MatrixWorld.entry, fresh=MatrixWorld.entry,
             state=lambda w, p: w.rows(ManualEntry, id=p["entry_id"])),
    Endpoint("POST", "/practices/{ods}/manual-entries/{entry_id}/reject", allowed=(APPROVAL_MANAGEMENT,),
             target=MatrixWorld.entry, fresh=MatrixWorld.entry, request=_json({"reason": "Counts are wrong"}),
             state=lambda w, p: w.rows(ManualEntry, id=p["entry_id"])),
    Endpoint("PUT", "/practices/{ods}/allocations/{service}", target=lambda w: {"service": "WM"},
             allowed=(COMMISSIONING_MANAGEMENT, APPROVAL_MANAGEMENT),
             request=_json({"achievement_date": MONTH.isoformat(), "values": {"ALLOCATION": 40}}),
             state=lambda w, p: w.rows(AchievementCount, practice_id=w.practice.id, service="WM")),
    # --- declarations ---------------------------------------------------------------------------------
    Endpoint("GET", "/practices/{ods}/declarations", money=True, target=MatrixWorld.declaration),
    Endpoint("POST", "/practices/{ods}/declarations", allowed=(DECLARATION_MANAGEMENT,), success=201,
             fresh=MatrixWorld.reset_declaring,
             request=_json({"service": DECLARED_SERVICE, "achievement_date": MONTH.isoformat()}),
             state=lambda w, p: w.rows(Declaration, practice_id=w.practice.id)),
    *(Endpoint("POST", f"/declarations/{{declaration_id}}/{step}", allowed=roles, money=True,
               target=lambda w, before=before: w.declaration(before),
               fresh=lambda w, before=before: w.declaration(before),
               state=lambda w, p: w.rows(Declaration, id=p["declaration_id"]))
      for step, roles, before in (("approve", (APPROVAL_MANAGEMENT,), "Awaiting Commissioning Organisation "
                                                                      "Approval"),
                                  ("finance-approve", (FINANCE_MANAGEMENT,), APPROVED),
                                  ("mark-paid", (FINANCE_MANAGEMENT,), FINANCE_APPROVED))),
    # --- the practice's users -------------------------------------------------------------------------
    Endpoint("GET", "/practices/{ods}/users", allowed=ADMINS),
    Endpoint("POST", "/practices/{ods}/users", allowed=ADMINS, success=201,
             target=MatrixWorld.new_email, fresh=MatrixWorld.new_email,
             request=lambda w, p: {"json": {"email": p["email"], "first_name": "New", "last_name": "Person",
                                            "work_phone": "01632 960000", "roles": ["View"]}},
             state=lambda w, p: (w.rows(User, email=p["email"]), w.count(RoleGrant,
                                                                          organisation_id=w.practice.id))),
    _users("/roles", target=MatrixWorld.member, fresh=MatrixWorld.member,
           request=_json({"role": SUPERVISOR})),
    Endpoint("DELETE", "/practices/{ods}/users/{user_id}/roles/{role}", allowed=ADMINS, state=_user_state,
             target=lambda w: w.member(SUPERVISOR, FINANCE_VIEW),
             fresh=lambda w: w.member(SUPERVISOR, FINANCE_VIEW)),
    _users("/roles/{role}/confirm", target=lambda w: w.member(pending=FINANCE_VIEW),
           fresh=lambda w: w.member(pending=FINANCE_VIEW)),
    _users("/disable", target=MatrixWorld.member, fresh=MatrixWorld.member),
    _users("/enable", target=lambda w: w.member(suspended=True), fresh=lambda w: w.member(suspended=True)),
    _users("/resend-activation", target=lambda w: w.member(activated=False, invited=True),
           fresh=lambda w: w.member(activated=False, invited=True)),
)


def expected_status(endpoint: Endpoint, caller: Caller) -> int:
    """The rule the table is generated from (DESIGN.md, security model)."""
    if endpoint.kind == PUBLIC:
        return endpoint.success
    if caller.role is None:
        return 401
    if endpoint.kind == SIGNED_IN:
        return endpoint.success
    if endpoint.kind == UPLOAD:
        return endpoint.success if caller.role == EXTRACT_UPLOAD else 403
    sees_practice = caller.where in (OWN_PRACTICE, OWN_COMMISSIONER) and caller.role != EXTRACT_UPLOAD
    if not sees_practice:
        return 404  # another practice's data looks like no data at all; Extract Upload is no member
    return endpoint.success if not endpoint.allowed or caller.role in endpoint.allowed else 403


def callers_of(endpoint: Endpoint) -> tuple[Caller, ...]:
    return CALLERS[:1] if endpoint.kind == PUBLIC else CALLERS  # a public route has no caller to tell


# THE TABLE: (endpoint, caller) -> status.
MATRIX: dict[tuple[str, str], int] = {
    (endpoint.key, caller.name): expected_status(endpoint, caller)
    for endpoint in ENDPOINTS for caller in callers_of(endpoint)
}
PUBLIC_ROUTES = sum(endpoint.kind == PUBLIC for endpoint in ENDPOINTS)
CELLS = PUBLIC_ROUTES + (len(ENDPOINTS) - PUBLIC_ROUTES) * len(CALLERS)


def money_keys(data: Any) -> set[str]:
    """£ fields at any depth: payment*, gbp_*, *_gbp, £ per point, value per point, unit value."""
    if isinstance(data, dict):
        found = {key for key in data if key.startswith(("payment", "gbp_")) or key.endswith("_gbp")
                 or key in ("pounds_per_point", "value_per_point", "unit_value")}
        return found.union(*(money_keys(value) for value in data.values()))
    if isinstance(data, list):
        return set().union(*(money_keys(item) for item in data))
    return set()


@pytest.fixture(scope="module")
def matrix(world: World, api: Api, clock: FakeClock) -> MatrixWorld:
    return build(world, api, clock)


def test_the_table_has_a_cell_for_every_route_and_caller() -> None:
    assert len(CALLERS) == 24
    assert len(MATRIX) == CELLS == 5 + 31 * 24, len(MATRIX)  # a new route adds its row here
    print(f"authorisation matrix: {len(ENDPOINTS)} routes, {len(CALLERS)} callers, {len(MATRIX)} cells")


def test_the_table_covers_every_route_of_the_api(server: Any) -> None:
    routes = {(method, context.path.removeprefix(API_PREFIX))
              for context in iter_route_contexts(server.app.routes) if context.path.startswith(API_PREFIX)
              for method in (context.methods or set()) - {"HEAD"}}
    table = {(endpoint.method, endpoint.path) for endpoint in ENDPOINTS}
    assert routes - table == set(), "routes missing from the authorisation table"
    assert table - routes == set(), "routes in the table that the API does not have (yet)"


def test_every_api_route_strips_money_for_callers_without_a_money_role(server: Any) -> None:
    plain = sorted(context.path for context in iter_route_contexts(server.app.routes)
                   if context.path.startswith(API_PREFIX) and isinstance(context.original_route, APIRoute)
                   and not isinstance(context.original_route, MoneyGuardedRoute))
    assert plain == []


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda endpoint: endpoint.key)
def test_authorisation_matrix(matrix: MatrixWorld, api: Api, endpoint: Endpoint) -> None:
    callers = callers_of(endpoint)
    # Refusals first, on one shared record; each success on a fresh one.
    ordered = sorted(callers, key=lambda caller: 200 <= MATRIX[(endpoint.key, caller.name)] < 300)
    shared = endpoint.target(matrix)
    problems = [problem for caller in ordered if (problem := _cell(matrix, api, endpoint, caller, shared))]
    assert problems == [], f"{len(problems)} of {len(callers)} cells wrong:\n" + "\n".join(problems)


def _cell(matrix: MatrixWorld, api: Api, endpoint: Endpoint, caller: Caller, shared: Params) -> str | None:
    want = MATRIX[(endpoint.key, caller.name)]
    succeeds = 200 <= want < 300
    params = {"ods": OWN, **shared}
    if succeeds and endpoint.fresh is not None:
        params = {"ods": OWN, **endpoint.fresh(matrix)}
    before = endpoint.state(matrix, params) if endpoint.state and not succeeds else None
    request = endpoint.request(matrix, params)
    path = endpoint.path.format(**params) + endpoint.query
    response = api.call(endpoint.method, path, matrix.token(caller, fresh=endpoint.fresh_token), **request)
    where = f"{endpoint.key} as {caller.name}"
    if response.status_code != want:
        return f"{where}: {response.status_code}, expected {want}: {response.text[:200]}"
    if succeeds and endpoint.after_success:
        endpoint.after_success(matrix)
    if endpoint.state and not succeeds and endpoint.state(matrix, params) != before:
        return f"{where}: refused, yet it changed something"
    is_json = response.headers.get("content-type", "").startswith("application/json")
    body = response.json() if is_json and response.content else None
    found = money_keys(body)
    if found and caller.role not in MONEY_ROLES:
        return f"{where}: £ fields for a role without money: {sorted(found)}"
    if succeeds and endpoint.money and caller.role in MONEY_ROLES and not found:
        return f"{where}: no £ for a role that may see money"
    return None
