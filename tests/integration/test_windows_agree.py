"""The service and the desktop judge and word entry and declaration windows identically: the same timetable
rows, stored in the service's database and sent to the desktop as feed records, give the same answer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.services import windows as client
from app.services.format import uk_date
from central import timetable_plan
from central import windows as server
from central.db import make_engine, make_sessionmaker, migrate
from central.models import TimetableEvent
from central.records import timetable_record
from central.timetable_plan import PlannedEvent
from central.timetable_store import add_event, replace_year

YEAR = "2025-26"
OCTOBER, MARCH = date(2025, 10, 31), date(2026, 3, 31)
# A second, later window for WM's October only, so "opens on" and "any window covers today" are exercised.
EXTRA = PlannedEvent(client.ENTRY_WINDOW, "Late WM entry", date(2025, 11, 20), date(2025, 11, 21), "WM",
                     OCTOBER)
SERVICES = ("QOF", "WM", "LDHC")
ACHIEVEMENT_DATES = (OCTOBER, MARCH, date(2019, 3, 31))  # the last has no windows at all


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('windows') / 'central.db'}")
    migrate(engine)
    with make_sessionmaker(engine)() as session:
        replace_year(session, YEAR)
        add_event(session, YEAR, EXTRA)
        session.commit()
        yield session
    engine.dispose()


def days() -> list[date]:
    """Every day from before October's window to after the year's last deadline."""
    first, last = date(2025, 10, 25), date(2026, 5, 5)
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def at_noon_in_england(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def test_the_timetable_kinds_are_the_shared_names() -> None:
    assert (timetable_plan.ENTRY_WINDOW, timetable_plan.DECLARATION_DEADLINE) == (
        client.ENTRY_WINDOW, client.DECLARATION_DEADLINE)


@pytest.mark.parametrize("service", SERVICES)
def test_entry_windows_agree_every_day(session: Session, service: str) -> None:
    records = [timetable_record(row) for row in session.scalars(select(TimetableEvent))]
    seen = set()
    for when in ACHIEVEMENT_DATES:
        for day in days():
            state = client.entry_window(records, service, when, day)
            problem = server.entry_window_problem(session, service, when, at_noon_in_england(day))
            assert problem == (None if state.open else state.message), (service, when, day)
            seen.add(state.message.split(" on ")[0] if not state.open else "open")
    # Every wording was compared at least once: open, not yet open, closed, no window.
    assert seen == {"open", "The entry window opens", "The entry window closed",
                    f"There is no entry window for {uk_date(date(2019, 3, 31))} in the timetable."}


@pytest.mark.parametrize("service", SERVICES)
def test_declaration_windows_agree_every_day(session: Session, service: str) -> None:
    records = [timetable_record(row) for row in session.scalars(select(TimetableEvent))]
    outcomes = set()
    for when in ACHIEVEMENT_DATES:
        for day in days():
            state = client.declaration_window(records, service, when, day)
            problem = server.declaration_window_problem(session, service, when, at_noon_in_england(day))
            assert problem == (None if state.open else state.message), (service, when, day)
            outcomes.add(state.message.split(" ")[0] + ("" if state.open else " (closed)"))
    assert outcomes == {"Declare", "Declaring (closed)", "There (closed)"}


def test_the_day_is_england_s_whatever_the_server_zone() -> None:
    late_evening_utc = datetime(2025, 7, 1, 23, 30, tzinfo=UTC)  # already 2 July in British Summer Time
    assert server.local_day(late_evening_utc) == client.england_day(late_evening_utc) == date(2025, 7, 2)
    assert server.local_day(datetime(2025, 12, 1, 23, 30, tzinfo=UTC)) == date(2025, 12, 1)  # GMT
