"""Manual entry: drafts, sending through the outbox, amendments and conflicts; and the module every
manual-entry screen calls (the forms and checks are in app.services.entry_forms, the list of entries and
the entry windows in app.services.entry_list, re-exported here).

No Qt. Functions that read or write the cache run on the database worker (``tasks.run(..., kind="db")``);
``confirm_second_person`` goes to the network (``kind="net"``).

One form per service and achievement date. For one of those the app keeps at most one of: a draft, or an
outbox item (waiting, refused or in conflict). Queuing deletes the draft in the same transaction as the
item is stored; keeping the server's version (or going back to edit a refused item) turns the item back
into the draft. So a crash can neither lose what the user typed nor send it twice.

Every function that changes drafts or the outbox announces it on the hub once (app.services.writes);
those that queue something to send take ``owner``, the signed-in person's email, and it goes in their name.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from app.services import cache_store, outbox, writes
from app.services.entry_context import PracticeContext, practice_context
from app.services.entry_forms import (
    CAP_WORDS,
    COUNT,
    ITEM_TEXT,
    MAX_NOTES,
    YES_NO,
    CapRule,
    EntryRefused,
    FieldDefinition,
    FormDefinition,
    draft_values,
    field_for,
    form_for,
    manual_services,
    notes_problem,
    validate,
    values_of,
    warnings,
)
from app.services.entry_list import (
    APPROVED,
    ATTENTION,
    CONFLICT,
    DRAFT,
    FAILED,
    KIND,
    QUEUED,
    REJECTED,
    SUBMITTED,
    TIMETABLE,
    WAITING,
    EntryChoice,
    EntryRow,
    EntryWindow,
    HistoryItem,
    as_date,
    choices,
    entries,
    entry_id_of,
    is_synced,
    last_closed,
    newest_records,
    status_words,
    user_names,
    window_for,
)
from app.services.outbox import DraftEntry, OutboxEntry
from app.services.second_person import (
    CONFIRMING_ROLES,
    SecondPersonConfirmation,
    SecondPersonRefused,
    confirm_second_person,
)

__all__ = [
    "APPROVED", "CAP_WORDS", "CONFIRMING_ROLES", "CONFLICT", "COUNT", "DRAFT", "FAILED", "ITEM_TEXT", "KIND",
    "MAX_NOTES", "QUEUED", "REJECTED", "SUBMITTED", "TIMETABLE", "YES_NO", "CapRule", "EntryChoice",
    "EntryRefused", "EntryRow", "EntryWindow", "FieldDefinition", "FormDefinition", "HistoryItem",
    "PracticeContext", "SecondPersonConfirmation", "SecondPersonRefused", "amend", "choices",
    "confirm_second_person", "delete_draft", "draft_values", "entries", "field_for", "form_for",
    "keep_as_draft", "last_closed", "manual_services", "notes_problem", "practice_context", "queue",
    "resolve_conflict", "save_draft", "status_words", "user_names", "validate", "values_of", "warnings",
    "window_for",
]

APPROVED_MESSAGE = ("This entry has been approved, so it can no longer be amended. If the approved figures "
                    "are wrong, contact your commissioner.")
WAITING_MESSAGE = ("Your last change to this entry is waiting to be sent. You can change it again once it "
                   "has reached CQRS.")


@dataclass(frozen=True)
class _Target:
    """What the app holds for one service and achievement date."""

    record: dict[str, Any] | None
    waiting: OutboxEntry | None = None
    attention: OutboxEntry | None = None


def _target(ods: str, service: str, achievement_date: date) -> _Target:
    records = cache_store.records(ods, KIND)
    by_id = {int(r["id"]): r for r in records}
    newest = newest_records(records)
    record = newest.get((service, achievement_date.isoformat()))
    waiting = attention = None
    for item in outbox.items(ods, (*WAITING, *ATTENTION, outbox.OutboxStatus.SENT)):
        if item.kind != KIND or is_synced(item, newest, by_id):
            continue
        body = item.body or {}
        if item.method == "PUT":
            entry_id = entry_id_of(item.path)
            source = by_id.get(entry_id) if entry_id is not None else None
            source = source or item.server_copy or {}
        else:
            source = body
        if source.get("service") != service or source.get("achievement_date") != achievement_date.isoformat():
            continue
        if item.status in WAITING or item.status is outbox.OutboxStatus.SENT:
            waiting = item
        else:
            attention = item
    return _Target(record, waiting, attention)


_CONFLICT_MESSAGE = "CQRS holds a newer version of this entry. Choose which version to keep first."


_SECOND_PERSON_NEEDED = ("Your practice requires a second person to check manual entries before they are "
                         "sent. Use Check before sending, and ask someone with Declaration Management or "
                         "Supervisor to confirm.")


def _check(ods: str, form: FormDefinition, raw: Mapping[str, Any], notes: str,
           second_person_check: str | None) -> tuple[dict[str, int], FormDefinition]:
    """The values to send, checked against the practice's list size and its second-person rule."""
    context = practice_context(ods)
    form = dataclasses.replace(form, list_size=context.list_size_at(form.achievement_date))
    problems = validate(form, raw)
    problem = notes_problem(notes)
    if problem:
        problems["notes"] = problem
    if problems:
        raise EntryRefused("Some values need correcting before this can be sent.", problems)
    if context.second_person_required and not second_person_check:
        raise EntryRefused(_SECOND_PERSON_NEEDED)
    return values_of(form, raw), form


