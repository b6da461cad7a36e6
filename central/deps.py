"""Request dependencies: the database session, the clock, the signed-in caller and authorisation.

Authorisation rule (applied everywhere through :func:`authorise`): a caller who holds no role at a
practice — neither at the practice nor at its commissioner — gets **404 Not Found**, exactly as if the
practice (or the declaration, user, offer or entry of that practice) did not exist, so nobody can
probe which ODS codes or record ids exist elsewhere. A caller who can see the practice but lacks
the role an action needs gets **403 Forbidden**. No token, or an invalid or expired one, is 401.

Only practice and commissioner roles make a caller a member of a practice: Extract Upload is a
service account's right to upload extracts (``POST /extracts``), never to read or change a
practice's data, so to every practice route such an account is a stranger (404).

:func:`authorise` also notes the caller's roles at each practice it lets through, so that every
answer can be stripped of £ for callers without a money role (central.money).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from central.db import writer
from central.directory import effective_roles, organisation
from central.errors import ApiError
from central.models import PRACTICE, Organisation, User
from central.security import COMMISSIONER_ROLES, PRACTICE_ROLES, bounded_source
from central.settings import Settings
from central.tokens import access_grant
from central.turns import close_session, read_turn, write_turn

READ_METHODS = ("GET", "HEAD", "OPTIONS")
MEMBER_ROLES = frozenset(PRACTICE_ROLES + COMMISSIONER_ROLES)  # roles that let a caller see a practice
_bearer = HTTPBearer(auto_error=False)


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


# The settings and the clock do no I/O: their dependencies are async, so no request waits for a worker
# thread for them (a writer would hold its turn through that wait, central.turns).
async def _settings(request: Request) -> Settings:
    return get_settings(request)


async def get_db(request: Request) -> AsyncIterator[Session]:
    """One session per request, in a turn taken on the event loop (central.turns): a read slot, or for a
    request that may write the writers' turn, whose transactions then take the write lock at BEGIN
    (SQLite). Routes that read first and write briefly later (sign-in) open their own sessions."""
    state = request.app.state
    if request.method in READ_METHODS:
        async with read_turn(state.engine):
            session = state.sessionmaker()
            try:
                yield session
            finally:
                await close_session(session)
        return
    async with write_turn(state.engine):
        session = state.sessionmaker(bind=writer(state.engine))
        try:
            yield session
        finally:
            await close_session(session)


# Closed, and its turn ended, once the handler has answered, not after the answer has been sent.
DB = Annotated[Session, Depends(get_db, scope="function")]
Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


AppSettings = Annotated[Settings, Depends(_settings)]


def get_now(settings: Settings) -> datetime:
    return settings.clock()


async def _now(settings: AppSettings) -> datetime:
    return get_now(settings)


def source_address(request: Request) -> str | None:
    """The TCP peer's address (forwarded headers are never trusted), cut to what the audit log stores."""
    return bounded_source(request.client.host) if request.client else None


@dataclass(frozen=True)
class Caller:
    user: User
    family_id: str
    # The caller's roles at each practice authorised in this request (see central.money).
    practice_roles: list[frozenset[str]] = field(default_factory=list, compare=False, repr=False)


Now = Annotated[datetime, Depends(_now)]


def current_caller(request: Request, credentials: Bearer, db: DB, now: Now) -> Caller:
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ApiError(401, "unauthorised", "Sign in first: this needs an access token.", headers=challenge)
    # The token's row is read at most every 5 s (central.tokens); the account is read on every request.
    grant = access_grant(db, credentials.credentials, now)
    if grant is None or grant.revoked:
        raise ApiError(401, "token_invalid", "The access token is not valid. Please sign in.",
                       headers=challenge)
    if grant.expires_at <= now:
        raise ApiError(401, "token_expired", "The access token has expired. Refresh it or sign in.",
                       headers=challenge)
    user = db.get(User, grant.user_id)
    if user is None or not user.active:
        raise ApiError(401, "account_disabled", "This account is disabled.", headers=challenge)
    caller = Caller(user, grant.family_id)
    request.state.caller = caller
    return caller


CurrentCaller = Annotated[Caller, Depends(current_caller)]


@dataclass(frozen=True)
class PracticeAccess:
    caller: Caller
    practice: Organisation
    roles: frozenset[str]

    @property
    def user(self) -> User:
        return self.caller.user

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


def authorise(db: Session, caller: Caller, practice: Organisation | None, required: tuple[str, ...],
              what: str = "practice") -> PracticeAccess:
    """404 when the caller cannot see ``practice`` at all; 403 when they lack every role in ``required``."""
    roles = frozenset(effective_roles(db, caller.user, practice)) & MEMBER_ROLES \
        if practice and practice.kind == PRACTICE else frozenset()
    if practice is None or not roles:
        raise ApiError(404, "not_found", f"No such {what}, or not one you can see.")
    caller.practice_roles.append(roles)
    if required and not roles.intersection(required):
        needed = " or ".join(required)
        raise ApiError(403, "forbidden", f"You need the {needed} role for this practice to do this.")
    return PracticeAccess(caller, practice, roles)


def practice_access(*required: str) -> Callable[..., PracticeAccess]:
    """Dependency for routes under /practices/{ods}: the practice, checked against ``required`` roles."""

    def dependency(ods: str, caller: CurrentCaller, db: DB) -> PracticeAccess:
        return authorise(db, caller, organisation(db, ods), required)

    return dependency


def needs(*required: str) -> type[PracticeAccess]:
    """Route parameter type: the practice of the path, for callers holding one of ``required``."""
    return Annotated[PracticeAccess, Depends(practice_access(*required))]  # type: ignore[return-value]


Member = needs()  # anyone who can see the practice
