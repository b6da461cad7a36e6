"""Declarations as the practice sees them: one row per service and achievement date that has a calculated
result or a declaration, with its status, history, and whether it can be declared today.

What can still be declared (its window open today) is kept apart from what was missed (the window closed
before it was declared); a service whose offer is not accepted cannot be declared, because CQRS pays
nothing for it until then (app.services.offer_rules, the same rule the service applies). Only claims are
listed: a monthly QOF result tracks progress and is never declared (app.services.windows), so it shows
here only if something was declared or queued for it in the past.

No Qt: run these through the task runner (database work). Declaring only queues the request in the
outbox; the sync engine sends it. The central service checks the same rules (role, window, status), so
nothing here is the only guard, but the app never queues what it already knows would be refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction
from typing import Any, NamedTuple

from app.models.outbox import OutboxStatus
from app.services import cache_store, outbox, writes
from app.services.format import uk_date
from app.services.offer_rules import declaring_block
from app.services.outbox import OutboxEntry
from app.services.record_types import DECLARATION, OFFER, PRACTICE, RESULT, TIMETABLE_EVENT
from app.services.rules import (
    APPROVED,
    AWAITING_COMMISSIONER,
    AWAITING_PROVIDER,
    DECLARATION_STATUSES,
    FINANCE_APPROVED,
    PAID,
    QOF_SERVICE,
    service_name,
)
from app.services.windows import (
    DECLARATION_DEADLINE,
    WindowState,
    declaration_window,
    event_spans,
    not_declarable_reason,
    not_declarable_short,
)

KIND = DECLARATION  # the outbox kind of a declaration is its feed type

NOT_DECLARED = "Not declared"
STATUSES = DECLARATION_STATUSES
DECLARABLE = (NOT_DECLARED, AWAITING_PROVIDER)
SYSTEM = "system"  # who the service records for an automatic step (a recalculation)

# The page's status filter. A row is in at most one of the first four: one not declared whose window has
# not opened yet, or whose offer rules it out for good, is listed under "All" only.
NEEDS_DECLARING = "Needs declaring"  # can be declared today (its window is open)
MISSED = "Missed"  # not declared, and its window has closed
WITH_COMMISSIONER = "With the commissioner"
PAID_STAGE = "Paid"
ALL = "All"
FILTERS = (NEEDS_DECLARING, MISSED, WITH_COMMISSIONER, PAID_STAGE, ALL)
OTHER_STAGE = ""

WAITING_TO_BE_SENT = "Waiting to be sent."
SENT_NOT_PULLED = "Sent to CQRS: it shows as declared here after the next sync."
_PENDING = (OutboxStatus.QUEUED, OutboxStatus.SENDING)
_PROBLEM = (OutboxStatus.CONFLICT, OutboxStatus.FAILED)
ITEM_WAITING, ITEM_REFUSED = _PENDING, _PROBLEM  # outbox states: on this PC, or refused by CQRS
_DECLARED_NOTES = {
    AWAITING_COMMISSIONER: "Declared; waiting for the commissioner to approve it.",
    APPROVED: "Approved; waiting for finance approval.",
    FINANCE_APPROVED: "Finance approved; waiting to be paid.",
    PAID: "Paid.",
}


class DeclarationRefused(ValueError):
    """Declaring is not possible (window closed, already declared, already queued...)."""

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message  # shown as it is (tasks.describe_error)


class HistoryStep(NamedTuple):
    status: str
    at: datetime
    by: str  # an email, or "system" for a step the service took itself


@dataclass(frozen=True)
class DeclarationRow:
    service: str
    service_name: str
    achievement_date: date
    points: Fraction | None  # as calculated while declarable, as declared once declared; None: no points
    payment: Fraction | None  # likewise; None without Finance View
    status: str  # one of STATUSES, or NOT_DECLARED
    history: tuple[HistoryStep, ...]
    sent_back: bool  # declared, then sent back to the practice by a recalculation: declare again
    can_declare: bool
    why_not: str  # "" when it can be declared
    waiting: OutboxStatus | None  # the newest outbox item for it, unless that one has been sent
    window: str  # the timetable's word, e.g. "Declare by 24 Nov 2025."
    declaration_id: int | None = None
    declared_at: datetime | None = None
    declared_points: Fraction | None = None
    declared_payment: Fraction | None = None  # None without Finance View
    problem: str | None = None  # the server's reason when the newest outbox item was refused
    window_open: bool = False  # declaring is open today
    missed: bool = False  # declarable, but its window closed before it was declared
    offer_block: str = ""  # why its offer stops it being declared (paid), in a few words; "" if it does not
    offer_final: bool = False  # the offer rules it out for good (rejected, participation only)
    nothing_to_pay: bool = False  # what Declare would send pays nothing (£0.00), whoever may see £
    item_key: str | None = None  # the newest outbox item for it (its Idempotency-Key), sent ones included
    item_status: OutboxStatus | None = None  # that item's status
    claim: bool = True  # False: a result that is never declared (a monthly QOF result), shown for its past


    @property
    def key(self) -> str:
        """"SERVICE:YYYY-MM-DD", the id the service gives the result of the same period."""
        return f"{self.service}:{self.achievement_date.isoformat()}"

    @property
    def stage(self) -> str:
        """Which of the page's filters the row falls under (ALL aside)."""
        if self.status == PAID:
            return PAID_STAGE
        if self.status not in DECLARABLE:
            return WITH_COMMISSIONER
        if self.missed:
            return MISSED
        return NEEDS_DECLARING if self.window_open and not self.offer_final else OTHER_STAGE

    @property
    def next_step(self) -> str:
        """One plain-English sentence or two: what happens next, or why it cannot be declared."""
        if self.waiting in _PENDING:
            return WAITING_TO_BE_SENT
        if self.why_not == SENT_NOT_PULLED:
            return SENT_NOT_PULLED
        if self.waiting in _PROBLEM and self.status in DECLARABLE:
            return f"Not accepted by CQRS: {self.problem or 'no reason was given.'}"
        if not self.claim and self.status in DECLARABLE:
            return self.window  # what it is for, in a few words; why_not says it in full
        if self.offer_block and self.status in DECLARABLE and (self.window_open or self.offer_final):
            return self.offer_block if self.offer_final else f"{self.offer_block} {self.window}"
        if not self.sent_back:
            return self.window if self.can_declare else self.why_not
        text = self.window.replace("Declare by", "Declare again by", 1) if self.can_declare else self.why_not
        return f"Sent back after a recalculation. {text}"


