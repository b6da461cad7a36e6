"""app.views.timetable_page: the month calendar beside the list, read from a real cache holding the
2025/26 national timetable and a pending offer: today framed, a lettered legend, choosing a day lists its
events, filters by service and event type apply to the list and the calendar, and Export writes an .ics."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar
from PySide6.QtCore import QDate, QPoint, QRect
from PySide6.QtWidgets import QApplication, QScrollArea, QWidget
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


def _open(qtbot, width: int, height: int) -> TimetablePage:
    _fill(change("offer", 24, OFFER))
    widget = TimetablePage()
    widget.today = lambda: TODAY
    qtbot.addWidget(widget)
    widget.resize(width, height)
    widget.show()
    with qtbot.waitSignal(widget.loaded, timeout=3000):
        widget.show_practice(ACCESS)
    return widget


@pytest.fixture
def page(qtbot, fresh_hub) -> TimetablePage:
    return _open(qtbot, 1000, 700)


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


# --- large text: the list under the calendar -----------------------------------------------------------

# The room a 1024×768 window gives the page (after the navigation and the window's bars), by text size.
PAGE_AT_1024 = {1.0: (821, 700), 1.5: (775, 687), 2.0: (744, 673)}


def _settled(qtbot) -> None:
    qtbot.wait(20)  # the layout after the legend's labels are measured
    QApplication.processEvents()


def _scroller(widget: QWidget) -> QScrollArea:
    """The nearest scroll area ``widget`` is seen through."""
    parent = widget.parentWidget()
    while not isinstance(parent, QScrollArea):
        assert parent is not None, "not in a scroll area"
        parent = parent.parentWidget()
    return parent


def _seen_height(widget: QWidget) -> int:
    """How much of ``widget`` is on screen at once when its scroll area is scrolled to it."""
    area = _scroller(widget)
    area.ensureWidgetVisible(widget, 0, 0)
    QApplication.processEvents()
    top_left = widget.mapTo(area.viewport(), widget.rect().topLeft())
    return QRect(top_left, widget.size()).intersected(area.viewport().rect()).height()


@pytest.mark.parametrize("text_scale", [1.5, 2.0], indirect=True, ids=["150%", "200%"])
def test_at_1024_by_768_with_large_text_the_calendar_and_list_are_not_squashed(qtbot, fresh_hub, text_scale,
                                                                                request) -> None:
    scale = request.node.callspec.params["text_scale"]
    page = _open(qtbot, *PAGE_AT_1024[scale])
    _settled(qtbot)
    calendar, legend, view = page.calendar, page.legend, page.table.view
    # The whole month is shown at once when scrolled to, at the height it asks for; the legend in full.
    wanted = max(calendar.minimumHeight(), calendar.sizeHint().height())
    assert calendar.height() >= wanted and _seen_height(calendar) >= wanted
    assert legend.height() >= legend.sizeHint().height() and _seen_height(legend) == legend.height()
    # The list under it shows at least three whole rows once scrolled to.
    assert _seen_height(view.viewport()) >= 3 * view.rowHeight(0)
    assert view.mapTo(page, QPoint(0, 0)).y() > calendar.mapTo(page, calendar.rect().bottomLeft()).y()
    # The page scrolls up and down as one, never sideways.
    assert _scroller(calendar) is _scroller(page.table)
    assert _scroller(calendar).horizontalScrollBar().maximum() == 0


def test_stacked_in_a_tall_page_nothing_scrolls_and_the_list_takes_the_rest(qtbot, fresh_hub,
                                                                             text_scale) -> None:
    page = _open(qtbot, 775, 1600)
    _settled(qtbot)
    area, table = page.page_scroll, page.table
    assert page.stacked and area.verticalScrollBar().maximum() == 0
    bottom = table.mapTo(area.viewport(), table.rect().bottomLeft()).y()
    assert bottom == area.viewport().height() - 1  # the list reaches the page's foot
    assert table.view.viewport().height() >= 3 * table.view.rowHeight(0)


def test_at_1024_by_768_with_normal_text_the_list_stays_beside_the_calendar(qtbot, fresh_hub) -> None:
    page = _open(qtbot, *PAGE_AT_1024[1.0])
    _settled(qtbot)
    assert page.side_scroll.isVisible() and page.side_scroll.isAncestorOf(page.calendar)
    table = page.table
    assert table.mapTo(page, QPoint(0, 0)).x() >= page.side_scroll.width()  # to the calendar's right
    assert table.mapTo(page, table.rect().bottomLeft()).y() < page.height()  # nothing pushed off the page


def test_widening_the_page_puts_the_list_back_beside_the_calendar(qtbot, fresh_hub) -> None:
    page = _open(qtbot, 600, 700)
    _settled(qtbot)
    assert page.stacked and _scroller(page.calendar) is page.page_scroll and not page.side_scroll.isVisible()
    page.resize(1000, 700)
    _settled(qtbot)
    assert not page.stacked and _scroller(page.calendar) is page.side_scroll and page.calendar.isVisible()
    assert page.page_scroll.verticalScrollBar().maximum() == 0
    page.resize(600, 700)
    _settled(qtbot)
    assert page.stacked and _scroller(page.calendar) is page.page_scroll and page.calendar.isVisible()
