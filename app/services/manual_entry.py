"""Manual entry: forms built from each service's manual items, checks as the user types, drafts, sending
through the outbox, amendments, conflicts and each entry's history.

No Qt. Functions that read or write the cache run on the database worker (``tasks.run(..., kind="db")``);
``confirm_second_person`` goes to the network (``kind="net"``). The value checks are the central service's
own (app.services.entry_rules), so what the form accepts, CQRS accepts.

One form per service and achievement date. For one of those the app keeps at most one of: a draft, or an
outbox item (waiting, refused or in conflict). Queuing deletes the draft in the same transaction as the
item is stored; keeping the server's version (or going back to edit a refused item) turns the item back
into the draft. So a crash can neither lose what the user typed nor send it twice.

Every function that changes drafts or the outbox announces it on the hub once (app.services.writes);
those that queue something to send take ``owner``, the signed-in person's email, and it goes in their name.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from app.services import cache_store, entry_rules, outbox, writes
from app.services.entry_context import PracticeContext, practice_context
from app.services.format import uk_date
from app.services.outbox import DraftEntry, OutboxEntry
from app.services.record_types import MANUAL_ENTRY, TIMETABLE_EVENT
from app.services.rules import RuleSet, Service, qof_year, rules_for, service_name
from app.services.second_person import (  # noqa: F401  (part of this module's interface)
    CONFIRMING_ROLES,
    SecondPersonConfirmation,
    SecondPersonRefused,
    confirm_second_person,
)
from app.services.windows import ENTRY_WINDOW, WindowState, entry_window

KIND = MANUAL_ENTRY  # the outbox kind of an entry is its feed type
TIMETABLE = TIMETABLE_EVENT
MAX_NOTES = entry_rules.MAX_NOTES
COUNT, YES_NO = "count", "yes_no"

# Statuses of a row in the list of entries.
DRAFT, QUEUED, SUBMITTED, APPROVED, REJECTED, CONFLICT, FAILED = (
    "draft", "queued", "submitted", "approved", "rejected", "conflict", "failed")
_WAITING = (outbox.OutboxStatus.QUEUED, outbox.OutboxStatus.SENDING)
_ATTENTION = (outbox.OutboxStatus.CONFLICT, outbox.OutboxStatus.FAILED)

# Plain-English labels, short labels (for lists) and hints for the items a practice enters by hand.
ITEM_TEXT: dict[str, tuple[str, str, str]] = {
    "LD_REG": ("People on the learning disability register", "LD register",
               "Health checks are paid for up to this number of people."),
    "REFERRALS": ("Referrals made", "Referrals", "Referrals to a weight management service in the month."),
    "ALLOCATION": ("Referral allocation", "Allocation",
                   "The number of referrals the commissioner allocated to you."),
    "DOSES": ("Doses given", "Doses", "Vaccinations given in the month that CQRS cannot extract."),
    "NUMERATOR": ("Patients who met the indicator (numerator)", "Numerator", ""),
    "DENOMINATOR": ("Eligible patients (denominator)", "Denominator", ""),
}
# What a cap is called in a warning: "only up to the allocation is paid".
CAP_WORDS = {"ALLOCATION": "allocation", "LD_REG": "register size"}
_ACTION_WORDS = {"manual entry created": "Submitted", "manual entry amended": "Amended",
                 "manual entry approved": "Approved", "manual entry rejected": "Rejected"}
_WHOLE = re.compile(r"^\d+$|^\d{1,3}(,\d{3})+$")  # 1234 or 1,234


class EntryRefused(ValueError):
    """The entry cannot be saved or queued as it is; ``user_message`` says why, ``fields`` per field."""

    def __init__(self, user_message: str, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(user_message)
        self.user_message = user_message
        self.fields = dict(fields or {})


# --- form definitions ----------------------------------------------------------------------------

@dataclass(frozen=True)
class FieldDefinition:
    name: str  # the item code sent to CQRS, e.g. LD_REG
    label: str
    kind: str = COUNT  # COUNT (a whole number) or YES_NO (1 or 0)
    minimum: int = 0
    maximum: int | None = None  # the stated maximum in the rules (the list size may lower it)
    required: bool = True
    hint: str = ""
    short: str = ""  # for lists: "LD register"

    @property
    def short_label(self) -> str:
        return self.short or self.label


@dataclass(frozen=True)
class CapRule:
    """``item`` above ``cap`` is allowed (the count is true) but only up to the cap is paid: a warning.
    The cap is a field of the form, or a count CQRS holds (e.g. the allocation the commissioner set)."""

    item: str
    cap: str
    word: str  # "allocation"


@dataclass(frozen=True)
class FormDefinition:
    service: str
    service_name: str
    achievement_date: date
    fields: tuple[FieldDefinition, ...]
    caps: tuple[CapRule, ...] = ()
    note: str = ""  # the rules' note on the service, e.g. when referrals must be entered
    rules: Service | None = None  # the service's rules, which the values are checked against
    list_size: int | None = None  # the practice's list size at the date, when synced
    known: Mapping[str, int] = dataclasses.field(default_factory=dict)  # counts CQRS holds, e.g. ALLOCATION

    @property
    def set_by_commissioner(self) -> tuple[str, ...]:
        """Items of this service the commissioner sets (shown, never entered)."""
        return self.rules.commissioner if self.rules else ()

    @property
    def title(self) -> str:
        return f"{self.service_name}, {uk_date(self.achievement_date)}"

    def field(self, name: str) -> FieldDefinition:
        return next(f for f in self.fields if f.name == name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


def _rules(achievement_date: date) -> RuleSet:
    rules = rules_for(qof_year(achievement_date))
    if rules is None:
        raise EntryRefused(f"This version of the app has no rules for {qof_year(achievement_date)}.")
    return rules


def field_for(item: str, service: Service | None = None) -> FieldDefinition:
    """The field of one item code, whatever the service and year (labels for lists and summaries)."""
    label, short, hint = ITEM_TEXT.get(item, (item.replace("_", " ").capitalize(), "", ""))
    limit = service.limits.get(item) if service else None
    return FieldDefinition(item, label, hint=hint, short=short, maximum=limit.maximum if limit else None)


def _form(service: Service, achievement_date: date, list_size: int | None,
          known: Mapping[str, int]) -> FormDefinition:
    fields = tuple(field_for(item, service) for item in service.manual)
    caps = ()
    if service.cap_item and service.item in service.manual and service.cap_item not in service.automatic:
        caps = (CapRule(service.item, service.cap_item, CAP_WORDS.get(service.cap_item, "limit")),)
    held = {item: count for item, count in known.items() if item not in service.manual}
    return FormDefinition(service.code, service.name, achievement_date, fields, caps, service.note,
                          service, list_size, held)


def form_for(service: str, achievement_date: date, context: PracticeContext | None = None) -> FormDefinition:
    """The form of ``service`` for ``achievement_date``, from that QOF year's manual items; with the
    practice's ``context`` (from the cache) it also knows the list size and the counts CQRS holds."""
    rules = _rules(achievement_date)
    found = rules.services.get(service)
    if found is None or not found.manual:
        raise EntryRefused(f"{service} has nothing to enter by hand in {rules.year}.")
    context = context or PracticeContext()
    return _form(found, achievement_date, context.list_size_at(achievement_date),
                 context.counts_at(service, achievement_date))


