"""Declarations as the practice sees them: one row per service and achievement date that has a calculated
result or a declaration, with its status, history, and whether it can be declared today.

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
from app.services.outbox import OutboxEntry
from app.services.record_types import DECLARATION, RESULT, TIMETABLE_EVENT
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
from app.services.windows import declaration_window

KIND = DECLARATION  # the outbox kind of a declaration is its feed type

NOT_DECLARED = "Not declared"
STATUSES = DECLARATION_STATUSES
DECLARABLE = (NOT_DECLARED, AWAITING_PROVIDER)
SYSTEM = "system"  # who the service records for an automatic step (a recalculation)

# The page's status filter; each row belongs to exactly one of the first three.
NEEDS_DECLARING = "Needs declaring"
WITH_COMMISSIONER = "With the commissioner"
PAID_STAGE = "Paid"
ALL = "All"
FILTERS = (NEEDS_DECLARING, WITH_COMMISSIONER, PAID_STAGE, ALL)

WAITING_TO_BE_SENT = "Waiting to be sent."
_PENDING = (OutboxStatus.QUEUED, OutboxStatus.SENDING)
_PROBLEM = (OutboxStatus.CONFLICT, OutboxStatus.FAILED)
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

    @property
    def key(self) -> str:
        """"SERVICE:YYYY-MM-DD", the id the service gives the result of the same period."""
        return f"{self.service}:{self.achievement_date.isoformat()}"

    @property
    def stage(self) -> str:
        """Which of the page's filters the row falls under (ALL aside)."""
        if self.status == PAID:
            return PAID_STAGE
        return NEEDS_DECLARING if self.status in DECLARABLE else WITH_COMMISSIONER

    @property
    def next_step(self) -> str:
        """One plain-English sentence or two: what happens next, or why it cannot be declared."""
        if self.waiting in _PENDING:
            return WAITING_TO_BE_SENT
        if self.waiting in _PROBLEM and self.status in DECLARABLE:
            return f"Not accepted by CQRS: {self.problem or 'no reason was given.'}"
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


def _row(service: str, when: date, result: Mapping[str, Any] | None, record: Mapping[str, Any] | None,
         item: OutboxEntry | None, events: list[dict[str, Any]], *, finance: bool, today: date
         ) -> DeclarationRow:
    status = str(record.get("status") or AWAITING_PROVIDER) if record else NOT_DECLARED
    history = _history(record)
    sent_back = is_sent_back(status, history)
    waiting = item.status if item is not None and item.status is not OutboxStatus.SENT else None
    window = declaration_window(events, service, when, today)
    if waiting in _PENDING:
        why_not = WAITING_TO_BE_SENT
    elif status not in DECLARABLE:
        why_not = _DECLARED_NOTES.get(status, f"Already declared ({status}).")
    elif result is None:
        why_not = f"There is no calculated achievement for {uk_date(when)} to declare."
    elif not window.open:
        why_not = window.message
    else:
        why_not = ""
    # A row declarable now shows what Declare would send (the calculation); a declared one what was declared
    # (and approved, and paid), even if a later extract changed the calculation.
    source = (result if status in DECLARABLE else record) or result or record or {}
    has_points = service == QOF_SERVICE or (result is not None and result.get("points") is not None)
    return DeclarationRow(
        service=service, service_name=_name(service, when, result), achievement_date=when,
        points=_fraction(source.get("points")) if has_points else None,
        payment=_fraction(source.get("payment")) if finance else None,
        status=status, history=history, sent_back=sent_back, can_declare=not why_not, why_not=why_not,
        waiting=waiting, window=window.message,
        declaration_id=record.get("id") if record else None,
        declared_at=_when(record.get("declared_at")) if record else None,
        declared_points=_fraction(record.get("points")) if record and has_points else None,
        declared_payment=_fraction(record.get("payment")) if record and finance else None,
        problem=item.server_message if item is not None and item.status in _PROBLEM else None)


def _rows(ods: str, *, finance: bool, today: date,
          only: tuple[str, date] | None = None) -> list[DeclarationRow]:
    results = {(r["service"], r["achievement_date"]): r for r in cache_store.records(ods, RESULT)
               if r.get("service") and r.get("achievement_date")}
    declared = {(r["service"], r["achievement_date"]): r for r in cache_store.records(ods, DECLARATION)
                if r.get("service") and r.get("achievement_date")}
    items = _declaration_items(ods)
    events = cache_store.records(ods, TIMETABLE_EVENT)
    keys = set(results) | set(declared)
    if only is not None:
        keys &= {(only[0], only[1].isoformat())}
    rows = [_row(service, date.fromisoformat(day), results.get((service, day)), declared.get((service, day)),
                 items.get((service, day)), events, finance=finance, today=today)
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
    achievement, already declared, already waiting to be sent, or outside the declaration window.
    """
    found = _rows(ods, finance=False, today=today, only=(service, achievement_date))
    if not found:
        raise DeclarationRefused(f"There is no calculated achievement for {service} on "
                                 f"{uk_date(achievement_date)} to declare.")
    row = found[0]
    if row.waiting in _PENDING:
        raise DeclarationRefused(f"{row.service_name} for {uk_date(achievement_date)} is already declared on "
                                 "this PC and waiting to be sent.")
    if not row.can_declare:
        raise DeclarationRefused(f"{row.service_name} for {uk_date(achievement_date)} cannot be declared: "
                                 f"{row.why_not}")
    return writes.queue(ods, KIND, "POST", f"/practices/{ods}/declarations",
                        {"service": service, "achievement_date": achievement_date.isoformat()}, owner=owner)
