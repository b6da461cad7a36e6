"""The Declarations page: per service and achievement date, the calculated achievement, where its
declaration has got to, and its history (who did what, when).

People with the Declaration Management role declare the selected row after a confirmation that says
exactly what is declared. The declaration is queued on this PC and sent by the next sync. A declaration
sent back by a recalculation is marked in words and colour, because it has to be declared again.
Money appears only for people with the Finance View role.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer
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
from app.services.declarations import DeclarationRow
from app.services.outbox import OutboxEntry
from app.services.profile import DECLARATION_MANAGEMENT, PracticeAccess
from app.services.record_types import DECLARATION, OUTBOX, RESULT, TIMETABLE_EVENT
from app.views import fonts
from app.views.declaration_texts import (
    SENT_BACK,
    declaration_columns,
    declaration_summary,
    details,
    history_lines,
)
from app.views.page import Page
from app.views.record_table import Prepared, RecordTable, prepare

__all__ = ["SENT_BACK", "DeclarationsPage", "declaration_columns"]

TITLE = "Declarations"
INTRO = ("Declare each service's calculated achievement to your commissioner, then follow it through "
         "approval to payment. Select a row to see its history.")
EMPTY = ("Nothing to declare yet: achievement appears here once it has been calculated and the app has "
         "synced.")
HISTORY_COLUMNS = ("When", "What", "Who")
HISTORY_ROWS = 5  # steps shown before the history scrolls (a full one has four or five)
ROW_PADDING = 8  # pixels
# Columns whose text wraps: when the table is too narrow for every column, these give up width (never
# below MIN_CHARS average characters) so nothing is cut off at 1024 px or with large text.
WRAPPING = ("Service", "Status", "Next step")
MIN_CHARS = 12


def _read(ods: str, finance: bool, today: date) -> Prepared[DeclarationRow]:
    """On the database worker: the rows, with the table's texts and sort keys worked out."""
    return prepare(declaration_columns(finance), declarations.load(ods, finance=finance, today=today))


