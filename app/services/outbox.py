"""The outbox (writes queued for the central service) and manual-entry drafts.

Every function is one transaction. The sync engine pushes the outbox before it pulls:

    for item in outbox.next_batch(owner):     # marks them "sending"
        try: send(item) ...; outbox.mark_sent(item.key)
        except Conflict as c: outbox.mark_conflict(item.key, c.current, c.user_message)
        except ValidationFailed as v: outbox.mark_failed(item.key, v.user_message)
        except Unreachable: outbox.mark_retry(item.key)   # never drop an item

Every item names its owner, the signed-in person who queued it (passed by the caller, never guessed):
only that person's session sends it. An item without an owner is never sent.

Items left "sending" by a crash go back to "queued" through ``recover_interrupted()`` at start-up;
replaying them is safe because the server honours the Idempotency-Key.

A manual-entry draft and its outbox item change hands in one transaction: ``queue_draft`` stores the
item and deletes the draft; ``set_aside`` turns a refused or conflicting item back into the draft.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, select, update

from app.models.base import utcnow
from app.models.database import session_scope
from app.models.outbox import Draft, OutboxItem, OutboxStatus

METHODS = ("POST", "PUT", "PATCH", "DELETE")
WAITING = (OutboxStatus.QUEUED.value, OutboxStatus.SENDING.value)
NEEDS_ATTENTION = (OutboxStatus.CONFLICT.value, OutboxStatus.FAILED.value)


class UnknownItem(LookupError):
    """No outbox item has this key."""


class NotReplaceable(ValueError):
    """The item is waiting to be sent or was sent: only one needing attention can be replaced or set aside."""


@dataclass(frozen=True)
class OutboxEntry:
    key: str  # the Idempotency-Key
    practice: str
    kind: str
    method: str
    path: str
    body: dict[str, Any] | None
    if_match: str | None
    status: OutboxStatus
    server_message: str | None
    server_copy: dict[str, Any] | None
    attempts: int
    created_at: datetime
    updated_at: datetime
    owner: str | None = None  # who queued it (None: queued before owners were kept; never sent)


@dataclass(frozen=True)
class DraftEntry:
    practice: str
    service: str
    achievement_date: date
    values: dict[str, Any]
    notes: str
    updated_at: datetime


def _entry(item: OutboxItem) -> OutboxEntry:
    return OutboxEntry(item.key, item.practice, item.kind, item.method, item.path, item.body, item.if_match,
                       OutboxStatus(item.status), item.server_message, item.server_copy, item.attempts,
                       item.created_at, item.updated_at, item.owner)


def owner_key(owner: str) -> str:
    """How an owner's email is stored and compared (case and spaces do not make another person)."""
    key = owner.strip().lower() if isinstance(owner, str) else ""
    if not key:
        raise ValueError("an outbox item needs its owner: the email of the person signed in")
    return key


def _new_item(practice: str, kind: str, method: str, path: str, body: Mapping[str, Any] | None,
              if_match: str | int | None, key: str | None, owner: str) -> OutboxItem:
    method = method.upper()
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    if not path.startswith("/"):
        raise ValueError(f"path must start with '/', not {path!r}")
    return OutboxItem(key=key or str(uuid.uuid4()), practice=practice, kind=kind, method=method, path=path,
                      body=dict(body) if body is not None else None,
                      if_match=str(if_match) if if_match is not None else None,
                      status=OutboxStatus.QUEUED.value, attempts=0, owner=owner_key(owner))


def enqueue(practice: str, kind: str, method: str, path: str, body: Mapping[str, Any] | None = None, *,
            owner: str, if_match: str | int | None = None, key: str | None = None) -> OutboxEntry:
    """Queue a write in ``owner``'s name; it is on disk when this returns. ``if_match``: the version amended.

    Views queue through app.services.writes (which also announces it); this only stores it.
    """
    item = _new_item(practice, kind, method, path, body, if_match, key, owner)
    with session_scope() as session:
        session.add(item)
        session.flush()
        return _entry(item)


# The reads every sync makes are built once with bound values: building a statement costs more than
# running it on a small outbox.
_QUEUED = OutboxItem.status == OutboxStatus.QUEUED.value
_BATCH = select(OutboxItem).where(_QUEUED, OutboxItem.owner == bindparam("owner"))
_BATCH_OF_PRACTICE = _BATCH.where(OutboxItem.practice == bindparam("practice"))
_BATCH, _BATCH_OF_PRACTICE = (query.order_by(OutboxItem.id).limit(bindparam("limit"))
                              for query in (_BATCH, _BATCH_OF_PRACTICE))
_OWNERLESS = select(func.count()).select_from(OutboxItem).where(_QUEUED, OutboxItem.owner.is_(None))
# Queued items naming nobody, and queued items of one owner, in one read.
_QUEUED_COUNTS = select(func.count().filter(OutboxItem.owner.is_(None)),
                        func.count().filter(OutboxItem.owner == bindparam("owner"))).where(_QUEUED)
