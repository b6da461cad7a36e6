"""Passwords, opaque tokens, sign-in throttling, role names and the network allow-list.

- Passwords are hashed with argon2id at OWASP's minimum (19 MiB, 2 passes, 1 lane); a hash made with
  other parameters is replaced at the next correct sign-in (:func:`needs_rehash`). Policy (DESIGN.md):
  8-32 characters, at least three of lower case / upper case / digits / symbols, and not containing
  the user id (the email's local part).
- Password checks run outside any database transaction, at most ``PASSWORD_CHECKS`` (one per core)
  at once: :func:`password_check_slot` waits ``PASSWORD_WAIT`` (2 s) for a turn, then gives up with
  :class:`PasswordChecksBusy` (the service answers 503 with Retry-After).
- Tokens are ``secrets.token_urlsafe`` strings; only their SHA-256 is stored, so a copy of the
  database cannot be used to sign in.
- Sign-in throttling counts failed sign-ins only, never successes, under two keys:
  ``email|<email>|<source>`` (one account tried from one address) and ``source|<source>`` (every
  account tried from one address). The ``FAILURES_BEFORE_WAIT``-th (5th) failure of one account from
  one address, or the ``SOURCE_FAILURES_BEFORE_WAIT``-th (20th) failure from one address over every
  account, makes that key wait ``FIRST_WAIT`` (1 s); each later failure doubles the wait, up to
  ``LONGEST_WAIT`` (15 min); a key quiet for ``FORGET_AFTER`` (15 min) after its last failure or
  wait is forgotten. A correct password clears its own ``email|...`` key only. Nothing is kept per
  email alone, so failures elsewhere never stop the real user signing in from an address that has not
  failed: there is no lock on the account itself.
- A correct sign-in also marks the pair as known (``known|<email>|<source>``) for ``KNOWN_FOR``
  (30 days from the latest correct sign-in there). The per-source wait does not apply to a known pair,
  so failures from a shared practice address (someone spraying other emails, however patiently) never
  stop people who have signed in from that address before; the per-(email, source) wait still does,
  and an email new to the address still waits with everyone else on the per-source rule.
- The source is the TCP peer address (central.server never reads proxy headers); any source is cut to
  ``SOURCE_MAX`` (64) characters before it is stored, in a throttle key or the audit log.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import secrets
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import anyio
from anyio.lowlevel import RunVar
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

# Account rules (email, phone, password) and role names are declared once, in the rules both halves
# share; central modules import them from here.
from app.services.account_rules import (  # noqa: F401
    EMAIL_DOMAINS,
    MAX_PASSWORD,
    MIN_PASSWORD,
    new_user_email_problem,
    nhs_email_problem,
    password_problem,
    uk_phone_problem,
)
from app.services.rules import (  # noqa: F401
    ACHIEVEMENT_ENTRY,
    ADVANCED_USER_ADMINISTRATOR,
    APPROVAL_MANAGEMENT,
    COMMISSIONER_ROLES,
    COMMISSIONING_MANAGEMENT,
    DECLARATION_MANAGEMENT,
    FINANCE_MANAGEMENT,
    FINANCE_VIEW,
    MONEY_ROLES,
    PRACTICE_ROLES,
    SERVICE_MANAGEMENT,
    SUPERVISOR,
    USER_ADMINISTRATOR,
    VIEW,
)
from central.models import SignInThrottle

EXTRACT_UPLOAD = "Extract Upload"  # service accounts that upload GPES extracts
ALL_ROLES = PRACTICE_ROLES + COMMISSIONER_ROLES + (EXTRACT_UPLOAD,)

FAILURES_BEFORE_WAIT = 5  # per email and source
SOURCE_FAILURES_BEFORE_WAIT = 20  # per source, over every email: a practice shares one address
FIRST_WAIT = timedelta(seconds=1)
LONGEST_WAIT = timedelta(minutes=15)
FORGET_AFTER = timedelta(minutes=15)  # quiet time after which a key's failures are forgotten
KNOWN_FOR = timedelta(days=30)  # a correct sign-in makes its (email, source) known for this long
SOURCE_MAX = 64  # the audit log's source_address column; throttle keys stay well inside 400

ARGON2_MEMORY_KIB, ARGON2_PASSES, ARGON2_LANES = 19 * 1024, 2, 1  # OWASP's current minimum for argon2id
PASSWORD_CHECKS = os.cpu_count() or 1  # argon2 is CPU-bound: more at once only makes each slower
PASSWORD_WAIT = 2.0  # seconds a sign-in waits for a turn before it is told to come back
BUSY_RETRY_AFTER = 1  # seconds, the Retry-After of that answer

_hasher = PasswordHasher(time_cost=ARGON2_PASSES, memory_cost=ARGON2_MEMORY_KIB, parallelism=ARGON2_LANES,
                         type=Type.ID)
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
_slots: RunVar[anyio.Semaphore] = RunVar("cqrs_password_slots")


class PasswordChecksBusy(Exception):
    """Every password-check slot stayed taken for ``PASSWORD_WAIT`` seconds."""


# --- passwords --------------------------------------------------------------------------------

def hash_password(password: str) -> str:
    return _hasher.hash(password)


def needs_rehash(password_hash: str) -> bool:
    """True when ``password_hash`` was made with other parameters than today's."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return True


