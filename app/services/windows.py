"""Entry windows and declaration deadlines from the timetable, judged on the service's date in England.

Shared rules (pure: no Qt, no database, no network), imported by both halves: the central service
refuses what falls outside a window (central.windows) and the desktop says so first, in the same words,
so a form can tell when its window opens or closed and never queues what would be refused.

- Entry window: an "entry window" event for the achievement date whose first-last days cover today.
- Declaration window: from the day after the achievement date up to the latest "declaration deadline"
  event for that achievement date.
- Only a claim is declared at all: QOF for its year end (31 March) only. CQRS calculates the QOF
  achievement payment from the year-end extract; the monthly QOF results track progress through the year
  (the dashboard) and are not used for payment, and aspiration is paid monthly without a declaration.
  Other services (enhanced services, V&I) are declared per period. The service refuses the rest (422
  ``not_declarable``); the desktop neither lists them as declarable or missed nor queues them.
A window event with no service applies to every service. Days are counted in England (Europe/London),
whatever the machine's zone; dates are worded by app.services.format, never by the machine's locale.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from app.services.format import to_london, uk_date
from app.services.rules import QOF_SERVICE, qof_year

# Timetable event kinds that open and close windows.
ENTRY_WINDOW = "entry window"
DECLARATION_DEADLINE = "declaration deadline"
# The timetable's other kinds of event, named once for the service's plan and the desktop's calendar.
EXTRACTION = "extraction"
PAYMENT = "payment"
YEAR_END = "year end"
APPROVAL = "commissioner approval"
ASPIRATION = "aspiration payment"

Span = tuple[date, date]  # an event's first and last day
YEAR_END_MONTH, YEAR_END_DAY = 3, 31  # 31 March, the QOF year's last day


@dataclass(frozen=True)
class WindowState:
    open: bool
    message: str  # plain English: when it opens, closes or closed


def england_day(now: datetime) -> date:
    """The date in England at ``now`` (naive datetimes are UTC): the day windows are judged on."""
    return to_london(now).date()


def entry_state(spans: Iterable[Span], achievement_date: date, today: date) -> WindowState:
    """Whether manual entry is open ``today``, given the entry windows of ``achievement_date``."""
    ordered = sorted(spans)
    if not ordered:
        return WindowState(False, f"There is no entry window for {uk_date(achievement_date)} in the "
                                  "timetable.")
    for starts, ends in ordered:
        if starts <= today <= ends:
            return WindowState(True, f"Open until {uk_date(ends)}.")
    upcoming = [span for span in ordered if span[0] > today]
    if upcoming:
        return WindowState(False, f"The entry window opens on {uk_date(upcoming[0][0])} "
                                  f"and closes on {uk_date(upcoming[0][1])}.")
    return WindowState(False, f"The entry window closed on {uk_date(ordered[-1][1])}.")


def declaration_state(deadlines: Iterable[date], achievement_date: date, today: date) -> WindowState:
    """Whether declaring is open ``today``, given the declaration deadlines of ``achievement_date``."""
    if today <= achievement_date:
        return WindowState(False, f"Declaring opens after the achievement date, {uk_date(achievement_date)}.")
    last = max(deadlines, default=None)
    if last is None:
        return WindowState(False, f"There is no declaration deadline for {uk_date(achievement_date)} in the "
                                  "timetable.")
    if today > last:
        return WindowState(False, f"Declaring closed on {uk_date(last)}.")
    return WindowState(True, f"Declare by {uk_date(last)}.")


def _day(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def event_spans(events: Iterable[Mapping[str, Any]], kind: str, service: str,
                achievement_date: date) -> list[Span]:
    """The days of the ``kind`` timetable records that apply to ``service`` at ``achievement_date``."""
    wanted = achievement_date.isoformat()
    return [(_day(e["starts"]), _day(e["ends"])) for e in events
            if e.get("kind") == kind and str(e.get("achievement_date")) == wanted
            and e.get("service") in (None, service)]


def entry_window(events: Iterable[Mapping[str, Any]], service: str, achievement_date: date,
                 today: date) -> WindowState:
    """Whether manual entry for ``service`` at ``achievement_date`` is open ``today``, and why not."""
    return entry_state(event_spans(events, ENTRY_WINDOW, service, achievement_date), achievement_date, today)


def declaration_window(events: Iterable[Mapping[str, Any]], service: str, achievement_date: date,
                       today: date) -> WindowState:
    """Whether ``service`` at ``achievement_date`` can be declared ``today``, and why not."""
    spans = event_spans(events, DECLARATION_DEADLINE, service, achievement_date)
    return declaration_state((starts for starts, _ends in spans), achievement_date, today)


# --- what is a claim -------------------------------------------------------------------------------------

def qof_year_end(day: date) -> date:
    """31 March at the end of the QOF year ``day`` falls in (1 April to 31 March)."""
    return date(int(qof_year(day)[:4]) + 1, YEAR_END_MONTH, YEAR_END_DAY)


def is_declarable(service: str, achievement_date: date) -> bool:
    """Whether ``service`` at ``achievement_date`` is a claim at all (whether it can be declared today is
    for the timetable and the offers to say)."""
    return service != QOF_SERVICE or achievement_date == qof_year_end(achievement_date)


def not_declarable_reason(service: str, achievement_date: date) -> str | None:
    """Why ``service`` at ``achievement_date`` is never declared, with what can be declared and when;
    None when it is a claim."""
    if is_declarable(service, achievement_date):
        return None
    year_end = qof_year_end(achievement_date)
    return (f"QOF is declared once a year, for the year end ({uk_date(year_end)}). The result for "
            f"{uk_date(achievement_date)} shows progress through the year and is not a claim, so there is "
            f"nothing to declare for it. Declare QOF for {uk_date(year_end)} once that result is in, "
            "within the declaration window in the timetable.")


def not_declarable_short(service: str, achievement_date: date) -> str:
    """A few words for a table cell: what a result that is not a claim is for."""
    return f"Progress only: QOF is declared for {uk_date(qof_year_end(achievement_date))}."
