"""A practice's users: list, add, grant and remove roles, disable, enable, resend activation.

For the practice's User Administrator or its commissioner's Advanced User Administrator. Users are
never deleted, only disabled. A practice may not lose its last active User Administrator, whether
by removing the role or by disabling the account. New users get a single-use activation token
(valid 14 days), returned once to the administrator to pass on; only its hash is stored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from central import audit, directory, tokens
from central.deps import DB, Now, PracticeAccess, needs, source_address
from central.errors import ApiError, invalid
from central.models import User
from central.params import RecordId
from central.records import user_record
from central.security import (
    ADVANCED_USER_ADMINISTRATOR,
    PRACTICE_ROLES,
    USER_ADMINISTRATOR,
    nhs_email_problem,
)

router = APIRouter(tags=["users"])
Admins = needs(USER_ADMINISTRATOR, ADVANCED_USER_ADMINISTRATOR)


class NewUser(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(max_length=254)
    first_name: str = Field(max_length=100)
    last_name: str = Field(max_length=100)
    work_phone: str = Field(max_length=40)
    mobile: str | None = Field(None, max_length=40)
    roles: list[str] = Field(default_factory=list, max_length=len(PRACTICE_ROLES))


class RoleChange(BaseModel):
    role: str = Field(max_length=60)


@router.get("/practices/{ods}/users")
def list_users(access: Admins, db: DB) -> dict[str, Any]:
    return {"users": [user_record(u, roles) for u, roles in directory.practice_users(db, access.practice)]}


@router.post("/practices/{ods}/users", status_code=201)
def add_user(body: NewUser, request: Request, access: Admins, db: DB, now: Now) -> JSONResponse:
    problems = _new_user_problems(body)
    if problems:
        raise invalid(problems)
    user = directory.user_by_email(db, body.email)
    if user is not None and directory.roles_at(db, user.id, access.practice.id):
        raise ApiError(409, "already_a_user", "This person is already a user of this practice.")
    created = user is None
    if user is None:
        user = directory.create_user(db, body.email, body.first_name, body.last_name, body.work_phone, now,
                                     mobile=body.mobile)
    for role in sorted(set(body.roles)):
        directory.grant_role(db, user, access.practice, role, now, by=access.user)
    result: dict[str, Any] = {"user": user_record(user, sorted(set(body.roles)))}
    if user.activated_at is None:
        result["activation_token"] = directory.issue_activation(db, user, now)
        result["activation_expires_in_days"] = directory.ACTIVATION_LIFETIME.days
    _audit(db, access, user, "user added" if created else "existing user added", now, request,
           {"roles": sorted(set(body.roles))})
    db.commit()
    return JSONResponse(result, status_code=201 if created else 200)


@router.post("/practices/{ods}/users/{user_id}/roles")
def grant(user_id: RecordId, body: RoleChange, request: Request, access: Admins, db: DB,
          now: Now) -> dict[str, Any]:
    user = _member(db, access, user_id)
    if body.role not in PRACTICE_ROLES:
        raise invalid({"role": "Choose one of: " + ", ".join(PRACTICE_ROLES) + "."})
    if directory.grant_role(db, user, access.practice, body.role, now, by=access.user):
        _audit(db, access, user, "role granted", now, request, {"role": body.role})
    db.commit()
    return _current(db, access, user)


@router.delete("/practices/{ods}/users/{user_id}/roles/{role}")
def revoke(user_id: RecordId, role: str, request: Request,
            access: Admins, db: DB, now: Now) -> dict[str, Any]:
    user = _member(db, access, user_id)
    if role not in directory.roles_at(db, user.id, access.practice.id):
        raise ApiError(404, "not_found", f"This user does not hold the {role} role here.")
    if role == USER_ADMINISTRATOR and user.active and \
            directory.active_user_administrators(db, access.practice.id) == {user.id}:
        raise ApiError(409, "last_user_administrator",
                       "The practice must keep at least one active User Administrator. Give the role to "
                       "someone else first.")
    directory.revoke_role(db, user, access.practice, role)
    _audit(db, access, user, "role removed", now, request, {"role": role})
    db.commit()
    return _current(db, access, user)


@router.post("/practices/{ods}/users/{user_id}/disable")
def disable(user_id: RecordId, request: Request, access: Admins, db: DB, now: Now) -> dict[str, Any]:
    user = _member(db, access, user_id)
    stranded = directory.practices_left_without_administrator(db, user)
    if stranded:
        names = ", ".join(p.name for p in stranded)
        raise ApiError(409, "last_user_administrator",
                       f"This user is the only active User Administrator of {names}. "
                       "Give the role to someone else first.")
    if user.active:
        user.active = False
        tokens.revoke_user(db, user.id, now)
        _changed(db, access, user, "user disabled", now, request)
    db.commit()
    return _current(db, access, user)


@router.post("/practices/{ods}/users/{user_id}/enable")
def enable(user_id: RecordId, request: Request, access: Admins, db: DB, now: Now) -> dict[str, Any]:
    user = _member(db, access, user_id)
    if not user.active:
        user.active = True
        _changed(db, access, user, "user enabled", now, request)
    db.commit()
    return _current(db, access, user)


@router.post("/practices/{ods}/users/{user_id}/resend-activation")
def resend_activation(user_id: RecordId, request: Request,
            access: Admins, db: DB, now: Now) -> dict[str, Any]:
    user = _member(db, access, user_id)
    if user.activated_at is not None:
        raise ApiError(409, "already_activated", "This account is already activated.")
    token = directory.issue_activation(db, user, now)
    _audit(db, access, user, "activation resent", now, request, {})
    db.commit()
    return {"activation_token": token, "activation_expires_in_days": directory.ACTIVATION_LIFETIME.days}


def _new_user_problems(body: NewUser) -> dict[str, str]:
    problems: dict[str, str] = {}
    email_problem = nhs_email_problem(body.email)
    if email_problem:
        problems["email"] = email_problem
    for field in ("first_name", "last_name", "work_phone"):
        if not getattr(body, field).strip():
            problems[field] = "This field is required."
    for phone_field in ("work_phone", "mobile"):
        phone = getattr(body, phone_field)
        if phone and phone.strip() and not all(c.isdigit() or c in " +()-" for c in phone):
            problems.setdefault(phone_field, "Use digits, spaces and + ( ) - only.")
    unknown = [r for r in body.roles if r not in PRACTICE_ROLES]
    if not body.roles:
        problems["roles"] = "Give the user at least one role."
    elif unknown:
        problems["roles"] = f"Not a practice role: {', '.join(unknown)}."
    return problems


def _member(db: Session, access: PracticeAccess, user_id: int) -> User:
    user = db.get(User, user_id)
    if user is None or not directory.roles_at(db, user.id, access.practice.id):
        raise ApiError(404, "not_found", "No such user at this practice.")
    return user


def _current(db: Session, access: PracticeAccess, user: User) -> dict[str, Any]:
    return user_record(user, sorted(directory.roles_at(db, user.id, access.practice.id)))


def _changed(db: Session, access: PracticeAccess, user: User, action: str, now: datetime,
             request: Request) -> None:
    directory.publish_user(db, access.practice, user)
    _audit(db, access, user, action, now, request, {})


def _audit(db: Session, access: PracticeAccess, user: User, action: str, now: datetime, request: Request,
           detail: dict[str, Any]) -> None:
    audit.record(db, now=now, actor=access.user, action=action, target_type="user", target_id=user.id,
                 organisation_id=access.practice.id, source=source_address(request), detail=detail)
