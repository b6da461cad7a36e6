"""Reads what the dashboard needs from the local cache and hands it to the pure builders.

Run these through the task runner (database work): the views receive only the frozen dataclasses.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from app.services import cache_store
from app.services.claims_view import ClaimRow, VaccinationView, enhanced, vaccinations
from app.services.dashboard import QOF, Choice, QofDashboard, choices, qof_dashboard
from app.services.rules import qof_year, rules_for

DashboardView = QofDashboard | VaccinationView | tuple[ClaimRow, ...]


def load_choices(ods: str) -> list[Choice]:
    return choices(cache_store.records(ods, "result"))


def load_view(ods: str, choice: Choice, when: date, *, finance: bool, today: date) -> DashboardView:
    results = cache_store.records(ods, "result")
    if choice.kind == "qof":
        year = choice.key.split(":", 1)[1]
        rules = rules_for(year)
        if rules is None:
            raise LookupError(f"This version of the app has no QOF rules for {year}; please update it.")
        return qof_dashboard(results, cache_store.records(ods, "benchmark"), rules, when, finance=finance,
                             today=today)
    if choice.kind == "vaccination":
        year = qof_year(when)
        return vaccinations(results, rules_for(year), year=year, finance=finance)
    return enhanced(results, choice.key, finance=finance)


def load_qof_record(ods: str, when: date) -> dict[str, Any] | None:
    """The QOF result record of one achievement date (the what-if starts from its counts)."""
    return cache_store.record(ods, "result", f"{QOF}:{when.isoformat()}")
