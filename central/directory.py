"""Organisations, users and role grants: creating them, and asking who holds which role where.

A commissioner's roles reach every practice beneath it (practice -> PCN -> commissioner).
Every change that a practice's users may see is published to that practice's feed here.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from central import feed
from central.models import COMMISSIONER, PCN, PRACTICE, ActivationToken, Organisation, RoleGrant, User
from central.records import practice_record, user_record
from central.security import USER_ADMINISTRATOR, new_token

ACTIVATION_LIFETIME = timedelta(days=14)


def organisation(session: Session, ods: str) -> Organisation | None:
    return session.scalar(select(Organisation).where(Organisation.ods_code == ods.upper()))


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


def roles_at(session: Session, user_id: int, org_id: int) -> set[str]:
    return set(session.scalars(select(RoleGrant.role).where(RoleGrant.user_id == user_id,
                                                            RoleGrant.organisation_id == org_id)))


def effective_roles(session: Session, user: User, practice: Organisation) -> set[str]:
    """Roles held at the practice plus those held at its commissioner."""
    roles = roles_at(session, user.id, practice.id)
    commissioner = ancestor(practice, COMMISSIONER)
    if commissioner is not None:
        roles |= roles_at(session, user.id, commissioner.id)
    return roles


def grant_role(session: Session, user: User, org: Organisation, role: str, now: datetime,
               by: User | None = None) -> bool:
    """Grant ``role`` (no-op when held); publishes the user to the practice feed. True if granted."""
    if role in roles_at(session, user.id, org.id):
        return False
    session.add(RoleGrant(user_id=user.id, organisation_id=org.id, role=role, granted_at=now,
                          granted_by_id=by.id if by else None))
    session.flush()
    if org.kind == PRACTICE:
        publish_user(session, org, user)
    return True


def revoke_role(session: Session, user: User, org: Organisation, role: str) -> bool:
    grant = session.scalar(select(RoleGrant).where(
        RoleGrant.user_id == user.id, RoleGrant.organisation_id == org.id, RoleGrant.role == role))
    if grant is None:
        return False
    session.delete(grant)
    session.flush()
    if org.kind == PRACTICE:
        publish_user(session, org, user)
    return True


def publish_user(session: Session, practice: Organisation, user: User) -> None:
    roles = roles_at(session, user.id, practice.id)
    record = user_record(user, sorted(roles))
    feed.publish(session, practice.id, feed.USER, user.id, record, deleted=not roles)


def practice_users(session: Session, practice: Organisation) -> list[tuple[User, list[str]]]:
    rows = session.execute(select(User, RoleGrant.role).join(RoleGrant, RoleGrant.user_id == User.id)
                           .where(RoleGrant.organisation_id == practice.id).order_by(User.last_name, User.id))
    users: dict[int, tuple[User, list[str]]] = {}
    for user, role in rows:
        users.setdefault(user.id, (user, []))[1].append(role)
    return [(user, sorted(roles)) for user, roles in users.values()]


def active_user_administrators(session: Session, practice_id: int) -> set[int]:
    query = select(User.id).join(RoleGrant, RoleGrant.user_id == User.id).where(
        RoleGrant.organisation_id == practice_id, RoleGrant.role == USER_ADMINISTRATOR, User.active.is_(True))
    return set(session.scalars(query))


def practices_left_without_administrator(session: Session, user: User) -> list[Organisation]:
    """Practices where ``user`` is the only active User Administrator (they would be left with none)."""
    practice_ids = session.scalars(select(RoleGrant.organisation_id).where(
        RoleGrant.user_id == user.id, RoleGrant.role == USER_ADMINISTRATOR))
    return [session.get_one(Organisation, pid) for pid in practice_ids
            if user.active and active_user_administrators(session, pid) == {user.id}]


def issue_activation(session: Session, user: User, now: datetime) -> str:
    """A new single-use activation token (valid 14 days); earlier unused ones stop working."""
    for old in session.scalars(select(ActivationToken).where(ActivationToken.user_id == user.id,
                                                             ActivationToken.used_at.is_(None),
                                                             ActivationToken.revoked_at.is_(None))):
        old.revoked_at = now
    token, digest = new_token()
    session.add(ActivationToken(user_id=user.id, token_hash=digest, issued_at=now,
                                expires_at=now + ACTIVATION_LIFETIME))
    session.flush()
    return token
