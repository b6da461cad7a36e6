"""Sign-in sessions: short-lived access tokens and rotating refresh tokens, grouped in families.

Signing in starts a family. Each refresh marks the presented refresh token used and issues a new
pair in the same family. Presenting a used (or revoked) refresh token again means it was copied:
the whole family — every refresh and access token in it — is revoked.

One exception, for a reply lost on the way back: for ``GRACE_WINDOW`` after a rotation, the spent
token gets the very same new pair again, as long as that pair's refresh token is still unused. The
pair is kept for that window only, in the spent token's row, sealed with AES-GCM under a key derived
(HKDF-SHA256) from the spent token itself: every server worker can open it for the client that holds
the token, and a copy of the database alone cannot. Sealed pairs older than the window are cleared
at every rotation.

Looking up an access token on every request is the commonest read of the service, so what a token row
says is kept in memory for at most ``ACCESS_CACHE_TTL`` (by the service's clock). Each worker keeps its
own copy and nothing tells the others, so a revoked token is refused by every worker within that time;
the worker that revokes it forgets its copy at once.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from central.models import AccessToken, RefreshToken, User
from central.security import new_family_id, new_token, token_digest

GRACE_WINDOW = timedelta(seconds=30)
ACCESS_CACHE_TTL = timedelta(seconds=5)
ACCESS_CACHE_SIZE = 20_000  # tokens remembered per worker; the oldest go first
_SEAL_INFO = b"cqrs-central refresh successor v1"
_NONCE_BYTES = 12


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
    forget_old_successors(session, now)
    row = session.scalar(select(RefreshToken).where(RefreshToken.token_hash == token_digest(refresh_token)))
    if row is None:
        raise RefreshRefused("refresh_token_invalid", "The refresh token is not recognised. Please sign in.")
    if row.used_at is None and row.revoked_at is None:
        user = session.get(User, row.user_id)
        if row.expires_at <= now or user is None or not user.active:
            revoke_family(session, row.family_id, now)
            raise RefreshRefused("refresh_token_expired", "Your sign-in has expired. Please sign in again.")
        # Claimed by a conditional update, so two workers given the same token cannot both rotate it.
        claimed = session.execute(update(RefreshToken).where(
            RefreshToken.id == row.id, RefreshToken.used_at.is_(None), RefreshToken.revoked_at.is_(None))
            .values(used_at=now).execution_options(synchronize_session=False)).rowcount
        if claimed == 1:
            row.used_at = now
            pair = issue_pair(session, user, now, access_ttl, refresh_ttl, row.family_id)
            row.successor_sealed = seal_successor(refresh_token, row.token_hash, pair, now)
            return user, pair
        session.refresh(row)
    replayed = _grace_replay(session, row, refresh_token, now)
    if replayed is not None:
        return replayed
    row.successor_sealed = None
    revoke_family(session, row.family_id, now)
    raise RefreshRefused("refresh_token_reused",
                         "This refresh token was already used, so this sign-in has been ended for "
                         "safety. Please sign in again.", row.user_id)


def _grace_replay(session: Session, row: RefreshToken, refresh_token: str,
                  now: datetime) -> tuple[User, TokenPair] | None:
    """The pair this spent token was exchanged for, when the exchange was moments ago and is unused."""
    if row.revoked_at is not None or row.used_at is None or row.successor_sealed is None:
        return None
    if now - row.used_at > GRACE_WINDOW:
        return None
    opened = open_successor(refresh_token, row.token_hash, row.successor_sealed)
    if opened is None:
        return None
    access, refresh, access_expires_at = opened
    successor = session.scalar(select(RefreshToken).where(RefreshToken.token_hash == token_digest(refresh)))
    user = session.get(User, row.user_id)
    if successor is None or successor.used_at is not None or successor.revoked_at is not None \
            or successor.expires_at <= now or user is None or not user.active:
        return None
    return user, TokenPair(access, refresh, max(0, int((access_expires_at - now).total_seconds())))


def seal_successor(spent_token: str, spent_hash: str, pair: TokenPair, now: datetime) -> str:
    """``pair`` encrypted for whoever holds ``spent_token``; bound to that token's row by its hash."""
    plain = json.dumps({"access_token": pair.access_token, "refresh_token": pair.refresh_token,
                        "access_expires_at": (now + timedelta(seconds=pair.expires_in)).isoformat()})
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(_sealing_key(spent_token)).encrypt(nonce, plain.encode("utf-8"), spent_hash.encode())
    return base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def open_successor(spent_token: str, spent_hash: str, sealed: str) -> tuple[str, str, datetime] | None:
    """(access token, refresh token, access expiry) from :func:`seal_successor`; None if it will not open."""
    try:
        raw = base64.urlsafe_b64decode(sealed.encode("ascii"))
        plain = AESGCM(_sealing_key(spent_token)).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:],
                                                          spent_hash.encode())
        data = json.loads(plain)
        return data["access_token"], data["refresh_token"], datetime.fromisoformat(data["access_expires_at"])
    except (InvalidTag, ValueError, KeyError, TypeError):
        return None