_STATUSES = OutboxItem.status.in_(bindparam("statuses", expanding=True))
_COUNT = select(func.count()).select_from(OutboxItem).where(_STATUSES)
_COUNT_OF_PRACTICE = _COUNT.where(OutboxItem.practice == bindparam("practice"))


def next_batch(owner: str, limit: int = 20, practice: str | None = None) -> list[OutboxEntry]:
    """``owner``'s oldest queued items, now marked "sending" with one more attempt.

    Someone else's items stay queued until they sign in again: a write is only ever sent in the name
    of the person who made it. Items without an owner are never handed out (see ``ownerless_count``).
    """
    values: dict[str, Any] = {"owner": owner_key(owner), "limit": limit}
    with session_scope() as session:
        if practice is None:
            items = list(session.scalars(_BATCH, values))
        else:
            items = list(session.scalars(_BATCH_OF_PRACTICE, {**values, "practice": practice}))
        for item in items:
            item.status = OutboxStatus.SENDING.value
            item.attempts += 1
        session.flush()
        return [_entry(item) for item in items]


def ownerless_count() -> int:
    """Queued items that name nobody (queued before owners were kept): they are never sent."""
    with session_scope() as session:
        return session.scalar(_OWNERLESS) or 0


def queued_counts(owner: str | None) -> tuple[int, int]:
    """Queued items that name nobody (never sent) and queued items of ``owner`` (None: nobody), in one
    read: a sync with nothing to send learns it without asking for a batch."""
    with session_scope() as session:
        row = session.execute(_QUEUED_COUNTS, {"owner": owner_key(owner) if owner else None}).one()
    return row[0] or 0, row[1] or 0


def _set(key: str, status: OutboxStatus, **fields: Any) -> OutboxEntry:
    with session_scope() as session:
        item = session.scalar(select(OutboxItem).where(OutboxItem.key == key))
        if item is None:
            raise UnknownItem(key)
        item.status = status.value
        for name, value in fields.items():
            setattr(item, name, value)
        session.flush()
        return _entry(item)


def mark_sent(key: str, server_message: str | None = None) -> OutboxEntry:
    return _set(key, OutboxStatus.SENT, server_message=server_message, server_copy=None)


def mark_conflict(key: str, server_copy: Mapping[str, Any] | None, server_message: str) -> OutboxEntry:
    """The server holds a newer version: keep ours (body) and theirs (server_copy) for the user to resolve."""
    return _set(key, OutboxStatus.CONFLICT, server_message=server_message,
                server_copy=dict(server_copy) if server_copy is not None else None)


def mark_failed(key: str, server_message: str) -> OutboxEntry:
    """The server refused the item (e.g. validation); it is kept, with the reason, never dropped."""
    return _set(key, OutboxStatus.FAILED, server_message=server_message)


def mark_retry(key: str, server_message: str | None = None) -> OutboxEntry:
    """Sending did not finish (offline, 5xx): back in the queue for the next sync."""
    return _set(key, OutboxStatus.QUEUED, server_message=server_message)


def resubmit(key: str, *, owner: str, body: Mapping[str, Any] | None = None,
             if_match: str | int | None = None) -> OutboxEntry:
    """Queue a conflicting or failed item again, e.g. with corrected values or the server's new version.

    ``owner`` (who decided to send it again) becomes the item's owner: it goes in their name.
    """
    fields: dict[str, Any] = {"server_message": None, "server_copy": None, "owner": owner_key(owner)}
    if body is not None:
        fields["body"] = dict(body)
    if if_match is not None:
        fields["if_match"] = str(if_match)
    return _set(key, OutboxStatus.QUEUED, **fields)


def recover_interrupted() -> int:
    """Put items left "sending" (the app stopped mid-push) back in the queue; returns how many."""
    with session_scope() as session:
        result = session.execute(
            update(OutboxItem).where(OutboxItem.status == OutboxStatus.SENDING.value)
            .values(status=OutboxStatus.QUEUED.value, updated_at=utcnow()))
        return result.rowcount or 0


def waiting_count(practice: str | None = None) -> int:
    """Items not yet accepted by the server and not needing the user (queued or being sent)."""
    return _count(WAITING, practice)


def attention_count(practice: str | None = None) -> int:
    """Items the user must look at (conflict or failed)."""
    return _count(NEEDS_ATTENTION, practice)


def _count(statuses: Iterable[str], practice: str | None) -> int:
    values: dict[str, Any] = {"statuses": list(statuses)}
    with session_scope() as session:
        if practice is None:
            return session.scalar(_COUNT, values) or 0
        return session.scalar(_COUNT_OF_PRACTICE, {**values, "practice": practice}) or 0