def manual_services(achievement_date: date) -> list[tuple[str, str]]:
    """(code, name) of every service with items entered by hand in that date's QOF year."""
    rules = rules_for(qof_year(achievement_date))
    if rules is None:
        return []
    return [(code, s.name) for code, s in rules.services.items() if s.manual]


# --- checking what the user typed ----------------------------------------------------------------

def _text(raw: Any) -> str:
    return "" if raw is None else str(raw).strip()


def _parse(definition: FieldDefinition, raw: Any) -> tuple[int | None, str | None]:
    """(value, problem) for one field; (None, None) when it is empty and may be."""
    text = _text(raw)
    if definition.kind == YES_NO:
        answer = {"yes": 1, "y": 1, "1": 1, "no": 0, "n": 0, "0": 0}.get(text.lower())
        if answer is None:
            return None, "Choose yes or no." if text or definition.required else None
        return answer, None
    if not text:
        return None, "Enter a whole number (0 if there were none)." if definition.required else None
    if text.startswith("-") and _WHOLE.match(text[1:]):
        return None, f"Must be {definition.minimum:,} or more."
    if not _WHOLE.match(text):
        if re.fullmatch(r"[\d,]*\.\d*", text):
            return None, "Enter a whole number, without decimals."
        return None, "Enter a whole number using digits only, such as 58."
    value = int(text.replace(",", ""))
    if value < definition.minimum:
        return None, f"Must be {definition.minimum:,} or more."
    return value, None


