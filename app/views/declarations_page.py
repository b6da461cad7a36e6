"""The Declarations page: per service and achievement date, the calculated achievement, where its
declaration has got to, and its history (who did what, when).

People with the Declaration Management role declare the selected row after a confirmation that says
exactly what is declared. The declaration is queued on this PC and sent by the next sync. A declaration
sent back by a recalculation is marked in words and colour, because it has to be declared again.
Money appears only for people with the Finance View role.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtGui import QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.services import declarations, tasks
from app.services import format as fmt
from app.services.declarations import DeclarationRow, HistoryStep
from app.services.outbox import OutboxEntry
from app.services.profile import DECLARATION_MANAGEMENT, PracticeAccess
from app.signals import hub
from app.views import fonts
from app.views.record_table import Column, RecordTable

Row = dict[str, Any]
TITLE = "Declarations"
INTRO = ("Declare each service's calculated achievement to your commissioner, then follow it through "
         "approval to payment. Select a row to see its history.")
EMPTY = ("Nothing to declare yet: achievement appears here once it has been calculated and the app has "
         "synced.")
SENT_BACK = "#fde2e0"  # soft red: needs declaring again
HISTORY_COLUMNS = ("When", "What", "Who")
HISTORY_ROWS = 5  # steps shown before the history scrolls (a full one has four or five)
ROW_PADDING = 8  # pixels
# Columns whose text wraps: when the table is too narrow for every column, these give up width (never
# below MIN_CHARS average characters) so nothing is cut off at 1024 px or with large text.
WRAPPING = ("Service", "Status", "Next step")
MIN_CHARS = 12


def _row_of(row: Row) -> DeclarationRow:
    return row["row"]


def _table_row(declaration: DeclarationRow) -> Row:
    """What the table holds for one row; the DeclarationRow itself rides along under "row"."""
    return {"id": declaration.declaration_id, "key": declaration.key, "service": declaration.service,
            "achievement_date": declaration.achievement_date.isoformat(), "status": declaration.status,
            "row": declaration}


def _sent_back_colour(row: Row) -> str | None:
    return SENT_BACK if _row_of(row).sent_back else None


def _status_tooltip(row: Row) -> str | None:
    declaration = _row_of(row)
    if declaration.sent_back:
        return ("Sent back to the practice: achievement was recalculated after it was declared, so it "
                "needs to be declared again.")
    return declaration.status


def declaration_columns(finance: bool) -> list[Column]:
    """The table's columns; "Payment" only for Finance View."""
    columns = [
        Column("Achievement date", lambda row: _row_of(row).achievement_date, fmt.uk_date),
        Column("Service", lambda row: _row_of(row).service_name,
               tooltip=lambda row: f"{_row_of(row).service_name} (service code {_row_of(row).service})"),
        Column("Points", lambda row: _row_of(row).points, fmt.points, numeric=True),
    ]
    if finance:
        columns.append(Column("Payment", lambda row: _row_of(row).payment, fmt.money, numeric=True))
    return [*columns,
            Column("Status", lambda row: _row_of(row).status, tooltip=_status_tooltip,
                   background=_sent_back_colour),
            Column("Next step", lambda row: _row_of(row).next_step,
                   tooltip=lambda row: _row_of(row).next_step, background=_sent_back_colour)]


def _who(by: str) -> str:
    return "CQRS (automatic)" if by == declarations.SYSTEM else by


def _what(step: HistoryStep, previous: HistoryStep | None) -> str:
    if step.status == declarations.AWAITING_COMMISSIONER:
        return f"Declared by the practice: {step.status}"
    if step.status == declarations.AWAITING_PROVIDER and previous is not None:
        return f"Sent back after a recalculation: {step.status}"
    return step.status


def history_lines(declaration: DeclarationRow) -> list[tuple[str, str, str]]:
    """(when, what, who) for each step, oldest first, in UK time and plain words."""
    lines = []
    for position, step in enumerate(declaration.history):
        previous = declaration.history[position - 1] if position else None
        lines.append((fmt.uk_datetime(step.at), _what(step, previous), _who(step.by)))
    return lines


