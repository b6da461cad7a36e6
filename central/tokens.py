"""Sign-in sessions: short-lived access tokens and rotating refresh tokens, grouped in families.

Signing in starts a family. Each refresh marks the presented refresh token used and issues a new
pair in the same family. Presenting a used (or revoked) refresh token again means it was copied:
the whole family — every refresh and access token in it — is revoked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from central.models import AccessToken, RefreshToken, User
from central.security import new_family_id, new_token, token_digest


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int  # seconds until the access token expires

    def as_json(self) -> dict[str, object]:
        return {"access_token": self.access_token, "refresh_token": self.refresh_token,
                "token_type": "Bearer", "expires_in": self.expires_in}


class RefreshRefused(Exception):
    def __init__(self, code: str, message: str, user_id: int | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.user_id = code, message, user_id


def issue_pair(session: Session, user: User, now: datetime, access_ttl: timedelta, refresh_ttl: timedelta,
               family_id: str | None = None) -> TokenPair:
    family = family_id or new_family_id()
    access, access_hash = new_token()
    refresh, refresh_hash = new_token()
    session.add(AccessToken(user_id=user.id, family_id=family, token_hash=access_hash, issued_at=now,
                            expires_at=now + access_ttl))
    session.add(RefreshToken(user_id=user.id, family_id=family, token_hash=refresh_hash, issued_at=now,
                             expires_at=now + refresh_ttl))
    return TokenPair(access, refresh, int(access_ttl.total_seconds()))


def rotate(session: Session, refresh_token: str, now: datetime, access_ttl: timedelta,
           refresh_ttl: timedelta) -> tuple[User, TokenPair]:
    """Exchange a refresh token for a new pair; raises RefreshRefused (after revoking on reuse)."""
    row = session.scalar(select(RefreshToken).where(RefreshToken.token_hash == token_digest(refresh_token)))
    if row is None:
        raise RefreshRefused("refresh_token_invalid", "The refresh token is not recognised. Please sign in.")
    if row.used_at is not None or row.revoked_at is not None:
        revoke_family(session, row.family_id, now)
        raise RefreshRefused("refresh_token_reused",
                             "This refresh token was already used, so this sign-in has been ended for "
                             "safety. Please sign in again.", row.user_id)
    user = session.get(User, row.user_id)
    if row.expires_at <= now or user is None or not user.active:
        revoke_family(session, row.family_id, now)
        raise RefreshRefused("refresh_token_expired", "Your sign-in has expired. Please sign in again.")
    row.used_at = now
    return user, issue_pair(session, user, now, access_ttl, refresh_ttl, row.family_id)


def revoke_family(session: Session, family_id: str, now: datetime) -> None:
    for model in (RefreshToken, AccessToken):
        session.execute(update(model).where(model.family_id == family_id, model.revoked_at.is_(None))
                        .values(revoked_at=now))


def revoke_user(session: Session, user_id: int, now: datetime) -> None:
    """End every sign-in of a user (e.g. when the account is disabled)."""
    for model in (RefreshToken, AccessToken):
        session.execute(update(model).where(model.user_id == user_id, model.revoked_at.is_(None))
                        .values(revoked_at=now))


def access_token_row(session: Session, token: str) -> AccessToken | None:
    return session.scalar(select(AccessToken).where(AccessToken.token_hash == token_digest(token)))
