"""Manual entries: counts a practice enters by hand (Achievement Entry), their approval, the second
person's check, and the counts the commissioner sets (allocations).

Only the service's manual items may be entered (``services.toml``), each up to its stated maximum and
never above the practice's latest list size (app.services.entry_rules, shared with the desktop); notes
never hold an NHS number. Create with a required ``Idempotency-Key`` (a replay returns the first
response). Amend with ``If-Match: <version>``: a stale version gets 409 with the current record; an
approved entry cannot be amended; both creating and amending need the service's entry window to be open
(timetable); nothing is entered or amended for a service whose offer for that date the practice
rejected (409 ``offer_rejected``, central.offer_gate). An amendment may carry an ``Idempotency-Key``
too, so an outbox item re-sent after a crash is applied once. The commissioner (Approval Management)
approves or rejects submitted entries.

When the practice requires a second person (``GET /practices/{ods}/settings``), that person (Declaration
Management or Supervisor) asks for a check of the values (``POST .../manual-entries/checks``) and the
submitter sends the token as ``second_person_check``; drafts need none (central.second_person).

A commissioner-set item such as the WM ``ALLOCATION`` is never entered by the practice: the commissioner's
Commissioning Management or Approval Management sets it with ``PUT /practices/{ods}/allocations/{service}``.
It is stored as an achievement count with the source ``commissioner`` (central.allocations) rather than
as an approved entry, so it is not the practice's record: the practice can neither amend nor replace it,
and it sits beside the extracted counts it may override.

Every record carries ``history``: the entry's audit trail (who did what, when).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Path, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from app.services.identifiers import free_text_problem
from app.services.rules import Service, qof_year, rules_for
from central import allocations, audit, feed, idempotency, offer_gate, second_person
from central.deps import (
    DB,
    Bearer,
    Member,
    Now,
    PracticeAccess,
    checked_first,
    practice_write_step,
    source_address,
)
from central.directory import ancestor, roles_at
from central.entry_rules import entry_service, notes_problems, value_problems
from central.errors import ApiError, invalid
from central.ingest import list_size_at, recalculate
from central.models import APPROVED, COMMISSIONER, REJECTED, SUBMITTED, ManualEntry, User
from central.money import MoneyGuardedRoute
from central.params import RecordId
from central.records import manual_entry_record
from central.security import ACHIEVEMENT_ENTRY, APPROVAL_MANAGEMENT, COMMISSIONING_MANAGEMENT
from central.windows import entry_window_problem

router = APIRouter(tags=["manual entries"], route_class=MoneyGuardedRoute)
# The writes check the caller in a read slot first, then everything again in one short step in the
# writers' turn (central.deps checked_first, practice_write_step).
ENTERING, APPROVING = (ACHIEVEMENT_ENTRY,), (APPROVAL_MANAGEMENT,)
CHECKING = tuple(second_person.CHECKING_ROLES)
SETTERS = (COMMISSIONING_MANAGEMENT, APPROVAL_MANAGEMENT)  # at the practice's commissioner
AchievementEntry, Approver = checked_first(*ENTERING), checked_first(*APPROVING)
Checker, Setter = checked_first(*CHECKING), checked_first(*SETTERS)
ServiceCode = Annotated[str, Path(max_length=10, description="The service code, such as WM.")]
IdempotencyKey = Annotated[str, Header(alias="Idempotency-Key", min_length=1, max_length=200)]
OptionalIdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", min_length=1, max_length=200)]
AUDIT_TARGET = "manual_entry"
IfMatch = Annotated[str | None, Header(alias="If-Match", max_length=40)]


class EntryChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    values: dict[str, Any]
    notes: str | None = Field(None, max_length=2000)
    status: Literal["draft", "submitted"] = SUBMITTED
    second_person_check: str | None = Field(None, max_length=200)  # when the practice requires one


class NewEntry(EntryChange):
    service: str = Field(max_length=10)
    achievement_date: date


class CheckRequest(BaseModel):
    """Exactly the values the second person was shown."""

    model_config = ConfigDict(extra="forbid")
    service: str = Field(max_length=10)
    achievement_date: date
    values: dict[str, Any]
    notes: str | None = Field(None, max_length=2000)


class Allocation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    achievement_date: date
    values: dict[str, Any]  # e.g. {"ALLOCATION": 40}


class Rejection(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


@router.post("/practices/{ods}/manual-entries", status_code=201, dependencies=[AchievementEntry])
async def create(ods: str, body: NewEntry, request: Request, idempotency_key: IdempotencyKey,
                 credentials: Bearer, now: Now) -> Response:
    return await practice_write_step(request, credentials, now, ods, ENTERING, _create, body, request,
                                     idempotency_key, now)


def _create(db: Session, access: PracticeAccess, body: NewEntry, request: Request, idempotency_key: str,
            now: datetime) -> Response:
    print_ = idempotency.fingerprint("POST", request.url.path, body.model_dump(mode="json"))
    replayed = idempotency.replay(db, access.user.id, idempotency_key, print_)
    if replayed is not None:
        return replayed
    _check_values(db, access, body.service, body.achievement_date, body.values, body.notes)
    offer_gate.check_entering(db, access.practice.id, body.service, body.achievement_date)
    _check_window(db, body.service, body.achievement_date, now)
    checker = _second_person(db, access, body, body.service, body.achievement_date, now)
    entry = ManualEntry(practice_id=access.practice.id, service=body.service,
                        achievement_date=body.achievement_date, values=body.values, notes=body.notes,
                        status=body.status, version=1, created_by_id=access.user.id,
                        updated_by_id=access.user.id, checked_by_id=checker.id if checker else None,
                        created_at=now, updated_at=now)
    db.add(entry)
    db.flush()
    record = _saved(db, access, entry, "manual entry created", now, request)
    idempotency.remember(db, access.user.id, idempotency_key, print_, 201, record, now)
    db.commit()
    return JSONResponse(record, status_code=201, headers={"ETag": f'"{entry.version}"'})


@router.get("/practices/{ods}/manual-entries/{entry_id}")
def read(entry_id: RecordId, access: Member, db: DB) -> Response:
    entry = _entry(db, access, entry_id)
    return JSONResponse(_record(db, entry), headers={"ETag": f'"{entry.version}"'})


@router.put("/practices/{ods}/manual-entries/{entry_id}", dependencies=[AchievementEntry])
async def amend(ods: str, entry_id: RecordId, body: EntryChange, request: Request, credentials: Bearer,
                now: Now, if_match: IfMatch = None,
                idempotency_key: OptionalIdempotencyKey = None) -> Response:
    return await practice_write_step(request, credentials, now, ods, ENTERING, _amend, entry_id, body,
                                     request, now, if_match, idempotency_key)


def _amend(db: Session, access: PracticeAccess, entry_id: int, body: EntryChange, request: Request,
           now: datetime, if_match: str | None, idempotency_key: str | None) -> Response:
    entry = _entry(db, access, entry_id)
    if if_match is None:
        raise ApiError(428, "if_match_required", "Send If-Match with the version you are amending.")
    expected = if_match.strip().removeprefix("W/").strip('"')
    if not (expected.isascii() and expected.isdigit()):  # "²".isdigit() is True, but int() refuses it
        raise invalid({"If-Match": "Must be the entry's version number, written with the digits 0-9 "
                                   "(as in its ETag, e.g. \"3\")."})
    print_ = idempotency.fingerprint("PUT", request.url.path,
                                     {"body": body.model_dump(mode="json"), "if_match": expected})
    if idempotency_key is not None:
        # Checked before the version: a replay of an applied amendment would otherwise look stale.
        replayed = idempotency.replay(db, access.user.id, idempotency_key, print_)
        if replayed is not None:
            return replayed
    if int(expected) != entry.version:
        raise ApiError(409, "version_conflict",
                       "Someone changed this entry since you opened it; the current version is attached.",
                       extra={"current": _record(db, entry)})
    if entry.status == APPROVED:
        raise ApiError(409, "already_approved", "An approved entry cannot be amended.",
                       extra={"current": _record(db, entry)})
    _check_values(db, access, entry.service, entry.achievement_date, body.values, body.notes)
    offer_gate.check_entering(db, access.practice.id, entry.service, entry.achievement_date)
    _check_window(db, entry.service, entry.achievement_date, now)
    checker = _second_person(db, access, body, entry.service, entry.achievement_date, now)
    entry.values, entry.notes, entry.status = body.values, body.notes, body.status
    entry.checked_by_id = checker.id if checker else None
    entry.version += 1
    entry.rejection_reason, entry.updated_by_id, entry.updated_at = None, access.user.id, now
    record = _saved(db, access, entry, "manual entry amended", now, request)
    if idempotency_key is not None:
        idempotency.remember(db, access.user.id, idempotency_key, print_, 200, record, now)
    db.commit()
    return JSONResponse(record, headers={"ETag": f'"{entry.version}"'})


@router.post("/practices/{ods}/manual-entries/checks", status_code=201, dependencies=[Checker])
async def check(ods: str, body: CheckRequest, request: Request, credentials: Bearer,
                now: Now) -> dict[str, Any]:
    """The second person, signed in as themselves, checks exactly these values: a single-use token
    (valid for a day) that the person submitting them sends as ``second_person_check``."""
    return await practice_write_step(request, credentials, now, ods, CHECKING, _check, body, request, now)


def _check(db: Session, access: PracticeAccess, body: CheckRequest, request: Request,
           now: datetime) -> dict[str, Any]:
    _check_values(db, access, body.service, body.achievement_date, body.values, body.notes)
    token, row = second_person.issue(db, access.practice, access.user, body.service, body.achievement_date,
                                     body.values, body.notes, now)
    audit.record(db, now=now, actor=access.user, action="manual entry checked",
                 target_type="second_person_check", target_id=row.id, organisation_id=access.practice.id,
                 source=source_address(request),
                 detail={"service": body.service, "achievement_date": body.achievement_date.isoformat()})
    db.commit()
    user = access.user
    return {"second_person_check": token, "expires_at": row.expires_at.isoformat(),
            "checked_by": user.email, "checked_by_name": f"{user.first_name} {user.last_name}".strip()}


@router.put("/practices/{ods}/allocations/{service}", dependencies=[Setter])
async def set_allocation(ods: str, service: ServiceCode, body: Allocation, request: Request,
                         credentials: Bearer, now: Now) -> dict[str, Any]:
    """The commissioner sets the items only it may set (e.g. WM ALLOCATION) for one achievement date."""
    return await practice_write_step(request, credentials, now, ods, SETTERS, _set_allocation, service, body,
                                     request, now)


def _set_allocation(db: Session, access: PracticeAccess, service: str, body: Allocation, request: Request,
                    now: datetime) -> dict[str, Any]:
    commissioner = ancestor(access.practice, COMMISSIONER)
    if commissioner is None or not set(SETTERS) & roles_at(db, access.user.id, commissioner.id):
        raise ApiError(403, "forbidden", "Only the practice's commissioner (Commissioning Management or "
                                         "Approval Management) sets allocations.")
    found, problems = entry_service(service, body.achievement_date)
    if found is None:
        raise invalid(problems)
    list_size = list_size_at(db, access.practice.id, body.achievement_date)
    problems = value_problems(found, body.values, list_size, by_commissioner=True)
    if problems:
        raise invalid(problems)
    before = allocations.set_counts(db, access.practice.id, service, body.achievement_date, body.values, now)
    key = f"{service}:{body.achievement_date.isoformat()}"
    audit.record(db, now=now, actor=access.user, action="allocation set", target_type="allocation",
                 target_id=key, organisation_id=access.practice.id, source=source_address(request),
                 detail={"values": body.values, "before": before})
    _recalculate(db, request, access, body.achievement_date)
    db.commit()
    return {"service": service, "achievement_date": body.achievement_date.isoformat(),
            "values": body.values, "set_by": access.user.email}


@router.post("/practices/{ods}/manual-entries/{entry_id}/approve", dependencies=[Approver])
async def approve(ods: str, entry_id: RecordId, request: Request, credentials: Bearer,
                  now: Now) -> dict[str, Any]:
    return await practice_write_step(request, credentials, now, ods, APPROVING, _approve, entry_id, request,
                                     now)


def _approve(db: Session, access: PracticeAccess, entry_id: int, request: Request,
             now: datetime) -> dict[str, Any]:
    entry = _entry(db, access, entry_id)
    if entry.status == SUBMITTED:  # values entered under older rules are checked again before they count
        _check_values(db, access, entry.service, entry.achievement_date, entry.values, None)
    return _review(db, access, entry_id, APPROVED, None, now, request)


@router.post("/practices/{ods}/manual-entries/{entry_id}/reject", dependencies=[Approver])
async def reject(ods: str, entry_id: RecordId, body: Rejection, request: Request, credentials: Bearer,
                 now: Now) -> dict[str, Any]:
    return await practice_write_step(request, credentials, now, ods, APPROVING, _reject, entry_id, body,
                                     request, now)


def _reject(db: Session, access: PracticeAccess, entry_id: int, body: Rejection, request: Request,
            now: datetime) -> dict[str, Any]:
    problem = free_text_problem(body.reason)  # the reason is sent to everyone at the practice
    if problem:
        raise invalid({"reason": problem})
    return _review(db, access, entry_id, REJECTED, body.reason, now, request)


def _review(db: Session, access: PracticeAccess, entry_id: int, status: str, reason: str | None,
            now: datetime, request: Request) -> dict[str, Any]:
    entry = _entry(db, access, entry_id)
    if entry.status != SUBMITTED:
        raise ApiError(409, "not_submitted",
                       f"Only a submitted entry can be {status}; this one is {entry.status}.",
                       extra={"current": _record(db, entry)})
    entry.status, entry.rejection_reason, entry.reviewed_by_id = status, reason, access.user.id
    entry.version += 1
    entry.updated_at = now
    record = _saved(db, access, entry, f"manual entry {status}", now, request)
    db.commit()
    return record


def _entry(db: Session, access: PracticeAccess, entry_id: int) -> ManualEntry:
    entry = db.get(ManualEntry, entry_id)
    if entry is None or entry.practice_id != access.practice.id:
        raise ApiError(404, "not_found", "No such manual entry, or not one you can see.")
    return entry


def _check_values(db: Session, access: PracticeAccess, service: str, achievement_date: date,
                  values: dict[str, Any], notes: str | None) -> Service:
    """422 naming each field that breaks the rules; the practice's latest list size bounds every count."""
    found, problems = entry_service(service, achievement_date)
    if found is not None:
        problems = value_problems(found, values, list_size_at(db, access.practice.id, achievement_date))
    problems |= notes_problems(notes)
    if problems:
        raise invalid(problems)
    assert found is not None
    return found


