"""The Timetable page's month calendar and its legend: today framed, each day's events as lettered markers
on their colour in a row under the day's number (so the calendar reads without colour as well), and "+n"
for those a narrow day has no room for."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import QDate, QEvent, QRect, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import QCalendarWidget, QGridLayout, QLabel, QWidget

from app.services import timetable_events
from app.services.timetable_events import CalendarEvent
from app.services.windows import DECLARATION_DEADLINE, ENTRY_WINDOW

# Each event type's marker: a letter (read without colour) on its colour.
MARKERS: dict[str, tuple[str, str]] = {
    timetable_events.EXTRACTION: ("E", "#005eb8"),
    ENTRY_WINDOW: ("W", "#007f3b"),
    DECLARATION_DEADLINE: ("D", "#d5281b"),
    timetable_events.OFFER_DEADLINE: ("O", "#7c2855"),
    timetable_events.APPROVAL: ("C", "#330072"),
    timetable_events.PAYMENT: ("P", "#4c6272"),
    timetable_events.ASPIRATION: ("A", "#006747"),
    timetable_events.YEAR_END: ("Y", "#ae2573"),
}
OTHER_MARKER = ("•", "#425563")  # also the colour of "+n", the markers with no room in their day
MIN_MARKER = 6  # pixels: a smaller marker is not drawn (choosing the day lists its events)
LARGEST, SMALLEST = 0.8, 0.7  # a marker's side in lines of text: as drawn when there is room, at least
LETTER = 0.75  # a marker's letter, in the marker's height
ROW_LINES = 2.2  # each calendar row's height in lines of text: the number, and a row of markers under it


def marker(kind: str) -> tuple[str, str]:
    return MARKERS.get(kind, OTHER_MARKER)


@dataclass(frozen=True)
class CellLayout:
    """Where a day's cell puts its number and its markers: the markers in a row under the number, and
    "+n" for the ``hidden`` ones that do not fit."""

    number: QRect
    markers: tuple[QRect, ...]
    more: QRect | None
    hidden: int


def cell_layout(cell: QRect, line: int, count: int, more_width: int) -> CellLayout:
    """Lay out a cell with ``count`` markers under its number (``line`` high); ``more_width`` is the width
    "+n" needs. The markers shrink to fit (down to ``SMALLEST`` of a line) and never cover the number:
    those that still do not fit are counted in ``hidden`` and shown as "+n"."""
    pad = max(2, line // 8)
    gap = max(1, line // 10)
    number = QRect(cell.left(), cell.top() + pad, cell.width(), min(line, cell.height() - pad))
    top = number.bottom() + 1 + gap
    room = cell.width() - 2 * pad
    size = min(int(line * LARGEST), cell.bottom() - pad - top + 1)
    if count:
        size = min(size, max((room + gap) // count - gap, int(line * SMALLEST), MIN_MARKER))
    if count == 0 or size < MIN_MARKER or room < size:
        return CellLayout(number, (), None, count)
    shown = min(count, (room + gap) // (size + gap))
    more_width = min(max(more_width, size), room)
    if shown < count:  # room for "+n" after the markers that stay
        shown = max(0, (room - more_width) // (size + gap))
    width = shown * (size + gap) + (more_width if shown < count else -gap)
    left = cell.left() + pad + max(0, (room - width) // 2)
    markers = tuple(QRect(left + index * (size + gap), top, size, size) for index in range(shown))
    more = QRect(left + shown * (size + gap), top, more_width, size) if shown < count else None
    return CellLayout(number, markers, more, count - shown)


class MarkedCalendar(QCalendarWidget):
    """A month calendar that frames today and puts each day's event markers in a row under its number."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setGridVisible(True)
        self.setVerticalHeaderFormat(QCalendarWidget.VerticalHeaderFormat.NoVerticalHeader)
        self.setFirstDayOfWeek(Qt.DayOfWeek.Monday)
        self.setAccessibleName("Timetable calendar")
        self.today = date.today()
        self.kinds_by_day: dict[date, list[str]] = {}
        self.painted: dict[date, CellLayout] = {}  # each shown day's layout, as last painted
        self._fit_height()

    def _fit_height(self) -> None:
        # Rows tall enough for the day's number and a row of markers under it, at any text size.
        line = self.fontMetrics().height()
        self.setMinimumHeight(int(line * ROW_LINES * 7 + line * 2))

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._fit_height()

    def show_events(self, events: Sequence[CalendarEvent], today: date) -> None:
        self.today = today
        found: dict[date, list[str]] = {}
        for event in events:
            for day in event.marked_days():
                kinds = found.setdefault(day, [])
                if event.kind not in kinds:
                    kinds.append(event.kind)
        self.kinds_by_day = found
        self.updateCells()

    def paintCell(self, painter: QPainter, rect: QRect, qdate: QDate) -> None:  # noqa: N802 (Qt's name)
        day = date(qdate.year(), qdate.month(), qdate.day())
        kinds = self.kinds_by_day.get(day, [])
        line = QFontMetrics(painter.font()).height()
        font = QFont(painter.font())
        font.setBold(True)
        font.setPixelSize(max(7, int(line * LARGEST * LETTER)))
        layout = cell_layout(rect, line, len(kinds), QFontMetrics(font).horizontalAdvance("+9") + 4)
        if layout.markers:  # the letters as large as their markers allow
            font.setPixelSize(max(7, int(layout.markers[0].height() * LETTER)))
        self.painted[day] = layout
        # Qt's cell painter centres the number in the rect it is given. The background is painted through a
        # rect centred below the cell, clipped to it (its number falls outside), then the number in its own
        # rect at the top, with Qt's colours for selected, weekend and other months' days.
        painter.save()
        painter.setClipRect(rect, Qt.ClipOperation.IntersectClip)
        super().paintCell(painter, QRect(rect.left(), rect.top(), rect.width(), 2 * (rect.height() + line)),
                          qdate)
        # Clipped inside the number's rect: not the focus frame Qt draws round it.
        painter.setClipRect(layout.number.adjusted(1, 1, -1, -1), Qt.ClipOperation.IntersectClip)
        super().paintCell(painter, layout.number, qdate)
        painter.restore()
        painter.save()
        if day == self.today:
            painter.setPen(QPen(QColor("#212b32"), 3))
            painter.drawRect(rect.adjusted(2, 2, -2, -2))
        painter.setFont(font)
        for kind, box in zip(kinds, layout.markers, strict=False):
            letter, colour = marker(kind)
            painter.fillRect(box, QColor(colour))
            painter.setPen(QColor("white"))
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, letter)
        if layout.more is not None:
            painter.fillRect(layout.more, QColor(OTHER_MARKER[1]))
            painter.setPen(QColor("white"))
            painter.drawText(layout.more, Qt.AlignmentFlag.AlignCenter, f"+{layout.hidden}")
        painter.restore()