def _figures(points: Any, payment: Any, finance: bool) -> str:
    parts = [] if points is None else [f"{fmt.points(points)} points"]
    if finance and payment is not None:
        parts.append(fmt.money(payment))
    return ", ".join(parts)


def details(declaration: DeclarationRow, finance: bool) -> str:
    """The lines above the history: the status and next step, then what was declared (and what it is now,
    if a recalculation sent it back)."""
    lines = [f"Status: {declaration.status}. {declaration.next_step}"]
    if declaration.declared_at is not None:
        declared = _figures(declaration.declared_points, declaration.declared_payment, finance)
        line = f"Last declared on {fmt.uk_date(declaration.declared_at)}" + (f": {declared}." if declared
                                                                              else ".")
        now = _figures(declaration.points, declaration.payment, finance)
        if declaration.sent_back and now:
            line += f" Now calculated: {now}."
        lines.append(line)
    return "\n".join(lines)


def declaration_summary(declaration: DeclarationRow, finance: bool) -> str:
    """The confirmation's summary of exactly what is declared."""
    lines = [f"Service: {declaration.service_name}",
             f"Achievement date: {fmt.uk_date(declaration.achievement_date)}"]
    if declaration.points is not None:
        lines.append(f"Points: {fmt.points(declaration.points)}")
    if finance and declaration.payment is not None:
        lines.append(f"Payment: {fmt.money(declaration.payment)}")
    text = "\n".join(lines)
    if declaration.sent_back:
        text += ("\n\nThis replaces the declaration that was sent back after a recalculation: the figures "
                 "above are the recalculated ones.")
    return (text + "\n\nThe declaration is sent to CQRS at the next sync. Your commissioner will then "
            "review it and approve it before payment.")


