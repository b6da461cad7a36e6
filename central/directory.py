"""Organisations, users and role grants: creating them, and asking who holds which role where.

A commissioner's roles reach every practice beneath it (practice -> PCN -> commissioner). A role that
someone granted to themselves is *pending* until another administrator confirms it, and counts for
nothing until then. A person whose access at a practice is suspended (a PracticeSuspension row) holds
no practice role there, while their account and their other practices are untouched.

A practice's user list and feed show everyone with a grant there, held or pending. For an account this
practice invited (or made directly), that is the account's own details. For an existing account that an
administrator linked by email, the practice keeps the details its administrator typed (a PracticeMember
row) and shows only those, and shows the person as invited (activation expiring 14 days after the link
or its last re-send) until they next sign in: so nothing a practice sees tells it whether the email
already had an account, or what that account holds. The person's own profile (/me) and other practices
are untouched. Every change that a practice's users may see is published to that practice's feed here.

A person's *home organisation* is where they hold their earliest role grant (held or pending, by the
time it was granted): the practice or commissioner that first gave their account a role, as long as
they still have a role there. Links made later, anywhere, never move it. Whole-account changes belong
to the Advanced User Administrator of the commissioner above the home organisation.

For the rule that a practice keeps an active User Administrator, only people who can act as one now
count: the role held (not pending), the account activated (a password set) and enabled, and their
access there not suspended.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, exists, func, select
from sqlalchemy.orm import Session

from central import feed
from central.models import (
    COMMISSIONER,
    PCN,
    PRACTICE,
    ActivationToken,
    Organisation,
    PracticeMember,
    PracticeSuspension,
    RoleGrant,
    User,
)
from central.records import practice_record, user_record
from central.security import USER_ADMINISTRATOR, new_token

ACTIVATION_LIFETIME = timedelta(days=14)

# A person's status at one practice, as the practice's user list shows it.
ACTIVE = "active"
DISABLED_HERE = "disabled here"
ACCOUNT_DISABLED = "account disabled"
INVITED = "invited"
ACTIVATION_EXPIRED = "activation expired"


# The lookups every authorised request makes are built once with bound values (building a statement
# costs more than running it).
_ORGANISATION = select(Organisation).where(Organisation.ods_code == bindparam("ods"))
_ROLES_AT = select(RoleGrant.role).where(RoleGrant.user_id == bindparam("user_id"),
                                         RoleGrant.organisation_id == bindparam("org_id"),
                                         RoleGrant.pending.is_(False))
_SUSPENDED = select(exists().where(PracticeSuspension.user_id == bindparam("user_id"),
                                   PracticeSuspension.organisation_id == bindparam("org_id")))
# Held at the practice unless suspended there, and held at its commissioner (None: no commissioner).
_EFFECTIVE_ROLES = select(RoleGrant.role).where(
    RoleGrant.user_id == bindparam("user_id"), RoleGrant.pending.is_(False),
    ((RoleGrant.organisation_id == bindparam("practice_id"))
     & ~exists().where(PracticeSuspension.user_id == bindparam("user_id"),
                       PracticeSuspension.organisation_id == bindparam("practice_id")))
    | (RoleGrant.organisation_id == bindparam("commissioner_id")))


def organisation(session: Session, ods: str) -> Organisation | None:
    return session.scalar(_ORGANISATION, {"ods": ods.upper()})


def ancestor(org: Organisation, kind: str) -> Organisation | None:
    current = org.parent
    while current is not None and current.kind != kind:
        current = current.parent
    return current


def create_organisation(session: Session, kind: str, ods: str, name: str, now: datetime,
                        parent: Organisation | None = None) -> Organisation:
    if kind not in (COMMISSIONER, PCN, PRACTICE):
        raise ValueError(f"unknown organisation kind {kind!r}")
    org = Organisation(kind=kind, ods_code=ods.upper(), name=name, parent=parent, created_at=now)
    session.add(org)
    session.flush()
    if kind == PRACTICE:
        publish_practice(session, org)
    return org


def publish_practice(session: Session, practice: Organisation) -> None:
    record = practice_record(practice, ancestor(practice, PCN), ancestor(practice, COMMISSIONER))
    feed.publish(session, practice.id, feed.PRACTICE, practice.ods_code, record)


def user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email.strip().lower()))


def create_user(session: Session, email: str, first_name: str, last_name: str, work_phone: str,
                now: datetime, mobile: str | None = None, password_hash: str | None = None) -> User:
    """A new user; with ``password_hash`` the account is already activated (demo and tests)."""
    user = User(email=email.strip().lower(), first_name=first_name.strip(), last_name=last_name.strip(),
                work_phone=work_phone.strip(), mobile=(mobile or "").strip() or None, active=True,
                password_hash=password_hash, activated_at=now if password_hash else None, created_at=now)
    session.add(user)
    session.flush()
    return user


# --- roles --------------------------------------------------------------------------------------------

def grant_at(session: Session, user_id: int, org_id: int, role: str) -> RoleGrant | None:
    """The grant of ``role`` (held or pending), or None."""
    return session.scalar(select(RoleGrant).where(
        RoleGrant.user_id == user_id, RoleGrant.organisation_id == org_id, RoleGrant.role == role))


def roles_at(session: Session, user_id: int, org_id: int) -> set[str]:
    """Roles held (confirmed) at the organisation; pending self-grants are not held."""
    return set(session.scalars(_ROLES_AT, {"user_id": user_id, "org_id": org_id}))


def pending_roles_at(session: Session, user_id: int, org_id: int) -> set[str]:
    return set(session.scalars(select(RoleGrant.role).where(
        RoleGrant.user_id == user_id, RoleGrant.organisation_id == org_id, RoleGrant.pending.is_(True))))


def is_member(session: Session, user_id: int, org_id: int) -> bool:
    """True when the user has any grant at the organisation, held or pending."""
    return session.scalar(select(exists().where(RoleGrant.user_id == user_id,
                                                RoleGrant.organisation_id == org_id))) or False


def organisations_of(session: Session, user_id: int) -> list[Organisation]:
    """Every organisation where the user has a grant (held or pending)."""
    ids = set(session.scalars(select(RoleGrant.organisation_id).where(RoleGrant.user_id == user_id)))
    return [session.get_one(Organisation, org_id) for org_id in sorted(ids)]


def effective_roles(session: Session, user: User, practice: Organisation) -> set[str]:
    """Roles held at the practice (none while suspended there) plus those held at its commissioner."""
    commissioner = ancestor(practice, COMMISSIONER)
    return held_roles(session, user.id, practice.id, commissioner.id if commissioner is not None else None)


def held_roles(session: Session, user_id: int, practice_id: int, commissioner_id: int | None) -> set[str]:
    """``effective_roles`` by ids, in one query: the practice's roles unless suspended there, and the
    commissioner's (``commissioner_id`` None: it has none)."""
    return set(session.scalars(_EFFECTIVE_ROLES, {"user_id": user_id, "practice_id": practice_id,
                                                  "commissioner_id": commissioner_id}))


