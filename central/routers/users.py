"""A practice's users: list, add, grant, confirm and remove roles, disable, enable, resend activation.

For the practice's User Administrator or its commissioner's Advanced User Administrator. Users are
never deleted, only disabled.

- **Adding** (``POST /practices/{ods}/users``) answers 201 with the same keys and values whether or
  not the email already has an account, built only from what the administrator sent (no id, nothing
  read from the database). A new account gets an invitation of this practice: a single-use activation
  code (valid 14 days) sent by mail (central.mail), never in a response. An existing account keeps its
  own details and password and is only given roles here; the person is told by mail. This practice's
  list and feed then show the details its administrator typed, and an invitation until the person next
  signs in (central.directory). Someone already a user here is a 409. A shared mailbox (reception@,
  info@ … app.services.account_rules, the list the desktop checks too) is refused: accounts are personal.
- **Roles given to oneself** (by granting or by adding one's own email) are pending and count for
  nothing until a different User Administrator of the practice, or the commissioner's Advanced User
  Administrator, confirms them: ``POST .../users/{id}/roles/{role}/confirm``.
- **Disable / enable** (``POST .../users/{id}/disable`` or ``/enable``, no body or
  ``{"scope": "practice"}``) turn the person's access at this practice off or on, and nothing else.
  With ``{"scope": "account"}`` they disable or enable the whole account (sign-ins end at once): only
  for the Advanced User Administrator of the commissioner above the person's home organisation (where
  they hold their earliest role, central.directory.home_organisation), so links made by other
  commissioners' practices cannot block it. Nobody may disable or enable themselves (403).
- A practice may never be left without an active User Administrator, by removing the role,
  disabling here or disabling the account.
- **Resend activation** works only for an invitation of this practice; otherwise it is 404, as if
  there were none. For a person this practice linked who has not signed in since, it answers as for an
  invitation and mails them again that they have access (their account exists: no code).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from app.services.identifiers import free_text_problem
from central import audit, directory, mail, tokens
from central.deps import (
    DB,
    AppSettings,
    Bearer,
    Now,
    PracticeAccess,
    checked_first,
    needs,
    practice_write_step,
    source_address,
)
from central.errors import ApiError, invalid
from central.models import COMMISSIONER, PRACTICE, Organisation, User
from central.money import MoneyGuardedRoute
from central.params import RecordId
from central.security import (
    ADVANCED_USER_ADMINISTRATOR,
    PRACTICE_ROLES,
    USER_ADMINISTRATOR,
    new_user_email_problem,
    uk_phone_problem,
)
from central.settings import Settings

router = APIRouter(tags=["users"], route_class=MoneyGuardedRoute)
Admins = needs(USER_ADMINISTRATOR, ADVANCED_USER_ADMINISTRATOR)
# The writes check the caller in a read slot first, then everything again in one short step in the
# writers' turn (central.deps checked_first, practice_write_step).
ADMINISTRATORS = (USER_ADMINISTRATOR, ADVANCED_USER_ADMINISTRATOR)
Administrators = checked_first(*ADMINISTRATORS)
RoleName = Path(max_length=60)
LAST_ADMIN = ("The practice must keep at least one active User Administrator. Give the role to someone "
              "else first.")


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


class Scope(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scope: Literal["practice", "account"] = "practice"


@router.get("/practices/{ods}/users")
def list_users(access: Admins, db: DB, now: Now) -> dict[str, Any]:
    return {"users": directory.member_records(db, access.practice, now)}


@router.post("/practices/{ods}/users", status_code=201, dependencies=[Administrators])
async def add_user(ods: str, body: NewUser, request: Request, now: Now, settings: AppSettings,
                   credentials: Bearer) -> dict[str, Any]:
    return await practice_write_step(request, credentials, now, ods, ADMINISTRATORS, _add_user, body,
                                     request, now, settings)


def _add_user(db: Session, access: PracticeAccess, body: NewUser, request: Request, now: datetime,
              settings: Settings) -> dict[str, Any]:
    problems = _new_user_problems(body)
    if problems:
        raise invalid(problems)
    practice, roles = access.practice, sorted(set(body.roles))
    user = directory.user_by_email(db, body.email)
    if user is not None and directory.is_member(db, user.id, practice.id):
        raise ApiError(409, "already_a_user", "This person is already a user of this practice.")
    created, token = user is None, None
    typed = {"first_name": body.first_name.strip(), "last_name": body.last_name.strip(),
             "work_phone": body.work_phone.strip(), "mobile": (body.mobile or "").strip() or None}
    if user is None:
        user = directory.create_user(db, body.email, body.first_name, body.last_name, body.work_phone, now,
                                     mobile=body.mobile)
        token = directory.issue_activation(db, user, now, practice)  # before the grants publish "invited"
    else:  # before the grants publish: this practice sees what it typed, never the account's details
        directory.link_member(db, user, practice, typed, now, access.user)
    to_self = user.id == access.user.id
    for role in roles:
        directory.grant_role(db, user, practice, role, now, by=access.user, pending=to_self)
    # Mailed before the commit: if the mail cannot be written, nothing is stored.
    if token is not None:
        mail.send_activation(settings.data_dir, user.email, user.first_name, practice.name, token,
                             now + directory.ACTIVATION_LIFETIME, now)
    else:
        mail.send_access_given(settings.data_dir, user.email, practice.name, roles,
                               user.activated_at is not None, now)
    _audit(db, access, user, "user added", now, request,
           {"roles": roles, "pending": to_self, "new_account": created})
    db.commit()
    # Only what the administrator sent (no id): nothing here tells a new account from an existing one.
    sent = {"email": body.email.strip().lower(), **typed,
            "roles": [] if to_self else roles, "pending_roles": roles if to_self else []}
    return {"user": sent, "message": f"We have emailed {sent['email']} to say they can now use CQRS for "
                                     f"{practice.name}."}


@router.post("/practices/{ods}/users/{user_id}/roles", dependencies=[Administrators])
async def grant(ods: str, user_id: RecordId, body: RoleChange, request: Request, now: Now,
                credentials: Bearer) -> dict[str, Any]:
    return await practice_write_step(request, credentials, now, ods, ADMINISTRATORS, _grant, user_id,
                                     body, request, now)


def _grant(db: Session, access: PracticeAccess, user_id: int, body: RoleChange, request: Request,
           now: datetime) -> dict[str, Any]:
    user = _member(db, access, user_id)
    if body.role not in PRACTICE_ROLES:
        raise invalid({"role": "Choose one of: " + ", ".join(PRACTICE_ROLES) + "."})
    to_self = user.id == access.user.id
    if directory.grant_role(db, user, access.practice, body.role, now, by=access.user, pending=to_self):
        _audit(db, access, user, "role requested" if to_self else "role granted", now, request,
               {"role": body.role, "pending": to_self})
    db.commit()
    return directory.member_record(db, access.practice, user, now)


@router.post("/practices/{ods}/users/{user_id}/roles/{role}/confirm", dependencies=[Administrators])
async def confirm(ods: str, user_id: RecordId, request: Request, now: Now, credentials: Bearer,
                  role: str = RoleName) -> dict[str, Any]:
    return await practice_write_step(request, credentials, now, ods, ADMINISTRATORS, _confirm, user_id,
                                     request, now, role)


def _confirm(db: Session, access: PracticeAccess, user_id: int, request: Request, now: datetime,
             role: str) -> dict[str, Any]:
    user = _member(db, access, user_id)
    pending = directory.grant_at(db, user.id, access.practice.id, role)
    if pending is None or not pending.pending:
        raise ApiError(404, "not_found", f"There is no {role} role waiting to be confirmed for this user.")
    if access.user.id in (user.id, pending.granted_by_id):
        raise ApiError(403, "forbidden", "You cannot confirm a role you gave yourself. Another User "
                       "Administrator of the practice, or the commissioner's Advanced User Administrator, "
                       "must confirm it.")
    directory.confirm_role(db, pending, access.user, now)
    _audit(db, access, user, "role confirmed", now, request, {"role": role})
    db.commit()
    return directory.member_record(db, access.practice, user, now)


@router.delete("/practices/{ods}/users/{user_id}/roles/{role}", dependencies=[Administrators])
async def revoke(ods: str, user_id: RecordId, request: Request, now: Now, credentials: Bearer,
                 role: str = RoleName) -> dict[str, Any]:
    return await practice_write_step(request, credentials, now, ods, ADMINISTRATORS, _revoke, user_id,
                                     request, now, role)


def _revoke(db: Session, access: PracticeAccess, user_id: int, request: Request, now: datetime,
            role: str) -> dict[str, Any]:
    user = _member(db, access, user_id)
    grant_row = directory.grant_at(db, user.id, access.practice.id, role)
    if grant_row is None:
        raise ApiError(404, "not_found", f"This user does not hold the {role} role here.")
    if role == USER_ADMINISTRATOR and directory.is_last_administrator(db, user.id, access.practice.id):
        raise ApiError(409, "last_user_administrator", LAST_ADMIN)
    directory.revoke_role(db, user, access.practice, role, now)
    _audit(db, access, user, "role removed", now, request, {"role": role, "pending": grant_row.pending})
    db.commit()
    return directory.member_record(db, access.practice, user, now)


@router.post("/practices/{ods}/users/{user_id}/disable", dependencies=[Administrators])
async def disable(ods: str, user_id: RecordId, request: Request, now: Now, credentials: Bearer,
                  body: Scope | None = None) -> dict[str, Any]:
    return await practice_write_step(request, credentials, now, ods, ADMINISTRATORS, _disable, user_id,
                                     request, now, body)


def _disable(db: Session, access: PracticeAccess, user_id: int, request: Request, now: datetime,
             body: Scope | None) -> dict[str, Any]:
    user = _member(db, access, user_id)
    _not_oneself(access, user, "disable")
    if body is not None and body.scope == "account":
        _check_account_authority(db, access, user)
        stranded = directory.practices_left_without_administrator(db, user)
        if stranded:
            raise ApiError(409, "last_user_administrator",
                           f"This person is the only active User Administrator of "
                           f"{', '.join(p.name for p in stranded)}. Give the role to someone else first.")
        if user.active:
            user.active = False
            tokens.revoke_user(db, user.id, now)
            _publish_everywhere(db, user, now)
            _audit(db, access, user, "account disabled", now, request, {})
    else:
        if directory.is_last_administrator(db, user.id, access.practice.id):
            raise ApiError(409, "last_user_administrator", LAST_ADMIN)
        if directory.suspend(db, user, access.practice, now, access.user):
            _audit(db, access, user, "access disabled here", now, request, {})
    db.commit()
    return directory.member_record(db, access.practice, user, now)


@router.post("/practices/{ods}/users/{user_id}/enable", dependencies=[Administrators])
async def enable(ods: str, user_id: RecordId, request: Request, now: Now, credentials: Bearer,
                 body: Scope | None = None) -> dict[str, Any]:
    return await practice_write_step(request, credentials, now, ods, ADMINISTRATORS, _enable, user_id,
                                     request, now, body)


def _enable(db: Session, access: PracticeAccess, user_id: int, request: Request, now: datetime,
            body: Scope | None) -> dict[str, Any]:
    user = _member(db, access, user_id)
    _not_oneself(access, user, "enable")
    if body is not None and body.scope == "account":
        _check_account_authority(db, access, user)
        if not user.active:
            user.active = True
            _publish_everywhere(db, user, now)
            _audit(db, access, user, "account enabled", now, request, {})
    elif directory.restore(db, user, access.practice, now):
        _audit(db, access, user, "access enabled here", now, request, {})
    db.commit()
    return directory.member_record(db, access.practice, user, now)


@router.post("/practices/{ods}/users/{user_id}/resend-activation", dependencies=[Administrators])
async def resend_activation(ods: str, user_id: RecordId, request: Request, now: Now,
                            settings: AppSettings, credentials: Bearer) -> dict[str, Any]:
    return await practice_write_step(request, credentials, now, ods, ADMINISTRATORS, _resend_activation,
                                     user_id, request, now, settings)


def _resend_activation(db: Session, access: PracticeAccess, user_id: int, request: Request,
                       now: datetime, settings: Settings) -> dict[str, Any]:
    user = _member(db, access, user_id)
    practice = access.practice
    linked = directory.linked_member(db, user.id, practice.id)
    if linked is not None and linked.seen_at is None:  # shown as invited here: answer as for an invitation
        linked.invited_at = now
        roles = sorted(directory.roles_at(db, user.id, practice.id)
                       | directory.pending_roles_at(db, user.id, practice.id))
        mail.send_access_given(settings.data_dir, user.email, practice.name, roles,
                               user.activated_at is not None, now)
    else:
        if user.activated_at is not None:
            raise ApiError(409, "already_activated", "This account is already activated.")
        invitation = directory.latest_invitation(db, user.id)
        if invitation is None or invitation.organisation_id != practice.id:
            raise ApiError(404, "not_found", "This practice has no invitation waiting for this user.")
        token = directory.issue_activation(db, user, now, practice)
        mail.send_activation(settings.data_dir, user.email, user.first_name, practice.name, token,
                             now + directory.ACTIVATION_LIFETIME, now)
    directory.publish_user(db, practice, user, now)
    _audit(db, access, user, "activation resent", now, request, {})
    db.commit()
    return {"sent": True, "expires_in_days": directory.ACTIVATION_LIFETIME.days,
            "message": f"We have emailed {user.email} again about using CQRS for {practice.name}. Any "
                       "earlier link from this practice no longer works."}


def _new_user_problems(body: NewUser) -> dict[str, str]:
    problems: dict[str, str] = {}
    email_problem = new_user_email_problem(body.email)  # an NHS address of one person, not a shared inbox
    if email_problem:
        problems["email"] = email_problem
    for field in ("first_name", "last_name", "work_phone"):
        if not getattr(body, field).strip():
            problems[field] = "This field is required."
    for text_field in ("email", "first_name", "last_name", "work_phone", "mobile"):
        problem = free_text_problem(getattr(body, text_field))
        if problem:
            problems.setdefault(text_field, problem)
    for phone_field in ("work_phone", "mobile"):
        phone = getattr(body, phone_field)
        if phone and phone.strip() and (problem := uk_phone_problem(phone)):
            problems.setdefault(phone_field, problem)
    unknown = [r for r in body.roles if r not in PRACTICE_ROLES]
    if not body.roles:
        problems["roles"] = "Give the user at least one role."
    elif unknown:
        problems["roles"] = f"Not a practice role: {', '.join(unknown)}."
    return problems


def _member(db: Session, access: PracticeAccess, user_id: int) -> User:
    user = db.get(User, user_id)
    if user is None or not directory.is_member(db, user.id, access.practice.id):
        raise ApiError(404, "not_found", "No such user at this practice.")
    return user


def _not_oneself(access: PracticeAccess, user: User, action: str) -> None:
    if user.id == access.user.id:
        raise ApiError(403, "forbidden", f"You cannot {action} your own access or account. Ask another User "
                       "Administrator of the practice, or the commissioner's Advanced User Administrator.")


def _check_account_authority(db: Session, access: PracticeAccess, user: User) -> None:
    """Whole-account changes: the Advanced User Administrator of the commissioner above the person's
    home organisation (central.directory.home_organisation); roles they were given anywhere else later,
    under any commissioner, do not matter."""
    commissioner = directory.ancestor(access.practice, COMMISSIONER)
    if commissioner is None or ADVANCED_USER_ADMINISTRATOR not in directory.roles_at(
            db, access.user.id, commissioner.id):
        raise ApiError(403, "forbidden", "Only the commissioner's Advanced User Administrator can disable or "
                       "enable a whole account. To stop this person using this practice, disable them here.")
    home = directory.home_organisation(db, user)
    if home is None or not _under(home, commissioner):
        raise ApiError(403, "forbidden", "This person's home organisation (where they were first given a "
                       "role) is outside your commissioner, so their whole account cannot be changed here. "
                       "Disable them at this practice instead.")


def _under(org: Organisation, commissioner: Organisation) -> bool:
    return org.id == commissioner.id or directory.ancestor(org, COMMISSIONER) == commissioner


def _publish_everywhere(db: Session, user: User, now: datetime) -> None:
    for org in directory.organisations_of(db, user.id):
        if org.kind == PRACTICE:
            directory.publish_user(db, org, user, now)


def _audit(db: Session, access: PracticeAccess, user: User, action: str, now: datetime, request: Request,
           detail: dict[str, Any]) -> None:
    audit.record(db, now=now, actor=access.user, action=action, target_type="user", target_id=user.id,
                 organisation_id=access.practice.id, source=source_address(request), detail=detail)
