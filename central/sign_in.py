"""Signing in and activating an account without holding the write lock through argon2.

Each runs in three steps: a read (the throttle's state, the account, the activation link), the
password work (argon2, outside any transaction, in a turn of :func:`security.password_check_slot`),
then a short write transaction that re-checks what the read saw before it writes anything. When the
stored password hash changed in between (an activation, or another sign-in upgrading the same hash),
:class:`HashChanged` sends the caller back to check the password against the new one.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from central import audit, directory, security, tokens
from central.directory import user_by_email
from central.errors import ApiError, invalid
from central.models import PRACTICE, ActivationToken, User
from central.settings import Settings

WRONG_CREDENTIALS = ("The email or password is not right. If you have not activated your account yet, use "
                     "the link in your email first.")
Sessions = sessionmaker[Session]
T = TypeVar("T")


class HashChanged(Exception):
    """The account's password hash is not the one that was checked."""


@dataclass(frozen=True)
class Account:
    wait_until: datetime | None
    user_id: int | None
    password_hash: str | None


@dataclass(frozen=True)
class Checked:
    correct: bool
    upgraded_hash: str | None  # the password hashed with today's parameters, when the stored one is older


def busy() -> ApiError:
    return ApiError(503, "busy", "The service is busy with other sign-ins. Please try again in a moment.",
                    headers={"Retry-After": str(security.BUSY_RETRY_AFTER)})


def wait(until: datetime, now: datetime) -> ApiError:
    seconds = max(1, math.ceil((until - now).total_seconds()))
    return ApiError(429, "sign_in_throttled",
                    f"Too many failed sign-in attempts. Please wait {_duration(seconds)} and try again.",
                    headers={"Retry-After": str(seconds)})


def _duration(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


async def password_work(work: Callable[..., T], *args: object) -> T:
    """``work(*args)`` (argon2) in a worker thread during a password-check turn; 503 when none comes."""
    try:
        async with security.password_check_slot():
            return await run_in_threadpool(work, *args)
    except security.PasswordChecksBusy:
        raise busy() from None


# --- sign-in ------------------------------------------------------------------------------------

def look_up(sessions: Sessions, email: str, source: str | None, now: datetime) -> Account:
    """The throttle's wait and the account, read before any password is checked."""
    with sessions() as session:
        until = security.sign_in_wait_until(session, email, source, now)
        user = user_by_email(session, email)
        return Account(until, user.id if user else None, user.password_hash if user else None)


def check(password_hash: str | None, password: str) -> Checked:
    """Verify ``password`` (unknown accounts cost the same); rehash it when the stored hash is older."""
    correct = security.verify_password(password_hash, password)
    stale = correct and password_hash is not None and security.needs_rehash(password_hash)
    return Checked(correct, security.hash_password(password) if stale else None)


def record(writers: Sessions, account: Account, checked: Checked, email: str, source: str | None,
           now: datetime, settings: Settings) -> dict[str, object]:
    """The sign-in's write: a failure counted, or tokens issued (and the hash upgraded). Raises ApiError."""
    with writers() as session:
        until = security.sign_in_wait_until(session, email, source, now)
        if until is not None:  # other failures started a wait meanwhile
            raise wait(until, now)
        user = session.get(User, account.user_id) if account.user_id is not None else None
        if (user.password_hash if user else None) != account.password_hash:
            raise HashChanged
        if not checked.correct:
            until = security.record_failure(session, email, source, now)
            audit.record(session, now=now, actor=user or email, action="sign-in failed", target_type="user",
                         target_id=user.id if user else None, source=source)
            session.commit()
            if until:
                raise wait(until, now)
            raise ApiError(401, "invalid_credentials", WRONG_CREDENTIALS)
        assert user is not None
        security.clear_failures(session, email, source)
        if not user.active:  # said only to someone who knows the password
            session.commit()
            raise ApiError(403, "account_disabled", "This account is disabled. Ask your User Administrator.")
        if checked.upgraded_hash:
            user.password_hash = checked.upgraded_hash
        security.remember_sign_in(session, email, source, now)
        directory.mark_seen(session, user, now)
        pair = tokens.issue_pair(session, user, now, settings.access_token_ttl, settings.refresh_token_ttl)
        audit.record(session, now=now, actor=user, action="sign-in", target_type="user", target_id=user.id,
                     source=source)
        session.commit()
        return pair.as_json()


# --- activation ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Activation:
    token_id: int
    user_id: int


def _usable(session: Session, row: ActivationToken | None, now: datetime) -> User:
    """The link's account, or the ApiError saying why the link cannot be used."""
    if row is None or row.used_at is not None or row.revoked_at is not None:
        raise ApiError(400, "activation_invalid",
                       "This activation link is not valid or was already used. Ask for a new one.")
    if row.expires_at <= now:
        raise ApiError(400, "activation_expired",
                       "This activation link has expired (links last 14 days). Ask your User Administrator "
                       "to send a new one.")
    user = session.get_one(User, row.user_id)
    if not user.active:
        raise ApiError(403, "account_disabled", "This account is disabled. Ask your User Administrator.")
    return user


def activation(sessions: Sessions, token: str, password: str, now: datetime) -> Activation:
    """The link and account to activate, with the password checked against the policy."""
    with sessions() as session:
        digest = security.token_digest(token)
        row = session.scalar(select(ActivationToken).where(ActivationToken.token_hash == digest))
        user = _usable(session, row, now)
        problem = security.password_problem(password, user.email)
        if problem:
            raise invalid({"password": problem}, "The password does not meet the policy.")
        assert row is not None
        return Activation(row.id, user.id)


def activate(writers: Sessions, found: Activation, password_hash: str, now: datetime,
             source: str | None) -> dict[str, object]:
    """Set the password and use up the link, if the link is still usable."""
    with writers() as session:
        row = session.get(ActivationToken, found.token_id)
        user = _usable(session, row, now)
        assert row is not None
        user.password_hash = password_hash
        user.activated_at = user.activated_at or now
        row.used_at = now
        for org in directory.organisations_of(session, user.id):  # their practices stop saying "invited"
            if org.kind == PRACTICE:
                directory.publish_user(session, org, user, now)
        audit.record(session, now=now, actor=user, action="account activated", target_type="user",
                     target_id=user.id, source=source)
        session.commit()
        return {"activated": True, "email": user.email}
