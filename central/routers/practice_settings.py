"""A practice's settings held by the service (not by any one PC): whether manual entries need a second
person's check before they are submitted.

Anyone who can see the practice reads them; the practice's User Administrator, or the Advanced User
Administrator of its commissioner, changes them. A change is audited and published to the practice's
feed in the practice record (``second_person_required``), so every desktop follows it at the next sync.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, StrictBool

from central import audit
from central.deps import DB, Member, Now, needs, source_address
from central.directory import publish_practice
from central.models import Organisation
from central.money import MoneyGuardedRoute
from central.security import ADVANCED_USER_ADMINISTRATOR, USER_ADMINISTRATOR

router = APIRouter(tags=["practice settings"], route_class=MoneyGuardedRoute)
Administrator = needs(USER_ADMINISTRATOR, ADVANCED_USER_ADMINISTRATOR)


class PracticeSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    second_person_required: StrictBool


def settings_record(practice: Organisation) -> dict[str, Any]:
    return {"second_person_required": bool(practice.second_person_required)}


@router.get("/practices/{ods}/settings")
def read(access: Member) -> dict[str, Any]:
    return settings_record(access.practice)


@router.put("/practices/{ods}/settings")
def change(body: PracticeSettings, request: Request, access: Administrator, db: DB,
           now: Now) -> dict[str, Any]:
    practice = access.practice
    before = bool(practice.second_person_required)
    if before != body.second_person_required:
        practice.second_person_required = body.second_person_required
        audit.record(db, now=now, actor=access.user, action="practice settings changed",
                     target_type="practice", target_id=practice.ods_code, organisation_id=practice.id,
                     source=source_address(request),
                     detail={"second_person_required": {"from": before, "to": body.second_person_required}})
        publish_practice(db, practice)
        db.commit()
    return settings_record(practice)
