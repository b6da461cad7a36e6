"""The append-only audit log: who did what, to what, for which organisation, when and from where."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from central.models import AuditEntry, User


def record(session: Session, *, now: datetime, actor: User | str, action: str, target_type: str,
           target_id: object = None, organisation_id: int | None = None, source: str | None = None,
           detail: dict[str, Any] | None = None) -> None:
    """Add an audit entry to the current transaction. Never put tokens or passwords in ``detail``."""
    session.add(AuditEntry(
        at=now,
        actor_user_id=actor.id if isinstance(actor, User) else None,
        actor=actor.email if isinstance(actor, User) else actor,
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        organisation_id=organisation_id,
        source_address=source,
        detail=detail or {},
    ))


def history(session: Session, target_type: str, target_id: object) -> list[dict[str, Any]]:
    """What was done to one thing, oldest first: ``[{"action", "at", "by"}]`` (``by`` is an email).

    Includes entries added to the current transaction but not yet committed (the session autoflushes).
    """
    rows = session.scalars(select(AuditEntry).where(
        AuditEntry.target_type == target_type, AuditEntry.target_id == str(target_id),
    ).order_by(AuditEntry.at, AuditEntry.id))
    return [{"action": row.action, "at": row.at.isoformat(), "by": row.actor} for row in rows]
