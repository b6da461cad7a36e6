"""Timetable windows: when manual entry and declaring are open for a service and achievement date.

Days are counted in England (Europe/London), whatever the server's zone. A window event with no
service applies to every service.
- Entry window: an "entry window" event for the achievement date whose first-last days cover today.
- Declaration window: from the day after the achievement date up to the "declaration deadline"
  event for that achievement date.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from central.models import TimetableEvent
from central.timetable_plan import DECLARATION_DEADLINE, ENTRY_WINDOW

try:
    ENGLAND = ZoneInfo("Europe/London")
except ZoneInfoNotFoundError:  # no tz database: UTC is at most an hour out
    ENGLAND = UTC  # type: ignore[assignment]


def local_day(now: datetime) -> date:
    return now.astimezone(ENGLAND).date()


def uk_date(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def _events(session: Session, kind: str, service: str, achievement_date: date) -> list[TimetableEvent]:
    return list(session.scalars(select(TimetableEvent).where(
        TimetableEvent.kind == kind, TimetableEvent.achievement_date == achievement_date,
        or_(TimetableEvent.service.is_(None), TimetableEvent.service == service),
    ).order_by(TimetableEvent.starts)))


def entry_window_problem(session: Session, service: str, achievement_date: date, now: datetime) -> str | None:
    """Why manual entry for this service and achievement date is closed today; None when it is open."""
    today = local_day(now)
    windows = _events(session, ENTRY_WINDOW, service, achievement_date)
    if any(w.starts <= today <= w.ends for w in windows):
        return None
    what = f"Manual entry for {service} (achievement date {uk_date(achievement_date)})"
    if not windows:
        return f"{what} has no entry window in the timetable."
    spans = "; ".join(f"{uk_date(w.starts)} to {uk_date(w.ends)}" for w in windows)
    return f"{what} is closed today. Its entry window: {spans}."


def declaration_window_problem(session: Session, service: str, achievement_date: date,
                               now: datetime) -> str | None:
    """Why declaring this service and achievement date is not possible today; None when it is."""
    today = local_day(now)
    what = f"Declaring {service} for {uk_date(achievement_date)}"
    if today <= achievement_date:
        return f"{what} opens after the achievement date."
    deadlines = _events(session, DECLARATION_DEADLINE, service, achievement_date)
    if not deadlines:
        return f"{what} has no declaration deadline in the timetable."
    if today > max(d.starts for d in deadlines):
        return f"{what} closed on {uk_date(max(d.starts for d in deadlines))}."
    return None
