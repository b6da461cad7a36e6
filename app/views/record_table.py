"""Records (plain dicts from the local cache) in a sortable, filterable table.

Each screen describes its columns once; sorting uses the raw values so "9.50" sorts before "10.00"
and missing values go to the bottom, while filtering matches what the user can see.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from fractions import Fraction
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
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

Row = Mapping[str, Any]
Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


def _default_display(value: Any) -> str:
    return "" if value is None else str(value)


# Column widths are fitted to this many rows, not all of them: a year of declarations is 700 rows.
RESIZE_SAMPLE_ROWS = 200

@dataclass(frozen=True)
class Column:
    title: str
    value: Callable[[Row], Any]  # raw value, used for sorting (None allowed)
    display: Callable[[Any], str] = _default_display  # text shown
    numeric: bool = False  # right-aligned
    tooltip: Callable[[Row], str | None] | None = None
    background: Callable[[Row], str | None] | None = None  # a colour such as "#fde2e0", or None


def field(name: str, *path: str) -> Callable[[Row], Any]:
    """A getter for row[name][path[0]]...; None when any step is missing or not a mapping."""
    keys = (name, *path)

    def get(row: Row) -> Any:
        value: Any = row
        for key in keys:
            if not isinstance(value, Mapping):
                return None
            value = value.get(key)
        return value

    return get


class RecordTableModel(QAbstractTableModel):
    ROW_ROLE = Qt.ItemDataRole.UserRole + 1  # the row dict
    SORT_ROLE = Qt.ItemDataRole.UserRole + 2  # the raw value

    def __init__(self, columns: Sequence[Column], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._columns = tuple(columns)
        self._rows: list[Row] = []
        # Worked out once per refresh: sorting and filtering ask for them many times.
        self._values: list[list[Any]] = []
        self._texts: list[list[str]] = []
        self._keys: list[list[tuple[int, Any] | None]] = []

    @property
    def columns(self) -> tuple[Column, ...]:
        return self._columns

    def set_rows(self, rows: Sequence[Row]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self._compute()
        self.endResetModel()

    def set_columns(self, columns: Sequence[Column]) -> None:
        """Change the columns (e.g. money columns only for finance users), keeping the rows."""
        self.beginResetModel()
        self._columns = tuple(columns)
        self._compute()
        self.endResetModel()

    def _compute(self) -> None:
        self._values = [[column.value(row) for column in self._columns] for row in self._rows]
        self._texts = [[column.display(value) for column, value in zip(self._columns, values, strict=True)]
                       for values in self._values]
        self._keys = [[None if value is None else sort_key(value) for value in values]
                      for values in self._values]

    def row(self, index: int) -> Row:
        return self._rows[index]

    def sort_key_at(self, row: int, column: int) -> tuple[int, Any] | None:
        """The cached :func:`sort_key` of a cell; None for a missing value."""
        return self._keys[row][column]

    def rowCount(self, parent: Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, column = index.row(), index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._texts[row][column]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT if self._columns[column].numeric else _LEFT
        if role == Qt.ItemDataRole.ToolTipRole:
            tooltip = self._columns[column].tooltip
            return tooltip(self._rows[row]) if tooltip else None
        if role == Qt.ItemDataRole.BackgroundRole:
            background = self._columns[column].background
            colour = background(self._rows[row]) if background else None
            return QColor(colour) if colour else None
        if role == self.ROW_ROLE:
            return self._rows[row]
        if role == self.SORT_ROLE:
            return self._values[row][column]
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self._columns):
            return None
        column = self._columns[section]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return column.title
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT if column.numeric else _LEFT  # headers line up with their figures
        if role == Qt.ItemDataRole.InitialSortOrderRole:
            return Qt.SortOrder.AscendingOrder  # a first click on any header sorts A-Z / low-high
        return None


def _as_number(value: Any) -> Fraction | None:
    if isinstance(value, Fraction | Decimal | int | float):
        try:
            return Fraction(value)
        except (ValueError, OverflowError):  # NaN and infinities
            return None
    if isinstance(value, str):
        try:
            return Fraction(value.strip())
        except ValueError:
            return None
    return None


def sort_key(value: Any) -> tuple[int, Any]:
    """Numbers (numeric text included), then dates, then text: one ranked key keeps sorting consistent."""
    number = _as_number(value)
    if number is not None:
        return (0, number)
    if isinstance(value, datetime):
        return (1, value if value.tzinfo else value.replace(tzinfo=UTC))
    if isinstance(value, date):
        return (1, datetime.combine(value, time(), UTC))
    if isinstance(value, str):
        return (2, (value.casefold(), value))
    return (3, str(value))


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

    def _key(self, index: Index) -> tuple[int, Any] | None:
        source = self.sourceModel()
        if isinstance(source, RecordTableModel):  # cached, and no trip through QVariant
            return source.sort_key_at(index.row(), index.column())
        value = index.data(self.sortRole())
        return None if value is None else sort_key(value)


class RecordTable(QWidget):
    """A filter box above a sortable QTableView, and a plain message instead of an empty table."""

    row_activated = Signal(object)  # the row dict, on double-click / Enter

    def __init__(self, columns: Sequence[Column], *, name: str, empty_message: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._empty_message = empty_message
        self._sized_titles: tuple[str, ...] | None = None
        self._model = RecordTableModel(columns, self)
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
        self._view.setAccessibleName(f"{name} table")
        self._view.setModel(self._proxy)
        self._view.setAlternatingRowColors(True)
        self._view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self._view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self._view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self._view.setWordWrap(False)
        self._view.setTabKeyNavigation(False)  # Tab leaves the table rather than walking its cells
        self._view.verticalHeader().hide()
        header = self._view.horizontalHeader()
        header.setStretchLastSection(True)
        header.setResizeContentsPrecision(RESIZE_SAMPLE_ROWS)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        # Rows start in the order given (no column sorted) until the user or the page picks a column.
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self._view.setSortingEnabled(True)
        # Qt's "activated" is double-click or Enter, following the platform's convention.
        self._view.activated.connect(self._on_activated)

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

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._filter)
        layout.addWidget(self._stack, 1)
        self._update_state()

    @property
    def view(self) -> QTableView:
        return self._view

    @property
    def model(self) -> RecordTableModel:
        return self._model

    @property
    def proxy(self) -> RecordSortProxy:
        return self._proxy

    def set_rows(self, rows: Sequence[Row]) -> None:
        """Replace the rows; the proxy re-applies the current sort and filter."""
        self._model.set_rows(rows)

    def set_empty_message(self, text: str) -> None:
        self._empty_message = text
        self._update_state()

    def selected_row(self) -> Row | None:
        selection = self._view.selectionModel().selectedRows()
        if not selection:
            return None
        return self._model.row(self._proxy.mapToSource(selection[0]).row())

    def _on_reset(self) -> None:
        self._fit_if_needed()
        self._update_state()

    def showEvent(self, event: QShowEvent) -> None:
        self._fit_if_needed()  # a table filled while hidden is fitted when first seen
        super().showEvent(event)

    def _fit_if_needed(self) -> None:
        titles = tuple(column.title for column in self._model.columns)
        # Fit the columns to the first data only, so later refreshes keep any widths the user set; and
        # only once the table is on screen (measuring hidden tables would slow the first paint).
        if self._model.rowCount() and titles != self._sized_titles and self.isVisible():
            self._fit_columns()
            self._sized_titles = titles

    def _fit_columns(self) -> None:
        self._view.resizeColumnsToContents()
        header, style = self._view.horizontalHeader(), self._view.style()
        # Room for the sort arrow (Qt only counts it on the sorted column), and a cap so one long note
        # cannot push the other columns off screen; the user can still widen a column by hand.
        extra = (style.pixelMetric(QStyle.PixelMetric.PM_HeaderMarkSize)
                 + 2 * style.pixelMetric(QStyle.PixelMetric.PM_HeaderMargin))
        widest = 36 * self._view.fontMetrics().averageCharWidth()
        for section in range(header.count()):
            header.resizeSection(section, min(header.sectionSize(section) + extra, widest))

    def _apply_filter(self, text: str) -> None:
        self._proxy.setFilterFixedString(text.strip())
        self._update_state()

    def _update_state(self) -> None:
        has_rows = self._model.rowCount() > 0
        self._filter.setVisible(has_rows)  # nothing to filter otherwise
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
