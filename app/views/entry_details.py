"""Below the Manual entry list: what the selected entry's state means, its history (who did what, when),
what the page is for and the practice's second-person rule, in one pane that scrolls when the text is
large and the window small, so the list above keeps its rows."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QHeaderView,
    QLabel,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.services import format as fmt
from app.services import manual_entry as me
from app.services import screen_share

NOTHING_SELECTED = "Select an entry to see its history."


class EntryDetails(QScrollArea):
    """The selected entry's detail line and history, then what the page is for and the practice's rule
    for a second person."""

    def __init__(self, about: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("History of the selected entry, scrollable")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        self.detail = QLabel(NOTHING_SELECTED)
        self.detail.setWordWrap(True)
        self.detail.setAccessibleName("Selected entry")
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # A small grid of a few steps: a QTableWidget is enough. As tall as its steps (the pane scrolls).
        self.history = QTableWidget(0, 3)
        self.history.setAccessibleName("History: who did what, when")
        self.history.setHorizontalHeaderLabels(["When", "Who", "What"])
        self.history.verticalHeader().hide()
        self.history.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.history.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        self.history.setTabKeyNavigation(False)
        self.history.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.history.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = self.history.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        for column in (1, 2):  # who and what share the rest, so neither runs off at large text sizes
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        header.sectionResized.connect(lambda *_args: self._fit_history())
        self.history.hide()
        self.about = QLabel(about)
        self.about.setWordWrap(True)
        self.about.setAccessibleName("About this page")
        self.second_person_note = QLabel()
        self.second_person_note.setWordWrap(True)
        self.second_person_note.setAccessibleName("Your practice's rule for a second person")
        self.second_person_note.hide()

        inside = QWidget()
        inside.setAccessibleName("History of the selected entry")
        layout = QVBoxLayout(inside)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.detail)
        layout.addWidget(self.history)
        layout.addWidget(self.about)
        layout.addWidget(self.second_person_note)
        layout.addStretch(1)
        self.setWidget(inside)

    def show_entry(self, said: str | None, steps: tuple[me.HistoryItem, ...] = ()) -> None:
        """``said``: the detail line of the selected entry (None: nothing selected; empty: no entries to
        select); ``steps``: its history, shown newest first."""
        self.detail.setText(NOTHING_SELECTED if said is None else screen_share.shown(said))
        self.detail.setVisible(bool(self.detail.text()))
        self.history.setRowCount(len(steps))
        for number, step in enumerate(reversed(steps)):  # newest first
            for column, text in enumerate((fmt.uk_datetime(step.at), step.who, step.what)):
                item = QTableWidgetItem(screen_share.shown(text))
                if column == 1:  # the name is shown; the address CQRS recorded on hover (masked when sharing)
                    item.setToolTip(screen_share.shown(step.by))
                self.history.setItem(number, column, item)
        self.history.setVisible(bool(steps))
        self._fit_history()

    def _fit_history(self) -> None:
        """Rows as tall as their wrapped text (a long name or address), the table as tall as its rows."""
        if not self.history.rowCount():
            return
        self.history.resizeRowsToContents()
        frame = 2 * self.history.frameWidth()
        self.history.setFixedHeight(self.history.horizontalHeader().sizeHint().height() + frame
                                    + self.history.verticalHeader().length())

    def floor(self) -> int:
        """The least height at which it still shows two lines."""
        return 2 * self.fontMetrics().height() + 4
