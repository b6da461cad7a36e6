"""The list of a practice's manual entries: drafts on this PC, outbox items and the entries CQRS holds,
one row per thing the user can open, each with its status in words, its history and its entry window;
and the forms that can be started today.

No Qt. These functions read the cache: run them on the database worker (``tasks.run(..., kind="db")``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from app.services import cache_store, outbox
from app.services.entry_forms import manual_services
from app.services.format import uk_date
from app.services.outbox import DraftEntry, OutboxEntry
from app.services.record_types import MANUAL_ENTRY, TIMETABLE_EVENT, USER
from app.services.rules import service_name
from app.services.windows import ENTRY_WINDOW, WindowState, entry_window, event_spans

KIND = MANUAL_ENTRY  # the outbox kind of an entry is its feed type
TIMETABLE = TIMETABLE_EVENT

# Statuses of a row in the list of entries.
DRAFT, QUEUED, SUBMITTED, APPROVED, REJECTED, CONFLICT, FAILED = (
    "draft", "queued", "submitted", "approved", "rejected", "conflict", "failed")
WAITING = (outbox.OutboxStatus.QUEUED, outbox.OutboxStatus.SENDING)
ATTENTION = (outbox.OutboxStatus.CONFLICT, outbox.OutboxStatus.FAILED)
SENT_HELD = "Sent, shown from this PC until the next sync"
_ACTION_WORDS = {"manual entry created": "Submitted", "manual entry amended": "Amended",
                 "manual entry approved": "Approved", "manual entry rejected": "Rejected"}


@dataclass(frozen=True)
class EntryWindow(WindowState):
    """The entry window of one form on a day; ``closed``: every window for its date has ended, so nothing
    can be sent or kept for it any more (not yet open, or not in the timetable, is not closed)."""

    closed: bool = False


def window_state(events: Iterable[Mapping[str, Any]], service: str, achievement_date: date,
                 today: date) -> EntryWindow:
    events = list(events)
    state = entry_window(events, service, achievement_date, today)
    spans = event_spans(events, ENTRY_WINDOW, service, achievement_date)
    closed = not state.open and bool(spans) and all(ends < today for _starts, ends in spans)
    return EntryWindow(state.open, state.message, closed)


@dataclass(frozen=True)
class HistoryItem:
    at: datetime
    by: str  # as recorded: the person's email on CQRS, or "This PC" / "CQRS"
    what: str
    name: str = ""  # the person's name, where the cache knows it

    @property
    def who(self) -> str:
        """What to show: the name, falling back to the email only when the name is not known."""
        return self.name or self.by


@dataclass(frozen=True)
class EntryRow:
    key: str  # unique in the list: "entry:12" (also our change to entry 12), "outbox:<key>", "draft:WM:..."
    service: str
    service_name: str
    achievement_date: date
    values: dict[str, Any]  # what this row holds: ours when a change of ours is waiting or in conflict
    notes: str
    status: str  # draft, queued, submitted, approved, rejected, conflict or failed
    status_text: str  # the status in words, with the reason where there is one
    held: str  # "This PC only", "Waiting to send", "CQRS"
    entry_id: int | None = None  # the entry on CQRS, once it has one
    version: int | None = None  # its version, as last synced
    outbox_key: str | None = None
    message: str | None = None  # the rejection reason or the server's message
    server_copy: dict[str, Any] | None = None  # the server's version, for a conflict
    updated_at: datetime | None = None
    history: tuple[HistoryItem, ...] = ()
    window: EntryWindow | None = None  # the entry window on the day asked about

    @property
    def can_amend(self) -> bool:
        """Whether this entry may be changed and queued today (approved ones and closed windows may not)."""
        return (self.status in (DRAFT, SUBMITTED, REJECTED, FAILED)
                and (self.window is None or self.window.open))

    @property
    def local_draft(self) -> bool:
        return self.status == DRAFT and self.held != "CQRS"

    @property
    def list_status(self) -> str:
        """The status as the list shows it: a reason (which can run long) is left to the detail below."""
        if self.message and self.status in (REJECTED, FAILED):
            return f"{'Rejected' if self.status == REJECTED else 'Not accepted'}: the reason is below"
        return self.status_text


def status_words(status: str, message: str | None = None, server_copy: Mapping[str, Any] | None = None
                 ) -> str:
    if status == DRAFT:
        return "Draft, kept on this PC"
    if status == QUEUED:
        return "Queued, waiting to be sent"
    if status == SUBMITTED:
        return "Submitted, awaiting approval"
    if status == APPROVED:
        return "Approved"
    if status == REJECTED:
        return f"Rejected: {message}" if message else "Rejected"
    if status == CONFLICT:
        if server_copy and server_copy.get("status") == APPROVED:
            return "Conflict: approved on CQRS before your change arrived"
        return "Conflict: choose a version"  # the conflict view explains what happened
    return f"Not accepted: {message}" if message else "Not accepted by CQRS"


def as_date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def user_names(ods: str) -> dict[str, str]:
    """Email (lower case) -> "First Last" of the practice's users the cache holds (administrators'
    caches hold them; others' hold none, and history then shows emails)."""
    names = {}
    for user in cache_store.records(ods, USER):
        name = " ".join(str(user.get(part) or "").strip() for part in ("first_name", "last_name")).strip()
        if name and user.get("email"):
            names[str(user["email"]).lower()] = name
    return names


