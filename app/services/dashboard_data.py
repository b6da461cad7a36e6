"""Reads what the dashboard needs from the local cache and hands it to the pure builders.

Run these through the task runner (database work): the views receive only the frozen dataclasses.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from app.services import cache_store
from app.services.claims_view import ClaimRow, VaccinationView, enhanced, vaccinations
from app.services.dashboard import QOF, Choice, QofDashboard, choices, qof_dashboard
from app.services.record_types import BENCHMARK, RESULT
from app.services.rules import qof_year, rules_for

DashboardView = QofDashboard | VaccinationView | tuple[ClaimRow, ...]


class MissingRules(LookupError):
    """The cache holds results of a QOF year this version of the app has no rules for."""

    def __init__(self, year: str) -> None:
        self.user_message = f"This version of the app has no QOF rules for {year}; please update it."
        super().__init__(self.user_message)


def load_choices(ods: str) -> list[Choice]:
    return choices(cache_store.records(ods, RESULT))


def load_view(ods: str, choice: Choice, when: date, *, finance: bool, today: date) -> DashboardView:
    results = cache_store.records(ods, RESULT)
    if choice.kind == "qof":
        year = choice.key.split(":", 1)[1]
        rules = rules_for(year)
        if rules is None:
            raise MissingRules(year)
        return qof_dashboard(results, cache_store.records(ods, BENCHMARK), rules, when, finance=finance,
                             today=today)
    if choice.kind == "vaccination":
        year = qof_year(when)
        return vaccinations(results, rules_for(year), year=year, finance=finance)
    return enhanced(results, choice.key, finance=finance)


def load_qof_record(ods: str, when: date) -> dict[str, Any] | None:
    """The QOF result record of one achievement date (the what-if starts from its counts)."""
    return cache_store.record(ods, RESULT, f"{QOF}:{when.isoformat()}")
