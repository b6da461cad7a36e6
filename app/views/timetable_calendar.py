"""The Timetable page's month calendar and its legend: today framed, each day's events as lettered markers
on their colour, so the calendar reads without colour as well."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from PySide6.QtCore import QDate, QEvent, QRect, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
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
OTHER_MARKER = ("•", "#425563")


def marker(kind: str) -> tuple[str, str]:
    return MARKERS.get(kind, OTHER_MARKER)


class MarkedCalendar(QCalendarWidget):
    """A month calendar that frames today and puts each day's event markers along its cells' bottom."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setGridVisible(True)
        self.setVerticalHeaderFormat(QCalendarWidget.VerticalHeaderFormat.NoVerticalHeader)
        self.setFirstDayOfWeek(Qt.DayOfWeek.Monday)
        self.setAccessibleName("Timetable calendar")
        self.today = date.today()
        self.kinds_by_day: dict[date, list[str]] = {}
        self._fit_height()

    def _fit_height(self) -> None:
        # Cells tall enough for the day's number and a row of markers under it, at any text size.
        line = self.fontMetrics().height()
        self.setMinimumHeight(int(line * 1.9 * 7 + line * 2))

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
        super().paintCell(painter, rect, qdate)
        day = date(qdate.year(), qdate.month(), qdate.day())
        painter.save()
        if day == self.today:
            painter.setPen(QPen(QColor("#212b32"), 3))
            painter.drawRect(rect.adjusted(2, 2, -2, -2))
        kinds = self.kinds_by_day.get(day, [])
        if kinds:
            size = max(10, min(int(rect.height() * 0.42), (rect.width() - 6) // len(kinds[:4]) - 2))
            font = QFont(painter.font())
            font.setBold(True)
            font.setPixelSize(max(7, size - 3))
            painter.setFont(font)
            left = rect.left() + 3
            for kind in kinds[:4]:
                letter, colour = marker(kind)
                box = QRect(left, rect.bottom() - size - 2, size, size)
                painter.fillRect(box, QColor(colour))
                painter.setPen(QColor("white"))
                painter.drawText(box, Qt.AlignmentFlag.AlignCenter, letter)
                left += size + 2
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
