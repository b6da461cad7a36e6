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
from functools import partial
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from central.access import MEMBER_ROLES as MEMBER_ROLES  # roles that let a caller see a practice
from central.access import practice_and_roles
from central.db import writer
from central.directory import effective_roles
from central.errors import ApiError
from central.models import PRACTICE, Organisation, User
from central.security import bounded_source
from central.settings import Settings
from central.tokens import access_grant
from central.turns import close_session, read_turn, run_read, run_write, write_turn

READ_METHODS = ("GET", "HEAD", "OPTIONS")
T = TypeVar("T")
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
    return _checked(caller, practice, roles, required, what)


def _checked(caller: Caller, practice: Organisation | None, roles: frozenset[str], required: tuple[str, ...],
             what: str) -> PracticeAccess:
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
        practice, roles = practice_and_roles(db, ods, caller.user.id)  # two prebuilt queries
        return _checked(caller, practice, roles, required, "practice")

    return dependency


def needs(*required: str) -> type[PracticeAccess]:
    """Route parameter type: the practice of the path, for callers holding one of ``required``."""
    return Annotated[PracticeAccess, Depends(practice_access(*required))]  # type: ignore[return-value]


Member = needs()  # anyone who can see the practice


# --- write routes in short turns --------------------------------------------------------------------
# A write route checks the caller first in a read slot (one worker-thread call, before the body is
# looked at: 401, 404 and 403 come first, as for every route), then does all its work in one call in
# the writers' turn (write_step), checking everything again there, since anything may have changed
# in between. The turn is then held for that one call, not through every dependency's thread hop.

def _in_session(sessions: Callable[[], Session], step: Callable[..., Any], *args: Any) -> Any:
    with sessions() as session:
        return step(session, *args)


def _check_caller(db: Session, request: Request, credentials: HTTPAuthorizationCredentials | None,
                  now: datetime, ods: str | None, required: tuple[str, ...]) -> None:
    caller = current_caller(request, credentials, db, now)
    if ods is not None:
        practice_access(*required)(ods, caller, db)


def checked_first(*required: str, practice: bool = True) -> Any:
    """A write route's first dependency: the caller (and, under /practices/{ods}, their roles there
    against ``required``) checked in a read slot; the route's write step checks them again."""
    if practice:
        async def at_practice(request: Request, ods: str, credentials: Bearer, now: Now) -> None:
            await _read(request, _check_caller, request, credentials, now, ods, required)
        return Depends(at_practice)

    async def signed_in(request: Request, credentials: Bearer, now: Now) -> None:
        await _read(request, _check_caller, request, credentials, now, None, ())
    return Depends(signed_in)


async def _read(request: Request, step: Callable[..., Any], *args: Any) -> Any:
    state = request.app.state
    return await run_read(state.engine, _in_session, state.sessionmaker, step, *args)


async def write_step(request: Request, step: Callable[..., T], *args: Any) -> T:
    """``step(session, *args)`` in one worker-thread call during the writers' turn; it commits."""
    state = request.app.state
    writers = partial(state.sessionmaker, bind=writer(state.engine))
    answer: T = await run_write(state.engine, _in_session, writers, step, *args)
    return answer


def _at_practice(db: Session, request: Request, credentials: HTTPAuthorizationCredentials | None,
                 now: datetime, ods: str, required: tuple[str, ...], work: Callable[..., T], *args: Any) -> T:
    access = practice_access(*required)(ods, current_caller(request, credentials, db, now), db)
    return work(db, access, *args)


async def practice_write_step(request: Request, credentials: HTTPAuthorizationCredentials | None,
                              now: datetime, ods: str, required: tuple[str, ...], work: Callable[..., T],
                              *args: Any) -> T:
    """``work(session, access, *args)`` in the writers' turn, the caller's access at ``ods`` checked
    again there against ``required`` (after ``checked_first`` checked it in a read slot)."""
    return await write_step(request, _at_practice, request, credentials, now, ods, required, work, *args)
