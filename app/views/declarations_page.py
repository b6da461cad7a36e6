"""The Declarations page: per service and achievement date, the calculated achievement, where its
declaration has got to, and its history (who did what, when).

People with the Declaration Management role declare the selected row after a confirmation that says
exactly what is declared, or several at once (everything due for a month, or in the list shown). Each
declaration is queued on this PC and sent by the next sync; the message afterwards follows each one
(waiting on this PC, sent, or refused and why). What can still be declared is kept apart from what was
missed. A declaration sent back by a recalculation is marked in words and colour, because it has to be
declared again. Money appears only for people with the Finance View role.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer
from PySide6.QtGui import QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QWidget,
)

from app.services import declarations
from app.services.declarations import DeclarationRow
from app.services.profile import DECLARATION_MANAGEMENT, PracticeAccess
from app.services.record_types import DECLARATION, OFFER, OUTBOX, RESULT, TIMETABLE_EVENT
from app.views.column_sharing import share_width
from app.views.declaration_history import DeclarationHistory
from app.views.declaration_texts import (
    SENT_BACK,
    Asked,
    declaration_columns,
    missed_note,
)
from app.views.declaring import DeclaringMixin
from app.views.page import Page
from app.views.record_table import Prepared, RecordTable, prepare

__all__ = ["SENT_BACK", "DeclarationsPage", "declaration_columns"]

TITLE = "Declarations"
INTRO = ("Declare each service's calculated achievement to your commissioner, then follow it through "
         "approval to payment. Select a row to see its history.")
EMPTY = ("Nothing to declare yet: achievement appears here once it has been calculated and the app has "
         "synced.")
# Columns whose text wraps: when the table is too narrow for every column, these give up width
# (app.views.column_sharing) so nothing is cut off at 1024 px or with large text.
WRAPPING = ("Service", "Status", "Next step")
TABLE_ROWS = 3  # rows the table keeps room for before the history below takes the rest
ROW_PADDING = 8  # pixels the table adds to a wrapped row's text (as RecordTable fits rows)


Loaded = tuple[Prepared[DeclarationRow], str | None]  # the rows, and the commissioner's name


def _read(ods: str, finance: bool, today: date) -> Loaded:
    """On the database worker: the rows, with the table's texts and sort keys worked out."""
    rows = declarations.load(ods, finance=finance, today=today)
    return prepare(declaration_columns(finance), rows), declarations.commissioner(ods)


