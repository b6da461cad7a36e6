"""Sign-in, token refresh and rotation, sign-out, account activation, and "who am I"."""

from __future__ import annotations

import math
from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from central import audit, directory, security, tokens
from central.deps import DB, AppSettings, CurrentCaller, Now, source_address
from central.directory import ancestor, user_by_email
from central.errors import ApiError, invalid
from central.models import COMMISSIONER, PCN, PRACTICE, ActivationToken, Organisation, RoleGrant, User
from central.money import MoneyGuardedRoute
from central.records import organisation_ref

router = APIRouter(tags=["auth"], route_class=MoneyGuardedRoute)
WRONG_CREDENTIALS = ("The email or password is not right. If you have not activated your account yet, use "
                     "the link in your email first.")


class SignIn(BaseModel):
    email: str = Field(max_length=254)
    password: str = Field(max_length=200)


class Refresh(BaseModel):
    refresh_token: str = Field(max_length=200)


class Activate(BaseModel):
    token: str = Field(max_length=200)
    password: str = Field(max_length=200)


@router.post("/auth/token")
def sign_in(body: SignIn, request: Request, db: DB, now: Now, settings: AppSettings) -> dict[str, object]:
    """Unknown email, no password set yet, wrong password: one answer, at one cost (argon2 every time).

    A correct sign-in makes its (email, source) known to the throttle (central.security) and tells the
    practices that linked this person that they now use CQRS (central.directory.mark_seen).
    """
    email = body.email.strip().lower()
    source = security.bounded_source(source_address(request))
    until = security.sign_in_wait_until(db, email, source, now)
    if until is not None:
        raise _wait(until, now)
    user = user_by_email(db, email)
    if not security.verify_password(user.password_hash if user else None, body.password):
        until = security.record_failure(db, email, source, now)
        audit.record(db, now=now, actor=user or email, action="sign-in failed", target_type="user",
                     target_id=user.id if user else None, source=source)
        db.commit()
        if until:
            raise _wait(until, now)
        raise ApiError(401, "invalid_credentials", WRONG_CREDENTIALS)
    assert user is not None
    security.clear_failures(db, email, source)
    if not user.active:  # said only to someone who knows the password
        db.commit()
        raise ApiError(403, "account_disabled", "This account is disabled. Ask your User Administrator.")
    security.remember_sign_in(db, email, source, now)
    directory.mark_seen(db, user, now)
    pair = tokens.issue_pair(db, user, now, settings.access_token_ttl, settings.refresh_token_ttl)
    audit.record(db, now=now, actor=user, action="sign-in", target_type="user", target_id=user.id,
                 source=source)
    db.commit()
    return pair.as_json()


def _wait(until: datetime, now: datetime) -> ApiError:
    seconds = max(1, math.ceil((until - now).total_seconds()))
    return ApiError(429, "sign_in_throttled",
                    f"Too many failed sign-in attempts. Please wait {_duration(seconds)} and try again.",
                    headers={"Retry-After": str(seconds)})


def _duration(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


@router.post("/auth/refresh")
def refresh(body: Refresh, request: Request, db: DB, now: Now, settings: AppSettings) -> dict[str, object]:
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


@router.post("/auth/logout", status_code=204)
def logout(request: Request, caller: CurrentCaller, db: DB, now: Now) -> None:
    tokens.revoke_family(db, caller.family_id, now)
    audit.record(db, now=now, actor=caller.user, action="sign-out", target_type="user",
                 target_id=caller.user.id, source=source_address(request))
    db.commit()


@router.post("/auth/activate")
def activate(body: Activate, request: Request, db: DB, now: Now) -> dict[str, object]:
    digest = security.token_digest(body.token)
    row = db.scalar(select(ActivationToken).where(ActivationToken.token_hash == digest))
    if row is None or row.used_at is not None or row.revoked_at is not None:
        raise ApiError(400, "activation_invalid",
                       "This activation link is not valid or was already used. Ask for a new one.")
    if row.expires_at <= now:
        raise ApiError(400, "activation_expired",
                       "This activation link has expired (links last 14 days). Ask your User Administrator "
                       "to send a new one.")
    user = db.get_one(User, row.user_id)
    if not user.active:
        raise ApiError(403, "account_disabled", "This account is disabled. Ask your User Administrator.")
    problem = security.password_problem(body.password, user.email)
    if problem:
        raise invalid({"password": problem}, "The password does not meet the policy.")
    user.password_hash = security.hash_password(body.password)
    user.activated_at = user.activated_at or now
    row.used_at = now
    for org in directory.organisations_of(db, user.id):  # their practices' user lists stop saying "invited"
        if org.kind == PRACTICE:
            directory.publish_user(db, org, user, now)
    audit.record(db, now=now, actor=user, action="account activated", target_type="user", target_id=user.id,
                 source=source_address(request))
    db.commit()
    return {"activated": True, "email": user.email}


@router.get("/me")
def me(caller: CurrentCaller, db: DB, now: Now) -> dict[str, object]:
    user = caller.user
    # The roles held: not those waiting for a second administrator, nor a practice's while suspended there.
    grants = db.execute(select(Organisation, RoleGrant.role).join(RoleGrant.organisation)
                        .where(RoleGrant.user_id == user.id, RoleGrant.pending.is_(False))
                        .order_by(Organisation.ods_code, RoleGrant.role))
    organisations: dict[str, dict[str, object]] = {}
    for org, role in grants:
        if org.kind == PRACTICE and directory.is_suspended(db, user.id, org.id):
            continue
        entry = organisations.setdefault(org.ods_code, _organisation_entry(db, org))
        entry["roles"].append(role)  # type: ignore[union-attr]
    return {"user": {"id": user.id, "email": user.email, "first_name": user.first_name,
                     "last_name": user.last_name, "work_phone": user.work_phone, "mobile": user.mobile},
            "organisations": list(organisations.values()),
            "server_time": now.isoformat()}


def _organisation_entry(db: Session, org: Organisation) -> dict[str, object]:
    entry: dict[str, object] = {**(organisation_ref(org) or {}), "roles": []}
    if org.kind == PRACTICE:
        entry["pcn"] = organisation_ref(ancestor(org, PCN))
        entry["commissioner"] = organisation_ref(ancestor(org, COMMISSIONER))
    elif org.kind == COMMISSIONER:
        parents = [org.id, *db.scalars(select(Organisation.id).where(Organisation.parent_id == org.id))]
        practices = db.scalars(select(Organisation).where(Organisation.kind == PRACTICE,
                                                          Organisation.parent_id.in_(parents)))
        entry["practices"] = [organisation_ref(p) for p in practices]
    return entry