def _fraction(value: Any) -> Fraction | None:
    if value is None or value == "":
        return None
    try:
        return Fraction(str(value))
    except (ValueError, ZeroDivisionError):
        return None


def _when(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) and value else None
    except ValueError:
        return None


def _name(service: str, achievement_date: date, record: Mapping[str, Any] | None = None) -> str:
    """The service's name: from its result if it carries one, else from the rules of that QOF year."""
    return str(record["name"]) if record and record.get("name") else service_name(service, achievement_date)


def _history(record: Mapping[str, Any] | None) -> tuple[HistoryStep, ...]:
    steps = []
    for entry in (record or {}).get("history") or ():
        at = _when(entry.get("at")) if isinstance(entry, Mapping) else None
        if at is not None:
            steps.append(HistoryStep(str(entry.get("status") or ""), at, str(entry.get("by") or "")))
    return tuple(steps)


def is_sent_back(status: str, history: Iterable[HistoryStep]) -> bool:
    """Back at the first status after having gone past it (only a recalculation does that)."""
    return status == AWAITING_PROVIDER and any(step.status != AWAITING_PROVIDER for step in history)


def _declaration_items(ods: str) -> dict[tuple[str, str], OutboxEntry]:
    """The newest declaration outbox item per (service, ISO achievement date)."""
    newest: dict[tuple[str, str], OutboxEntry] = {}
    for item in outbox.items(ods):  # oldest first, so later ones win
        body = item.body or {}
        if item.kind == KIND and item.method == "POST":
            newest[(str(body.get("service")), str(body.get("achievement_date")))] = item
    return newest


def _closed(events: list[dict[str, Any]], service: str, when: date, today: date) -> bool:
    """The declaration deadline of ``service`` at ``when`` has passed (the window rules' last day)."""
    deadlines = [starts for starts, _ends in event_spans(events, DECLARATION_DEADLINE, service, when)]
    return bool(deadlines) and today > max(deadlines)