def get(key: str) -> OutboxEntry | None:
    with session_scope() as session:
        item = session.scalar(select(OutboxItem).where(OutboxItem.key == key))
        return _entry(item) if item is not None else None


def items(practice: str | None = None, statuses: Iterable[OutboxStatus | str] | None = None
          ) -> list[OutboxEntry]:
    """Outbox items, oldest first, optionally for one practice and some statuses."""
    with session_scope() as session:
        query = select(OutboxItem).order_by(OutboxItem.id)
        if practice is not None:
            query = query.where(OutboxItem.practice == practice)
        if statuses is not None:
            query = query.where(OutboxItem.status.in_([str(OutboxStatus(s).value) for s in statuses]))
        return [_entry(item) for item in session.scalars(query)]


# --- Manual-entry drafts -------------------------------------------------------------------------

def _draft_entry(draft: Draft) -> DraftEntry:
    return DraftEntry(draft.practice, draft.service, draft.achievement_date, dict(draft.values), draft.notes,
                      draft.updated_at)


def _find_draft(session: Any, practice: str, service: str, achievement_date: date) -> Draft | None:
    return session.scalar(select(Draft).where(
        Draft.practice == practice, Draft.service == service, Draft.achievement_date == achievement_date))


def save_draft(practice: str, service: str, achievement_date: date, values: Mapping[str, Any],
               notes: str = "") -> DraftEntry:
    """Create or replace the draft for one practice, service and achievement date (one transaction)."""
    with session_scope() as session:
        draft = _find_draft(session, practice, service, achievement_date)
        if draft is None:
            draft = Draft(practice=practice, service=service, achievement_date=achievement_date)
            session.add(draft)
        draft.values = dict(values)
        draft.notes = notes
        draft.updated_at = utcnow()
        session.flush()
        return _draft_entry(draft)


def load_draft(practice: str, service: str, achievement_date: date) -> DraftEntry | None:
    with session_scope() as session:
        draft = _find_draft(session, practice, service, achievement_date)
        return _draft_entry(draft) if draft is not None else None


def delete_draft(practice: str, service: str, achievement_date: date) -> bool:
    """Remove a draft (e.g. once it has been queued in the outbox); False if there was none."""
    with session_scope() as session:
        result = session.execute(delete(Draft).where(
            Draft.practice == practice, Draft.service == service, Draft.achievement_date == achievement_date))
        return bool(result.rowcount)


def drafts(practice: str) -> list[DraftEntry]:
    """Every draft of a practice, newest achievement date first."""
    with session_scope() as session:
        rows = session.scalars(select(Draft).where(Draft.practice == practice)
                               .order_by(Draft.achievement_date.desc(), Draft.service))
        return [_draft_entry(draft) for draft in rows]


# --- Drafts and the outbox together --------------------------------------------------------------

def queue_draft(practice: str, service: str, achievement_date: date, method: str, path: str,
                body: Mapping[str, Any] | None, *, owner: str, if_match: str | int | None = None,
                kind: str = "manual_entry", replaces: str | None = None) -> OutboxEntry:
    """Queue a write AND delete the draft of ``service`` at ``achievement_date``, in ONE transaction.

    A crash leaves either the draft (not queued yet) or the queued item, never both and never neither.
    ``replaces`` is the key of an item needing attention (failed or conflict) that this one takes the
    place of; it is deleted in the same transaction.
    """
    item = _new_item(practice, kind, method, path, body, if_match, None, owner)
    with session_scope() as session:
        if replaces is not None:
            session.delete(_attention_item(session, replaces))
        session.execute(delete(Draft).where(
            Draft.practice == practice, Draft.service == service, Draft.achievement_date == achievement_date))
        session.add(item)
        session.flush()
        return _entry(item)


def set_aside(key: str, service: str, achievement_date: date, values: Mapping[str, Any],
              notes: str = "") -> DraftEntry:
    """Take an item needing attention out of the outbox and keep ``values`` as the draft, in one transaction.

    Used when the user keeps the server's version after a conflict, or goes back to editing a refused
    item: their values are never dropped, they become the draft of ``service`` at ``achievement_date``.
    """
    with session_scope() as session:
        item = _attention_item(session, key)
        draft = _find_draft(session, item.practice, service, achievement_date)
        if draft is None:
            draft = Draft(practice=item.practice, service=service, achievement_date=achievement_date)
            session.add(draft)
        draft.values = dict(values)
        draft.notes = notes
        draft.updated_at = utcnow()
        session.delete(item)
        session.flush()
        return _draft_entry(draft)


def _attention_item(session: Any, key: str) -> OutboxItem:
    item = session.scalar(select(OutboxItem).where(OutboxItem.key == key))
    if item is None:
        raise UnknownItem(key)
    if item.status not in NEEDS_ATTENTION:
        raise NotReplaceable(f"outbox item {key} is {item.status}, not failed or conflict")
    return item
