"""A practice's settings held by the service (not by any one PC): whether manual entries need a second
person's check before they are submitted.

Anyone who can see the practice reads them; the practice's User Administrator, or the Advanced User
Administrator of its commissioner, changes them. A change is audited and published to the practice's
feed in the practice record (``second_person_required``), so every desktop follows it at the next sync.

Turning the rule **on** takes effect at once. Turning it **off** weakens a control, so it needs a second
person:

- by the commissioner's Advanced User Administrator it takes effect at once (someone outside the
  practice decided);
- by a User Administrator of the practice it is only *requested* (202, the rule stays on, the request is
  shown as ``pending_change`` and audited); it takes effect when a *different* User Administrator of the
  practice, or the commissioner's Advanced User Administrator, makes the same change. Asking again
  oneself changes nothing. Turning the rule on (by anyone) withdraws a waiting request.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, StrictBool
from sqlalchemy.orm import Session

from central import audit
from central.deps import DB, Member, Now, PracticeAccess, needs, source_address
from central.directory import publish_practice
from central.models import Organisation, User
from central.money import MoneyGuardedRoute
from central.security import ADVANCED_USER_ADMINISTRATOR, USER_ADMINISTRATOR

router = APIRouter(tags=["practice settings"], route_class=MoneyGuardedRoute)
Administrator = needs(USER_ADMINISTRATOR, ADVANCED_USER_ADMINISTRATOR)
WAITING = ("The second-person check stays on until another User Administrator of the practice, or the "
           "commissioner's Advanced User Administrator, also turns it off.")


class PracticeSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    second_person_required: StrictBool


def settings_record(db: Session, practice: Organisation) -> dict[str, Any]:
    """The settings, and a waiting request to turn the second-person check off (or None)."""
    pending = None
    if practice.second_person_off_requested_by_id is not None:
        requester = db.get(User, practice.second_person_off_requested_by_id)
        at = practice.second_person_off_requested_at
        pending = {"second_person_required": False, "requested_by": requester.email if requester else None,
                   "requested_at": at.isoformat() if at else None}
    return {"second_person_required": bool(practice.second_person_required), "pending_change": pending}


@router.get("/practices/{ods}/settings")
def read(access: Member, db: DB) -> dict[str, Any]:
    return settings_record(db, access.practice)


@router.put("/practices/{ods}/settings", responses={202: {"description": "Turning the second-person check "
             "off was requested: it stays on until a second administrator makes the same change."}})
def change(body: PracticeSettings, request: Request, response: Response, access: Administrator, db: DB,
           now: Now) -> dict[str, Any]:
    practice = access.practice
    before = bool(practice.second_person_required)
    wanted = body.second_person_required
    if wanted or not before:  # turning on, or nothing to turn off: a waiting request is withdrawn
        changed = _clear_request(practice)
        if before != wanted:
            _apply(db, access, practice, before, wanted, now, request, {})
        elif changed:
            db.commit()
        return settings_record(db, practice)
    requester = practice.second_person_off_requested_by_id
    if ADVANCED_USER_ADMINISTRATOR in access.roles or (requester is not None and requester != access.user.id):
        confirmed = {} if requester is None else {"requested_by": _email(db, requester)}
        _clear_request(practice)
        _apply(db, access, practice, before, wanted, now, request, confirmed)
        return settings_record(db, practice)
    response.status_code = 202
    if requester is None:
        practice.second_person_off_requested_by_id = access.user.id
        practice.second_person_off_requested_at = now
        audit.record(db, now=now, actor=access.user, action="practice settings change requested",
                     target_type="practice", target_id=practice.ods_code, organisation_id=practice.id,
                     source=source_address(request), detail={"second_person_required": {"to": False}})
        db.commit()
    return {**settings_record(db, practice), "message": WAITING}


def _apply(db: Session, access: PracticeAccess, practice: Organisation, before: bool, wanted: bool,
           now: datetime, request: Request, extra: dict[str, Any]) -> None:
    practice.second_person_required = wanted
    audit.record(db, now=now, actor=access.user, action="practice settings changed",
                 target_type="practice", target_id=practice.ods_code, organisation_id=practice.id,
                 source=source_address(request),
                 detail={"second_person_required": {"from": before, "to": wanted}, **extra})
    publish_practice(db, practice)
    db.commit()


def _clear_request(practice: Organisation) -> bool:
    had = practice.second_person_off_requested_by_id is not None
    practice.second_person_off_requested_by_id = None
    practice.second_person_off_requested_at = None
    return had


def _email(db: Session, user_id: int) -> str | None:
    user = db.get(User, user_id)
    return user.email if user else None