def _pays_nothing(source: Mapping[str, Any]) -> bool:
    """What would be declared pays nothing: £0.00, or (where £ was left out) no paid items or points."""
    payment = _fraction(source.get("payment"))
    if payment is not None:
        return payment == 0
    if source.get("paid_count") is not None:
        return int(source["paid_count"]) == 0
    points = _fraction(source.get("points"))
    return points is not None and points == 0


def _row(service: str, when: date, result: Mapping[str, Any] | None, record: Mapping[str, Any] | None,
         item: OutboxEntry | None, events: list[dict[str, Any]], offers: list[dict[str, Any]], *,
         finance: bool, today: date) -> DeclarationRow:
    status = str(record.get("status") or AWAITING_PROVIDER) if record else NOT_DECLARED
    history = _history(record)
    not_claim = not_declarable_reason(service, when)
    sent_back = is_sent_back(status, history) and not_claim is None  # not to be declared again
    waiting = item.status if item is not None and item.status is not OutboxStatus.SENT else None
    window = declaration_window(events, service, when, today)
    if not_claim is not None:  # never declarable, so no window is open and none was missed
        window = WindowState(False, not_declarable_short(service, when))
    name = _name(service, when, result)
    open_claim = status in DECLARABLE and not_claim is None
    block = declaring_block(offers, service, when, name) if open_claim else None
    if waiting in _PENDING:
        why_not = WAITING_TO_BE_SENT
    elif record is None and item is not None and item.status is OutboxStatus.SENT:
        why_not = SENT_NOT_PULLED  # CQRS has it; the pull that brings it back has not happened yet
    elif status not in DECLARABLE:
        why_not = _DECLARED_NOTES.get(status, f"Already declared ({status}).")
    elif not_claim is not None:
        why_not = not_claim
    elif result is None:
        why_not = f"There is no calculated achievement for {uk_date(when)} to declare."
    elif block is not None and (block.final or window.open):
        why_not = block.message
    elif not window.open:
        why_not = window.message
    else:
        why_not = ""
    missed = (open_claim and result is not None and not (block and block.final)
              and _closed(events, service, when, today))
    # A row declarable now shows what Declare would send (the calculation); a declared one what was declared
    # (and approved, and paid), even if a later extract changed the calculation.
    source = (result if status in DECLARABLE else record) or result or record or {}
    has_points = service == QOF_SERVICE or (result is not None and result.get("points") is not None)
    return DeclarationRow(
        service=service, service_name=name, achievement_date=when,
        points=_fraction(source.get("points")) if has_points else None,
        payment=_fraction(source.get("payment")) if finance else None,
        status=status, history=history, sent_back=sent_back, can_declare=not why_not, why_not=why_not,
        waiting=waiting, window=window.message,
        declaration_id=record.get("id") if record else None,
        declared_at=_when(record.get("declared_at")) if record else None,
        declared_points=_fraction(record.get("points")) if record and has_points else None,
        declared_payment=_fraction(record.get("payment")) if record and finance else None,
        problem=item.server_message if item is not None and item.status in _PROBLEM else None,
        window_open=window.open, missed=missed, offer_block=block.short if block else "",
        offer_final=bool(block and block.final),
        nothing_to_pay=status in DECLARABLE and _pays_nothing(source),
        item_key=item.key if item is not None else None,
        item_status=item.status if item is not None else None, claim=not_claim is None)


def _rows(ods: str, *, finance: bool, today: date,
          only: tuple[str, date] | None = None) -> list[DeclarationRow]:
    results = {(r["service"], r["achievement_date"]): r for r in cache_store.records(ods, RESULT)
               if r.get("service") and r.get("achievement_date")}
    declared = {(r["service"], r["achievement_date"]): r for r in cache_store.records(ods, DECLARATION)
                if r.get("service") and r.get("achievement_date")}
    items = _declaration_items(ods)
    events = cache_store.records(ods, TIMETABLE_EVENT)
    offers = cache_store.records(ods, OFFER)
    # A result that is not a claim (a monthly QOF result) is left out, unless declared or queued before.
    keys = {key for key in results
            if key in items or not_declarable_reason(key[0], date.fromisoformat(key[1])) is None}
    keys |= set(declared)
    if only is not None:
        keys &= {(only[0], only[1].isoformat())}
    rows = [_row(service, date.fromisoformat(day), results.get((service, day)), declared.get((service, day)),
                 items.get((service, day)), events, offers, finance=finance, today=today)
            for service, day in keys]
    # Newest period first; within it, by name, as a practice manager scans them.
    return sorted(rows, key=lambda row: (-row.achievement_date.toordinal(), row.service_name.casefold()))


