"""Queuing a write and announcing it: the one way the app puts a write in the outbox.

    writes.queue(ods, "offer_response", "POST", path, owner=profile.email)

The item is stored in ``owner``'s name (only their session sends it), then the hub hears of it once:
``queued(kind)`` (the shell syncs soon to send it), ``data_changed({kind, "outbox"})`` (pages showing
what waits reload) and ``outbox_changed(count)``. Services call this (or ``announce`` after a write
of their own, e.g. a draft turned into an item); views call the services and never emit hub signals.

Run it on the database worker (``tasks.run(..., kind="db")``): the hub queues its signals to the GUI.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.services import outbox
from app.services.outbox import OutboxEntry
from app.signals import OUTBOX, changed, hub


def queue(practice: str, kind: str, method: str, path: str, body: Mapping[str, Any] | None = None, *,
          owner: str, if_match: str | int | None = None, key: str | None = None) -> OutboxEntry:
    """Store the write in ``owner``'s name (on disk when this returns), then announce it once."""
    entry = outbox.enqueue(practice, kind, method, path, body, owner=owner, if_match=if_match, key=key)
    announce(kind)
    return entry


def announce(kind: str | None) -> None:
    """Tell the hub the outbox changed: ``kind`` is the kind of a write now waiting to be sent, or None
    when nothing new waits (a draft saved, an item set aside)."""
    signals = hub()
    if kind is not None:
        signals.queued.emit(kind)
    signals.data_changed.emit(changed(OUTBOX) if kind is None else changed(kind, OUTBOX))
    signals.outbox_changed.emit(outbox.waiting_count())
