"""Sign-in, token refresh and rotation, sign-out, account activation, and "who am I"."""

from __future__ import annotations

from datetime import datetime
from functools import partial

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from central import audit, security, tokens
from central import sign_in as flow
from central.db import writer
from central.deps import (
    DB,
    AppSettings,
    Bearer,
    CurrentCaller,
    Now,
    checked_first,
    current_caller,
    source_address,
    write_step,
)
from central.errors import ApiError
from central.me import me_answer
from central.models import User
from central.money import MoneyGuardedRoute
from central.settings import Settings
from central.turns import run_read, run_write

router = APIRouter(tags=["auth"], route_class=MoneyGuardedRoute)


class SignIn(BaseModel):
    email: str = Field(max_length=254)
    password: str = Field(max_length=200)


class Refresh(BaseModel):
    refresh_token: str = Field(max_length=200)


class Activate(BaseModel):
    token: str = Field(max_length=200)
    password: str = Field(max_length=200)


@router.post("/auth/token")
async def sign_in(body: SignIn, request: Request, now: Now, settings: AppSettings) -> dict[str, object]:
    """Unknown email, no password set yet, wrong password: one answer, at one cost (argon2 every time).

    A correct sign-in makes its (email, source) known to the throttle (central.security) and tells the
    practices that linked this person that they now use CQRS (central.directory.mark_seen). The
    password is checked outside any transaction; only the short write after it takes the write lock.
    """
    email = body.email.strip().lower()
    source = security.bounded_source(source_address(request))
    state = request.app.state
    writers = partial(state.sessionmaker, bind=writer(state.engine))
    for _attempt in range(2):
        account = await run_read(state.engine, flow.look_up, state.sessionmaker, email, source, now)
        if account.wait_until is not None:
            raise flow.wait(account.wait_until, now)
        checked = await flow.password_work(flow.check, account.password_hash, body.password)
        try:
            return await run_write(state.engine, flow.record, writers, account, checked, email, source, now,
                                   settings)
        except flow.HashChanged:
            continue  # checked against a hash replaced meanwhile: check against the new one
    raise flow.busy()


@router.post("/auth/refresh")
async def refresh(body: Refresh, request: Request, now: Now, settings: AppSettings) -> dict[str, object]:
    # One short step in the writers' turn (central.deps.write_step): the token is in the body.
    return await write_step(request, _refresh, body, request, now, settings)


def _refresh(db: Session, body: Refresh, request: Request, now: datetime,
             settings: Settings) -> dict[str, object]:
    try:
        user, pair = tokens.rotate(db, body.refresh_token, now, settings.access_token_ttl,
                                   settings.refresh_token_ttl)
    except tokens.RefreshRefused as refused:
        if refused.code == "refresh_token_reused":
            audit.record(db, now=now, actor=db.get(User, refused.user_id) or "unknown",
                         action="refresh token reused", target_type="user", target_id=refused.user_id,
                         source=source_address(request), detail={"family": "revoked"})
        db.commit()  # keep the revocation
        raise ApiError(401, refused.code, refused.message) from None
    db.commit()
    return pair.as_json()


@router.post("/auth/logout", status_code=204, dependencies=[checked_first(practice=False)])
async def logout(request: Request, credentials: Bearer, now: Now) -> None:
    await write_step(request, _logout, request, credentials, now)


def _logout(db: Session, request: Request, credentials: Bearer, now: datetime) -> None:
    caller = current_caller(request, credentials, db, now)
    tokens.revoke_family(db, caller.family_id, now)
    audit.record(db, now=now, actor=caller.user, action="sign-out", target_type="user",
                 target_id=caller.user.id, source=source_address(request))
    db.commit()


@router.post("/auth/activate")
async def activate(body: Activate, request: Request, now: Now) -> dict[str, object]:
    """Set the first password: the policy and the link checked, then argon2, then the short write."""
    state = request.app.state
    found = await run_read(state.engine, flow.activation, state.sessionmaker, body.token, body.password, now)
    password_hash = await flow.password_work(security.hash_password, body.password)
    writers = partial(state.sessionmaker, bind=writer(state.engine))
    return await run_write(state.engine, flow.activate, writers, found, password_hash, now,
                           source_address(request))


@router.get("/me")
def me(caller: CurrentCaller, db: DB, now: Now) -> dict[str, object]:
    return me_answer(db, caller.user, now)  # with the profile tag the feed quotes (central.me)
