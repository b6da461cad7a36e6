"""A practice's details and its sync feed (``/changes``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from central import feed
from central.deps import DB, Bearer, Member, current_caller, get_now, get_settings, practice_access
from central.directory import ancestor
from central.me import profile_tag
from central.models import COMMISSIONER, PCN, Offer
from central.money import MoneyGuardedRoute
from central.params import Cursor
from central.records import offer_record, practice_record
from central.security import ADVANCED_USER_ADMINISTRATOR, USER_ADMINISTRATOR
from central.turns import run_read

router = APIRouter(tags=["practices"], route_class=MoneyGuardedRoute)


@router.get("/practices/{ods}")
def practice(access: Member, db: DB) -> dict[str, object]:
    org = access.practice
    record = practice_record(org, ancestor(org, PCN), ancestor(org, COMMISSIONER))
    offers = db.scalars(select(Offer).where(Offer.practice_id == org.id).order_by(Offer.start_date, Offer.id))
    return {**record, "your_roles": sorted(access.roles), "offers": [offer_record(o) for o in offers]}


NOT_MODIFIED = {304: {"description": "Nothing new after `since` for the caller's view (no body)."}}


# The commonest call of the service: its session is opened, used and closed, the caller and the
# practice resolved, in one worker-thread call in a read slot, rather than through FastAPI dependencies
# (each handed to the thread pool in turn, and the session closed in another).
# Its answers are Responses, which FastAPI passes through without the response model.
@router.get("/practices/{ods}/changes", response_model=dict[str, object], responses=NOT_MODIFIED)
async def changes(request: Request, ods: str, credentials: Bearer, since: Cursor = 0,
                  limit: Annotated[int, Query(ge=1, le=feed.MAX_LIMIT)] = 500,
                  if_none_match: Annotated[str | None, Header(max_length=400)] = None) -> Any:
    """Changes after ``since``, oldest first. Pass ``next`` back as ``since``; ``more``: another page waits.

    Users and their roles are included only for User Administrators (of the practice or, Advanced, of
    its commissioner). £ fields only for roles that may see money (the route strips them, as every
    route does): the client hides them too, but it is never the only guard.

    ``you`` holds the caller's roles at this practice and the tag of their ``/me`` answer: when either
    differs from the client's saved profile, the client asks ``/me`` again. The ``ETag`` names the view
    at ``next`` (central.feed.view_tag); sent back as ``If-None-Match`` with ``since=next``, it gets a
    304 with no body while nothing is new and the caller's roles and profile are unchanged.
    """
    state = request.app.state
    return await run_read(state.engine, _changes, state.sessionmaker, request, ods, credentials, since, limit,
                          if_none_match)


def _changes(sessions: Callable[[], Session], request: Request, ods: str, credentials: Bearer, since: int,
             limit: int, if_none_match: str | None) -> Response:
    with sessions() as db:
        return _feed_answer(db, request, ods, credentials, since, limit, if_none_match)


def _feed_answer(db: Session, request: Request, ods: str, credentials: Bearer, since: int, limit: int,
                 if_none_match: str | None) -> Response:
    now = get_now(get_settings(request))
    access = practice_access()(ods, current_caller(request, credentials, db, now), db)
    include_admin = access.has(USER_ADMINISTRATOR, ADVANCED_USER_ADMINISTRATOR)
    page = feed.page(db, access.practice.id, since, limit, include_admin=include_admin)
    tag = profile_tag(db, access.user, now)
    etag = feed.view_tag(access.practice.id, page.next, access.user.id, access.roles, include_admin, tag)
    if not page.changes and feed.matches(if_none_match, etag):
        return Response(status_code=304, headers={"ETag": etag})
    # Feed data is JSON already (read from JSON columns): sent as it is, without the response model's pass.
    return JSONResponse({**page.as_json(), "you": {"roles": sorted(access.roles), "profile_tag": tag}},
                        headers={"ETag": etag})
