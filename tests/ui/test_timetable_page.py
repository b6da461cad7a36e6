"""app.views.timetable_page: the month calendar beside the list, read from a real cache holding the
2025/26 national timetable and a pending offer: today framed, a lettered legend, choosing a day lists its
events, filters by service and event type apply to the list and the calendar, and Export writes an .ics."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar
from PySide6.QtCore import QDate
from qof_records import change

from app.services import cache_store, tasks
from app.services.profile import VIEW, PracticeAccess
from app.signals import changed, hub
from app.views.timetable_calendar import MARKERS
from app.views.timetable_page import TimetablePage
from central.timetable_plan import national_timetable

ODS = "Z99001"
TODAY = date(2026, 4, 8)
ACCESS = PracticeAccess(ODS, "Riverside Medical Practice", (VIEW,))
OFFER = {"id": 24, "service": "WM", "status": "pending", "start_date": "2025-04-01",
         "end_date": "2026-03-31", "response_deadline": "2026-04-30", "participation_only": False}


def _fill(*extra: dict[str, Any]) -> None:
    cache_store.apply_feed_page(ODS, [change("timetable_event", number, {
        "id": number, "kind": event.kind, "title": event.title, "service": event.service,
        "starts": event.starts.isoformat(), "ends": event.ends.isoformat(),
        "achievement_date": event.achievement_date.isoformat() if event.achievement_date else None})
        for number, event in enumerate(national_timetable("2025-26"), start=1)] + list(extra), 100)


@pytest.fixture
def page(qtbot, fresh_hub) -> TimetablePage:
    _fill(change("offer", 24, OFFER))
    widget = TimetablePage()
    widget.today = lambda: TODAY
    qtbot.addWidget(widget)
    widget.resize(1000, 700)
    widget.show()
    with qtbot.waitSignal(widget.loaded, timeout=3000):
        widget.show_practice(ACCESS)
    return widget


def _choose(page: TimetablePage, day: date) -> None:
    page.calendar.setSelectedDate(QDate(day.year, day.month, day.day))


def test_opens_on_the_services_today_with_todays_frame_and_every_event_listed(page: TimetablePage) -> None:
    assert page.selected_day() == TODAY and page.calendar.today == TODAY
    assert page.table.model.rowCount() == len(national_timetable("2025-26")) + 1  # and the offer's deadline
    assert page.calendar.kinds_by_day[date(2026, 4, 24)] == ["declaration deadline"]
    assert set(page.calendar.kinds_by_day[date(2026, 4, 30)]) == {"entry window", "offer deadline", "payment",
                                                                 "commissioner approval"}  # of March's


def test_choosing_a_day_lists_its_events(page: TimetablePage) -> None:
    _choose(page, date(2026, 4, 24))
    assert page.day_heading.text() == "On 24 Apr 2026:"
    assert "D  Declare March 2026 achievement by" in page.day_events.text()
    _choose(page, date(2026, 4, 10))  # inside March's entry window, and its extraction day
    text = page.day_events.text()
    assert "Manual entry window for March 2026" in text and "Monthly GPES extraction for March 2026" in text
    _choose(page, date(2026, 5, 3))
    assert page.day_heading.text() == "Nothing on 3 May 2026." and not page.day_events.isVisible()


def test_choosing_a_row_shows_its_day(page: TimetablePage) -> None:
    assert page.table.select_where(lambda row: row.title == "QOF year end: achievement counted at 31 March")
    assert page.selected_day() == date(2026, 3, 31)
    assert "Y  QOF year end" in page.day_events.text()


def test_filters_by_service_and_event_type(page: TimetablePage) -> None:
    page.kind.setCurrentIndex(page.kind.findData("declaration deadline"))
    shown = page.table.shown_rows()
    assert shown and {row.kind for row in shown} == {"declaration deadline"}
    assert set(page.calendar.kinds_by_day) == {row.starts for row in shown}
    page.kind.setCurrentIndex(0)
    page.service.setCurrentIndex(page.service.findData("WM"))
    shown = page.table.shown_rows()
    assert any(row.kind == "offer deadline" for row in shown)  # the WM offer
    assert all(row.service in (None, "WM") for row in shown)
    page.service.setCurrentIndex(page.service.findData("QOF"))
    assert not any(row.kind == "offer deadline" for row in page.table.shown_rows())
    _choose(page, date(2026, 4, 30))
    assert "offer" not in page.day_events.text().casefold()


def test_the_legend_names_each_marker_by_letter_not_colour_alone(page: TimetablePage) -> None:
    entries = page.legend.entries
    assert entries[0] == "Framed day: today"
    assert "D: Declaration deadline" in entries and "O: Offer response deadline" in entries
    assert "E: GPES extraction" in entries and "W: Manual entry window" in entries
    letters = [letter for letter, _colour in MARKERS.values()]
    assert len(set(letters)) == len(letters)  # each type its own letter


def test_reloads_after_a_sync_changes_the_timetable(qtbot, page: TimetablePage) -> None:
    cache_store.apply_feed_page(ODS, [change("offer", 24, {**OFFER, "status": "accepted"})], 101)
    with qtbot.waitSignal(page.loaded, timeout=3000):
        hub().data_changed.emit(changed("offer"))
    assert not any(row.kind == "offer deadline" for row in page.table.shown_rows())


def test_export_writes_the_events_shown(qtbot, page: TimetablePage, tmp_path: Path) -> None:
    page.reminder_days = lambda: 5
    page.kind.setCurrentIndex(page.kind.findData("payment"))
    page.export_to(tmp_path / "riverside")
    qtbot.waitUntil(lambda: page.message.isVisible(), timeout=3000)
    tasks.wait_for_idle()
    written = tmp_path / "riverside.ics"
    assert f"Saved 13 dates to {written}" in page.message.text() and "5 days" in page.message.text()
    events = Calendar.from_ical(written.read_bytes()).walk("VEVENT")
    assert len(events) == 13 and all(str(e["CATEGORIES"].cats[0]) == "Payment" for e in events)


def test_the_list_shows_one_qof_year_and_follows_the_calendar(qtbot, page: TimetablePage) -> None:
    later = national_timetable("2026-27")
    cache_store.apply_feed_page(ODS, [change("timetable_event", 1000 + number, {
        "id": 1000 + number, "kind": event.kind, "title": event.title, "service": event.service,
        "starts": event.starts.isoformat(), "ends": event.ends.isoformat(),
        "achievement_date": event.achievement_date.isoformat()})
        for number, event in enumerate(later)], 102)
    with qtbot.waitSignal(page.loaded, timeout=3000):
        hub().data_changed.emit(changed("timetable_event"))
    assert [page.year.itemData(i) for i in range(page.year.count())] == ["2026-27", "2025-26"]
    assert page.year.currentData() == "2025-26"  # on 8 Apr 2026 March's windows are still open
    assert {row.year for row in page.table.shown_rows()} == {"2025-26"}
    page.calendar.setCurrentPage(2026, 6)  # paging into the next QOF year lists it
    assert page.year.currentData() == "2026-27"
    assert len(page.table.shown_rows()) == len(later)