def validate(form: FormDefinition, raw_texts: Mapping[str, Any]) -> dict[str, str]:
    """Problems that stop the entry being queued, per field (empty when it can be queued).

    What was typed is read here; the whole numbers are then checked exactly as CQRS checks them (the
    items allowed, each item's stated maximum and the practice's list size, numerator and denominator).
    """
    problems: dict[str, str] = {}
    values: dict[str, int] = {}
    for definition in form.fields:
        value, problem = _parse(definition, raw_texts.get(definition.name))
        if problem:
            problems[definition.name] = problem
        elif value is not None:
            values[definition.name] = value
    if values:
        shared = (entry_rules.value_problems(form.rules, values, form.list_size) if form.rules
                  else entry_rules.count_problems(values))
        for field, problem in shared.items():
            problems.setdefault(field.removeprefix("values."), problem)
    if not problems and not values:
        problems[form.fields[0].name] = "Enter at least one value."
    return problems


def notes_problem(notes: str) -> str | None:
    """Why the notes cannot be sent (too long, or something like an NHS number), or None."""
    return entry_rules.notes_problems(notes).get("notes")


def _cap_value(form: FormDefinition, rule: CapRule, raw_texts: Mapping[str, Any]) -> int | None:
    if rule.cap in form.names:
        return _parse(form.field(rule.cap), raw_texts.get(rule.cap))[0]
    return form.known.get(rule.cap)


def warnings(form: FormDefinition, raw_texts: Mapping[str, Any]) -> dict[str, str]:
    """Things worth knowing that do not stop queuing, per field (e.g. referrals above the allocation)."""
    found: dict[str, str] = {}
    for rule in form.caps:
        item, _ = _parse(form.field(rule.item), raw_texts.get(rule.item))
        cap = _cap_value(form, rule, raw_texts)
        if item is not None and cap is not None and item > cap:
            found[rule.item] = (f"More than the {rule.word} of {cap:,}: only up to the {rule.word} is paid. "
                                "You can still send it.")
    return found


def values_of(form: FormDefinition, raw_texts: Mapping[str, Any]) -> dict[str, int]:
    """The valid, non-empty values as whole numbers (what is sent)."""
    values = {}
    for definition in form.fields:
        value, problem = _parse(definition, raw_texts.get(definition.name))
        if value is not None and problem is None:
            values[definition.name] = value
    return values


def draft_values(form: FormDefinition, raw_texts: Mapping[str, Any]) -> dict[str, int | str]:
    """What a draft keeps: whole numbers where they are valid, otherwise the text as typed."""
    kept: dict[str, int | str] = {}
    for definition in form.fields:
        text = _text(raw_texts.get(definition.name))
        if text:
            value, problem = _parse(definition, text)
            kept[definition.name] = value if value is not None and problem is None else text
    return kept


# --- the list of entries -------------------------------------------------------------------------

@dataclass(frozen=True)
class HistoryItem:
    at: datetime
    by: str
    what: str


@dataclass(frozen=True)
class EntryRow:
    key: str  # unique in the list: "entry:12", "outbox:<key>", "draft:WM:2025-10-31"
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
    window: WindowState | None = None  # the entry window on the day asked about

    @property
    def can_amend(self) -> bool:
        """Whether this entry may be changed and queued today (approved ones and closed windows may not)."""
        return (self.status in (DRAFT, SUBMITTED, REJECTED, FAILED)
                and (self.window is None or self.window.open))


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


def _as_date(value: Any) -> date | None:
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


def _server_history(record: Mapping[str, Any]) -> list[HistoryItem]:
    items = []
    for step in record.get("history") or []:
        at = _as_datetime(step.get("at"))
        if at is not None:
            action = str(step.get("action", ""))
            items.append(HistoryItem(at, str(step.get("by", "")),
                                     _ACTION_WORDS.get(action, action.capitalize())))
    return items


def _entry_id(path: str) -> int | None:
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return int(last) if last.isdigit() else None


def _window(events: list[dict[str, Any]], service: str, achievement_date: date,
            today: date | None) -> WindowState | None:
    return None if today is None else entry_window(events, service, achievement_date, today)


