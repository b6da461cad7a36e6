"""Storing timetable events; each is published to every practice's feed."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from central import feed
from central.models import TimetableEvent
from central.records import timetable_record
from central.timetable_plan import PlannedEvent, national_timetable


def add_event(session: Session, year: str, event: PlannedEvent) -> TimetableEvent:
    row = TimetableEvent(year=year, kind=event.kind, title=event.title, starts=event.starts, ends=event.ends,
                         service=event.service, achievement_date=event.achievement_date)
    session.add(row)
    session.flush()
    feed.publish(session, None, feed.TIMETABLE_EVENT, row.id, timetable_record(row))
    return row


def replace_year(session: Session, year: str,
                 events: Iterable[PlannedEvent] | None = None) -> list[TimetableEvent]:
    """Replace ``year``'s events (default: the national plan), withdrawing the old ones from the feed."""
    for old in session.scalars(select(TimetableEvent.id).where(TimetableEvent.year == year)).all():
        feed.publish(session, None, feed.TIMETABLE_EVENT, old, None, deleted=True)
    session.execute(delete(TimetableEvent).where(TimetableEvent.year == year))
    return [add_event(session, year, e) for e in (national_timetable(year) if events is None else events)]