def load(ods: str, *, finance: bool, today: date) -> list[DeclarationRow]:
    """Every service and achievement date with a calculated result or a declaration, newest first.

    ``finance``: whether the user has Finance View (money is left out otherwise);
    ``today``: the service's date, which the declaration deadlines are judged by.
    """
    return _rows(ods, finance=finance, today=today)


def declare(ods: str, service: str, achievement_date: date, today: date, *, owner: str) -> OutboxEntry:
    """Queue the declaration of ``service`` at ``achievement_date`` in ``owner``'s name (the signed-in
    person's email) and announce it; it is on disk when this returns.

    Raises DeclarationRefused (nothing queued) when it cannot be declared today: no calculated
    achievement, already declared, already waiting to be sent, outside the declaration window, or its
    offer not accepted.
    """
    found = _rows(ods, finance=False, today=today, only=(service, achievement_date))
    _check(found[0] if found else None, service, achievement_date)
    return writes.queue(ods, KIND, "POST", _path(ods), _body(service, achievement_date), owner=owner)


@dataclass(frozen=True)
class Outcome:
    """What became of one declaration asked for by :func:`declare_many`."""

    key: str  # DeclarationRow.key
    entry: OutboxEntry | None  # queued
    refused: str | None = None  # why it was not queued, in plain English


def declare_many(ods: str, keys: Iterable[str], today: date, *, owner: str) -> list[Outcome]:
    """Queue one declaration per key ("SERVICE:YYYY-MM-DD"), each its own outbox item in ``owner``'s name,
    checked as :func:`declare` checks one; a refused one stops or undoes none of the others.

    The hub hears once, after the last, so one sync sends them all and each page reloads once.
    """
    rows = {row.key: row for row in _rows(ods, finance=False, today=today)}
    outcomes: list[Outcome] = []
    try:
        for key in keys:
            service, _, day = key.partition(":")
            try:
                when = date.fromisoformat(day)
                _check(rows.get(key), service, when)
            except ValueError as error:  # a DeclarationRefused, or a key that names no date
                message = error.user_message if isinstance(error, DeclarationRefused) else str(error)
                outcomes.append(Outcome(key, None, message))
                continue
            entry = outbox.enqueue(ods, KIND, "POST", _path(ods), _body(service, when), owner=owner)
            outcomes.append(Outcome(key, entry))
    finally:
        if any(outcome.entry is not None for outcome in outcomes):
            writes.announce(KIND)
    return outcomes


def commissioner(ods: str) -> str | None:
    """The name of the practice's commissioner (its ICB), as the practice record in the cache has it."""
    for record in cache_store.records(ods, PRACTICE):
        ref = record.get("commissioner")
        if isinstance(ref, Mapping) and ref.get("name"):
            return str(ref["name"])
    return None


def _check(row: DeclarationRow | None, service: str, achievement_date: date) -> None:
    if row is None and (reason := not_declarable_reason(service, achievement_date)) is not None:
        raise DeclarationRefused(reason)
    if row is None:
        raise DeclarationRefused(f"There is no calculated achievement for {service} on "
                                 f"{uk_date(achievement_date)} to declare.")
    if row.waiting in _PENDING:
        raise DeclarationRefused(f"{row.service_name} for {uk_date(achievement_date)} is already declared on "
                                 "this PC and waiting to be sent.")
    if row.why_not == SENT_NOT_PULLED:
        raise DeclarationRefused(f"{row.service_name} for {uk_date(achievement_date)} has already been sent "
                                 "to CQRS: it shows as declared here after the next sync.")
    if not row.can_declare:
        raise DeclarationRefused(f"{row.service_name} for {uk_date(achievement_date)} cannot be declared: "
                                 f"{row.why_not}")


def _path(ods: str) -> str:
    return f"/practices/{ods}/declarations"


def _body(service: str, achievement_date: date) -> dict[str, str]:
    return {"service": service, "achievement_date": achievement_date.isoformat()}
