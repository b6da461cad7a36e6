"""A second person's check of a manual entry, when the practice requires one (a practice setting held here,
``Organisation.second_person_required``).

The second person (Declaration Management or Supervisor at the practice) signs in as themselves and asks
for a check of exactly the values they were shown; they get a single-use token, of which only the SHA-256
is stored with a fingerprint of those values. The person submitting sends the token with the entry: it is
redeemed only for the same practice, service, date, values and notes, within a day, by someone else who
still holds one of those roles there, and only once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.services.rules import DECLARATION_MANAGEMENT, SUPERVISOR
from central.directory import effective_roles
from central.errors import invalid
from central.models import Organisation, SecondPersonCheck, User
from central.security import new_token, token_digest

CHECKING_ROLES = (DECLARATION_MANAGEMENT, SUPERVISOR)
CHECK_LIFETIME = timedelta(hours=24)
FIELD = "second_person_check"
_NEEDED = ("Your practice requires a second person to check manual entries before they are submitted. "
           "Ask someone with Declaration Management or Supervisor to check these values, then send again.")
_SOMEONE_ELSE = ("The second person must be someone other than the person submitting the entry. Ask a "
                 "colleague with Declaration Management or Supervisor to check it.")
_NOT_VALID = ("This second person's check is not valid for this entry: it may be for other values, another "
              "entry or practice, already used, or more than a day old. Ask for a new check of these values.")


def fingerprint(service: str, achievement_date: date, values: Mapping[str, Any], notes: str | None) -> str:
    """SHA-256 of exactly what was checked (empty notes and no notes are the same)."""
    canonical = json.dumps({"service": service, "achievement_date": achievement_date.isoformat(),
                            "values": dict(values), "notes": notes or None},
                           sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def issue(session: Session, practice: Organisation, checker: User, service: str, achievement_date: date,
          values: Mapping[str, Any], notes: str | None, now: datetime) -> tuple[str, SecondPersonCheck]:
    """A new single-use check token made by ``checker`` for exactly these values, and its stored row."""
    token, digest = new_token()
    row = SecondPersonCheck(token_hash=digest, practice_id=practice.id, user_id=checker.id, service=service,
                            achievement_date=achievement_date,
                            fingerprint=fingerprint(service, achievement_date, values, notes),
                            created_at=now, expires_at=now + CHECK_LIFETIME)
    session.add(row)
    session.flush()
    return token, row


def redeem(session: Session, practice: Organisation, submitter: User, token: str | None, service: str,
           achievement_date: date, values: Mapping[str, Any], notes: str | None,
           now: datetime) -> User | None:
    """Who checked this submission, marking their check used; None when the practice needs no check.

    Raises a 422 naming ``second_person_check`` when a check is needed and this one does not do.
    """
    if not practice.second_person_required:
        return None
    if not token:
        raise invalid({FIELD: _NEEDED}, "A second person must check this entry first.")
    row = session.scalar(select(SecondPersonCheck).where(SecondPersonCheck.token_hash == token_digest(token)))
    if (row is None or row.practice_id != practice.id or row.service != service
            or row.achievement_date != achievement_date or row.used_at is not None or row.expires_at <= now
            or row.fingerprint != fingerprint(service, achievement_date, values, notes)):
        raise invalid({FIELD: _NOT_VALID}, "The second person's check does not match this entry.")
    if row.user_id == submitter.id:
        raise invalid({FIELD: _SOMEONE_ELSE}, "The second person's check does not match this entry.")
    checker = session.get(User, row.user_id)
    if checker is None or not checker.active or not set(CHECKING_ROLES) & effective_roles(session, checker,
                                                                                          practice):
        raise invalid({FIELD: "The person who checked this entry no longer has Declaration Management or "
                              "Supervisor at this practice. Ask someone who does to check it again."},
                      "The second person's check does not match this entry.")
    row.used_at = now
    return checker