def _item_row(item: OutboxEntry, record: Mapping[str, Any] | None, events: list[dict[str, Any]],
              today: date | None) -> EntryRow | None:
    body = item.body or {}
    source: Mapping[str, Any] = record or item.server_copy or body
    service, when = str(source.get("service") or ""), _as_date(source.get("achievement_date"))
    if not service or when is None:
        return None  # an amendment of an entry this PC has not synced: shown once it has
    if item.status in _WAITING or item.status is outbox.OutboxStatus.SENT:
        status = QUEUED
    elif item.status is outbox.OutboxStatus.CONFLICT and item.server_copy:
        status = CONFLICT
    else:  # refused, or a 409 without the server's copy (e.g. the entry window had closed)
        status = FAILED
    history = _server_history(record) if record else []
    history.append(HistoryItem(_aware(item.created_at), "This PC",
                               "Amendment queued" if item.method == "PUT" else "Queued to send"))
    if status in (CONFLICT, FAILED):
        history.append(HistoryItem(_aware(item.updated_at), "CQRS", status_words(status, item.server_message,
                                                                                   item.server_copy)))
    return EntryRow(
        key=f"outbox:{item.key}", service=service, service_name=service_name(service, when),
        achievement_date=when, values=dict(body.get("values") or {}), notes=str(body.get("notes") or ""),
        status=status, status_text=status_words(status, item.server_message, item.server_copy),
        held=("Sent, shown from this PC until the next sync" if item.status is outbox.OutboxStatus.SENT
              else "Waiting to send" if status == QUEUED else "This PC, needs you"),
        entry_id=_entry_id(item.path) if item.method == "PUT" else None,
        version=int(item.if_match) if item.if_match and item.if_match.isdigit() else None,
        outbox_key=item.key, message=item.server_message, server_copy=item.server_copy,
        updated_at=_aware(item.updated_at), history=tuple(sorted(history, key=lambda h: h.at)),
        window=_window(events, service, when, today))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _record_row(record: Mapping[str, Any], events: list[dict[str, Any]], today: date | None
                ) -> EntryRow | None:
    service, when = str(record.get("service") or ""), _as_date(record.get("achievement_date"))
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
        updated_at=_as_datetime(record.get("updated_at")), history=tuple(_server_history(record)),
        window=_window(events, service, when, today))


def _draft_row(draft: DraftEntry, record: Mapping[str, Any] | None, events: list[dict[str, Any]],
               today: date | None) -> EntryRow:
    history = _server_history(record) if record else []
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


