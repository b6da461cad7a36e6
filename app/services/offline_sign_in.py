"""Signing in on this PC while CQRS cannot be reached, against a verifier kept from the last online
sign-in: an argon2id hash of the password, in that person's own folder (0600), never the password.

It lasts at most 14 days after the last online sign-in, and is deleted when the service says the account
is disabled or when the person removes their data at sign-out. A wrong password gets the same message
as the service gives, so this PC tells nobody more than the service would.

Called on a network worker (hashing takes tens of milliseconds of CPU on purpose).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from app import paths
from app.services.auth import SIGN_IN_MESSAGES, SignInRefused
from app.services.format import uk_date
from app.services.profile import Profile, load_profile, save_profile

log = logging.getLogger(__name__)

FORMAT = 1
MAX_AGE = timedelta(days=14)
CLOCK_SLACK = timedelta(days=1)  # a verifier "from the future" means this PC's clock was moved back
WRONG_PASSWORD = SIGN_IN_MESSAGES["invalid_credentials"]
_hasher = PasswordHasher()  # argon2id with the library's recommended costs


def verifier_path(scope: str, email: str) -> Path:
    return paths.person_dir(scope, email) / paths.VERIFIER_FILE


def remember(scope: str, email: str, password: str, profile: Profile, now: datetime | None = None) -> None:
    """After an online sign-in: keep a verifier of ``password`` and the profile, in the person's folder."""
    folder = paths.person_dir(scope, email)
    when = (now or datetime.now(UTC)).isoformat()
    paths.write_private_json(folder / paths.VERIFIER_FILE, {
        "format": FORMAT, "email": email.strip().lower(), "hash": _hasher.hash(password), "online_at": when})
    save_profile(profile, folder / paths.PROFILE_FILE)


def forget(scope: str, email: str) -> bool:
    """Delete the verifier (account disabled, or data removed); True if there was one."""
    path = paths.people_dir() / paths.person_key(scope, email) / paths.VERIFIER_FILE
    existed = path.is_file()
    path.unlink(missing_ok=True)
    if existed:
        log.info("Offline sign-in verifier removed")
    return existed


def verify(scope: str, email: str, password: str, now: datetime | None = None) -> Profile:
    """The person's saved profile if ``password`` matches their verifier and it is recent enough;
    otherwise SignInRefused saying why in plain English."""
    now = now or datetime.now(UTC)
    folder = paths.people_dir() / paths.person_key(scope, email)
    data = _read(folder / paths.VERIFIER_FILE)
    profile = load_profile(folder / paths.PROFILE_FILE)
    if data is None or profile is None:
        raise SignInRefused("CQRS cannot be reached, and this PC cannot check your password without it: "
                            "nobody has signed in here with this email address while connected. Check the "
                            "network connection and try again.", code="offline_unknown")
    try:
        _hasher.verify(str(data["hash"]), password)
    except VerifyMismatchError:
        raise SignInRefused(WRONG_PASSWORD, code="invalid_credentials") from None
    except (InvalidHashError, VerificationError, KeyError):
        raise SignInRefused("CQRS cannot be reached, and this PC's copy for signing in without it is "
                            "damaged. Check the network connection and try again.", code="offline_unknown"
                            ) from None
    online_at = datetime.fromisoformat(str(data["online_at"]))
    if now - online_at > MAX_AGE or online_at - now > CLOCK_SLACK:
        last = uk_date(online_at)
        raise SignInRefused(
            "CQRS cannot be reached, and signing in without it lasts 14 days after your last sign-in while "
            f"connected (yours was on {last}). Connect to your practice's network and sign in again.",
            code="offline_expired")
    save_profile(profile)  # who signed in last on this PC
    log.info("Signed in on this PC without CQRS (verifier from %s)", online_at.date().isoformat())
    return profile


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        log.warning("Offline sign-in verifier could not be read (%s)", type(error).__name__)
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return None
    return data
