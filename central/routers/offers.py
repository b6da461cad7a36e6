"""Offers of quality services to a practice: accept or reject (Service Management).

The answer decides what is paid (central.offer_gate): a service offered for the achievement date is
declared only once its offer is accepted, and nothing is entered by hand for it once it is rejected.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from central import audit, feed
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
from central.errors import ApiError
from central.models import ACCEPTED, PENDING, REJECTED, Offer
from central.money import MoneyGuardedRoute
from central.params import RecordId
from central.records import offer_record
from central.security import SERVICE_MANAGEMENT
from central.windows import local_day, uk_date

router = APIRouter(tags=["offers"], route_class=MoneyGuardedRoute)
ServiceManager = checked_first(SERVICE_MANAGEMENT)


@router.get("/practices/{ods}/offers")
def list_offers(access: Member, db: DB) -> dict[str, object]:
    offers = db.scalars(select(Offer).where(Offer.practice_id == access.practice.id).order_by(Offer.id))
    return {"offers": [offer_record(o) for o in offers]}


# The caller is checked in a read slot first, then everything again in one short step in the writers'
# turn (central.deps checked_first, practice_write_step).
@router.post("/practices/{ods}/offers/{offer_id}/accept", dependencies=[ServiceManager])
async def accept(ods: str, offer_id: RecordId, request: Request, credentials: Bearer,
                 now: Now) -> dict[str, object]:
    return await practice_write_step(request, credentials, now, ods, (SERVICE_MANAGEMENT,), _respond,
                                     offer_id, ACCEPTED, now, source_address(request))


@router.post("/practices/{ods}/offers/{offer_id}/reject", dependencies=[ServiceManager])
async def reject(ods: str, offer_id: RecordId, request: Request, credentials: Bearer,
                 now: Now) -> dict[str, object]:
    return await practice_write_step(request, credentials, now, ods, (SERVICE_MANAGEMENT,), _respond,
                                     offer_id, REJECTED, now, source_address(request))


def _respond(db: Session, access: PracticeAccess, offer_id: int, status: str, now: datetime,
             source: str | None) -> dict[str, object]:
    offer = db.get(Offer, offer_id)
    if offer is None or offer.practice_id != access.practice.id:
        raise ApiError(404, "not_found", "No such offer, or not one you can see.")
    if offer.status == status:  # repeating the same answer changes nothing
        return offer_record(offer)
    if offer.status != PENDING:
        raise ApiError(409, "offer_answered", f"This offer was already {offer.status}.",
                       extra={"current": offer_record(offer)})
    if offer.response_deadline is not None and local_day(now) > offer.response_deadline:
        raise ApiError(409, "offer_deadline_passed",
                       f"The deadline to answer this offer was {uk_date(offer.response_deadline)}.",
                       extra={"current": offer_record(offer)})
    offer.status, offer.responded_at, offer.responded_by_id = status, now, access.user.id
    audit.record(db, now=now, actor=access.user, action=f"offer {status}", target_type="offer",
                 target_id=offer.id, organisation_id=access.practice.id, source=source,
                 detail={"service": offer.service})
    record = offer_record(offer)
    feed.publish(db, access.practice.id, feed.OFFER, offer.id, record)
    db.commit()
    return record