def _newest_records(records: Iterable[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """Per (service, achievement date), the newest entry on CQRS: the one a form amends."""
    newest: dict[tuple[str, str], dict[str, Any]] = {}
    for record in sorted(records, key=lambda r: int(r["id"])):
        newest[(str(record.get("service")), str(record.get("achievement_date")))] = record
    return newest


def entries(ods: str, today: date | None = None) -> list[EntryRow]:
    """Drafts, outbox items and synced entries of a practice in one list, newest achievement date first.

    A change of ours waiting to be sent, refused or in conflict stands in for the synced entry it
    amends (its values are ours; the server's are in ``server_copy`` for a conflict). With ``today``,
    each row also says whether its entry window is open.
    """
    records = cache_store.records(ods, KIND)
    by_id = {int(r["id"]): r for r in records}
    events = cache_store.records(ods, TIMETABLE) if today is not None else []
    rows: dict[str, EntryRow] = {}
    for record in records:
        row = _record_row(record, events, today)
        if row is not None:
            rows[row.key] = row
    newest = _newest_records(records)
    for item in outbox.items(ods, (*_WAITING, *_ATTENTION, outbox.OutboxStatus.SENT)):
        if item.kind != KIND or _synced(item, newest):
            continue
        entry_id = _entry_id(item.path) if item.method == "PUT" else None
        row = _item_row(item, by_id.get(entry_id) if entry_id else None, events, today)
        if row is None:
            continue
        if entry_id is not None:
            rows.pop(f"entry:{entry_id}", None)  # our change stands in for the entry it amends
        rows[row.key] = row
    for draft in outbox.drafts(ods):
        record = newest.get((draft.service, draft.achievement_date.isoformat()))
        row = _draft_row(draft, record, events, today)
        rows[row.key] = row
    return sorted(rows.values(), key=lambda r: (-r.achievement_date.toordinal(), r.service, r.key))


# --- choosing what to enter ----------------------------------------------------------------------

@dataclass(frozen=True)
class EntryChoice:
    service: str
    service_name: str
    achievement_date: date
    window: WindowState

    @property
    def label(self) -> str:
        return f"{self.service_name}, {uk_date(self.achievement_date)}"


def choices(ods: str, today: date) -> list[EntryChoice]:
    """Services with manual items and the achievement dates of the timetable's entry windows, newest first.

    Dates whose window opens more than a month ahead are left out; closed ones stay, so a late draft can
    still be kept and the form says when the window closed.
    """
    events = cache_store.records(ods, TIMETABLE)
    horizon = today + timedelta(days=31)
    windows: dict[date, set[str | None]] = {}  # achievement date -> services its windows cover (None: all)
    for event in events:
        when, starts = _as_date(event.get("achievement_date")), _as_date(event.get("starts"))
        if event.get("kind") == ENTRY_WINDOW and when and starts and starts <= horizon:
            windows.setdefault(when, set()).add(event.get("service"))
    found = []
    for when in sorted(windows, reverse=True):
        for code, name in manual_services(when):
            if None in windows[when] or code in windows[when]:  # the QOF year-end window is QOF's only
                found.append(EntryChoice(code, name, when, entry_window(events, code, when, today)))
    return found


def window_for(ods: str, service: str, achievement_date: date, today: date) -> WindowState:
    """The entry window of one form on ``today``, from the synced timetable."""
    return entry_window(cache_store.records(ods, TIMETABLE), service, achievement_date, today)


# --- saving, queuing and amending -----------------------------------------------------------------

@dataclass(frozen=True)
class _Target:
    """What the app holds for one service and achievement date."""

    record: dict[str, Any] | None
    waiting: OutboxEntry | None = None
    attention: OutboxEntry | None = None


def _target(ods: str, service: str, achievement_date: date) -> _Target:
    records = cache_store.records(ods, KIND)
    by_id = {int(r["id"]): r for r in records}
    record = _newest_records(records).get((service, achievement_date.isoformat()))
    waiting = attention = None
    newest = _newest_records(records)
    for item in outbox.items(ods, (*_WAITING, *_ATTENTION, outbox.OutboxStatus.SENT)):
        if item.kind != KIND or _synced(item, newest):
            continue
        body = item.body or {}
        if item.method == "PUT":
            entry_id = _entry_id(item.path)
            source = by_id.get(entry_id) if entry_id is not None else None
            source = source or item.server_copy or {}
        else:
            source = body
        if source.get("service") != service or source.get("achievement_date") != achievement_date.isoformat():
            continue
        if item.status in _WAITING or item.status is outbox.OutboxStatus.SENT:
            waiting = item
        else:
            attention = item
    return _Target(record, waiting, attention)


def _synced(item: OutboxEntry, newest: Mapping[tuple[str, str], Mapping[str, Any]]) -> bool:
    """Whether a sent item is already in the cache (then the record shows it, not the item).

    A new entry that reached CQRS but whose record has not been pulled yet (the pull failed after the
    push) still shows, and still blocks a second new entry for the same service and date.
    """
    if item.status is not outbox.OutboxStatus.SENT:
        return False
    if item.method != "POST":
        return True  # an amendment: the entry itself is already in the cache
    body = item.body or {}
    return (body.get("service"), body.get("achievement_date")) in newest


_WAITING_MESSAGE = ("Your last change to this entry is waiting to be sent. You can change it again once it "
                    "has reached CQRS.")
_CONFLICT_MESSAGE = "CQRS holds a newer version of this entry. Choose which version to keep first."
_APPROVED_MESSAGE = "This entry has been approved, so it can no longer be amended."


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


def save_draft(ods: str, form: FormDefinition, raw_texts: Mapping[str, Any], notes: str = "") -> DraftEntry:
    """Keep what the user typed as the draft of this form (valid or not, window open or not; no network).

    A refused item for the same form becomes this draft in the same transaction.
    """
    target = _target(ods, form.service, form.achievement_date)
    if target.waiting is not None:
        raise EntryRefused(_WAITING_MESSAGE)
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
        raise EntryRefused(_WAITING_MESSAGE)
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
        raise EntryRefused(_APPROVED_MESSAGE)
    when = _as_date(record.get("achievement_date"))
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
    if item is None or item.status not in _ATTENTION:
        raise EntryRefused("This change has already been dealt with.")
    if keep == "theirs":
        return keep_as_draft(key)
    theirs = item.server_copy
    if item.status is not outbox.OutboxStatus.CONFLICT or not theirs:
        raise EntryRefused("There is no newer version on CQRS to compare with.")
    if theirs.get("status") == APPROVED:
        raise EntryRefused(_APPROVED_MESSAGE + " Use theirs; your values will be kept as a draft.")
    when = _as_date(theirs.get("achievement_date"))
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
        entry_id = _entry_id(item.path)
        source = (cache_store.record(item.practice, KIND, entry_id) if entry_id is not None else None) \
            or item.server_copy or {}
    when = _as_date(source.get("achievement_date"))
    if not source.get("service") or when is None:
        raise EntryRefused("The app cannot tell which entry this change was for. Sync, then try again.")
    draft = outbox.set_aside(key, str(source["service"]), when, dict(body.get("values") or {}),
                             str(body.get("notes") or ""))
    writes.announce(None)
    return draft