def grant_role(session: Session, user: User, org: Organisation, role: str, now: datetime,
               by: User | None = None, pending: bool = False) -> bool:
    """Grant ``role``; publishes the user to the practice feed. True if anything changed.

    A grant that is not pending turns a pending one into a held one (an administrator other than the
    person gave it); granting a role already held changes nothing.
    """
    grant = grant_at(session, user.id, org.id, role)
    if grant is None:
        session.add(RoleGrant(user_id=user.id, organisation_id=org.id, role=role, granted_at=now,
                              granted_by_id=by.id if by else None, pending=pending))
    elif grant.pending and not pending:
        grant.pending = False
        grant.confirmed_by_id = by.id if by else None
    else:
        return False
    session.flush()
    if org.kind == PRACTICE:
        publish_user(session, org, user, now)
    return True


def confirm_role(session: Session, grant: RoleGrant, by: User, now: datetime) -> None:
    """A pending grant becomes held, confirmed by ``by`` (the caller checks that ``by`` may)."""
    grant.pending = False
    grant.confirmed_by_id = by.id
    session.flush()
    if grant.organisation.kind == PRACTICE:
        publish_user(session, grant.organisation, session.get_one(User, grant.user_id), now)


def revoke_role(session: Session, user: User, org: Organisation, role: str,
                now: datetime | None = None) -> bool:
    """Remove a held or pending grant; True if there was one."""
    grant = grant_at(session, user.id, org.id, role)
    if grant is None:
        return False
    session.delete(grant)
    session.flush()
    if org.kind == PRACTICE:
        publish_user(session, org, user, now)
    return True


# --- access at one practice -----------------------------------------------------------------------

def is_suspended(session: Session, user_id: int, org_id: int) -> bool:
    return session.scalar(_SUSPENDED, {"user_id": user_id, "org_id": org_id}) or False