def _second_person(db: Session, access: PracticeAccess, body: EntryChange, service: str,
                   achievement_date: date, now: datetime) -> User | None:
    """Who checked a submission, when the practice requires a second person; drafts need nobody."""
    if body.status != SUBMITTED:
        return None
    return second_person.redeem(db, access.practice, access.user, body.second_person_check, service,
                                achievement_date, body.values, body.notes, now)


def _check_window(db: Session, service: str, achievement_date: date, now: datetime) -> None:
    problem = entry_window_problem(db, service, achievement_date, now)
    if problem:
        raise ApiError(409, "entry_window_closed", problem)


def _record(db: Session, entry: ManualEntry) -> dict[str, Any]:
    checked_by = db.get(User, entry.checked_by_id) if entry.checked_by_id is not None else None
    return manual_entry_record(entry, audit.history(db, AUDIT_TARGET, entry.id), checked_by)


def _saved(db: Session, access: PracticeAccess, entry: ManualEntry, action: str, now: datetime,
           request: Request) -> dict[str, Any]:
    db.flush()
    audit.record(db, now=now, actor=access.user, action=action, target_type=AUDIT_TARGET,
                 target_id=entry.id,
                 organisation_id=access.practice.id, source=source_address(request),
                 detail={"service": entry.service, "version": entry.version, "status": entry.status})
    record = _record(db, entry)  # after the audit entry, so the history includes this change
    feed.publish(db, access.practice.id, feed.MANUAL_ENTRY, entry.id, record)
    _recalculate(db, request, access, entry.achievement_date)
    return record


def _recalculate(db: Session, request: Request, access: PracticeAccess, achievement_date: date) -> None:
    """Counts that count (approved, or not needing approval) feed the calculated achievement at once."""
    rules = rules_for(qof_year(achievement_date))
    if rules is not None:
        recalculate(db, rules, access.practice, achievement_date, clock=request.app.state.settings.clock)
