"""Idempotent writes: a request repeated with the same ``Idempotency-Key`` gets the first response.

The key is scoped to the user. The stored fingerprint covers method, path and body, so re-using a
key for a different request is refused (422) rather than silently answered with another result.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from central.errors import ApiError
from central.models import IdempotencyRecord

REPLAY_HEADER = "Idempotent-Replayed"


def fingerprint(method: str, path: str, body: Any) -> str:
    canonical = json.dumps([method, path, body], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def replay(session: Session, user_id: int, key: str, print_: str) -> JSONResponse | None:
    """The stored response for ``key``, or None when the key is new."""
    record = session.scalar(select(IdempotencyRecord).where(IdempotencyRecord.user_id == user_id,
                                                            IdempotencyRecord.key == key))
    if record is None:
        return None
    if record.fingerprint != print_:
        raise ApiError(422, "idempotency_key_reused",
                       "This Idempotency-Key was already used for a different request.",
                       fields={"Idempotency-Key": "Use a new key for a new request."})
    return JSONResponse(record.response, status_code=record.status_code, headers={REPLAY_HEADER: "true"})


def remember(session: Session, user_id: int, key: str, print_: str, status_code: int, body: dict[str, Any],
             now: datetime) -> None:
    session.add(IdempotencyRecord(key=key, user_id=user_id, fingerprint=print_, status_code=status_code,
                                  response=body, created_at=now))
