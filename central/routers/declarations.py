"""Declarations: the practice declares (Declaration Management); the commissioner approves
(Approval Management), finance-approves and marks paid (Finance Management).

Declaring is refused for a result that is not a claim (422 ``not_declarable``: QOF is declared for its
year end only, app.services.windows), while a recalculation of the practice is pending, outside the
declaration window in the timetable, and for a service whose offer for that date is not accepted (409
``offer_not_accepted``: no payment without acceptance, central.offer_gate). The status flow lives in
central.declarations_flow; :func:`reopen_declarations` is what a recalculation calls.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from central import declarations_flow as flow
from central import idempotency
from central.declarations_flow import reopen_declarations
from central.deps import (
    DB,
    Bearer,
    Member,
    Now,
    authorise,
    checked_first,
    current_caller,
    practice_access,
    source_address,
    write_step,
)
from central.entry_rules import service_problems
from central.errors import ApiError, invalid
from central.models import Declaration, Organisation
from central.money import MoneyGuardedRoute
from central.params import RecordId
from central.records import declaration_record
from central.security import APPROVAL_MANAGEMENT, DECLARATION_MANAGEMENT, FINANCE_MANAGEMENT
from central.windows import declaration_window_problem

router = APIRouter(tags=["declarations"], route_class=MoneyGuardedRoute)
__all__ = ["router", "reopen_declarations"]
OptionalIdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", min_length=1, max_length=200)]


class NewDeclaration(BaseModel):
    model_config = ConfigDict(extra="forbid")
    service: str = Field(max_length=10)
    achievement_date: date


@router.get("/practices/{ods}/declarations")
def list_declarations(access: Member, db: DB) -> dict[str, Any]:
    rows = db.scalars(select(Declaration).where(Declaration.practice_id == access.practice.id)
                      .order_by(Declaration.achievement_date, Declaration.service))
    return {"declarations": [declaration_record(d) for d in rows]}


# The writes check the caller first in a read slot, then everything again in one short step in the
# writers' turn (central.deps checked_first, write_step).
@router.post("/practices/{ods}/declarations", status_code=201,
             dependencies=[checked_first(DECLARATION_MANAGEMENT)])
async def declare(ods: str, body: NewDeclaration, request: Request, credentials: Bearer, now: Now,
                  idempotency_key: OptionalIdempotencyKey = None) -> Any:
    return await write_step(request, _declare, request, credentials, ods, body, now, idempotency_key)


def _declare(db: Session, request: Request, credentials: Bearer, ods: str, body: NewDeclaration,
             now: datetime, idempotency_key: str | None) -> Any:
    access = practice_access(DECLARATION_MANAGEMENT)(ods, current_caller(request, credentials, db, now), db)
    # A client that lost the reply sends the same key again: it gets the first answer, not a refusal.
    print_ = idempotency.fingerprint("POST", request.url.path, body.model_dump(mode="json"))
    if idempotency_key is not None:
        replayed = idempotency.replay(db, access.user.id, idempotency_key, print_)
        if replayed is not None:
            return replayed
    problems = service_problems(body.service, body.achievement_date)
    if problems:
        raise invalid(problems)
    flow.check_claim(body.service, body.achievement_date)  # before the window: a monthly QOF never opens
    if flow.recalculation_pending(db, access.practice.id, body.service):
        raise ApiError(409, "recalculation_pending",
                       "Achievement is being recalculated. Declare once the new figures are in.")
    problem = declaration_window_problem(db, body.service, body.achievement_date, now)
    if problem:
        raise ApiError(409, "declaration_window_closed", problem)
    declaration = flow.declare(db, access.practice, body.service, body.achievement_date, access.user, now,
                               source_address(request))
    record = declaration_record(declaration)
    if idempotency_key is not None:
        idempotency.remember(db, access.user.id, idempotency_key, print_, 201, record, now)
    db.commit()
    return record


SignedIn = checked_first(practice=False)


@router.post("/declarations/{declaration_id}/approve", dependencies=[SignedIn])
async def approve(declaration_id: RecordId, request: Request, credentials: Bearer,
                  now: Now) -> dict[str, Any]:
    return await write_step(request, _advance, request, credentials, declaration_id, flow.APPROVED,
                            (APPROVAL_MANAGEMENT,), now)


@router.post("/declarations/{declaration_id}/finance-approve", dependencies=[SignedIn])
async def finance_approve(declaration_id: RecordId, request: Request, credentials: Bearer,
                          now: Now) -> dict[str, Any]:
    return await write_step(request, _advance, request, credentials, declaration_id, flow.FINANCE_APPROVED,
                            (FINANCE_MANAGEMENT,), now)


@router.post("/declarations/{declaration_id}/mark-paid", dependencies=[SignedIn])
async def mark_paid(declaration_id: RecordId, request: Request, credentials: Bearer,
                    now: Now) -> dict[str, Any]:
    return await write_step(request, _advance, request, credentials, declaration_id, flow.PAID,
                            (FINANCE_MANAGEMENT,), now)


def _advance(db: Session, request: Request, credentials: Bearer, declaration_id: int, to_status: str,
             roles: tuple[str, ...], now: datetime) -> dict[str, Any]:
    caller = current_caller(request, credentials, db, now)
    declaration = db.get(Declaration, declaration_id)
    practice = db.get(Organisation, declaration.practice_id) if declaration else None
    authorise(db, caller, practice, roles, what="declaration")
    assert declaration is not None
    flow.advance(db, declaration, to_status, caller.user, now, source_address(request))
    db.commit()
    return declaration_record(declaration)
