"""Signing in with a password: online when CQRS answers (then this PC keeps a verifier of the password
for signing in offline), against that verifier when CQRS cannot be reached; and what the sign-in form
says at start-up about why it opened. Network and disk I/O: call on a network worker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.services.profile import Profile

if TYPE_CHECKING:
    from app.services.auth import Auth

ACCOUNT_DISABLED = "account_disabled"  # the service's code: the account may not sign in any more


def sign_in(auth: Auth, email: str, password: str) -> Profile:
    """Sign in to ``auth``'s server; while it cannot be reached, against this PC's verifier."""
    from app.services import offline_sign_in
    from app.services.api_client import Unreachable

    try:
        return sign_in_online(auth, email, password)
    except Unreachable:
        return offline_sign_in.verify(auth.token_scope, email, password)


def sign_in_online(auth: Auth, email: str, password: str) -> Profile:
    """Sign in to the service and keep a verifier of the password; a disabled account loses its own."""
    from app.services import offline_sign_in
    from app.services.auth import SignInRefused

    try:
        profile = auth.sign_in(email, password)
    except SignInRefused as error:
        if error.code == ACCOUNT_DISABLED:  # the verifier must not let them in offline either
            offline_sign_in.forget(auth.token_scope, email)
        raise
    offline_sign_in.remember(auth.token_scope, email, password, profile)
    return profile


def disabled(error: BaseException) -> bool:
    """True when the service refused a session because the account is disabled."""
    return ACCOUNT_DISABLED in (getattr(error, "code", None), getattr(error.__cause__, "code", None))


def why_sign_in(keyring_problem: str, known_before: bool) -> str:
    """Why the sign-in form opens at start-up, said at once ("" for a first start: the form's own words)."""
    if keyring_problem == "locked":
        return ("This PC's keyring is locked or not set up, so your sign-in is not kept between sessions: "
                "please sign in.")
    if keyring_problem:
        return "This PC has no keyring, so your sign-in is not kept between sessions: please sign in."
    if known_before:
        return "Please sign in: your practice's data on this PC is shown once you have."
    return ""


OFFLINE_SESSION = ("CQRS could not be reached, so you are signed in on this PC only. You see your practice's "
                   "data as of your last sync; what you change is kept here and sent after you sign in while "
                   "connected (press Sync now, F5, to try).")
SIGN_IN_ONLINE = "Sign in while connected to CQRS to send your changes and get the latest data."
