"""Records of any row type (dataclasses, dicts) in a sortable, filterable table.

Each screen describes its columns once (app.views.table_rows); sorting uses the raw values so "9.50"
sorts before "10.00" and missing values go to the bottom, while filtering matches what the user can see.
The texts and sort keys are worked out before the rows reach the model — on a worker when the page's
loader calls ``prepare`` — and column widths are measured on a few of the longest texts only, so filling
a table never stalls the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QStackedWidget,
    QStyle,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.services import screen_share
from app.signals import hub
from app.views.table_export import TableExport
from app.views.table_rows import Column, Prepared, R, SortKey, attr, field, prepare, sort_key

__all__ = ["Column", "Prepared", "RecordSortProxy", "RecordTable", "RecordTableModel", "attr", "field",
           "prepare", "sort_key"]

Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
MEASURED_PER_COLUMN = 20  # the longest texts of a column, measured to find the widest
ROW_PADDING = 8  # pixels above and below wrapped text, when rows are fitted to it


class RecordTableModel(QAbstractTableModel, Generic[R]):
    ROW_ROLE = Qt.ItemDataRole.UserRole + 1  # the row object
    SORT_ROLE = Qt.ItemDataRole.UserRole + 2  # the raw value

    def __init__(self, columns: Sequence[Column[R]], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._data: Prepared[R] = prepare(columns, ())
        hub().screen_share_changed.connect(self._repaint_all)  # cells and tooltips masked, or not

    def _repaint_all(self, *_args: object) -> None:
        if self._data.rows:
            last = self.index(len(self._data.rows) - 1, len(self._data.columns) - 1)
            self.dataChanged.emit(self.index(0, 0), last)

    @property
    def columns(self) -> tuple[Column[R], ...]:
        return self._data.columns

    @property
    def prepared(self) -> Prepared[R]:
        return self._data

    def set_rows(self, rows: Sequence[R]) -> None:
        """Replace the rows, formatting them here (small tables; large ones come prepared)."""
        self.set_prepared(prepare(self._data.columns, rows))

    def set_columns(self, columns: Sequence[Column[R]]) -> None:
        """Change the columns (e.g. money columns only for finance users), keeping the rows."""
        self.set_prepared(prepare(columns, self._data.rows))

    def set_prepared(self, prepared: Prepared[R]) -> None:
        """Show rows prepared (with their columns) by :func:`prepare`, usually on a worker."""
        self.beginResetModel()
        self._data = prepared
        self.endResetModel()

    def row(self, index: int) -> R:
        return self._data.rows[index]

    def sort_key_at(self, row: int, column: int) -> SortKey | None:
        """The prepared :func:`sort_key` of a cell; None for a missing value."""
        return self._data.keys[row][column]

    def rowCount(self, parent: Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._data.rows)

    def columnCount(self, parent: Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._data.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, column = index.row(), index.column()
        if role == Qt.ItemDataRole.DisplayRole:  # emails and phone numbers masked while sharing the screen
            return screen_share.shown(self._data.texts[row][column])
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT if self._data.columns[column].numeric else _LEFT
        if role == Qt.ItemDataRole.ToolTipRole:
            tooltip = self._data.columns[column].tooltip
            return screen_share.shown(tooltip(self._data.rows[row]) or "") or None if tooltip else None
        if role == Qt.ItemDataRole.BackgroundRole:
            background = self._data.columns[column].background
            colour = background(self._data.rows[row]) if background else None
            return QColor(colour) if colour else None
        if role == self.ROW_ROLE:
            return self._data.rows[row]
        if role == self.SORT_ROLE:
            return self._data.values[row][column]
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        columns = self._data.columns
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(columns):
            return None
        column = columns[section]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return column.title
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT if column.numeric else _LEFT  # headers line up with their figures
        if role == Qt.ItemDataRole.InitialSortOrderRole:
            return Qt.SortOrder.AscendingOrder  # a first click on any header sorts A-Z / low-high
        return None


class RecordSortProxy(QSortFilterProxyModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setSortRole(RecordTableModel.SORT_ROLE)
        self.setFilterKeyColumn(-1)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)

    def lessThan(self, left: Index, right: Index) -> bool:
        a, b = self._key(left), self._key(right)
        if a is None or b is None:
            if a is None and b is None:
                return False
            # Qt reverses lessThan for descending order; flipping here keeps blanks at the bottom both ways.
            return (a is None) == (self.sortOrder() == Qt.SortOrder.DescendingOrder)
        return a < b

    def _key(self, index: Index) -> SortKey | None:
        source = self.sourceModel()
        if isinstance(source, RecordTableModel):  # prepared, and no trip through QVariant
            return source.sort_key_at(index.row(), index.column())
        value = index.data(self.sortRole())
        return None if value is None else sort_key(value)


class RecordTable(QWidget, Generic[R]):
    """A filter box above a sortable QTableView, and a plain message instead of an empty table.

    With ``wrap=True`` long texts wrap, and the rows on screen (only those) are as tall as their text.
    """

    row_activated = Signal(object)  # the row object, on double-click / Enter

    def __init__(self, columns: Sequence[Column[R]], *, name: str, empty_message: str, wrap: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._empty_message = empty_message
        self._sized_titles: tuple[str, ...] | None = None
        self._wrap = wrap
        self._model: RecordTableModel[R] = RecordTableModel(columns, self)
        self._proxy = RecordSortProxy(self)
        self._proxy.setSourceModel(self._model)
        self._model.modelReset.connect(self._on_reset)  # after the proxy's own handler: it connected first

        self._filter = QLineEdit(self)
        self._filter.setPlaceholderText("Filter…")
        self._filter.setAccessibleName(f"Filter {name}")
        self._filter.setClearButtonEnabled(True)
        for button in self._filter.findChildren(QToolButton):  # Qt's clear button has no accessible name
            button.setAccessibleName("Clear filter")
            button.setToolTip("Clear filter")
        self._filter.textChanged.connect(self._apply_filter)

        self._view = QTableView(self)
        self._view.installEventFilter(self)  # its own font change: the columns are fitted to it
        self._view.setAccessibleName(f"{name} table")
        self._view.setModel(self._proxy)
        self._view.setAlternatingRowColors(True)
        self._view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self._view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self._view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self._view.setWordWrap(wrap)
        self._view.setTabKeyNavigation(False)  # Tab leaves the table rather than walking its cells
        rows = self._view.verticalHeader()
        rows.hide()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # never measured across every row
        header = self._view.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        # Rows start in the order given (no column sorted) until the user or the page picks a column.
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self._view.setSortingEnabled(True)
        # Qt's "activated" is double-click or Enter, following the platform's convention.
        self._view.activated.connect(self._on_activated)
        self._fit_rows_timer = QTimer(self)
        self._fit_rows_timer.setSingleShot(True)
        self._fit_rows_timer.timeout.connect(self.fit_visible_rows)
        if wrap:
            # Rows scrolled into view, a column dragged wider or a new sort: refit what is on screen.
            self._view.verticalScrollBar().valueChanged.connect(lambda _value: self._fit_rows_timer.start(0))
            header.sectionResized.connect(lambda *_: self._fit_rows_timer.start(50))
            self._proxy.layoutChanged.connect(lambda *_: self._fit_rows_timer.start(0))

        self._message = QLabel(self)
        self._message.setObjectName("emptyMessage")
        self._message.setTextFormat(Qt.TextFormat.PlainText)
        self._message.setWordWrap(True)
        self._message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # A short measure near the top reads better than one long line across a wide window.
        self._message.setMaximumWidth(70 * self._message.fontMetrics().averageCharWidth())
        message_page = QWidget(self)
        centred = QHBoxLayout()
        centred.addStretch(1)
        centred.addWidget(self._message, 100)  # no alignment flag, so the wrapped height is honoured
        centred.addStretch(1)
        message_layout = QVBoxLayout(message_page)
        message_layout.setContentsMargins(12, 32, 12, 12)
        message_layout.addLayout(centred)
        message_layout.addStretch(1)

        self._stack = QStackedWidget(self)
        self._stack.addWidget(self._view)
        self._stack.addWidget(message_page)

        # "Export CSV…" beside the filter and on the right-click menu: every table has it, from here.
        self.export = TableExport(self, name)
        top = QHBoxLayout()
        top.addWidget(self._filter, 1)
        top.addWidget(self.export.button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.export.note)
        layout.addWidget(self._stack, 1)
        self._update_state()

    @property
    def view(self) -> QTableView:
        return self._view

    @property
    def model(self) -> RecordTableModel[R]:
        return self._model

    @property
    def proxy(self) -> RecordSortProxy:
        return self._proxy

    def set_rows(self, rows: Sequence[R]) -> None:
        """Replace the rows; the proxy re-applies the current sort and filter."""
        self._model.set_rows(rows)

    def set_prepared(self, prepared: Prepared[R]) -> None:
        """Replace the columns and rows with ones prepared by :func:`prepare` (on a worker)."""
        self._model.set_prepared(prepared)

    def set_empty_message(self, text: str) -> None:
        self._empty_message = text
        self._update_state()

    def shown_rows(self) -> list[R]:
        """The rows in the order on screen (sorted and filtered)."""
        proxy = self._proxy
        model = self._model
        return [model.row(proxy.mapToSource(proxy.index(row, 0)).row()) for row in range(proxy.rowCount())]

    def selected_row(self) -> R | None:
        selection = self._view.selectionModel().selectedRows()
        if not selection:
            return None
        return self._model.row(self._proxy.mapToSource(selection[0]).row())

    def select_where(self, match: Callable[[R], bool]) -> bool:
        """Select (and show) the first row on screen for which ``match`` is true; False if there is none."""
        proxy = self._proxy
        for position in range(proxy.rowCount()):
            if match(self._model.row(proxy.mapToSource(proxy.index(position, 0)).row())):
                self._view.selectRow(position)
                self._view.scrollTo(proxy.index(position, 0))
                return True
        return False

    def _on_reset(self) -> None:
        self._fit_if_needed()
        self._update_state()
        if self._wrap:
            self._fit_rows_timer.start(0)

    def showEvent(self, event: QShowEvent) -> None:
        self._fit_if_needed()  # a table filled while hidden is fitted when first seen
        super().showEvent(event)
        if self._wrap:
            self._fit_rows_timer.start(0)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # a new text size: the columns are fitted to it again
            self._sized_titles = None
            self._fit_if_needed()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # A text size changed while on screen reaches the table's view after the table itself: the
        # columns are measured again with the view's new font (sharing the screen changes it).
        if watched is self._view and event.type() == QEvent.Type.FontChange:
            self._sized_titles = None
            self._fit_if_needed()
        return super().eventFilter(watched, event)

    def _fit_if_needed(self) -> None:
        titles = tuple(column.title for column in self._model.columns)
        # Fit the columns to the first data only, so later refreshes keep any widths the user set; and
        # only once the table is on screen (measuring hidden tables would slow the first paint).
        if self._model.rowCount() and titles != self._sized_titles and self.isVisible():
            self._fit_columns()
            self._sized_titles = titles

    def _fit_columns(self) -> None:
        """Each column as wide as its header or its longest few texts (measured with the font), capped."""
        header, style, view = self._view.horizontalHeader(), self._view.style(), self._view
        prepared = self._model.prepared
        # Room for the sort arrow (Qt only counts it on the sorted column), and a cap so one long note
        # cannot push the other columns off screen; the user can still widen a column by hand.
        extra = (style.pixelMetric(QStyle.PixelMetric.PM_HeaderMarkSize)
                 + 2 * style.pixelMetric(QStyle.PixelMetric.PM_HeaderMargin))
        metrics, grid = view.fontMetrics(), 1 if view.showGrid() else 0
        widest = 36 * metrics.averageCharWidth()
        for section in range(header.count()):
            # The longest texts by length, then the widest of them in pixels, measured as Qt would.
            candidates = prepared.longest(section, MEASURED_PER_COLUMN)
            cells = []
            if candidates:
                texts = prepared.texts
                widest_row = max(candidates, key=lambda row: metrics.horizontalAdvance(texts[row][section]))
                index = self._proxy.mapFromSource(self._model.index(widest_row, section))
                cells.append(view.sizeHintForIndex(index).width() + grid)
            wanted = max([header.sectionSizeFromContents(section).width(), *cells])
            header.resizeSection(section, min(wanted + extra, widest))

    def fit_visible_rows(self) -> None:
        """The rows on screen as tall as their wrapped text (rows off screen keep the default height)."""
        view = self._view
        if not self._wrap or not view.isVisible() or not self._proxy.rowCount():
            return
        rows, bottom = view.verticalHeader(), view.viewport().height()
        first = max(0, view.rowAt(0))
        row = first
        # Fitting a row moves the ones below it: walk down until the viewport is full.
        while row < self._proxy.rowCount() and rows.sectionViewportPosition(row) < bottom:
            wanted = view.sizeHintForRow(row) + ROW_PADDING
            if rows.sectionSize(row) != wanted:
                rows.resizeSection(row, wanted)
            row += 1

    def _apply_filter(self, text: str) -> None:
        self._proxy.setFilterFixedString(text.strip())
        self._update_state()

    def _update_state(self) -> None:
        has_rows = self._model.rowCount() > 0
        self._filter.setVisible(has_rows)  # nothing to filter otherwise
        self.export.set_available(has_rows)
        if not has_rows:
            self._show_message(self._empty_message)
        elif self._proxy.rowCount() == 0:
            self._show_message(f"Nothing matches “{self._filter.text().strip()}”.")
        else:
            self._stack.setCurrentIndex(0)

    def _show_message(self, text: str) -> None:
        self._message.setText(text)
        self._stack.setCurrentIndex(1)

    def _on_activated(self, index: QModelIndex) -> None:
        if index.isValid():
            self.row_activated.emit(self._model.row(self._proxy.mapToSource(index).row()))