def _body(values: dict[str, int], notes: str, second_person_check: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"values": values, "notes": notes or None, "status": SUBMITTED}
    if second_person_check:
        body["second_person_check"] = second_person_check
    return body


def _check_open(ods: str, form: FormDefinition, today: date) -> None:
    window = window_for(ods, form.service, form.achievement_date, today)
    if not window.open:
        raise EntryRefused(f"This entry cannot be sent now. {window.message}")


def save_draft(ods: str, form: FormDefinition, raw_texts: Mapping[str, Any], notes: str = "",
               today: date | None = None) -> DraftEntry:
    """Keep what the user typed as the draft of this form (valid or not; no network).

    With ``today``, refused once the form's entry window has closed: it could never be sent. Before the
    window opens (or while the timetable does not know it) a draft is kept. A refused item for the same
    form becomes this draft in the same transaction.
    """
    if today is not None:
        window = window_for(ods, form.service, form.achievement_date, today)
        if window.closed:
            raise EntryRefused(f"{window.message} A draft can no longer be kept for it. If figures are "
                               "missing, contact your commissioner.")
    target = _target(ods, form.service, form.achievement_date)
    if target.waiting is not None:
        raise EntryRefused(WAITING_MESSAGE)
    values = draft_values(form, raw_texts)
    if target.attention is not None:
        if target.attention.status is outbox.OutboxStatus.CONFLICT and target.attention.server_copy:
            raise EntryRefused(_CONFLICT_MESSAGE)
        draft = outbox.set_aside(target.attention.key, form.service, form.achievement_date, values, notes)
    else:
        draft = outbox.save_draft(ods, form.service, form.achievement_date, values, notes)
    writes.announce(None)
    return draft


def delete_draft(ods: str, service: str, achievement_date: date) -> bool:
    """Throw a draft away (the user asked to)."""
    deleted = outbox.delete_draft(ods, service, achievement_date)
    writes.announce(None)
    return deleted


def queue(ods: str, form: FormDefinition, values: Mapping[str, Any], notes: str, today: date,
          second_person_check: str | None = None, *, owner: str) -> OutboxEntry:
    """Put the entry in the outbox to be sent (deleting its draft in the same transaction).

    Refuses (EntryRefused) invalid values, a closed entry window, and (when the practice requires a second
    person) an entry without the check token the second person obtained for exactly these values. When
    CQRS already holds an entry for this service and date, this amends it instead, against the version
    last synced. It goes in ``owner``'s name (the signed-in person's email).
    """
    checked, form = _check(ods, form, values, notes, second_person_check)
    _check_open(ods, form, today)
    target = _target(ods, form.service, form.achievement_date)
    if target.record is not None:
        return amend(ods, int(target.record["id"]), values, notes, target.record.get("version") or 1, today,
                     second_person_check, owner=owner)
    replaces = _replaceable(target)
    body = {"service": form.service, "achievement_date": form.achievement_date.isoformat(),
            **_body(checked, notes, second_person_check)}
    entry = outbox.queue_draft(ods, form.service, form.achievement_date, "POST",
                               f"/practices/{ods}/manual-entries", body, owner=owner, kind=KIND,
                               replaces=replaces)
    writes.announce(KIND)
    return entry