class DeclarationsPage(DeclaringMixin, Page):
    """A status filter, the table of declarations, the selected row's history, and Declare…"""

    key = "declarations"
    title = TITLE
    intro = INTRO
    kinds = (DECLARATION, RESULT, TIMETABLE_EVENT, OUTBOX, OFFER)  # changes that reload the page
    signed_out_text = "Sign in to see your practice's declarations."
    message_name = "Declaration result"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._all: Prepared[DeclarationRow] = prepare(declaration_columns(False), ())
        self._just_queued: set[str] = set()  # keys queued since the last load: keep Declare off for them
        self._selected_key: str | None = None  # kept through reloads, which clear the table's selection
        self._shown_ods: str | None = None
        self._busy = False
        # Declared from this page since the list was last chosen: kept in view (and selected) when they
        # move to another stage, so the selection never jumps to another row.
        self._pinned: set[str] = set()
        self._asked: list[Asked] = []  # what the last Declare asked for: the message follows each one
        self._commissioner: str | None = None

        self.filter = QComboBox()
        self.filter.setAccessibleName("Show declarations")
        for name in declarations.FILTERS:
            self.filter.addItem(name, name)
        self.filter.setCurrentIndex(declarations.FILTERS.index(declarations.ALL))
        self.filter.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.filter.currentIndexChanged.connect(lambda _index: self._filter_chosen())
        self.declare_button = QPushButton("&Declare…")
        self.declare_button.setAccessibleName("Declare the selected achievement")
        self.declare_button.clicked.connect(self._declare)
        self.declare_many_button = QPushButton("Declare &several…")
        self.declare_many_button.setAccessibleName("Declare several at once")
        self.declare_many_button.setToolTip("Declare everything due for a month, or everything that can be "
                                            "declared in the list shown (asks you to confirm first).")
        self.declare_many_button.clicked.connect(self._declare_many)
        # Why Declare is off, or who can declare: on a line of its own under the buttons, so a long reason
        # wraps across the page rather than squeezing them, at 1024 px and with large text.
        self.hint = QLabel()
        self.hint.setObjectName("declareHint")
        self.hint.setWordWrap(True)
        self.hint.setAccessibleName("About declaring")
        controls = QHBoxLayout()
        controls.addWidget(QLabel("&Show:", buddy=self.filter))
        controls.addWidget(self.filter)
        controls.addStretch(1)
        controls.addWidget(self.declare_button)
        controls.addWidget(self.declare_many_button)
        self.missed_label = QLabel()
        self.missed_label.setObjectName("missedNote")
        self.missed_label.setWordWrap(True)
        self.missed_label.setAccessibleName("About missed declarations")
        self.missed_label.hide()

        # Long statuses and next steps wrap onto a second line rather than being cut off at 1024 px.
        self.table: RecordTable[DeclarationRow] = RecordTable(declaration_columns(False), name="declarations",
                                                              empty_message=EMPTY, wrap=True)
        self.table.view.selectionModel().selectionChanged.connect(lambda *_: self._selection_changed())
        # Never squeezed to nothing by a long message or large text: the filter, the header and two rows.
        lines = self.fontMetrics().height()
        self.table.setMinimumHeight(2 * (lines + 12) + 2 * (2 * lines + 8))
        self._natural: tuple[tuple[str, ...], list[int]] | None = None  # titles, fitted widths
        self._share_timer = QTimer(self)
        self._share_timer.setSingleShot(True)
        self._share_timer.timeout.connect(self._share_width)
        self.history_box = DeclarationHistory()
        # The panel's parts, by the names the page has always given them.
        self.history_title, self.history_details = self.history_box.title, self.history_box.details
        self.history = self.history_box.table

        # The history below takes the room its steps need, up to a share of the page; dragging the
        # divider gives either more.
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.history_box)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 0)
        self._divider_moved = False
        self.splitter.splitterMoved.connect(lambda *_: setattr(self, "_divider_moved", True))
        self._height_timer = QTimer(self)
        self._height_timer.setSingleShot(True)
        self._height_timer.timeout.connect(self._share_height)
        self.history_box.fitted.connect(lambda: self._height_timer.start(0))

        self.body_layout.addLayout(controls)
        self.body_layout.addWidget(self.hint)
        self.body_layout.addWidget(self.missed_label)
        self.body_layout.addWidget(self.splitter, 1)
        self.setTabOrder(self.filter, self.declare_button)
        self.setTabOrder(self.declare_button, self.declare_many_button)
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
            self._pinned.clear()
            self._asked = []
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

    def loader(self, access: PracticeAccess | None, today: date) -> Callable[[], Loaded]:
        assert access is not None
        ods, finance = access.ods, access.sees_money
        return lambda: _read(ods, finance, today)

    def show_result(self, result: Loaded) -> None:
        self._just_queued.clear()
        self._all, self._commissioner = result
        self._update_filter_counts()
        self._show_rows(fallback=False)
        self._follow_up()

    def selected(self) -> DeclarationRow | None:
        return self.table.selected_row()

    # --- the table ------------------------------------------------------------------------------------

    def _update_filter_counts(self) -> None:
        counts = {name: 0 for name in declarations.FILTERS}
        for row in self._all.rows:
            if row.stage in counts:
                counts[row.stage] += 1
        counts[declarations.ALL] = len(self._all.rows)
        for index, name in enumerate(declarations.FILTERS):
            self.filter.setItemText(index, f"{name} ({counts[name]})")

    def _filter_chosen(self) -> None:
        self._pinned.clear()  # a list chosen afresh shows just what it says
        self._show_rows(fallback=True)

    def _show_rows(self, *, fallback: bool) -> None:
        """The rows of the chosen list, and any declared from here since; the selection is kept, and
        moves to the first row (``fallback``) only when the person chose another list."""
        chosen = self.filter.currentData()
        pinned = self._pinned
        shown = self._all if chosen == declarations.ALL else self._all.where(
            lambda row: row.stage == chosen or row.key in pinned)
        self.missed_label.setText(missed_note(self._commissioner) if chosen == declarations.MISSED else "")
        self.missed_label.setVisible(chosen == declarations.MISSED and self.access is not None)
        if self._all.rows and not shown.rows:
            self.table.set_empty_message(f"Nothing is “{chosen}” at the moment. Choose “All” to see "
                                         "every declaration.")
        elif self.access is not None:
            self.table.set_empty_message(EMPTY)
        keep = self._selected_key
        self.table.set_prepared(shown)
        self._fit_columns()
        self._height_timer.start(0)  # the first rows may be taller or shorter now
        self._select(keep, fallback=fallback or keep is None)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._fit_columns()  # the table fits its columns when first seen: share the width after it

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._share_timer.start(150)
        self._height_timer.start(0)  # once the splitter has its new size

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
        if titles != tuple(column.title for column in self.table.model.columns):
            return
        share_width(self.table, natural, WRAPPING)
        self.history_box.fit_soon()

    def _share_height(self) -> None:
        """The table first gets room for its first TABLE_ROWS rows, then the history as much as its steps
        need (it scrolls beyond), unless the person dragged the divider: a few rows always show, at
        1024×768 with large text too."""
        total = sum(self.splitter.sizes())
        if self._divider_moved or total <= 0 or not self.history_box.isVisible():
            return
        view = self.table.view
        chrome = self.table.height() - view.viewport().height()
        rows = sum(view.sizeHintForRow(row) + ROW_PADDING
                   for row in range(min(TABLE_ROWS, self.table.proxy.rowCount())))
        least = self.history_box.minimumSizeHint().height()
        history = min(self.history_box.sizeHint().height(), max(least, total - chrome - rows))
        self.splitter.setSizes([total - history, history])

    def _select(self, key: str | None, *, fallback: bool) -> None:
        """Select the row with ``key``, else (``fallback``) the first row so the history shows something;
        never another row on a reload, where it could be one that can be declared."""
        proxy, view = self.table.proxy, self.table.view
        if not self.select(key) and fallback and proxy.rowCount():
            view.selectionModel().setCurrentIndex(
                proxy.index(0, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self._selection_changed()

    # --- the selected row (declaring it: app.views.declaring) -----------------------------------------

    def _selection_changed(self) -> None:
        row = self.selected()
        if row is not None:
            self._selected_key = row.key
        self.history_box.show_row(row, self.finance)
        self._update_actions(row)

    def _update_actions(self, row: DeclarationRow | None) -> None:
        self.declare_button.setVisible(self.can_manage)
        self.declare_many_button.setVisible(self.can_manage)
        self.declare_many_button.setEnabled(not self._busy and any(
            r.can_declare and r.key not in self._just_queued for r in self._all.rows))
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