def suspend(session: Session, user: User, practice: Organisation, now: datetime, by: User) -> bool:
    """Disable the person's access at ``practice`` only; True if it was not already disabled."""
    if is_suspended(session, user.id, practice.id):
        return False
    session.add(PracticeSuspension(user_id=user.id, organisation_id=practice.id, disabled_at=now,
                                   disabled_by_id=by.id))
    session.flush()
    publish_user(session, practice, user, now)
    return True


def restore(session: Session, user: User, practice: Organisation, now: datetime) -> bool:
    """Give back the person's access at ``practice`` (nothing else); True if it was disabled."""
    row = session.scalar(select(PracticeSuspension).where(PracticeSuspension.user_id == user.id,
                                                          PracticeSuspension.organisation_id == practice.id))
    if row is None:
        return False
    session.delete(row)
    session.flush()
    publish_user(session, practice, user, now)
    return True


def active_user_administrators(session: Session, practice_id: int) -> set[int]:
    """Users who can act as User Administrator of the practice now: the role held (not pending), the
    account activated (an invitee who never set a password does not count) and enabled, and their
    access there not suspended."""
    suspended = exists().where(PracticeSuspension.user_id == User.id,
                               PracticeSuspension.organisation_id == practice_id)
    query = select(User.id).join(RoleGrant, RoleGrant.user_id == User.id).where(
        RoleGrant.organisation_id == practice_id, RoleGrant.role == USER_ADMINISTRATOR,
        RoleGrant.pending.is_(False), User.active.is_(True), User.activated_at.is_not(None),
        User.password_hash.is_not(None), ~suspended)
    return set(session.scalars(query))


def is_last_administrator(session: Session, user_id: int, practice_id: int) -> bool:
    return active_user_administrators(session, practice_id) == {user_id}


def practices_left_without_administrator(session: Session, user: User) -> list[Organisation]:
    """Practices where ``user`` is the only active User Administrator (they would be left with none)."""
    practice_ids = session.scalars(select(RoleGrant.organisation_id).where(
        RoleGrant.user_id == user.id, RoleGrant.role == USER_ADMINISTRATOR, RoleGrant.pending.is_(False)))
    return [session.get_one(Organisation, pid) for pid in practice_ids
            if is_last_administrator(session, user.id, pid)]


def home_organisation(session: Session, user: User) -> Organisation | None:
    """Where the person holds their earliest role grant (held or pending); see the module docstring."""
    grant = session.scalar(select(RoleGrant).where(RoleGrant.user_id == user.id)
                           .order_by(RoleGrant.granted_at, RoleGrant.id).limit(1))
    return None if grant is None else grant.organisation


# --- people a practice linked -------------------------------------------------------------------------

def linked_member(session: Session, user_id: int, practice_id: int) -> PracticeMember | None:
    return session.scalar(select(PracticeMember).where(PracticeMember.user_id == user_id,
                                                       PracticeMember.organisation_id == practice_id))


def link_member(session: Session, user: User, practice: Organisation, details: dict[str, str | None],
                now: datetime, by: User) -> PracticeMember:
    """Keep what ``practice``'s administrator typed (first_name, last_name, work_phone, mobile) for an
    existing account linked there; linking again replaces it and starts a new invitation."""
    member = linked_member(session, user.id, practice.id)
    if member is None:
        member = PracticeMember(user_id=user.id, organisation_id=practice.id)
        session.add(member)
    member.first_name, member.last_name = details["first_name"] or "", details["last_name"] or ""
    member.work_phone, member.mobile = details["work_phone"] or "", details["mobile"] or None
    member.linked_by_id, member.invited_at, member.seen_at = by.id, now, None
    session.flush()
    return member


def mark_seen(session: Session, user: User, now: datetime) -> None:
    """The person signed in: practices that linked them stop showing an invitation."""
    waiting = session.scalars(select(PracticeMember).where(PracticeMember.user_id == user.id,
                                                           PracticeMember.seen_at.is_(None))).all()
    for member in waiting:
        member.seen_at = now
        session.flush()
        publish_user(session, session.get_one(Organisation, member.organisation_id), user, now)


# --- what a practice sees of its users ----------------------------------------------------------------