def _replaceable(target: _Target) -> str | None:
    if target.waiting is not None:
        raise EntryRefused(WAITING_MESSAGE)
    if target.attention is None:
        return None
    if target.attention.status is outbox.OutboxStatus.CONFLICT and target.attention.server_copy:
        raise EntryRefused(_CONFLICT_MESSAGE)
    return target.attention.key  # a refused item: the corrected one takes its place


def amend(ods: str, entry_id: int, values: Mapping[str, Any], notes: str, version: int | str,
          today: date, second_person_check: str | None = None, *, owner: str) -> OutboxEntry:
    """Queue a change to an entry on CQRS, sent with ``If-Match: version`` (the version the user saw).

    Refused while the entry is approved (as last synced) or its window is closed. CQRS checks both again,
    and answers a stale version with the current record: the item then becomes a conflict.
    """
    record = cache_store.record(ods, KIND, entry_id)
    if record is None:
        raise EntryRefused("This entry is not on this PC yet. Sync, then try again.")
    if record.get("status") == APPROVED:
        raise EntryRefused(APPROVED_MESSAGE)
    when = as_date(record.get("achievement_date"))
    assert when is not None
    checked, form = _check(ods, form_for(str(record["service"]), when), values, notes, second_person_check)
    _check_open(ods, form, today)
    replaces = _replaceable(_target(ods, form.service, when))
    body = _body(checked, notes, second_person_check)
    entry = outbox.queue_draft(ods, form.service, when, "PUT", f"/practices/{ods}/manual-entries/{entry_id}",
                               body, owner=owner, if_match=version, kind=KIND, replaces=replaces)
    writes.announce(KIND)
    return entry


def resolve_conflict(key: str, keep: Literal["mine", "theirs"], *, owner: str, today: date | None = None
                     ) -> OutboxEntry | DraftEntry:
    """Settle a conflict. "mine": send our values again over the server's version (If-Match: theirs), in
    ``owner``'s name. "theirs": keep the server's version; ours become the draft, so nothing typed is lost.
    """
    item = outbox.get(key)
    if item is None or item.status not in ATTENTION:
        raise EntryRefused("This change has already been dealt with.")
    if keep == "theirs":
        return keep_as_draft(key)
    theirs = item.server_copy
    if item.status is not outbox.OutboxStatus.CONFLICT or not theirs:
        raise EntryRefused("There is no newer version on CQRS to compare with.")
    if theirs.get("status") == APPROVED:
        raise EntryRefused(APPROVED_MESSAGE + " Use theirs; your values will be kept as a draft.")
    when = as_date(theirs.get("achievement_date"))
    if today is not None and when is not None:
        _check_open(item.practice, form_for(str(theirs.get("service")), when), today)
    entry = outbox.resubmit(key, owner=owner, if_match=theirs.get("version"))
    writes.announce(KIND)
    return entry


def keep_as_draft(key: str) -> DraftEntry:
    """Take a refused or conflicting item out of the outbox, keeping its values as the draft."""
    item = outbox.get(key)
    if item is None:
        raise EntryRefused("This change has already been dealt with.")
    body = item.body or {}
    source: Mapping[str, Any] = body
    if item.method == "PUT":
        entry_id = entry_id_of(item.path)
        source = (cache_store.record(item.practice, KIND, entry_id) if entry_id is not None else None) \
            or item.server_copy or {}
    when = as_date(source.get("achievement_date"))
    if not source.get("service") or when is None:
        raise EntryRefused("The app cannot tell which entry this change was for. Sync, then try again.")
    draft = outbox.set_aside(key, str(source["service"]), when, dict(body.get("values") or {}),
                             str(body.get("notes") or ""))
    writes.announce(None)
    return draft
