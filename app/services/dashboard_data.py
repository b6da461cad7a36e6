"""Reads what the dashboard needs from the local cache and hands it to the pure builders.

Run these through the task runner (database work): the views receive only the frozen dataclasses.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from app.services import cache_store
from app.services.claims_view import ClaimRow, VaccinationView, enhanced, vaccinations
from app.services.dashboard import (
    QOF,
    Choice,
    QofDashboard,
    choices,
    previous_year,
    qof_dashboard,
    record_year,
    years_held,
)
from app.services.record_types import BENCHMARK, RESULT
from app.services.rules import qof_year, rules_for

DashboardView = QofDashboard | VaccinationView | tuple[ClaimRow, ...]


class MissingRules(LookupError):
    """The cache holds results of a QOF year this version of the app has no rules for."""

    def __init__(self, year: str) -> None:
        self.user_message = f"This version of the app has no QOF rules for {year}; please update it."
        super().__init__(self.user_message)


def load_years(ods: str) -> dict[str, list[Choice]]:
    """Every QOF year held, newest first, each with the services that have results that year."""
    results = cache_store.records(ods, RESULT)
    return {year: choices(results, year) for year in years_held(results)}


def load_view(ods: str, choice: Choice, when: date, *, finance: bool, today: date) -> DashboardView:
    results = cache_store.records(ods, RESULT)
    if choice.kind == "qof":
        year = choice.key.split(":", 1)[1]
        rules = rules_for(year)
        if rules is None:
            raise MissingRules(year)
        return qof_dashboard(results, cache_store.records(ods, BENCHMARK), rules, when, finance=finance,
                             today=today, prior_rules=rules_for(previous_year(year)))
    year = qof_year(when)
    if choice.kind == "vaccination":
        return vaccinations(results, rules_for(year), year=year, finance=finance)
    return enhanced([r for r in results if record_year(r) == year], choice.key, finance=finance)


def provisional_fees(view: DashboardView, choice: Choice, when: date) -> tuple[str, ...]:
    """Why the fees behind the claims shown are provisional, with their sources: one line per reason,
    naming the services it applies to (e.g. a 2025/26 fee carried over into 2026/27)."""
    rules = rules_for(qof_year(when))
    if rules is None or isinstance(view, QofDashboard):
        return ()
    codes = [code for code, _ in view.programmes] if isinstance(view, VaccinationView) else [choice.key]
    by_reason: dict[str, list[str]] = {}
    for code in codes:
        service = rules.services.get(code)
        if service is not None and service.provisional:
            by_reason.setdefault(service.provisional, []).append(service.name)
    return tuple(f"{', '.join(names)}: {reason}" for reason, names in by_reason.items())


def load_qof_record(ods: str, when: date) -> dict[str, Any] | None:
    """The QOF result record of one achievement date (the what-if starts from its counts)."""
    return cache_store.record(ods, RESULT, f"{QOF}:{when.isoformat()}")
