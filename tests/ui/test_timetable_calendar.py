"""app.views.timetable_calendar: a day's markers sit in a row under its number and never cover it, at any
cell size; those with no room are counted in "+n"; the painted calendar keeps a busy day's number clear."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from PySide6.QtCore import QDate, QRect
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QTableView

from app.services import timetable_events
from app.services.timetable_events import CalendarEvent
from app.services.windows import APPROVAL, ASPIRATION, DECLARATION_DEADLINE, ENTRY_WINDOW, EXTRACTION, PAYMENT
from app.views.timetable_calendar import MARKERS, MIN_MARKER, CellLayout, MarkedCalendar, cell_layout

NEW_YEARS_EVE = date(2026, 12, 31)
BUSY = (ASPIRATION, APPROVAL, timetable_events.OFFER_DEADLINE, PAYMENT)  # 31 Dec 2026 in the demo
# Cells as the Timetable page gives them: (width, height, line) at 100% and 200% text, wide and narrow.
CELLS = [(53, 31, 17), (40, 31, 17), (102, 42, 17), (53, 62, 34), (102, 62, 34), (40, 62, 34), (30, 75, 34)]


def check(layout: CellLayout, cell: QRect, count: int) -> None:
    boxes = [*layout.markers, *([layout.more] if layout.more else [])]
    for box in boxes:
        assert not box.intersects(layout.number), (box, layout.number)
        assert cell.contains(box), (box, cell)
        assert box.height() >= MIN_MARKER
    for first, second in zip(boxes, boxes[1:], strict=False):
        assert not first.intersects(second)
    assert cell.contains(layout.number)
    assert len(layout.markers) + layout.hidden == count
    if layout.more is None:  # all shown, or a cell with no room for a marker at all
        assert layout.hidden == 0 or not layout.markers


@pytest.mark.parametrize(("width", "height", "line"), CELLS)
@pytest.mark.parametrize("count", range(10))
def test_markers_never_cover_the_number_and_the_rest_are_counted(width: int, height: int, line: int,
                                                                 count: int) -> None:
    cell = QRect(120, 80, width, height)
    layout = cell_layout(cell, line, count, more_width=line)
    check(layout, cell, count)
    assert layout.number.height() == line  # the whole line of the number, its digits uncut


def test_a_busy_day_shows_every_marker_when_there_is_room_and_plus_n_when_not() -> None:
    for cell, line in ((QRect(0, 0, 53, 31), 17), (QRect(0, 0, 102, 62), 34)):  # 100% and 200% text
        wide = cell_layout(cell, line, 4, more_width=line)
        assert len(wide.markers) == 4 and wide.more is None
    narrow = cell_layout(QRect(0, 0, 60, 62), 34, 4, more_width=30)
    assert narrow.hidden > 0 and narrow.more is not None and narrow.markers
    nothing = cell_layout(QRect(0, 0, 53, 31), 17, 0, more_width=15)
    assert nothing.markers == () and nothing.more is None and nothing.hidden == 0


def event(kind: str, day: date) -> CalendarEvent:
    return CalendarEvent(f"{kind}-{day}", kind, kind.capitalize(), day, day, None, "All services", None)


def colours_in(image: QImage, box: QRect) -> set[str]:
    return {image.pixelColor(x, y).name() for x in range(box.left(), box.right() + 1)
            for y in range(box.top(), box.bottom() + 1)}


@pytest.mark.parametrize("text_scale", [1.0, 2.0], indirect=True, ids=["100%", "200%"])
def test_the_painted_busy_day_keeps_its_number_clear(qtbot: Any, text_scale: float) -> None:
    calendar = MarkedCalendar()
    qtbot.addWidget(calendar)
    calendar.setSelectedDate(QDate(2026, 12, 1))
    calendar.resize(370 if text_scale == 1.0 else 715, calendar.minimumHeight())
    calendar.show()
    others = [event(EXTRACTION, date(2026, 12, 10)), event(DECLARATION_DEADLINE, date(2026, 12, 24)),
              event(ENTRY_WINDOW, date(2027, 1, 1))]
    calendar.show_events([*(event(kind, NEW_YEARS_EVE) for kind in BUSY), *others], date(2026, 12, 1))
    image = calendar.grab().toImage()  # paints every cell
    layout = calendar.painted[NEW_YEARS_EVE]
    assert len(layout.markers) == len(BUSY) and layout.hidden == 0
    table = calendar.findChild(QTableView)  # the cells are painted in its viewport's coordinates
    offset = table.viewport().mapTo(calendar, table.viewport().rect().topLeft())
    marker_colours = {QColor(colour).name() for _letter, colour in MARKERS.values()}
    number = layout.number.translated(offset)
    shown = colours_in(image, number)
    assert not shown & marker_colours  # no marker on the number
    assert any(QColor(name).lightness() < 100 for name in shown)  # and the number itself is there
    for kind, box in zip(BUSY, layout.markers, strict=True):
        inside = box.translated(offset).adjusted(1, 1, -1, -1)
        assert QColor(MARKERS[kind][1]).name() in colours_in(image, inside)


@pytest.mark.parametrize("text_scale", [1.0, 2.0], indirect=True, ids=["100%", "200%"])
def test_a_busy_days_markers_leave_every_pixel_of_its_number_as_it_was(qtbot: Any, text_scale: float) -> None:
    calendar = MarkedCalendar()
    qtbot.addWidget(calendar)
    calendar.setSelectedDate(QDate(2026, 12, 1))
    calendar.resize(370 if text_scale == 1.0 else 715, calendar.minimumHeight())
    calendar.show()
    calendar.show_events([], date(2026, 12, 1))
    bare = calendar.grab().toImage()
    calendar.show_events([event(kind, NEW_YEARS_EVE) for kind in BUSY], date(2026, 12, 1))
    busy = calendar.grab().toImage()
    text = [(x, y) for x in range(bare.width()) for y in range(bare.height())
            if bare.pixelColor(x, y).lightness() < 100]  # the numbers and the names of the days
    assert text and all(busy.pixelColor(x, y) == bare.pixelColor(x, y) for x, y in text)
    assert busy != bare  # the markers are there
