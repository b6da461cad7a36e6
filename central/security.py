"""Passwords, opaque tokens, sign-in throttling, role names and the network allow-list.

- Passwords are hashed with argon2id. Policy (DESIGN.md): 8-32 characters, at least three of
  lower case / upper case / digits / symbols, and not containing the user id (the email's local part).
- Tokens are ``secrets.token_urlsafe`` strings; only their SHA-256 is stored, so a copy of the
  database cannot be used to sign in.
- After ``MAX_FAILURES`` failed sign-ins for one email the account is locked for ``LOCK_DURATION``.
"""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
import string
from collections.abc import Sequence
from datetime import datetime, timedelta

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.orm import Session

from app.services.rules import (
    ACHIEVEMENT_ENTRY,
    DECLARATION_MANAGEMENT,
    FINANCE_VIEW,
    SERVICE_MANAGEMENT,
    SUPERVISOR,
    USER_ADMINISTRATOR,
    VIEW,
)
from central.models import SignInThrottle

# Practice roles, as in CQRS (named once, in the rules the client shares).
PRACTICE_ROLES = (USER_ADMINISTRATOR, FINANCE_VIEW, VIEW, ACHIEVEMENT_ENTRY, SERVICE_MANAGEMENT,
                  DECLARATION_MANAGEMENT, SUPERVISOR)

# Commissioner (ICB) roles; they apply to every practice under the commissioner.
ADVANCED_USER_ADMINISTRATOR = "Advanced User Administrator"
APPROVAL_MANAGEMENT = "Approval Management"
FINANCE_MANAGEMENT = "Finance Management"
COMMISSIONING_MANAGEMENT = "Commissioning Management"
COMMISSIONER_ROLES = (ADVANCED_USER_ADMINISTRATOR, APPROVAL_MANAGEMENT, FINANCE_MANAGEMENT,
                      COMMISSIONING_MANAGEMENT)
# Roles that may see £ (payments, £ per point): Finance View at the practice; approval and finance at
# the commissioner, who approve and pay the claims.
MONEY_ROLES = (FINANCE_VIEW, APPROVAL_MANAGEMENT, FINANCE_MANAGEMENT)

EXTRACT_UPLOAD = "Extract Upload"  # service accounts that upload GPES extracts
ALL_ROLES = PRACTICE_ROLES + COMMISSIONER_ROLES + (EXTRACT_UPLOAD,)

MIN_PASSWORD, MAX_PASSWORD = 8, 32
MAX_FAILURES = 5
LOCK_DURATION = timedelta(minutes=15)
FAILURE_WINDOW = timedelta(minutes=15)  # failures older than this are forgotten

_hasher = PasswordHasher(type=Type.ID)
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


# --- passwords --------------------------------------------------------------------------------

def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; unknown users cost the same time as known ones."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def password_problem(password: str, email: str) -> str | None:
    """Why ``password`` breaks the policy, in plain English; None when it is acceptable."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        return f"The password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters long."
    classes = sum((
        any(c.islower() for c in password),
        any(c.isupper() for c in password),
        any(c.isdigit() for c in password),
        any(not c.isalnum() for c in password),
    ))
    if classes < 3:
        return "The password must mix at least three of: lower case, upper case, digits and symbols."
    user_id = email.split("@", 1)[0].lower()
    if user_id and user_id in password.lower():
        return "The password must not contain your user id (the part of your email before @)."
    return None


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

def locked_until(session: Session, email: str, now: datetime) -> datetime | None:
    """When the lock on ``email`` ends, or None when sign-in may be tried."""
    state = session.get(SignInThrottle, email)
    if state is not None and state.blocked_until is not None and state.blocked_until > now:
        return state.blocked_until
    return None


def record_failure(session: Session, email: str, now: datetime) -> datetime | None:
    """Count a failed sign-in; returns the lock's end when this failure locks the account."""
    state = session.get(SignInThrottle, email)
    if state is None:
        state = SignInThrottle(key=email, failures=0)
        session.add(state)
    stale = state.last_failure_at is None or now - state.last_failure_at > FAILURE_WINDOW
    expired_lock = state.blocked_until is not None and state.blocked_until <= now
    if stale or expired_lock:
        state.failures, state.blocked_until = 0, None
    state.failures += 1
    state.last_failure_at = now
    if state.failures >= MAX_FAILURES:
        state.blocked_until = now + LOCK_DURATION
        return state.blocked_until
    return None


def clear_failures(session: Session, email: str) -> None:
    state = session.get(SignInThrottle, email)
    if state is not None:
        session.delete(state)


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


EMAIL_DOMAINS = ("@nhs.net", "@nhs.uk")
_EMAIL_CHARS = set(string.ascii_letters + string.digits + ".-_+'")


def nhs_email_problem(email: str) -> str | None:
    """Why ``email`` is not an acceptable NHS address; None when it is."""
    local, _, domain = email.strip().lower().rpartition("@")
    if not local or not domain:
        return "Enter an email address such as firstname.lastname@nhs.net."
    if "@" + domain not in EMAIL_DOMAINS:
        return "The email must be an NHS address ending @nhs.net or @nhs.uk."
    if not set(local) <= _EMAIL_CHARS or local.startswith(".") or local.endswith(".") or ".." in local:
        return "The part before @ may contain only letters, digits and . - _ + '"
    return None