class Legend(QWidget):
    """What the markers mean: the letter on its colour, and the type's name."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Calendar legend")
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.entries: list[str] = []

    def show_kinds(self, kinds: Sequence[tuple[str, str]]) -> None:
        while self.grid.count():
            item = self.grid.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.entries = ["Framed day: today"]
        rows = [("▢", "#ffffff", "Framed day: today")]
        for kind, name in kinds:
            letter, colour = marker(kind)
            rows.append((letter, colour, name))
            self.entries.append(f"{letter}: {name}")
        for index, (letter, colour, name) in enumerate(rows):
            key = QLabel(letter)
            key.setAlignment(Qt.AlignmentFlag.AlignCenter)
            key.setMinimumWidth(key.fontMetrics().horizontalAdvance("WW"))
            text = "black" if letter == "▢" else "white"
            key.setStyleSheet(f"background: {colour}; color: {text}; font-weight: bold; border: 1px solid "
                              "#425563;")
            label = QLabel(name)
            label.setAccessibleName(f"Legend: {name}" if letter == "▢" else f"Legend: {letter}, {name}")
            self.grid.addWidget(key, index // 2, (index % 2) * 2)
            self.grid.addWidget(label, index // 2, (index % 2) * 2 + 1)
        self.grid.setColumnStretch(1, 1)
        self.grid.setColumnStretch(3, 1)
