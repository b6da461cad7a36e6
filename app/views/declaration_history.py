"""The Declarations page's panel under the table: the selected declaration, its status and next step,
and its history (who did what, when). It hints at the height of all its steps; given less (a short window,
large text), it scrolls, so the table above keeps its rows."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QGroupBox,
    QHeaderView,
    QLabel,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.services import format as fmt
from app.services import screen_share
from app.services.declarations import DeclarationRow
from app.views import fonts
from app.views.declaration_texts import details, history_lines

HISTORY_COLUMNS = ("When", "What", "Who")
HISTORY_ROWS = 5  # steps shown before the history scrolls (a full one has four or five)
ROW_PADDING = 8  # pixels


class DeclarationHistory(QScrollArea):
    """``show_row(row, finance)``; hidden when no row is selected (the table's message says why)."""

    fitted = Signal()  # its natural height changed

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setAccessibleName("Selected declaration and its history")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.box = QGroupBox("History")
        self.setWidget(self.box)
        self._fit_timer = QTimer(self)
        self._fit_timer.setSingleShot(True)
        self._fit_timer.timeout.connect(self.fit)
        self.title = QLabel()
        self.title.setObjectName("historyTitle")
        self.title.setAccessibleName("Selected declaration")
        fonts.relative(self.title, 1.0, bold=True)
        self.title.setWordWrap(True)  # a long service name with large text wraps rather than being cut
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setAccessibleName("Status and next step")
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # A small grid of four or five steps: a QTableWidget is enough.
        self.table = QTableWidget(0, len(HISTORY_COLUMNS))
        self.table.setAccessibleName("History of the selected declaration")
        self.table.setHorizontalHeaderLabels(list(HISTORY_COLUMNS))
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setTabKeyNavigation(False)
        self.table.setWordWrap(True)  # with large text a long step wraps rather than being cut off
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.sectionResized.connect(lambda *_: self.fit_soon(150))
        box = QVBoxLayout(self.box)
        box.addWidget(self.title)
        box.addWidget(self.details)
        box.addWidget(self.table)
        box.addStretch(1)  # any room beyond the steps goes below them, not between the lines

    def show_row(self, row: DeclarationRow | None, finance: bool) -> None:
        self.table.setRowCount(0)
        self.setVisible(row is not None)
        if row is None:
            return
        self.title.setText(f"{row.service_name}, {fmt.uk_date(row.achievement_date)}")
        self.details.setText(details(row, finance))
        lines = history_lines(row) or [("", "Nothing has happened yet: this has not been declared.", "")]
        self.table.setRowCount(len(lines))
        for position, line in enumerate(lines):
            for column, text in enumerate(line):
                text = screen_share.shown(text)  # who did it may be an email address
                item = QTableWidgetItem(text)
                item.setToolTip(text or None)
                self.table.setItem(position, column, item)
        self.fit()

    def fit_soon(self, milliseconds: int = 0) -> None:
        self._fit_timer.start(milliseconds)

    def fit(self) -> None:
        """The steps as tall as they need (scrolling beyond a few, or when the page is short), so the table
        above gets the room."""
        table, rows = self.table, self.table.verticalHeader()
        for row in range(table.rowCount()):
            rows.resizeSection(row, table.sizeHintForRow(row) + ROW_PADDING)
        shown = sum(rows.sectionSize(row) for row in range(min(table.rowCount(), HISTORY_ROWS)))
        table.setFixedHeight(table.horizontalHeader().sizeHint().height() + shown + 2 * table.frameWidth())
        self.updateGeometry()
        self.fitted.emit()

    def sizeHint(self) -> QSize:
        """All of the panel, without scrolling, at its width (wrapped lines count as they wrap there)."""
        inner = self.box.sizeHint()
        width = self.viewport().width() if self.isVisible() else inner.width()
        height = self.box.heightForWidth(width) if self.box.hasHeightForWidth() else -1
        return QSize(inner.width(), (height if height > 0 else inner.height()) + 2 * self.frameWidth())

    def minimumSizeHint(self) -> QSize:
        """Room for the title line; the rest scrolls."""
        return QSize(0, min(self.sizeHint().height(), 4 * self.fontMetrics().height()))
