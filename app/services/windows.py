"""Entry windows and declaration deadlines from the synced timetable, judged on the service's date.

The central service enforces the same rules (central/windows.py); the app applies them first so a form
can say when its window opens or closed, and never queues what would be refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.services.format import uk_date

ENTRY_WINDOW = "entry window"
DECLARATION_DEADLINE = "declaration deadline"


@dataclass(frozen=True)
class WindowState:
    open: bool
    message: str  # plain English: when it opens, closes or closed


def _events(events: Iterable[Mapping[str, Any]], kind: str, service: str,
            achievement_date: date) -> list[tuple[date, date]]:
    spans = [(date.fromisoformat(e["starts"]), date.fromisoformat(e["ends"])) for e in events
             if e.get("kind") == kind and e.get("achievement_date") == achievement_date.isoformat()
             and e.get("service") in (None, service)]
    return sorted(spans)


def entry_window(events: Iterable[Mapping[str, Any]], service: str, achievement_date: date,
                 today: date) -> WindowState:
    """Whether manual entry for ``service`` at ``achievement_date`` is open ``today``, and why not."""
    spans = _events(events, ENTRY_WINDOW, service, achievement_date)
    if not spans:
        return WindowState(False, f"There is no entry window for {uk_date(achievement_date)} in the "
                                  "timetable.")
    for starts, ends in spans:
        if starts <= today <= ends:
            return WindowState(True, f"Open until {uk_date(ends)}.")
    upcoming = [span for span in spans if span[0] > today]
    if upcoming:
        return WindowState(False, f"The entry window opens on {uk_date(upcoming[0][0])} "
                                  f"and closes on {uk_date(upcoming[0][1])}.")
    return WindowState(False, f"The entry window closed on {uk_date(spans[-1][1])}.")


def declaration_window(events: Iterable[Mapping[str, Any]], service: str, achievement_date: date,
                       today: date) -> WindowState:
    """Whether ``service`` at ``achievement_date`` can be declared ``today``, and why not."""
    if today <= achievement_date:
        return WindowState(False, f"Declaring opens after the achievement date, {uk_date(achievement_date)}.")
    deadlines = [starts for starts, _ends in _events(events, DECLARATION_DEADLINE, service, achievement_date)]
    if not deadlines:
        return WindowState(False, f"There is no declaration deadline for {uk_date(achievement_date)} in the "
                                  "timetable.")
    if today > max(deadlines):
        return WindowState(False, f"Declaring closed on {uk_date(max(deadlines))}.")
    return WindowState(True, f"Declare by {uk_date(max(deadlines))}.")