class DeclarationsPage(QWidget):
    """A heading, a status filter, the table of declarations, the selected row's history, and Declare…"""

    loaded = Signal()
    kinds = ("declaration", "result", "timetable_event", "outbox")  # changes that reload the page

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("page-declarations")
        self.today: Callable[[], date] = date.today  # the service's "today" once signed in
        self._access: PracticeAccess | None = None
        self._rows: list[DeclarationRow] = []
        self._just_queued: set[str] = set()  # keys queued since the last load: keep Declare off for them
        self._selected_key: str | None = None  # kept through reloads, which clear the table's selection
        self._busy = False

        heading = QLabel(TITLE)
        heading.setObjectName("pageHeading")
        fonts.relative(heading, fonts.HEADING, bold=True)
        intro = QLabel(INTRO)
        intro.setWordWrap(True)

        self.filter = QComboBox()
        self.filter.setAccessibleName("Show declarations")
        for name in declarations.FILTERS:
            self.filter.addItem(name, name)
        self.filter.setCurrentIndex(declarations.FILTERS.index(declarations.ALL))
        self.filter.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.filter.currentIndexChanged.connect(lambda _index: self._show_rows())
        self.declare_button = QPushButton("&Declare…")
        self.declare_button.setAccessibleName("Declare the selected achievement")
        self.declare_button.clicked.connect(self._declare)
        # Why Declare is off, or who can declare; wraps rather than being cut off at 1024 px.
        self.hint = QLabel()
        self.hint.setObjectName("declareHint")
        self.hint.setWordWrap(True)
        self.hint.setAccessibleName("About declaring")
        self.hint.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        controls = QHBoxLayout()
        controls.addWidget(QLabel("&Show:", buddy=self.filter))
        controls.addWidget(self.filter)
        controls.addSpacing(12)
        controls.addWidget(self.hint, 1)  # next to the button it explains
        controls.addWidget(self.declare_button)

        self.message = QLabel()
        self.message.setObjectName("errorText")
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Declaration result")
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.hide()

        self.table = RecordTable(declaration_columns(False), name="declarations", empty_message=EMPTY)
        self.table.view.selectionModel().selectionChanged.connect(lambda *_: self._selection_changed())
        # Long statuses and next steps wrap onto a second line rather than being cut off at 1024 px.
        self.table.view.setWordWrap(True)
        self._natural: tuple[tuple[str, ...], list[int]] | None = None  # titles, fitted widths
        self._rows_unfitted = False
        self._fit_rows_timer = QTimer(self)
        self._fit_rows_timer.setSingleShot(True)
        self._fit_rows_timer.timeout.connect(self._fit_rows)
        # Fitting 700 rows takes a tenth of a second: wait for a pause in dragging before doing it again.
        self.table.view.horizontalHeader().sectionResized.connect(lambda *_: self._fit_rows_timer.start(150))
        self._share_timer = QTimer(self)
        self._share_timer.setSingleShot(True)
        self._share_timer.timeout.connect(self._share_width)

        self.history_box = QGroupBox("History")
        self.history_title = QLabel()
        self.history_title.setObjectName("historyTitle")
        self.history_title.setAccessibleName("Selected declaration")
        fonts.relative(self.history_title, 1.0, bold=True)
        self.history_details = QLabel()
        self.history_details.setWordWrap(True)
        self.history_details.setAccessibleName("Status and next step")
        self.history_details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.history = QTableWidget(0, len(HISTORY_COLUMNS))
        self.history.setAccessibleName("History of the selected declaration")
        self.history.setHorizontalHeaderLabels(list(HISTORY_COLUMNS))
        self.history.verticalHeader().hide()
        self.history.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.history.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.history.setTabKeyNavigation(False)
        self.history.setWordWrap(True)  # with large text a long step wraps rather than being cut off
        header = self.history.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.sectionResized.connect(lambda *_: self._fit_rows_timer.start(150))
        box = QVBoxLayout(self.history_box)
        box.addWidget(self.history_title)
        box.addWidget(self.history_details)
        box.addWidget(self.history)

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(intro)
        layout.addLayout(controls)
        layout.addWidget(self.message)
        layout.addWidget(self.table, 1)  # the history below takes only the room its steps need
        layout.addWidget(self.history_box)
        self.setTabOrder(self.filter, self.declare_button)
        self._selection_changed()

    # --- the page interface the main window uses ---------------------------------------------------

    @property
    def finance(self) -> bool:
        return self._access is not None and self._access.sees_money

    @property
    def can_manage(self) -> bool:
        return self._access is not None and self._access.has(DECLARATION_MANAGEMENT)

    def show_practice(self, access: PracticeAccess | None) -> None:
        """Read ``access``'s declarations from the cache (in the background) and show them."""
        if access is None or self._access is None or access.ods != self._access.ods:
            self._show_message("", "info")  # a result about another practice no longer applies
            self._selected_key = None
        self._access = access
        columns = declaration_columns(self.finance)
        if [c.title for c in columns] != [c.title for c in self.table.model.columns]:
            self.table.model.set_columns(columns)  # only on a change: it clears the selection
        if access is None:
            self.table.set_empty_message("Sign in to see your practice's declarations.")
            self._set_rows([])
            self.loaded.emit()
            return
        self.table.set_empty_message(EMPTY)
        ods, finance, today = access.ods, self.finance, self.today()
        tasks.run(lambda: declarations.load(ods, finance=finance, today=today),
                  lambda rows: self._loaded(ods, rows), lambda error: self._load_failed(ods, error))

    def reload(self) -> None:
        self.show_practice(self._access)

    def selected(self) -> DeclarationRow | None:
        row = self.table.selected_row()
        return _row_of(row) if row is not None else None

    # --- loading ------------------------------------------------------------------------------------

    def _loaded(self, ods: str, rows: list[DeclarationRow]) -> None:
        if self._access is None or self._access.ods != ods:
            return  # another practice was chosen meanwhile; its own load is on the way
        self._just_queued.clear()
        self._set_rows(rows)
        self.loaded.emit()

    def _load_failed(self, ods: str, error: BaseException) -> None:
        if self._access is not None and self._access.ods == ods:
            self._show_message(tasks.describe_error(error), "error")
        self.loaded.emit()

    def _set_rows(self, rows: Sequence[DeclarationRow]) -> None:
        self._rows = list(rows)
        counts = {name: 0 for name in declarations.FILTERS}
        for row in self._rows:
            counts[row.stage] += 1
        counts[declarations.ALL] = len(self._rows)
        for index, name in enumerate(declarations.FILTERS):
            self.filter.setItemText(index, f"{name} ({counts[name]})")
        self._show_rows()

    def _show_rows(self) -> None:
        chosen = self.filter.currentData()
        shown = [row for row in self._rows if chosen == declarations.ALL or row.stage == chosen]
        if self._rows and not shown:
            self.table.set_empty_message(f"Nothing is “{chosen}” at the moment. Choose “All” to see "
                                         "every declaration.")
        elif self._access is not None:
            self.table.set_empty_message(EMPTY)
        self.table.set_rows([_table_row(row) for row in shown])
        self._fit_columns()
        self._select(self._selected_key)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._fit_columns()  # the table fits its columns when first seen: share the width after it

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._share_timer.start(150)

    def _fit_columns(self) -> None:
        """Note the widths the table fitted its columns to (once per set of columns), then share them out."""
        model, header = self.table.model, self.table.view.horizontalHeader()
        titles = tuple(column.title for column in model.columns)
        fitted = self._natural is not None and self._natural[0] == titles
        if model.rowCount() and self.table.isVisible() and not fitted:
            self._natural = (titles, [header.sectionSize(section) for section in range(len(titles))])
        self._share_width()

    def _share_width(self) -> None:
        """Narrow the wrapping columns, in proportion, when the fitted widths do not fit the view."""
        if self._natural is None or not self.table.isVisible():
            return
        titles, natural = self._natural
        header = self.table.view.horizontalHeader()
        if titles != tuple(column.title for column in self.table.model.columns):
            return
        wrapping = [section for section, title in enumerate(titles) if title in WRAPPING]
        others = sum(width for section, width in enumerate(natural) if section not in wrapping)
        room = self.table.view.viewport().width() - others
        wanted = sum(natural[section] for section in wrapping)
        scale = min(1.0, room / wanted) if wanted > 0 else 1.0
        least = MIN_CHARS * self.table.view.fontMetrics().averageCharWidth()
        # The last column still stretches into any room left over; sizing it too lets it shrink.
        for section in wrapping:
            header.resizeSection(section, max(least, int(natural[section] * scale)))
        self._fit_rows_timer.start(0)

    def _fit_rows(self) -> None:
        """Each row as tall as its wrapped text, with a little air above and below."""
        if not self.isVisible():
            self._rows_unfitted = True  # measured when the page is first shown: not at start-up
            return
        self._rows_unfitted = False
        view = self.table.view
        rows = view.verticalHeader()
        for row in range(self.table.proxy.rowCount()):
            rows.resizeSection(row, view.sizeHintForRow(row) + ROW_PADDING)
        self._fit_history()

    def _select(self, key: str | None) -> None:
        """Select the row with ``key`` (else the first row), so the history always shows something."""
        proxy, view = self.table.proxy, self.table.view
        target = 0 if proxy.rowCount() else None
        for position in range(proxy.rowCount()):
            source = proxy.mapToSource(proxy.index(position, 0))
            if self.table.model.row(source.row())["key"] == key:
                target = position
                break
        if target is not None:
            view.selectionModel().setCurrentIndex(
                proxy.index(target, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self._selection_changed()

    # --- the selected row ---------------------------------------------------------------------------

    def _selection_changed(self) -> None:
        row = self.selected()
        if row is not None:
            self._selected_key = row.key
        self._show_history(row)
        self._update_actions(row)

    def _show_history(self, row: DeclarationRow | None) -> None:
        self.history.setRowCount(0)
        self.history_box.setVisible(row is not None)  # nothing to show: the table's message says why
        if row is None:
            return
        self.history_title.setText(f"{row.service_name}, {fmt.uk_date(row.achievement_date)}")
        self.history_details.setText(details(row, self.finance))
        lines = history_lines(row) or [("", "Nothing has happened yet: this has not been declared.", "")]
        self.history.setRowCount(len(lines))
        for position, line in enumerate(lines):
            for column, text in enumerate(line):
                item = QTableWidgetItem(text)
                item.setToolTip(text or None)
                self.history.setItem(position, column, item)
        self._fit_history()

    def _fit_history(self) -> None:
        """The history as tall as its steps (scrolling beyond a few), so the table above gets the room."""
        rows = self.history.verticalHeader()
        for row in range(self.history.rowCount()):
            rows.resizeSection(row, self.history.sizeHintForRow(row) + ROW_PADDING)
        shown = sum(rows.sectionSize(row) for row in range(min(self.history.rowCount(), HISTORY_ROWS)))
        self.history.setFixedHeight(self.history.horizontalHeader().sizeHint().height() + shown
                                    + 2 * self.history.frameWidth())

    def _update_actions(self, row: DeclarationRow | None) -> None:
        self.declare_button.setVisible(self.can_manage)
        if self._access is None:
            self.hint.setText("")
            return
        if not self.can_manage:
            self.hint.setText(f"Only people with the {DECLARATION_MANAGEMENT} role for {self._access.name} "
                              "can declare.")
            return
        enabled = (row is not None and row.can_declare and row.key not in self._just_queued
                   and not self._busy)
        self.declare_button.setEnabled(enabled)
        if row is None:
            self.hint.setText("Select a row to declare it.")
        elif row.key in self._just_queued:
            self.hint.setText(declarations.WAITING_TO_BE_SENT)
        elif enabled:
            self.hint.setText(row.window)
        else:
            self.hint.setText(row.why_not)

    # --- declaring ----------------------------------------------------------------------------------

    def _confirm(self, row: DeclarationRow) -> bool:
        box = QMessageBox(QMessageBox.Icon.Question, "Declare achievement",
                          f"Declare {row.service_name} for {fmt.uk_date(row.achievement_date)}?",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, self)
        box.setInformativeText(declaration_summary(row, self.finance))
        box.button(QMessageBox.StandardButton.Yes).setText("Declare")
        box.button(QMessageBox.StandardButton.Yes).setAccessibleName("Declare")
        box.button(QMessageBox.StandardButton.Cancel).setAccessibleName("Cancel")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)  # declaring is never the accidental Enter
        box.setEscapeButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # one box per declaration, not kept
        return box.exec() == QMessageBox.StandardButton.Yes

    def _declare(self) -> None:
        row, access = self.selected(), self._access
        if row is None or access is None or not self.can_manage or not self.declare_button.isEnabled():
            return
        if not self._confirm(row):
            return
        self._busy = True
        self._update_actions(row)
        ods, today = access.ods, self.today()
        tasks.run(lambda: declarations.declare(ods, row.service, row.achievement_date, today),
                  lambda entry: self._queued(row, entry), self._declare_failed)

    def _queued(self, row: DeclarationRow, _entry: OutboxEntry) -> None:
        self._busy = False
        self._just_queued.add(row.key)
        self._show_message(f"{row.service_name} for {fmt.uk_date(row.achievement_date)} is declared on this "
                           "PC and will be sent to CQRS at the next sync.", "info")
        self._update_actions(self.selected())
        hub().queued.emit(declarations.KIND)
        hub().data_changed.emit("outbox")

    def _declare_failed(self, error: BaseException) -> None:
        self._busy = False
        self._show_message(tasks.describe_error(error), "error")
        self._update_actions(self.selected())

    def _show_message(self, text: str, kind: str) -> None:
        self.message.setProperty("kind", kind)
        self.message.style().unpolish(self.message)  # the style sheet colours it by "kind"
        self.message.style().polish(self.message)
        self.message.setText(text)
        self.message.setVisible(bool(text))
