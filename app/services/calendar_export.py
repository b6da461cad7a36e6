"""The practice's timetable as an iCalendar file (.ics) that Outlook and other calendars import.

One all-day event per timetable event, on England's dates (Europe/London, declared in the file); a
reminder (VALARM) at 09:00 a number of days before each deadline; UIDs made from the event's stable key
and the practice, so importing a newer export updates the events instead of adding them twice.
No Qt: the Timetable page's Export button and ``cqrs-desktop export-ics`` both call ``write``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from icalendar import Alarm, Calendar, Event, Timezone

from app.services.format import uk_date
from app.services.timetable_events import CalendarEvent

TIME_ZONE = "Europe/London"
PRODUCT = "-//CQRS Desktop//Timetable//EN"
UID_DOMAIN = "cqrs-desktop"
REMINDER_HOUR = 9  # the reminder pops up at 09:00 on its day, not at midnight


def uid(event: CalendarEvent, ods: str) -> str:
    """The event's UID: the same for the same event of the same practice in every export."""
    return f"{ods}/{event.key}@{UID_DOMAIN}"


def _trigger(event: CalendarEvent, days: int) -> tuple[timedelta, str]:
    """When the reminder goes off, relative to the event's start or end (an all-day event's end is the
    midnight after its last day): 09:00, ``days`` days before the deadline."""
    before_deadline = timedelta(days=days) - timedelta(hours=REMINDER_HOUR)
    if event.starts == event.ends:
        return -before_deadline, "START"
    return -(before_deadline + timedelta(days=1)), "END"


def calendar(events: Iterable[CalendarEvent], ods: str, practice_name: str, reminder_days: int, *,
             now: datetime | None = None) -> Calendar:
    """The calendar of ``events`` for practice ``ods``, with reminders ``reminder_days`` before deadlines."""
    stamp = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    cal = Calendar()
    cal.add("prodid", PRODUCT)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"CQRS timetable: {practice_name} ({ods})")
    cal.add("x-wr-timezone", TIME_ZONE)
    cal.add_component(Timezone.from_tzid(TIME_ZONE, first_date=date(2020, 1, 1), last_date=date(2040, 1, 1)))
    for item in events:
        event = Event()
        event.add("uid", uid(item, ods))
        event.add("dtstamp", stamp)
        event.add("summary", f"{item.title} ({item.service_name})" if item.service else item.title)
        event.add("dtstart", item.starts)
        event.add("dtend", item.ends + timedelta(days=1))  # all-day: DTEND is the day after the last
        event.add("transp", "TRANSPARENT")  # a deadline does not make anyone busy
        event.add("categories", [item.type_name])
        lines = [f"{item.type_name}: {item.when}.", f"Service: {item.service_name}."]
        if item.achievement_date is not None:
            lines.append(f"Achievement date: {uk_date(item.achievement_date)}.")
        lines.append("From CQRS Desktop. Import a newer export to update these dates.")
        event.add("description", "\n".join(lines))
        if item.deadline is not None and reminder_days > 0:
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", f"Due {item.when}: {item.title}")
            offset, related = _trigger(item, reminder_days)
            alarm.add("trigger", offset, parameters={"RELATED": related})
            event.add_component(alarm)
        cal.add_component(event)
    return cal


def to_bytes(events: Iterable[CalendarEvent], ods: str, practice_name: str, reminder_days: int, *,
             now: datetime | None = None) -> bytes:
    return calendar(events, ods, practice_name, reminder_days, now=now).to_ical()


def write(path: Path, events: Iterable[CalendarEvent], ods: str, practice_name: str, reminder_days: int, *,
          now: datetime | None = None) -> Path:
    """Write the .ics file (whole, or not at all: a temporary file is renamed over it) and return it."""
    path = path.expanduser().resolve()
    data = to_bytes(events, ods, practice_name, reminder_days, now=now)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(data)
    partial.replace(path)
    return path
