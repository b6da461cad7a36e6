"""Manual entries: counts a practice enters by hand (Achievement Entry), and their approval.

Create with a required ``Idempotency-Key`` (a replay returns the first response). Amend with
``If-Match: <version>``: a stale version gets 409 with the current record; an approved entry cannot
be amended; both creating and amending need the service's entry window to be open (timetable). An
amendment may carry an ``Idempotency-Key`` too, so an outbox item re-sent after a crash is applied once.
The commissioner (Approval Management) approves or rejects submitted entries.

Every record carries ``history``: the entry's audit trail (who did what, when).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from app.services.rules import qof_year, rules_for
from central import audit, feed, idempotency
from central.deps import DB, Member, Now, PracticeAccess, needs, source_address
from central.entry_rules import service_problems, value_problems
from central.errors import ApiError, invalid
from central.ingest import recalculate
from central.models import APPROVED, REJECTED, SUBMITTED, ManualEntry
from central.params import RecordId
from central.records import manual_entry_record
from central.security import ACHIEVEMENT_ENTRY, APPROVAL_MANAGEMENT
from central.windows import entry_window_problem

router = APIRouter(tags=["manual entries"])
AchievementEntry = needs(ACHIEVEMENT_ENTRY)
Approver = needs(APPROVAL_MANAGEMENT)
IdempotencyKey = Annotated[str, Header(alias="Idempotency-Key", min_length=1, max_length=200)]
OptionalIdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", min_length=1, max_length=200)]
AUDIT_TARGET = "manual_entry"
IfMatch = Annotated[str | None, Header(alias="If-Match", max_length=40)]


class EntryChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    values: dict[str, Any]
    notes: str | None = Field(None, max_length=2000)
    status: Literal["draft", "submitted"] = SUBMITTED


class NewEntry(EntryChange):
    service: str = Field(max_length=10)
    achievement_date: date


class Rejection(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


@router.post("/practices/{ods}/manual-entries", status_code=201)
def create(body: NewEntry, request: Request, idempotency_key: IdempotencyKey, access: AchievementEntry,
           db: DB, now: Now) -> Response:
    print_ = idempotency.fingerprint("POST", request.url.path, body.model_dump(mode="json"))
    replayed = idempotency.replay(db, access.user.id, idempotency_key, print_)
    if replayed is not None:
        return replayed
    problems = service_problems(body.service, body.achievement_date) | value_problems(body.values)
    if problems:
        raise invalid(problems)
    _check_window(db, body.service, body.achievement_date, now)
    entry = ManualEntry(practice_id=access.practice.id, service=body.service,
                        achievement_date=body.achievement_date, values=body.values, notes=body.notes,
                        status=body.status, version=1, created_by_id=access.user.id,
                        updated_by_id=access.user.id, created_at=now, updated_at=now)
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


@router.put("/practices/{ods}/manual-entries/{entry_id}")
def amend(entry_id: RecordId, body: EntryChange, request: Request, access: AchievementEntry, db: DB, now: Now,
          if_match: IfMatch = None, idempotency_key: OptionalIdempotencyKey = None) -> Response:
    entry = _entry(db, access, entry_id)
    if if_match is None:
        raise ApiError(428, "if_match_required", "Send If-Match with the version you are amending.")
    expected = if_match.strip().removeprefix("W/").strip('"')
    if not expected.isdigit():
        raise invalid({"If-Match": "Must be the entry's version number."})
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
    problems = value_problems(body.values)
    if problems:
        raise invalid(problems)
    _check_window(db, entry.service, entry.achievement_date, now)
    entry.values, entry.notes, entry.status = body.values, body.notes, body.status
    entry.version += 1
    entry.rejection_reason, entry.updated_by_id, entry.updated_at = None, access.user.id, now
    record = _saved(db, access, entry, "manual entry amended", now, request)
    if idempotency_key is not None:
        idempotency.remember(db, access.user.id, idempotency_key, print_, 200, record, now)
    db.commit()
    return JSONResponse(record, headers={"ETag": f'"{entry.version}"'})


@router.post("/practices/{ods}/manual-entries/{entry_id}/approve")
def approve(entry_id: RecordId, request: Request, access: Approver, db: DB, now: Now) -> dict[str, Any]:
    return _review(db, access, entry_id, APPROVED, None, now, request)


@router.post("/practices/{ods}/manual-entries/{entry_id}/reject")
def reject(entry_id: RecordId, body: Rejection, request: Request, access: Approver, db: DB,
           now: Now) -> dict[str, Any]:
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


def _check_window(db: Session, service: str, achievement_date: date, now: datetime) -> None:
    problem = entry_window_problem(db, service, achievement_date, now)
    if problem:
        raise ApiError(409, "entry_window_closed", problem)


def _record(db: Session, entry: ManualEntry) -> dict[str, Any]:
    return manual_entry_record(entry, audit.history(db, AUDIT_TARGET, entry.id))


def _saved(db: Session, access: PracticeAccess, entry: ManualEntry, action: str, now: datetime,
           request: Request) -> dict[str, Any]:
    db.flush()
    audit.record(db, now=now, actor=access.user, action=action, target_type=AUDIT_TARGET,
                 target_id=entry.id,
                 organisation_id=access.practice.id, source=source_address(request),
                 detail={"service": entry.service, "version": entry.version, "status": entry.status})
    record = _record(db, entry)  # after the audit entry, so the history includes this change
    feed.publish(db, access.practice.id, feed.MANUAL_ENTRY, entry.id, record)
    rules = rules_for(qof_year(entry.achievement_date))
    if rules is not None:  # the entered counts feed the practice's calculated achievement at once
        clock = request.app.state.settings.clock
        recalculate(db, rules, access.practice, entry.achievement_date, clock=clock)
    return record