def _sealing_key(spent_token: str) -> bytes:
    # The token is 256 random bits: HKDF needs no salt to turn it into an AES-256 key.
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_SEAL_INFO).derive(
        spent_token.encode("utf-8"))


def forget_old_successors(session: Session, now: datetime) -> None:
    """Clear every sealed pair whose grace window has passed, so none is kept longer than needed."""
    session.execute(update(RefreshToken).where(
        RefreshToken.successor_sealed.is_not(None), RefreshToken.used_at < now - GRACE_WINDOW)
        .values(successor_sealed=None).execution_options(synchronize_session=False))


def revoke_family(session: Session, family_id: str, now: datetime) -> None:
    for model in (RefreshToken, AccessToken):
        session.execute(update(model).where(model.family_id == family_id, model.revoked_at.is_(None))
                        .values(revoked_at=now))
    _access_cache.forget(lambda grant: grant.family_id == family_id)


def revoke_user(session: Session, user_id: int, now: datetime) -> None:
    """End every sign-in of a user (e.g. when the account is disabled)."""
    for model in (RefreshToken, AccessToken):
        session.execute(update(model).where(model.user_id == user_id, model.revoked_at.is_(None))
                        .values(revoked_at=now))
    _access_cache.forget(lambda grant: grant.user_id == user_id)


_ACCESS_TOKEN = select(AccessToken).where(AccessToken.token_hash == bindparam("digest"))  # built once


def access_token_row(session: Session, token: str) -> AccessToken | None:
    return session.scalar(_ACCESS_TOKEN, {"digest": token_digest(token)})


@dataclass(frozen=True)
class AccessGrant:
    """What an access token's row says: whose it is, its sign-in family, when it ends, if it was revoked."""

    user_id: int
    family_id: str
    expires_at: datetime
    revoked: bool


class _AccessCache:
    """Token digest -> (when read, AccessGrant), each entry trusted for ``ttl`` by the service's clock."""

    def __init__(self, ttl: timedelta, size: int) -> None:
        self.ttl, self.size = ttl, size
        self._entries: OrderedDict[tuple[str, str], tuple[datetime, AccessGrant]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str], now: datetime) -> AccessGrant | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            read_at, grant = entry
            if not read_at <= now < read_at + self.ttl:  # a clock moved back is not trusted either
                del self._entries[key]
                return None
            return grant

    def put(self, key: tuple[str, str], now: datetime, grant: AccessGrant) -> None:
        with self._lock:
            self._entries[key] = (now, grant)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def forget(self, which: Callable[[AccessGrant], bool]) -> None:
        with self._lock:
            for key in [key for key, (_, grant) in self._entries.items() if which(grant)]:
                del self._entries[key]


_access_cache = _AccessCache(ACCESS_CACHE_TTL, ACCESS_CACHE_SIZE)


def access_grant(session: Session, token: str, now: datetime) -> AccessGrant | None:
    """The token's grant, read from its row at most ``ACCESS_CACHE_TTL`` ago; None for an unknown token."""
    # Keyed by database too: two services in one process (tests, tools) never share an answer.
    key = (str(session.get_bind().url), token_digest(token))
    grant = _access_cache.get(key, now)
    if grant is None:
        row = access_token_row(session, token)
        if row is None:
            return None  # unknown tokens are not remembered: guessing cannot fill the cache
        grant = AccessGrant(row.user_id, row.family_id, row.expires_at, row.revoked_at is not None)
        _access_cache.put(key, now, grant)
    return grant
