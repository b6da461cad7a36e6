"""Timetable windows on the service: when manual entry and declaring are open for a service and date.

The rules and their wording are the shared ones in :mod:`app.services.windows` (the desktop applies
the same); this module only looks the timetable rows up in the service's database.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.services.format import uk_date
from app.services.windows import (
    DECLARATION_DEADLINE,
    ENTRY_WINDOW,
    Span,
    declaration_state,
    england_day,
    entry_state,
)
from central.models import TimetableEvent

__all__ = ["declaration_window_problem", "entry_window_problem", "local_day", "uk_date"]


def local_day(now: datetime) -> date:
    """The date in England at ``now``, whatever the server's zone."""
    return england_day(now)


def _spans(session: Session, kind: str, service: str, achievement_date: date) -> list[Span]:
    rows = session.execute(select(TimetableEvent.starts, TimetableEvent.ends).where(
        TimetableEvent.kind == kind, TimetableEvent.achievement_date == achievement_date,
        or_(TimetableEvent.service.is_(None), TimetableEvent.service == service),
    ))
    return [(starts, ends) for starts, ends in rows]


def entry_window_problem(session: Session, service: str, achievement_date: date, now: datetime) -> str | None:
    """Why manual entry for this service and achievement date is closed today; None when it is open."""
    state = entry_state(_spans(session, ENTRY_WINDOW, service, achievement_date), achievement_date,
                        local_day(now))
    return None if state.open else state.message


def declaration_window_problem(session: Session, service: str, achievement_date: date,
                               now: datetime) -> str | None:
    """Why declaring this service and achievement date is not possible today; None when it is."""
    deadlines = [starts for starts, _ends in _spans(session, DECLARATION_DEADLINE, service, achievement_date)]
    state = declaration_state(deadlines, achievement_date, local_day(now))
    return None if state.open else state.message
