"""A practice's details and its sync feed (``/changes``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from central import feed
from central.deps import DB, Member
from central.directory import ancestor
from central.models import COMMISSIONER, PCN, Offer
from central.money import MoneyGuardedRoute
from central.params import Cursor
from central.records import offer_record, practice_record
from central.security import ADVANCED_USER_ADMINISTRATOR, USER_ADMINISTRATOR

router = APIRouter(tags=["practices"], route_class=MoneyGuardedRoute)


@router.get("/practices/{ods}")
def practice(access: Member, db: DB) -> dict[str, object]:
    org = access.practice
    record = practice_record(org, ancestor(org, PCN), ancestor(org, COMMISSIONER))
    offers = db.scalars(select(Offer).where(Offer.practice_id == org.id).order_by(Offer.start_date, Offer.id))
    return {**record, "your_roles": sorted(access.roles), "offers": [offer_record(o) for o in offers]}


@router.get("/practices/{ods}/changes")
def changes(access: Member, db: DB, since: Cursor = 0,
            limit: Annotated[int, Query(ge=1, le=feed.MAX_LIMIT)] = 500) -> dict[str, object]:
    """Changes after ``since``, oldest first. Pass ``next`` back as ``since``; ``more``: another page waits.

    Users and their roles are included only for User Administrators (of the practice or, Advanced, of
    its commissioner). £ fields only for roles that may see money (the route strips them, as every
    route does): the client hides them too, but it is never the only guard.
    """
    include_admin = access.has(USER_ADMINISTRATOR, ADVANCED_USER_ADMINISTRATOR)
    return feed.page(db, access.practice.id, since, limit, include_admin=include_admin).as_json()