def status_at(session: Session, user: User, practice: Organisation, now: datetime | None = None) -> str:
    """One of ACTIVE, DISABLED_HERE, ACCOUNT_DISABLED, INVITED, ACTIVATION_EXPIRED.

    Without ``now`` an unused link counts as waiting whatever its expiry (the feed record is written
    once; the user list, which passes ``now``, tells expired links apart).
    """
    if not user.active:
        return ACCOUNT_DISABLED
    if is_suspended(session, user.id, practice.id):
        return DISABLED_HERE
    member = linked_member(session, user.id, practice.id)
    if member is not None and member.seen_at is None:  # looks like an invitation of this practice
        expired = now is not None and member.invited_at + ACTIVATION_LIFETIME <= now
        return ACTIVATION_EXPIRED if expired else INVITED
    if user.activated_at is not None:
        return ACTIVE
    live = select(ActivationToken.id).where(ActivationToken.user_id == user.id,
                                            ActivationToken.used_at.is_(None),
                                            ActivationToken.revoked_at.is_(None))
    if now is not None:
        live = live.where(ActivationToken.expires_at > now)
    return INVITED if session.scalar(live.limit(1)) is not None else ACTIVATION_EXPIRED


def member_record(session: Session, practice: Organisation, user: User,
                  now: datetime | None = None) -> dict[str, Any]:
    """The person as ``practice`` sees them: for someone it linked, the details it typed (see above)."""
    status = status_at(session, user, practice, now)
    member = linked_member(session, user.id, practice.id)
    shown = None if member is None else {"first_name": member.first_name, "last_name": member.last_name,
                                         "work_phone": member.work_phone, "mobile": member.mobile}
    activated = None if member is None else (member.seen_at is not None and user.activated_at is not None)
    return user_record(user, sorted(roles_at(session, user.id, practice.id)),
                       pending_roles=sorted(pending_roles_at(session, user.id, practice.id)),
                       status=status, active=status not in (DISABLED_HERE, ACCOUNT_DISABLED),
                       shown=shown, activated=activated,
                       activation_expires=_activation_expires(session, user, member, status))


def _activation_expires(session: Session, user: User, member: Any, status: str) -> datetime | None:
    """When the person's unused activation link runs out (None once activated, or when there is none)."""
    if status not in (INVITED, ACTIVATION_EXPIRED):
        return None
    if member is not None and member.seen_at is None:
        return member.invited_at + ACTIVATION_LIFETIME
    return session.scalar(select(func.max(ActivationToken.expires_at)).where(
        ActivationToken.user_id == user.id, ActivationToken.used_at.is_(None),
        ActivationToken.revoked_at.is_(None)))


def member_records(session: Session, practice: Organisation,
                   now: datetime | None = None) -> list[dict[str, Any]]:
    """The practice's user list: everyone with a grant there, by the last name the practice sees."""
    records = [member_record(session, practice, user, now) for user in practice_users(session, practice)]
    return sorted(records, key=lambda record: (record["last_name"].lower(), record["id"]))


def publish_user(session: Session, practice: Organisation, user: User, now: datetime | None = None) -> None:
    if not is_member(session, user.id, practice.id):
        feed.publish(session, practice.id, feed.USER, user.id, None, deleted=True)
        return
    feed.publish(session, practice.id, feed.USER, user.id, member_record(session, practice, user, now))


def practice_users(session: Session, practice: Organisation) -> list[User]:
    """Everyone with a grant at the practice (held or pending), by id (see member_records for the list)."""
    ids = select(RoleGrant.user_id).where(RoleGrant.organisation_id == practice.id)
    return list(session.scalars(select(User).where(User.id.in_(ids)).order_by(User.id)))


# --- invitations ------------------------------------------------------------------------------------

def issue_activation(session: Session, user: User, now: datetime,
                     organisation: Organisation | None = None) -> str:
    """A new single-use activation token (valid 14 days) for ``organisation``'s invitation; earlier
    unused ones stop working. The caller mails it (central.mail): it is never returned or logged."""
    for old in session.scalars(select(ActivationToken).where(ActivationToken.user_id == user.id,
                                                             ActivationToken.used_at.is_(None),
                                                             ActivationToken.revoked_at.is_(None))):
        old.revoked_at = now
    token, digest = new_token()
    session.add(ActivationToken(user_id=user.id, token_hash=digest, issued_at=now,
                                expires_at=now + ACTIVATION_LIFETIME,
                                organisation_id=organisation.id if organisation else None))
    session.flush()
    return token


def latest_invitation(session: Session, user_id: int) -> ActivationToken | None:
    return session.scalar(select(ActivationToken).where(ActivationToken.user_id == user_id)
                          .order_by(ActivationToken.issued_at.desc(), ActivationToken.id.desc()).limit(1))
