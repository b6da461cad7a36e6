"""Signing in to the central service: tokens, the signed-in profile, and one refresh on a 401.

The refresh token is kept by :class:`~app.services.secrets.TokenStore` (the OS keyring, or memory for
this session when there is none) and nowhere else. The access token lives in memory only. The profile
(app.services.profile) is saved after every sign-in.

Every method here does network I/O: call them through ``app.services.tasks.run(..., kind="net")``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from app.services.api_client import (
    Answer,
    ApiClient,
    ApiError,
    Forbidden,
    ServerError,
    Unauthorized,
    ValidationFailed,
)
from app.services.profile import Profile, profile_from_me, save_profile
from app.services.secrets import TokenStore

log = logging.getLogger(__name__)
T = TypeVar("T")

API_PREFIX = "/api/v1"

# What a practice manager is told for each refusal the service can give at sign-in (by its error code).
# The service gives one answer for an unknown email, a wrong password and an account not yet activated,
# so that nobody can learn from it who has an account.
SIGN_IN_MESSAGES = {
    "invalid_credentials": "The email address or password is not right. Check them and try again. If you "
                           "have not activated your account yet, use the link in your email first.",
    "account_disabled": "This account has been disabled. Ask your practice's User Administrator.",
}
THROTTLED = "sign_in_throttled"  # 429: too many failed attempts from here; the message says how long


class SignInRequired(Unauthorized):
    """The session cannot be renewed (no token, or the service refused it): the user must sign in."""

    default_message = "Your sign-in has expired. Please sign in again."


class SignInRefused(ApiError):
    """The service refused the email and password; ``user_message`` says why in plain English."""


class Auth:
    """One signed-in session with one server. Thread-safe: the sync engine and views share it."""

    def __init__(self, server_url: str, tokens: TokenStore, *, ca_file: str | Path | None = None,
                 token_scope: str | None = None, timeout: tuple[float, float] | None = None) -> None:
        self.server_url = server_url.rstrip("/")
        self.tokens = tokens
        # The keyring entry is per server and user; the demo's port changes every run, so it names a scope.
        self.token_scope = token_scope or self.server_url
        self.ca_file = str(ca_file) if ca_file is not None else None  # a new CA file needs a new Auth
        extra = {"timeout": timeout} if timeout else {}
        self.client = ApiClient(self.server_url + API_PREFIX, ca_file=ca_file, **extra)
        self.profile: Profile | None = None
        self._lock = threading.Lock()

    @property
    def email(self) -> str | None:
        return self.profile.email if self.profile else None

    def close(self) -> None:
        self.client.close()

    # --- signing in and out ----------------------------------------------------------------------

    def sign_in(self, email: str, password: str) -> Profile:
        """Exchange email and password for tokens, keep the refresh token, fetch and save the profile."""
        email = email.strip().lower()
        try:
            pair = self.client.post("/auth/token", {"email": email, "password": password})
        except (Unauthorized, Forbidden, ValidationFailed) as error:
            message = SIGN_IN_MESSAGES.get(error.code or "", error.user_message)
            raise SignInRefused(message, status=error.status, code=error.code) from None
        except ServerError as error:
            if error.code == THROTTLED:  # 429 with how long to wait
                raise SignInRefused(error.user_message, status=error.status, code=error.code) from None
            raise
        return self._start(email, pair)

    def resume(self, email: str) -> Profile:
        """Renew the session with the refresh token kept from last time; SignInRequired if that fails."""
        email = email.strip().lower()
        with self._lock:
            token = self.tokens.load(self.token_scope, email)
            if not token:
                raise SignInRequired("Please sign in.")
            pair = self._rotate(email, token)
        return self._start(email, pair, rotated=True)

    def sign_out(self) -> None:
        """End the session on the service (best effort) and forget every token here."""
        email = self.email
        if self.client.token:
            try:
                self.client.post("/auth/logout")
            except ApiError as error:  # offline: the tokens are forgotten here anyway
                log.info("Sign-out could not reach the service: %s", type(error).__name__)
        self.client.set_token(None)
        if email:
            self.tokens.delete(self.token_scope, email)
        self.profile = None

    def refresh_profile(self) -> Profile:
        """Fetch ``/me`` again and save it: when a feed page says the roles or the profile changed."""
        me = self.request("GET", "/me")
        profile = profile_from_me(self.server_url, me)
        save_profile(profile)
        self.profile = profile
        return profile

    # --- authenticated requests ------------------------------------------------------------------

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """An authenticated request; on 401 the session is renewed once and the request sent again."""
        return self._renewing(lambda: self.client.request(method, path, **kwargs))

    def get_if_changed(self, path: str, params: dict[str, Any] | None = None,
                       etag: str | None = None) -> Answer:
        """An authenticated conditional GET (see ApiClient.get_if_changed), renewed once on a 401."""
        return self._renewing(lambda: self.client.get_if_changed(path, params, etag))

    def _renewing(self, send: Callable[[], T]) -> T:
        if not self.client.token:
            self._renew(None)
        sent_with = self.client.token
        try:
            return send()
        except SignInRequired:
            raise
        except Unauthorized:
            self._renew(sent_with)
            return send()

    def _renew(self, failed_token: str | None) -> None:
        with self._lock:
            if self.client.token and self.client.token != failed_token:
                return  # another thread renewed it while we waited
            email = self.email
            token = self.tokens.load(self.token_scope, email) if email else None
            if not email or not token:
                raise SignInRequired()
            pair = self._rotate(email, token)
            self.client.set_token(pair["access_token"])

    def _rotate(self, email: str, refresh_token: str) -> dict[str, Any]:
        """Swap the refresh token for a new pair (the old one is spent), keeping the new one at once."""
        try:
            pair = self.client.request("POST", "/auth/refresh", json={"refresh_token": refresh_token})
        except Unauthorized as error:
            self.tokens.delete(self.token_scope, email)
            raise SignInRequired() from error
        self.tokens.save(self.token_scope, email, pair["refresh_token"])
        return pair

    def _start(self, email: str, pair: dict[str, Any], *, rotated: bool = False) -> Profile:
        if not rotated:
            self.tokens.save(self.token_scope, email, pair["refresh_token"])
        self.client.set_token(pair["access_token"])
        profile = profile_from_me(self.server_url, self.client.get("/me"))
        save_profile(profile)
        self.profile = profile
        log.info("Signed in as %s (%d practices)", profile.email, len(profile.practices))
        return profile
