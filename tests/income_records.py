"""A cache for the income statement's tests: the results of tests/qof_records.py, last year's QOF year end
(for the aspiration), declarations in every status and the 2025/26 national timetable."""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from typing import Any

from qof_records import FEBRUARY, JANUARY, MARCH, change, feed_changes

from app.services import cache_store
from app.services.dashboard import qof_dashboard
from app.services.rules import (
    APPROVED,
    AWAITING_COMMISSIONER,
    AWAITING_PROVIDER,
    FINANCE_APPROVED,
    PAID,
    load_rules,
)
from central.timetable_plan import national_timetable

ODS = "Z99001"
TODAY = date(2026, 4, 8)  # every aspiration instalment of 2025/26 has been paid
FLU_JAN, FLU_FEB, FLU_MAR = Fraction(243 * 503, 50), Fraction(96 * 503, 50), Fraction(17 * 503, 50)
SHING_JAN, SHING_FEB = Fraction(11 * 503, 50), Fraction(14 * 503, 50)
LDHC_JAN = Fraction(40 * 140)
# Last year's QOF achievement £12,000: aspiration 4/5 of it, £9,600, paid £800 a month.
PRIOR_QOF = {"service": "QOF", "year": "2024-25", "achievement_date": "2025-03-31", "list_size": 9_800,
             "points": "100", "max_points": "123", "payment": "12000", "indicators": [], "registers": {}}


def _step(status: str, at: str) -> dict[str, str]:
    return {"status": status, "at": at, "by": "someone@nhs.net"}


def _declaration(number: int, service: str, when: date, status: str, payment: Fraction,
                 history: list[dict[str, str]]) -> dict[str, Any]:
    return change("declaration", number, {
        "id": number, "service": service, "achievement_date": when.isoformat(), "status": status,
        "points": "0", "payment": str(payment), "history": history,
        "declared_at": history[0]["at"] if history else None})


def _timetable() -> list[dict[str, Any]]:
    return [change("timetable_event", number, {
        "id": number, "kind": event.kind, "title": event.title, "service": event.service,
        "starts": event.starts.isoformat(), "ends": event.ends.isoformat(),
        "achievement_date": event.achievement_date.isoformat() if event.achievement_date else None})
        for number, event in enumerate(national_timetable("2025-26"), start=1)]


def qof_march_payment() -> Fraction:
    """The QOF payment at 31 March as the dashboard has it (the figure the statement must repeat)."""
    results = [*cache_store.records(ODS, "result")]
    return qof_dashboard(results, [], load_rules("2025-26"), MARCH, finance=True, today=TODAY).summary.payment


def fill() -> None:
    declared = [
        _declaration(1, "FLU", JANUARY, PAID, FLU_JAN,
                     [_step(AWAITING_COMMISSIONER, "2026-02-20T09:00:00+00:00"),
                      _step(APPROVED, "2026-02-27T09:00:00+00:00"),
                      _step(FINANCE_APPROVED, "2026-03-05T09:00:00+00:00"),
                      _step(PAID, "2026-03-31T09:00:00+00:00")]),
        _declaration(2, "FLU", FEBRUARY, FINANCE_APPROVED, FLU_FEB,
                     [_step(AWAITING_COMMISSIONER, "2026-03-20T09:00:00+00:00"),
                      _step(APPROVED, "2026-03-27T09:00:00+00:00"),
                      _step(FINANCE_APPROVED, "2026-04-02T09:00:00+00:00")]),
        _declaration(3, "SHING", JANUARY, AWAITING_COMMISSIONER, SHING_JAN,
                     [_step(AWAITING_COMMISSIONER, "2026-02-20T09:00:00+00:00")]),
        # Approved, then a re-extract sent it back to the practice: to declare again, so not declared.
        _declaration(4, "SHING", FEBRUARY, AWAITING_PROVIDER, SHING_FEB - 10,
                     [_step(AWAITING_COMMISSIONER, "2026-03-20T09:00:00+00:00"),
                      _step(APPROVED, "2026-03-27T09:00:00+00:00"),
                      _step(AWAITING_PROVIDER, "2026-03-30T10:00:00+00:00")]),
        _declaration(5, "LDHC", JANUARY, APPROVED, LDHC_JAN,
                     [_step(AWAITING_COMMISSIONER, "2026-02-20T09:00:00+00:00"),
                      _step(APPROVED, "2026-02-27T09:00:00+00:00")]),
    ]
    cache_store.apply_feed_page(ODS, [*feed_changes(ODS), change("result", "QOF:2025-03-31", PRIOR_QOF),
                                      *_timetable(), *declared], 100)