class DeclarationsPage(Page):
    """A status filter, the table of declarations, the selected row's history, and Declare…"""

    key = "declarations"
    title = TITLE
    intro = INTRO
    kinds = (DECLARATION, RESULT, TIMETABLE_EVENT, OUTBOX)  # changes that reload the page
    signed_out_text = "Sign in to see your practice's declarations."
    message_name = "Declaration result"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._all: Prepared[DeclarationRow] = prepare(declaration_columns(False), ())
        self._just_queued: set[str] = set()  # keys queued since the last load: keep Declare off for them
        self._selected_key: str | None = None  # kept through reloads, which clear the table's selection
        self._shown_ods: str | None = None
        self._busy = False

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

        # Long statuses and next steps wrap onto a second line rather than being cut off at 1024 px.
        self.table: RecordTable[DeclarationRow] = RecordTable(declaration_columns(False), name="declarations",
                                                              empty_message=EMPTY, wrap=True)
        self.table.view.selectionModel().selectionChanged.connect(lambda *_: self._selection_changed())
        self._natural: tuple[tuple[str, ...], list[int]] | None = None  # titles, fitted widths
        self._share_timer = QTimer(self)
        self._share_timer.setSingleShot(True)
        self._share_timer.timeout.connect(self._share_width)
        self._history_timer = QTimer(self)
        self._history_timer.setSingleShot(True)
        self._history_timer.timeout.connect(self._fit_history)

        self.history_box = QGroupBox("History")
        self.history_title = QLabel()
        self.history_title.setObjectName("historyTitle")
        self.history_title.setAccessibleName("Selected declaration")
        fonts.relative(self.history_title, 1.0, bold=True)
        self.history_details = QLabel()
        self.history_details.setWordWrap(True)
        self.history_details.setAccessibleName("Status and next step")
        self.history_details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # A small grid of four or five steps: a QTableWidget is enough.
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
        header.sectionResized.connect(lambda *_: self._history_timer.start(150))
        box = QVBoxLayout(self.history_box)
        box.addWidget(self.history_title)
        box.addWidget(self.history_details)
        box.addWidget(self.history)

        self.body_layout.addLayout(controls)
        self.body_layout.addWidget(self.table, 1)  # the history below takes only the room its steps need
        self.body_layout.addWidget(self.history_box)
        self.setTabOrder(self.filter, self.declare_button)
        self._selection_changed()

    # --- the frame's loader ----------------------------------------------------------------------------

    @property
    def can_manage(self) -> bool:
        return self.access is not None and self.access.has(DECLARATION_MANAGEMENT)

    def row_key(self, row: DeclarationRow) -> str:
        return row.key

    def practice_shown(self, access: PracticeAccess | None) -> None:
        if access is None or access.ods != self._shown_ods:
            self._selected_key = None  # a selection in another practice means nothing here
        self._shown_ods = access.ods if access else None
        columns = declaration_columns(self.finance)
        if [c.title for c in columns] != [c.title for c in self.table.model.columns]:
            self._all = prepare(columns, ())
            self.table.set_prepared(self._all)  # only on a change: it clears the selection
        self.table.set_empty_message(EMPTY)
        if access is None:
            self._all = prepare(columns, ())
            self._update_filter_counts()
            self._selection_changed()

    def loader(self, access: PracticeAccess | None, today: date) -> Callable[[], Prepared[DeclarationRow]]:
        assert access is not None
        ods, finance = access.ods, access.sees_money
        return lambda: _read(ods, finance, today)

    def show_result(self, result: Prepared[DeclarationRow]) -> None:
        self._just_queued.clear()
        self._all = result
        self._update_filter_counts()
        self._show_rows()

    def selected(self) -> DeclarationRow | None:
        return self.table.selected_row()

    # --- the table ------------------------------------------------------------------------------------

    def _update_filter_counts(self) -> None:
        counts = {name: 0 for name in declarations.FILTERS}
        for row in self._all.rows:
            counts[row.stage] += 1
        counts[declarations.ALL] = len(self._all.rows)
        for index, name in enumerate(declarations.FILTERS):
            self.filter.setItemText(index, f"{name} ({counts[name]})")

    def _show_rows(self) -> None:
        chosen = self.filter.currentData()
        shown = self._all if chosen == declarations.ALL else self._all.where(lambda row: row.stage == chosen)
        if self._all.rows and not shown.rows:
            self.table.set_empty_message(f"Nothing is “{chosen}” at the moment. Choose “All” to see "
                                         "every declaration.")
        elif self.access is not None:
            self.table.set_empty_message(EMPTY)
        keep = self._selected_key
        self.table.set_prepared(shown)
        self._fit_columns()
        self._select(keep)

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
        self._history_timer.start(0)

    def _select(self, key: str | None) -> None:
        """Select the row with ``key`` (else the first row), so the history always shows something."""
        proxy, view = self.table.proxy, self.table.view
        if not self.select(key) and proxy.rowCount():
            view.selectionModel().setCurrentIndex(
                proxy.index(0, 0),
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
        if self.access is None:
            self.hint.setText("")
            return
        if not self.can_manage:
            self.hint.setText(f"Only people with the {DECLARATION_MANAGEMENT} role for {self.access.name} "
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
        row, access, owner = self.selected(), self.access, self.owner
        if row is None or access is None or not self.can_manage or not self.declare_button.isEnabled():
            return
        if owner is None:
            self.show_message("Sign in again to declare: this PC does not know who you are.", "error")
            return
        if not self._confirm(row):
            return
        self._busy = True
        self._update_actions(row)
        ods, today = access.ods, self.today()
        # The service queues it in the owner's name and tells the hub (this page then reloads).
        tasks.run(lambda: declarations.declare(ods, row.service, row.achievement_date, today, owner=owner),
                  lambda entry: self._queued(row, entry), self._declare_failed)

    def _queued(self, row: DeclarationRow, _entry: OutboxEntry) -> None:
        self._busy = False
        self._just_queued.add(row.key)
        self.show_message(f"{row.service_name} for {fmt.uk_date(row.achievement_date)} is declared on this "
                          "PC and will be sent to CQRS at the next sync.", "info")
        self._update_actions(self.selected())

    def _declare_failed(self, error: BaseException) -> None:
        self._busy = False
        self.show_message(tasks.describe_error(error), "error")
        self._update_actions(self.selected())
