"""The national timetable of a QOF year: extractions, entry windows, declaration deadlines, payments.

Pure. Dates follow the monthly CQRS cycle: GPES extracts month M about ten days after it ends;
manual counts for M are entered by the 12th of M+1; achievement is declared by the 24th of M+1;
the commissioner approves by the end of M+1 and payment follows at the end of M+2. QOF closes at year end
(31 March) with its own windows; its aspiration is paid at the end of each month, April to March.
No published source gives the approval deadlines (the reference lists them as missing): the end of M+1
is the plan's own assumption, so each is titled "expected".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from app.services.format import month_name_year
from app.services.windows import (  # kind names both halves use
    APPROVAL,
    ASPIRATION,
    DECLARATION_DEADLINE,
    ENTRY_WINDOW,
    EXTRACTION,
    PAYMENT,
    YEAR_END,
)


@dataclass(frozen=True)
class PlannedEvent:
    kind: str
    title: str
    starts: date
    ends: date  # same as starts for one-day events
    service: str | None  # None: applies to every service
    achievement_date: date | None  # the period the event is about


def national_timetable(year: str) -> list[PlannedEvent]:
    """Every timetable event of ``year`` (e.g. "2025-26"), in date order."""
    start = int(year[:4])
    events: list[PlannedEvent] = []
    for offset in range(12):
        month_end = _month_end(start, 4 + offset)
        label = month_name_year(month_end)
        after = month_end + timedelta(days=1)  # first day of the next month
        events += [
            _one_day(EXTRACTION, f"Monthly GPES extraction for {label}", after + timedelta(days=9), None,
                     month_end),
            PlannedEvent(ENTRY_WINDOW, f"Manual entry window for {label}", after, after + timedelta(days=11),
                         None, month_end),
            _one_day(DECLARATION_DEADLINE, f"Declare {label} achievement by", after + timedelta(days=23),
                     None, month_end),
            _one_day(APPROVAL, f"Commissioner approval of {label} declarations expected by",
                     _last_working_day(after), None, month_end),
            _one_day(PAYMENT, f"Payment for {label} achievement",
                     _last_working_day(after + timedelta(days=32)), None, month_end),
            _one_day(ASPIRATION, f"QOF aspiration payment for {month_name_year(month_end)}",
                     _last_working_day(month_end), "QOF", month_end),
        ]
    year_end = date(start + 1, 3, 31)
    events += [
        _one_day(YEAR_END, "QOF year end: achievement counted at 31 March", year_end, "QOF", year_end),
        PlannedEvent(ENTRY_WINDOW, "QOF year-end manual entry window", date(start + 1, 4, 1),
                     date(start + 1, 4, 30), "QOF", year_end),
        _one_day(DECLARATION_DEADLINE, "Declare QOF year-end achievement by", date(start + 1, 6, 24), "QOF",
                 year_end),
        _one_day(PAYMENT, "QOF achievement payment (less aspiration paid)", date(start + 1, 6, 30), "QOF",
                 year_end),
    ]
    return sorted(events, key=lambda e: (e.starts, e.kind))


def _one_day(kind: str, title: str, day: date, service: str | None, period: date) -> PlannedEvent:
    return PlannedEvent(kind, title, day, day, service, period)


def _month_end(year: int, month: int) -> date:
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)


def _last_working_day(day_in_month: date) -> date:
    day = _month_end(day_in_month.year, day_in_month.month)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day