def _server_history(record: Mapping[str, Any], names: Mapping[str, str]) -> list[HistoryItem]:
    items = []
    for step in record.get("history") or []:
        at = _as_datetime(step.get("at"))
        if at is not None:
            action, email = str(step.get("action", "")), str(step.get("by", ""))
            items.append(HistoryItem(at, email, _ACTION_WORDS.get(action, action.capitalize()),
                                     names.get(email.lower(), "")))
    return items


def entry_id_of(path: str) -> int | None:
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return int(last) if last.isdigit() else None


def newest_records(records: Iterable[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """Per (service, achievement date), the newest entry on CQRS: the one a form amends."""
    newest: dict[tuple[str, str], dict[str, Any]] = {}
    for record in sorted(records, key=lambda r: int(r["id"])):
        newest[(str(record.get("service")), str(record.get("achievement_date")))] = record
    return newest


def is_synced(item: OutboxEntry, newest: Mapping[tuple[str, str], Mapping[str, Any]],
              by_id: Mapping[int, Mapping[str, Any]]) -> bool:
    """Whether a sent item is already in the cache (then the record shows it, not the item).

    Until the pull brings it back, a sent change still shows (and blocks another for the same form): a new
    entry until its record is cached, an amendment until the cached entry is newer than the version it
    amended — so the list never goes back to the old values in between.
    """
    if item.status is not outbox.OutboxStatus.SENT:
        return False
    if item.method == "POST":
        body = item.body or {}
        return (body.get("service"), body.get("achievement_date")) in newest
    entry_id = entry_id_of(item.path)
    record = by_id.get(entry_id) if entry_id is not None else None
    if record is None or not (item.if_match or "").isdigit():
        return True  # nothing to compare with: the record (once synced) speaks for the entry
    return int(record.get("version") or 0) > int(item.if_match or 0)


def _window(events: list[dict[str, Any]], service: str, achievement_date: date,
            today: date | None) -> EntryWindow | None:
    return None if today is None else window_state(events, service, achievement_date, today)


def _item_row(item: OutboxEntry, record: Mapping[str, Any] | None, events: list[dict[str, Any]],
              today: date | None, names: Mapping[str, str]) -> EntryRow | None:
    body = item.body or {}
    source: Mapping[str, Any] = record or item.server_copy or body
    service, when = str(source.get("service") or ""), as_date(source.get("achievement_date"))
    if not service or when is None:
        return None  # an amendment of an entry this PC has not synced: shown once it has
    sent = item.status is outbox.OutboxStatus.SENT
    if item.status in WAITING or sent:
        status = QUEUED
    elif item.status is outbox.OutboxStatus.CONFLICT and item.server_copy:
        status = CONFLICT
    else:  # refused, or a 409 without the server's copy (e.g. the entry window had closed)
        status = FAILED
    history = _server_history(record, names) if record else []
    history.append(HistoryItem(_aware(item.created_at), "This PC",
                               "Amendment queued" if item.method == "PUT" else "Queued to send"))
    if status in (CONFLICT, FAILED):
        history.append(HistoryItem(_aware(item.updated_at), "CQRS", status_words(status, item.server_message,
                                                                                   item.server_copy)))
    entry_id = entry_id_of(item.path) if item.method == "PUT" else None
    words = "Sent to CQRS, not synced back yet" if sent else status_words(status, item.server_message,
                                                                           item.server_copy)
    return EntryRow(
        # A change to an entry keeps the entry's key, so the row stays selected once it is queued.
        key=f"entry:{entry_id}" if entry_id is not None else f"outbox:{item.key}", service=service,
        service_name=service_name(service, when), achievement_date=when,
        values=dict(body.get("values") or {}), notes=str(body.get("notes") or ""), status=status,
        status_text=words,
        held=SENT_HELD if sent else "Waiting to send" if status == QUEUED else "This PC, needs you",
        entry_id=entry_id, version=int(item.if_match) if item.if_match and item.if_match.isdigit() else None,
        outbox_key=item.key, message=item.server_message, server_copy=item.server_copy,
        updated_at=_aware(item.updated_at), history=tuple(sorted(history, key=lambda h: h.at)),
        window=_window(events, service, when, today))


def _record_row(record: Mapping[str, Any], events: list[dict[str, Any]], today: date | None,
                names: Mapping[str, str]) -> EntryRow | None:
    service, when = str(record.get("service") or ""), as_date(record.get("achievement_date"))
    if not service or when is None:
        return None
    status = str(record.get("status") or SUBMITTED)
    reason = record.get("rejection_reason")
    # A draft kept on CQRS (the service allows one) is not a draft on this PC.
    words = "Draft, kept on CQRS (not submitted)" if status == DRAFT else status_words(status, reason)
    return EntryRow(
        key=f"entry:{record['id']}", service=service, service_name=service_name(service, when),
        achievement_date=when, values=dict(record.get("values") or {}), notes=str(record.get("notes") or ""),
        status=status, status_text=words, held="CQRS",
        entry_id=int(record["id"]), version=record.get("version"), message=reason,
        updated_at=_as_datetime(record.get("updated_at")), history=tuple(_server_history(record, names)),
        window=_window(events, service, when, today))


def _draft_row(draft: DraftEntry, record: Mapping[str, Any] | None, events: list[dict[str, Any]],
               today: date | None, names: Mapping[str, str]) -> EntryRow:
    history = _server_history(record, names) if record else []
    history.append(HistoryItem(_aware(draft.updated_at), "This PC", "Draft saved"))
    return EntryRow(
        key=f"draft:{draft.service}:{draft.achievement_date.isoformat()}", service=draft.service,
        service_name=service_name(draft.service, draft.achievement_date),
        achievement_date=draft.achievement_date, values=dict(draft.values), notes=draft.notes, status=DRAFT,
        status_text=status_words(DRAFT) + (" (changes to a sent entry)" if record else ""),
        held="This PC only", entry_id=int(record["id"]) if record else None,
        version=record.get("version") if record else None, updated_at=_aware(draft.updated_at),
        history=tuple(sorted(history, key=lambda h: h.at)),
        window=_window(events, draft.service, draft.achievement_date, today))


def entries(ods: str, today: date | None = None) -> list[EntryRow]:
    """Drafts, outbox items and synced entries of a practice in one list, newest achievement date first.

    A change of ours waiting to be sent, sent but not synced back, refused or in conflict stands in for
    the synced entry it amends (its values are ours; the server's are in ``server_copy`` for a conflict).
    With ``today``, each row also says whether its entry window is open.
    """
    records = cache_store.records(ods, KIND)
    by_id = {int(r["id"]): r for r in records}
    events = cache_store.records(ods, TIMETABLE) if today is not None else []
    names = user_names(ods)
    rows: dict[str, EntryRow] = {}
    for record in records:
        row = _record_row(record, events, today, names)
        if row is not None:
            rows[row.key] = row
    newest = newest_records(records)
    for item in outbox.items(ods, (*WAITING, *ATTENTION, outbox.OutboxStatus.SENT)):
        if item.kind != KIND or is_synced(item, newest, by_id):
            continue
        entry_id = entry_id_of(item.path) if item.method == "PUT" else None
        row = _item_row(item, by_id.get(entry_id) if entry_id else None, events, today, names)
        if row is not None:
            rows[row.key] = row  # our change stands in for the entry it amends (the same key)
    for draft in outbox.drafts(ods):
        record = newest.get((draft.service, draft.achievement_date.isoformat()))
        row = _draft_row(draft, record, events, today, names)
        rows[row.key] = row
    return sorted(rows.values(), key=lambda r: (-r.achievement_date.toordinal(), r.service, r.key))


# --- choosing what to enter ----------------------------------------------------------------------

@dataclass(frozen=True)
class EntryChoice:
    service: str
    service_name: str
    achievement_date: date
    window: EntryWindow

    @property
    def label(self) -> str:
        return f"{self.service_name}, {uk_date(self.achievement_date)}"


def _all_choices(events: list[dict[str, Any]], today: date) -> list[EntryChoice]:
    horizon = today + timedelta(days=31)
    windows: dict[date, set[str | None]] = {}  # achievement date -> services its windows cover (None: all)
    for event in events:
        when, starts = as_date(event.get("achievement_date")), as_date(event.get("starts"))
        if event.get("kind") == ENTRY_WINDOW and when and starts and starts <= horizon:
            windows.setdefault(when, set()).add(event.get("service"))
    found = []
    for when in sorted(windows, reverse=True):
        for code, name in manual_services(when):
            if None in windows[when] or code in windows[when]:  # the QOF year-end window is QOF's only
                found.append(EntryChoice(code, name, when, window_state(events, code, when, today)))
    return found


def choices(ods: str, today: date) -> list[EntryChoice]:
    """Forms that can be started: services with manual items at the achievement dates whose entry window
    is open, or opens within a month (a draft can be kept until then), newest first. Closed ones are
    left out: nothing can be sent or kept for them."""
    events = cache_store.records(ods, TIMETABLE)
    return [choice for choice in _all_choices(events, today) if not choice.window.closed]


def last_closed(ods: str, today: date) -> EntryChoice | None:
    """The form whose entry window closed most recently (to say when, if nothing is open), or None."""
    events = cache_store.records(ods, TIMETABLE)

    def closed_on(choice: EntryChoice) -> date:
        spans = event_spans(events, ENTRY_WINDOW, choice.service, choice.achievement_date)
        return max(ends for _starts, ends in spans)

    closed = [choice for choice in _all_choices(events, today) if choice.window.closed]
    return max(closed, key=closed_on, default=None)


def window_for(ods: str, service: str, achievement_date: date, today: date) -> EntryWindow:
    """The entry window of one form on ``today``, from the synced timetable."""
    return window_state(cache_store.records(ods, TIMETABLE), service, achievement_date, today)
