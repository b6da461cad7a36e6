"""Declare several at once: everything due for one month, or everything that can be declared in the
list the page shows, in one confirmation that lists each declaration with its figures.

Each one ticked is queued as its own declaration (app.services.declarations.declare_many). £ appears only
for people who may see money; a declaration that pays nothing is marked, and warned about, in words.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.services import format as fmt
from app.services.declarations import DECLARABLE, DeclarationRow
from app.views.declaration_texts import label, nothing_to_pay_warning

Scope = tuple[str, list[DeclarationRow], list[DeclarationRow]]  # (choice, to declare, cannot be declared)
KEY_ROLE = Qt.ItemDataRole.UserRole + 1


def _blocked(row: DeclarationRow) -> bool:
    """Due now but held back (its offer not accepted, say): worth saying why it is left out."""
    return row.status in DECLARABLE and row.window_open and not row.can_declare and row.waiting is None


def scopes(rows: Sequence[DeclarationRow], shown: Sequence[DeclarationRow], filter_name: str) -> list[Scope]:
    """The choices: each month with something due (newest first), then the page's current list."""
    months = sorted({row.achievement_date for row in rows if row.can_declare}, reverse=True)
    choices: list[Scope] = []
    for month in months:
        due = [row for row in rows if row.achievement_date == month and row.can_declare]
        held = [row for row in rows if row.achievement_date == month and _blocked(row)]
        choices.append((f"Everything due for {fmt.month_name_year(month)} ({len(due)})", due, held))
    listed = [row for row in shown if row.can_declare]
    if listed:
        held = [row for row in shown if _blocked(row)]
        choices.append((f"Everything that can be declared in “{filter_name}” ({len(listed)})", listed, held))
    return choices


def _note(row: DeclarationRow, finance: bool) -> str:
    notes = []
    if row.nothing_to_pay:
        notes.append("£0.00: nothing will be paid" if finance else "Nothing to be paid")
    if row.sent_back:
        notes.append("Declared again after a recalculation")
    return "; ".join(notes)


