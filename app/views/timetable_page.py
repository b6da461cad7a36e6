"""The Timetable page: a month calendar beside the list of the practice's timetable events.

The calendar (app.views.timetable_calendar) marks today, the service's date, with a frame and each event
with a lettered marker, so the legend does not rely on colour alone; the list shows one QOF year.
Filters by service and event type apply to both; choosing a day lists its events under the calendar;
choosing a row shows its day. Export saves the events as a calendar file (.ics) for Outlook, with
reminders the Settings page's number of days before each deadline. With large text on a small screen the
list goes under the calendar and the page scrolls as a whole, so neither is squashed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QBoxLayout,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app import settings
from app.services import calendar_export, tasks, timetable_events
from app.services import format as fmt
from app.services.profile import PracticeAccess
from app.services.record_types import OFFER, TIMETABLE_EVENT
from app.services.rules import qof_year
from app.services.timetable_events import ALL, CalendarEvent
from app.views.page import TablePage
from app.views.record_table import Column, Prepared, attr, prepare
from app.views.timetable_calendar import Legend, MarkedCalendar, marker
from app.views.year_picker import fill_years

SIDE_BY_SIDE_TABLE = 400  # the narrowest list worth putting beside the calendar (pixels)
STACKED_ROWS = 3  # the fewest rows the list shows under the calendar


def _scroll_area(widget: QWidget) -> QScrollArea:
    """A frameless area that scrolls ``widget`` up and down, never sideways."""
    area = QScrollArea()
    area.setWidget(widget)
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return area


@dataclass(frozen=True)
class Loaded:
    events: tuple[CalendarEvent, ...]
    prepared: Prepared[CalendarEvent]  # every event's cells, worked out on the worker


def _load(ods: str, columns: tuple[Column[CalendarEvent], ...]) -> Loaded:
    events = tuple(timetable_events.load(ods))
    return Loaded(events, prepare(columns, events))


class TimetablePage(TablePage):
    key = "timetable"
    title = "Timetable"
    intro = ("Extractions, manual entry windows, declaration and offer deadlines and payment dates. "
             "Choose a day to see what falls on it.")
    kinds = (TIMETABLE_EVENT, OFFER)
    empty_text = "The timetable has not been synced yet."
    descending = False

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        assert self.table is not None
        self.events: tuple[CalendarEvent, ...] = ()
        self.reminder_days: Callable[[], int] = lambda: settings.REMINDER_DAYS.default
        self._today = date.today()

        self.service = QComboBox()
        self.service.setAccessibleName("Service")
        self.service.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.year = QComboBox()
        self.year.setAccessibleName("QOF year")
        self.year.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.year.currentIndexChanged.connect(lambda _index: self._show_list())
        self.kind = QComboBox()
        self.kind.setAccessibleName("Event type")
        self.kind.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.service.currentIndexChanged.connect(lambda _index: self._apply_filters())
        self.kind.currentIndexChanged.connect(lambda _index: self._apply_filters())
        self.export_button = QPushButton("Export to calendar (.ics)…")
        self.export_button.setAccessibleName("Export to calendar")
        self.export_button.setToolTip("Save these dates as a file that Outlook and other calendars import")
        self.export_button.clicked.connect(self.choose_export_file)
        # The filters on one line, or the event type on a second one when they do not fit (large text).
        self.filter_lines = (QHBoxLayout(), QHBoxLayout())
        self.kind_pair = QWidget()
        pair = QHBoxLayout(self.kind_pair)
        pair.setContentsMargins(12, 0, 0, 0)
        pair.addWidget(QLabel("&Event type:", buddy=self.kind))
        pair.addWidget(self.kind)
        first = self.filter_lines[0]
        first.addWidget(QLabel("&Year:", buddy=self.year))
        first.addWidget(self.year)
        first.addSpacing(12)
        first.addWidget(QLabel("&Service:", buddy=self.service))
        first.addWidget(self.service)
        first.addWidget(self.kind_pair)
        first.addStretch(1)
        self.filter_lines[1].addStretch(1)
        filters = QVBoxLayout()
        filters.addLayout(self.filter_lines[0])
        filters.addLayout(self.filter_lines[1])

        self.calendar = MarkedCalendar()
        self.calendar.selectionChanged.connect(self._day_chosen)
        self.calendar.currentPageChanged.connect(self._month_shown)
        self.legend = Legend()
        self.day_heading = QLabel()
        self.day_heading.setObjectName("dayHeading")
        self.day_heading.setWordWrap(True)
        self.day_events = QLabel()
        self.day_events.setAccessibleName("Events on the chosen day")
        self.day_events.setWordWrap(True)
        self.day_events.setTextFormat(Qt.TextFormat.PlainText)
        self.day_events.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.side = QWidget()
        side = QVBoxLayout(self.side)
        side.setContentsMargins(0, 0, 0, 0)
        side.addWidget(self.calendar)
        side.addWidget(self.legend)
        side.addWidget(self.day_heading)
        side.addWidget(self.day_events)
        side.addWidget(self.export_button, 0, Qt.AlignmentFlag.AlignLeft)
        side.addStretch(1)
        # Beside the list, the calendar column scrolls on its own when the window is short.
        self.side_scroll = _scroll_area(self.side)

        self.body_layout.removeWidget(self.table)
        self.columns_box = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self.columns_box.addWidget(self.side_scroll, 0)
        self.columns_box.addWidget(self.table, 1)
        # Stacked (large text), the filters, calendar and list scroll together, each at its full size.
        self.content = QWidget()
        content = QVBoxLayout(self.content)
        content.setContentsMargins(0, 0, 0, 0)
        content.addLayout(filters)
        content.addLayout(self.columns_box, 1)
        self.page_scroll = _scroll_area(self.content)
        self.page_scroll.setAccessibleName("Timetable")
        self.stacked = False
        self.body_layout.addWidget(self.page_scroll, 1)
        self.body.installEventFilter(self)
        self._fit_table()
        self.table.view.selectionModel().selectionChanged.connect(self._row_chosen)

    def columns(self, access: PracticeAccess | None) -> list[Column[CalendarEvent]]:
        return [Column("From", attr("starts"), fmt.uk_date), Column("To", attr("ends"), fmt.uk_date),
                Column("What", attr("title")), Column("Type", attr("type_name")),
                Column("Service", attr("service_name")),
                Column("Achievement date", attr("achievement_date"), fmt.uk_date)]

    def row_key(self, row: Any) -> Any:
        return row.key if isinstance(row, CalendarEvent) else None

    # --- the frame's loader ----------------------------------------------------------------------------

    def loader(self, access: PracticeAccess | None, today: date) -> Callable[[], Loaded]:
        assert access is not None
        ods, columns = access.ods, tuple(self.columns(access))
        self._today = today
        return lambda: _load(ods, columns)

    def show_result(self, result: Loaded) -> None:  # type: ignore[override]
        self.events = result.events
        self._fill(self.service, "All services", timetable_events.services(result.events))
        self._fill(self.kind, "All event types", timetable_events.kinds(result.events))
        self.legend.show_kinds(timetable_events.kinds(result.events))
        first = not self.table.model.rowCount() if self.table is not None else False
        keep = self.year.currentData() or timetable_events.current_year(result.events, self._today)
        fill_years(self.year, timetable_events.years(result.events), keep)
        super().show_result(result.prepared)
        if self.calendar.selectedDate() == QDate.currentDate():  # not chosen yet: open on the service's today
            self.calendar.blockSignals(True)  # the year chosen above stays
            self.calendar.setSelectedDate(QDate(self._today.year, self._today.month, self._today.day))
            self.calendar.blockSignals(False)
        self._apply_filters()
        QTimer.singleShot(0, self, self._arrange)  # once the legend's new labels are shown and measured
        if first:
            self._scroll_to_today()

    # --- filters, days and rows ------------------------------------------------------------------------

    def shown_events(self) -> list[CalendarEvent]:
        service, kind = self.service.currentData() or ALL, self.kind.currentData() or ALL
        return [event for event in self.events if event.matches(service, kind)]

    def events_on(self, day: date) -> list[CalendarEvent]:
        return [event for event in self.shown_events() if event.on(day)]

    def selected_day(self) -> date:
        chosen = self.calendar.selectedDate()
        return date(chosen.year(), chosen.month(), chosen.day())

    def _fill(self, combo: QComboBox, everything: str, choices: Sequence[tuple[str, str]]) -> None:
        keep = combo.currentData()
        combo.blockSignals(True)
        combo.clear()
        combo.addItem(everything, ALL)
        for value, name in choices:
            combo.addItem(name, value)
        combo.setCurrentIndex(max(0, combo.findData(keep)))
        combo.blockSignals(False)

    def listed_events(self) -> list[CalendarEvent]:
        """The list's events: those the filters let through, of the year chosen."""
        year = self.year.currentData()
        return [event for event in self.shown_events() if not year or event.year == year]

    def _apply_filters(self) -> None:
        self.calendar.show_events(self.shown_events(), self._today)
        self._show_list()
        self._day_chosen()

    def _show_list(self) -> None:
        assert self.table is not None
        if not self.events:
            return
        listed = self.listed_events()
        self.table.set_prepared(prepare(tuple(self.columns(self.access)), listed))
        self.table.set_empty_message("No events of this service and type this year. Choose “All” to see them "
                                     "all." if not listed else self.empty_text)

    def _month_shown(self, year: int, month: int) -> None:
        """Paging the calendar into another QOF year lists that year's events."""
        index = self.year.findData(qof_year(date(year, month, 1)))
        if index >= 0 and index != self.year.currentIndex():
            self.year.setCurrentIndex(index)

    def _day_chosen(self) -> None:
        day = self.selected_day()
        found = self.events_on(day)
        self.day_heading.setText(f"On {fmt.uk_date(day)}:" if found else f"Nothing on {fmt.uk_date(day)}.")
        lines = []
        for event in found:
            letter, _colour = marker(event.kind)
            service = "" if event.service is None else f" ({event.service_name})"
            lines.append(f"{letter}  {event.title}{service}, {event.when}")
        self.day_events.setText("\n".join(lines))
        self.day_events.setVisible(bool(lines))
        self._fit_table()  # the calendar column's height changed

    def _row_chosen(self, *_args: object) -> None:
        assert self.table is not None
        row = self.table.selected_row()
        if isinstance(row, CalendarEvent) and not row.on(self.selected_day()):
            self.calendar.setSelectedDate(QDate(row.starts.year, row.starts.month, row.starts.day))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Side by side when there is room for the list; otherwise the list goes under the calendar.
        if watched is self.body and event.type() == QEvent.Type.Resize:
            self._arrange()
        return super().eventFilter(watched, event)

    def _fit_table(self) -> None:
        assert self.table is not None
        if not self.stacked:
            line = self.table.view.fontMetrics().height()
            self.table.setMinimumHeight(int(line * 2.2 * 5))
            return
        # Under the calendar: at least STACKED_ROWS rows, the rest of the page when all fits; otherwise the
        # page scrolls and the list fills it once scrolled down to.
        view = self.table.view
        rows = STACKED_ROWS * view.verticalHeader().defaultSectionSize()
        top = self.table.layout().itemAt(0).sizeHint().height() + self.table.layout().spacing()
        chrome = (view.horizontalHeader().sizeHint().height() + 2 * view.frameWidth()
                  + view.horizontalScrollBar().sizeHint().height())
        least = top + chrome + rows
        room = self.page_scroll.viewport().height()
        width = self.page_scroll.viewport().width()
        side = self.side.heightForWidth(width) if self.side.hasHeightForWidth() else -1
        if side < 0:
            side = self.side.sizeHint().height()
        spacing = 2 * self.content.layout().spacing()
        above = self.content.layout().itemAt(0).sizeHint().height() + side + spacing
        self.table.setMinimumHeight(least if above + least <= room else max(least, room))

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange and self.table is not None:
            self._fit_table()

    def _arrange(self) -> None:
        first, second = self.filter_lines
        needed = first.sizeHint().width() + (self.kind_pair.sizeHint().width() if second.count() > 1 else 0)
        one_line = self.body.width() >= needed
        if one_line and second.indexOf(self.kind_pair) >= 0:
            second.removeWidget(self.kind_pair)
            first.insertWidget(first.count() - 1, self.kind_pair)
        elif not one_line and first.indexOf(self.kind_pair) >= 0:
            first.removeWidget(self.kind_pair)
            second.insertWidget(0, self.kind_pair)
        wanted = max(self.side.sizeHint().width(), self.side.minimumSizeHint().width())
        side = wanted + self.side_scroll.verticalScrollBar().sizeHint().width()
        wide = self.body.width() >= side + SIDE_BY_SIDE_TABLE
        if wide:
            self.side_scroll.setFixedWidth(side)
        if wide == self.stacked:
            self._stack(not wide)
        self._fit_table()

    def _stack(self, stacked: bool) -> None:
        """Put the list under the calendar column, which leaves its own scroll area for the page's (so it is
        never squashed into a strip), or back beside it."""
        self.stacked = stacked
        if stacked:
            self.side_scroll.takeWidget()
            self.side_scroll.hide()
            self.columns_box.insertWidget(1, self.side, 0)
        else:
            self.columns_box.removeWidget(self.side)
            self.side_scroll.setWidget(self.side)
            self.side_scroll.show()
        self.side.show()
        self.columns_box.setDirection(QBoxLayout.Direction.TopToBottom if stacked
                                      else QBoxLayout.Direction.LeftToRight)

    def _scroll_to_today(self) -> None:
        """The list opens at the first event not yet over (the calendar keeps its day)."""
        assert self.table is not None
        proxy = self.table.proxy
        for position in range(proxy.rowCount()):
            row = self.table.model.row(proxy.mapToSource(proxy.index(position, 0)).row())
            if row.ends >= self._today:
                self.table.view.scrollTo(proxy.index(position, 0), QAbstractItemView.ScrollHint.PositionAtTop)
                return

    # --- export ----------------------------------------------------------------------------------------

    def choose_export_file(self) -> None:
        if self.access is None:
            return
        suggested = str(Path.home() / f"CQRS timetable {self.access.ods}.ics")
        path, _kind = QFileDialog.getSaveFileName(self, "Export the timetable", suggested,
                                                  "Calendar files (*.ics)")
        if path:
            self.export_to(Path(path))

    def export_to(self, path: Path) -> None:
        """Write the events shown (the filters apply) to ``path`` in the background, then say so."""
        access = self.access
        if access is None:
            return
        if path.suffix.lower() != ".ics":
            path = path.with_name(path.name + ".ics")
        events, days = self.shown_events(), self.reminder_days()

        def saved(written: Path) -> None:
            self.show_message(f"Saved {len(events)} dates to {written}. Open it in Outlook (or your "
                              f"calendar) to add them, with a reminder {days} days before each deadline. "
                              "Export again after a sync to update them.")

        def failed(error: BaseException) -> None:
            reason = getattr(error, "strerror", None) or str(error)
            self.show_message(f"The calendar file could not be saved as {path} ({reason}). Choose a folder "
                              "you can write to, for example Documents.", "error")

        tasks.run(lambda: calendar_export.write(path, events, access.ods, access.name, days), saved, failed,
                  kind="net")