@asynccontextmanager
async def password_check_slot() -> AsyncIterator[None]:
    """A turn to run argon2 (one per core, in this event loop); raises PasswordChecksBusy after the wait.

    Waiting costs no worker thread and no database connection: the wait is on the event loop.
    """
    slots = _slots.get(None)
    if slots is None:
        slots = anyio.Semaphore(PASSWORD_CHECKS, max_value=PASSWORD_CHECKS)
        _slots.set(slots)
    acquired = False
    with anyio.move_on_after(PASSWORD_WAIT):
        await slots.acquire()
        acquired = True
    if not acquired:
        raise PasswordChecksBusy
    try:
        yield
    finally:
        slots.release()


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; unknown users cost the same time as known ones."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


# --- tokens -----------------------------------------------------------------------------------

def new_token() -> tuple[str, str]:
    """A fresh opaque token and the SHA-256 to store for it."""
    token = secrets.token_urlsafe(32)
    return token, token_digest(token)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_family_id() -> str:
    return secrets.token_hex(16)


# --- sign-in throttling -----------------------------------------------------------------------

@dataclass(frozen=True)
class _Budget:
    key: str
    free_failures: int


def bounded_source(source: str | None) -> str | None:
    """``source`` cut to what may be stored (``SOURCE_MAX`` characters)."""
    return None if source is None else source[:SOURCE_MAX]


def _where(source: str | None) -> str:
    return bounded_source(source) or "unknown"


def _budgets(email: str, source: str | None) -> tuple[_Budget, _Budget]:
    where = _where(source)
    return (_Budget(f"email|{email[:254]}|{where}", FAILURES_BEFORE_WAIT),
            _Budget(f"source|{where}", SOURCE_FAILURES_BEFORE_WAIT))


def _known_key(email: str, source: str | None) -> str:
    return f"known|{email[:254]}|{_where(source)}"


def is_known(session: Session, email: str, source: str | None, now: datetime) -> bool:
    """True when ``email`` signed in correctly from ``source`` within ``KNOWN_FOR``."""
    state = session.get(SignInThrottle, _known_key(email, source))
    return state is not None and state.blocked_until is not None and state.blocked_until > now


def sign_in_wait_until(session: Session, email: str, source: str | None, now: datetime) -> datetime | None:
    """When ``email`` may next be tried from ``source``; None when it may be tried now.

    A known (email, source) pair waits only on its own failures, never on the source's. Read before
    any password is checked, so a waiting address costs no argon2 work.
    """
    budgets = _budgets(email, source)
    if is_known(session, email, source, now):
        budgets = budgets[:1]
    ends = [state.blocked_until for budget in budgets
            if (state := session.get(SignInThrottle, budget.key)) is not None
            and state.blocked_until is not None and state.blocked_until > now]
    return max(ends, default=None)


def remember_sign_in(session: Session, email: str, source: str | None, now: datetime) -> None:
    """A correct sign-in: the (email, source) pair is known for ``KNOWN_FOR`` from now."""
    key = _known_key(email, source)
    state = session.get(SignInThrottle, key) or _new_state(session, key)
    state.blocked_until = now + KNOWN_FOR


def record_failure(session: Session, email: str, source: str | None, now: datetime) -> datetime | None:
    """Count a failed sign-in; returns when the next try may be made if this failure starts a wait."""
    ends = [_count_failure(session, budget, now) for budget in _budgets(email, source)]
    return max((end for end in ends if end is not None), default=None)


def clear_failures(session: Session, email: str, source: str | None) -> None:
    """A correct password clears its own email and source only: the source's count stays."""
    state = session.get(SignInThrottle, _budgets(email, source)[0].key)
    if state is not None:
        session.delete(state)


def _count_failure(session: Session, budget: _Budget, now: datetime) -> datetime | None:
    state = session.get(SignInThrottle, budget.key) or _new_state(session, budget.key)
    last = max((t for t in (state.last_failure_at, state.blocked_until) if t is not None), default=None)
    if last is None or now - last > FORGET_AFTER:
        state.failures, state.blocked_until = 0, None
    state.failures += 1
    state.last_failure_at = now
    beyond = state.failures - budget.free_failures
    if beyond < 0:
        return None
    state.blocked_until = now + min(FIRST_WAIT * 2 ** min(beyond, 20), LONGEST_WAIT)
    return state.blocked_until


def _new_state(session: Session, key: str) -> SignInThrottle:
    """A fresh row; when another worker added the same key first, theirs is used."""
    state = SignInThrottle(key=key, failures=0)
    try:
        with session.begin_nested():
            session.add(state)
    except IntegrityError:
        return session.get_one(SignInThrottle, key)
    return state


# --- roles and networks -----------------------------------------------------------------------

def is_practice_role(role: str) -> bool:
    return role in PRACTICE_ROLES


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def address_allowed(address: str | None, networks: Sequence[Network]) -> bool:
    """True when no allow-list is set or ``address`` is inside one of ``networks``."""
    if not networks:
        return True
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip.version == net.version and ip in net for net in networks)