class DeclareManyDialog(QDialog):
    """The choice of what to declare, the list with a tick for each, warnings, and Declare N / Cancel."""

    def __init__(self, rows: Sequence[DeclarationRow], shown: Sequence[DeclarationRow], filter_name: str, *,
                 finance: bool, month: date | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Declare several")
        self.setAccessibleName("Declare several")
        self._finance = finance
        self._scopes = scopes(rows, shown, filter_name)
        self._filling = False

        intro = QLabel("Check each line and untick any you do not want to declare yet. Each is sent to CQRS "
                       "as its own declaration at the next sync; your commissioner then approves each before "
                       "payment.")
        intro.setWordWrap(True)
        self.scope = QComboBox()
        self.scope.setAccessibleName("What to declare")
        for choice, _due, _held in self._scopes:
            self.scope.addItem(choice)
        self.scope.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        choose = QHBoxLayout()
        choose.addWidget(QLabel("&Declare:", buddy=self.scope))
        choose.addWidget(self.scope, 1)

        titles = ["Service", "Date", "Points", *(["Payment"] if finance else []), "Note"]
        self.table = QTableWidget(0, len(titles))
        self.table.setAccessibleName("Declarations to make")
        self.table.setHorizontalHeaderLabels(titles)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setTabKeyNavigation(False)
        self.table.setWordWrap(False)  # one line each: more of them fit, and the table scrolls sideways
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)  # nothing cut short: with large text the list scrolls sideways
        self.table.itemChanged.connect(lambda _item: self._update())

        self.total = QLabel()
        self.total.setAccessibleName("Total")
        self.total.setWordWrap(True)
        self.warning = QLabel()
        self.warning.setObjectName("errorText")
        self.warning.setProperty("kind", "warning")
        self.warning.setAccessibleName("Warning")
        self.warning.setWordWrap(True)
        self.held = QLabel()
        self.held.setAccessibleName("Not included")
        self.held.setWordWrap(True)

        self.buttons = QDialogButtonBox()
        self.declare_button = QPushButton("Declare")
        self.declare_button.setAccessibleName("Declare the ticked declarations")
        self.declare_button.setAutoDefault(False)  # declaring is never the accidental Enter
        cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAccessibleName("Cancel")
        cancel.setDefault(True)
        self.buttons.addButton(self.declare_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(choose)
        layout.addWidget(self.table, 1)
        # At least a few lines of the list, even with large text in a short window.
        self.table.setMinimumHeight(self.table.horizontalHeader().sizeHint().height()
                                    + 4 * (self.fontMetrics().height() + 8))
        layout.addWidget(self.total)
        layout.addWidget(self.warning)
        layout.addWidget(self.held)
        layout.addWidget(self.buttons)

        self.scope.currentIndexChanged.connect(lambda _index: self._fill())
        start = next((i for i, (_c, due, _h) in enumerate(self._scopes)
                      if month is not None and due and due[0].achievement_date == month
                      and all(row.achievement_date == month for row in due)), 0)
        self.scope.setCurrentIndex(start)
        self._fill()
        metrics, screen = self.fontMetrics(), self.screen().availableGeometry()
        self.resize(min(120 * metrics.averageCharWidth(), int(screen.width() * 0.95)),
                    min(34 * metrics.height(), int(screen.height() * 0.9)))

    def chosen_keys(self) -> list[str]:
        """The keys ("SERVICE:YYYY-MM-DD") of the ticked lines, in the order listed."""
        return [item.data(KEY_ROLE) for item in self._items() if item.checkState() == Qt.CheckState.Checked]

    def chosen(self) -> list[DeclarationRow]:
        keys = set(self.chosen_keys())
        return [row for row in self._current()[1] if row.key in keys]

    def _current(self) -> Scope:
        index = self.scope.currentIndex()
        return self._scopes[index] if 0 <= index < len(self._scopes) else ("", [], [])

    def _items(self) -> list[QTableWidgetItem]:
        items = (self.table.item(row, 0) for row in range(self.table.rowCount()))
        return [item for item in items if item is not None]

    def _fill(self) -> None:
        _choice, due, held = self._current()
        self._filling = True
        self.table.setRowCount(len(due))
        for position, row in enumerate(due):
            name = QTableWidgetItem(row.service_name)
            name.setFlags(name.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            name.setCheckState(Qt.CheckState.Checked)
            name.setData(KEY_ROLE, row.key)
            cells = [name, QTableWidgetItem(fmt.uk_date(row.achievement_date)),
                     QTableWidgetItem(fmt.points(row.points))]
            if self._finance:
                cells.append(QTableWidgetItem(fmt.money(row.payment)))
            cells.append(QTableWidgetItem(_note(row, self._finance)))
            numeric = (2, 3) if self._finance else (2,)
            for column, item in enumerate(cells):
                if column in numeric:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                item.setToolTip(item.text() or None)
                self.table.setItem(position, column, item)
        self._filling = False
        reasons = "\n".join(f"• {label(row)}: {row.offer_block or row.why_not}" for row in held)
        self.held.setText(f"Not included, because they cannot be declared yet:\n{reasons}" if held else "")
        self.held.setVisible(bool(held))
        self.table.resizeRowsToContents()
        self._update()

    def _update(self) -> None:
        if self._filling:
            return
        chosen = self.chosen()
        self.declare_button.setText(f"&Declare {len(chosen)}" if chosen else "&Declare")
        self.declare_button.setEnabled(bool(chosen))
        points = sum((row.points for row in chosen if row.points is not None), start=0)
        figures = [f"{len(chosen)} of {self.table.rowCount()} ticked"]
        if any(row.points is not None for row in chosen):
            figures.append(f"{fmt.points(points)} points")
        if self._finance:
            figures.append(f"{fmt.money(sum((row.payment or 0 for row in chosen), start=0))} in all")
        self.total.setText(", ".join(figures) + ".")
        zero = sum(1 for row in chosen if row.nothing_to_pay)
        self.warning.setText(nothing_to_pay_warning(self._finance, zero) if zero else "")
        self.warning.setVisible(bool(zero))
