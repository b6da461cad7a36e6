"""The "What needs doing" panel at the top of the dashboard: the practice's to-do items, most urgent first,
each with its days left and a button that opens the screen that resolves it.

The items come from app.services.needs_doing, read on the database worker; the panel reads them again
after every change the hub announces (a sync, a queued write). The list scrolls within a fifth of the
window's height, so the dashboard keeps its room at large text sizes on a small screen.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.services import tasks
from app.services.format import uk_date
from app.services.profile import PracticeAccess
from app.signals import hub
from app.views import fonts

if TYPE_CHECKING:  # the rules read the cache: they load with it, on the worker
    from app.services.needs_doing import Item

SHARE_OF_WINDOW = 0.2  # the most of the window's height the list takes before it scrolls
# Below this many lines of text in the window's height (large text on a small screen) the panel is one
# summary (the most urgent item) under the page's heading and the list shows only when asked for.
COMPACT_BELOW_LINES = 40
NOTHING = "Nothing needs doing right now. Deadlines coming up are on the Timetable page."


class ItemRow(QFrame):
    """One item: its days left, what to do and why, and the button that opens the screen for it."""

    def __init__(self, item: Item, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.item = item
        self.setObjectName("needsDoingItem")
        self.days = QLabel(item.days_text)
        self.days.setObjectName("needsDoingDays")
        fonts.relative(self.days, 1.0, bold=True)
        self.days.setMinimumWidth(self.days.fontMetrics().horizontalAdvance("No deadline  "))
        self.days.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        due = f" (by {uk_date(item.due)})" if item.due else ""
        self.title = QLabel(f"{item.title}{due}")
        fonts.relative(self.title, 1.0, bold=True)
        self.title.setWordWrap(True)
        self.detail = QLabel(item.detail)
        self.detail.setWordWrap(True)
        self.button = QPushButton(item.action)
        self.button.setAccessibleName(f"{item.action}: {item.title}")
        words = QVBoxLayout()
        words.setContentsMargins(0, 0, 0, 0)
        words.setSpacing(2)
        words.addWidget(self.title)
        words.addWidget(self.detail)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.days, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(words, 1)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignTop)


class NeedsDoingPanel(QGroupBox):
    open_requested = Signal(str)  # the section key of the screen that resolves an item, or "sync"
    loaded = Signal()  # the latest read was answered and is on screen

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("What needs doing", parent)
        self.setObjectName("needsDoing")
        self.setAccessibleName("What needs doing")
        self.access: PracticeAccess | None = None
        self.today = date.today()
        self.items: list[Item] = []
        self.rows: list[ItemRow] = []
        self._request = 0
        self._stale = False
        self.empty = QLabel(NOTHING)
        self.empty.setWordWrap(True)
        content = QWidget()
        self.list = QVBoxLayout(content)
        self.list.setContentsMargins(0, 0, 0, 0)
        self.list.setSpacing(2)
        self.list.addStretch(1)
        self.scroll = QScrollArea()
        self.scroll.setAccessibleName("Items that need doing")
        self.scroll.setWidget(content)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.hide()
        self.expanded = False  # "What needs doing" chosen on the compact line: the list is shown too
        # The compact summary, for large text on a small screen, under the host page's heading.
        # It wraps rather than shortening with "…": at 200% text only a word or two fitted on one line.
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Most urgent")
        self.toggle = QPushButton()
        self.toggle.clicked.connect(self._toggle)
        self.compact_row = QWidget()
        line = QHBoxLayout(self.compact_row)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(self.summary, 1)
        line.addWidget(self.toggle, 0, Qt.AlignmentFlag.AlignTop)
        self.compact_row.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 4)
        layout.addWidget(self.empty)
        layout.addWidget(self.scroll)
        self.hide()  # until there is a practice to show
        hub().data_changed.connect(self._data_changed)  # a bound slot: Qt disconnects it with the panel

    def show_practice(self, access: PracticeAccess | None, today: date) -> None:
        """Read what needs doing at ``access``'s practice on ``today`` (the service's date)."""
        self.access, self.today = access, today
        self._lay_out()
        self.reload()

    def reload(self) -> None:
        self._stale = False
        self._request += 1
        access = self.access
        if access is None:
            self._show([])
            return
        request, ods, today, roles = self._request, access.ods, self.today, access.roles

        def read() -> list[Item]:
            from app.services import needs_doing

            return needs_doing.load(ods, today, roles)

        tasks.run(read,
                  lambda items: self._delivered(request, items), lambda error: self._failed(request, error))

    # --- internals -----------------------------------------------------------------------------------

    def _delivered(self, request: int, items: list[Item]) -> None:
        if request == self._request:  # otherwise a newer read (another practice, a sync) is on its way
            self._show(items)
            self.loaded.emit()

    def _failed(self, request: int, error: BaseException) -> None:
        if request == self._request:
            self._show([])
            self.empty.setText(f"What needs doing could not be worked out: {tasks.describe_error(error)}")
            self.loaded.emit()

    def _show(self, items: Sequence[Item]) -> None:
        self.items = list(items)
        for row in self.rows:
            self.list.removeWidget(row)
            row.deleteLater()
        self.rows = []
        for item in self.items:
            row = ItemRow(item)
            row.button.clicked.connect(lambda _checked=False, page=item.page: self.open_requested.emit(page))
            self.list.insertWidget(self.list.count() - 1, row)
            self.rows.append(row)
        self._lay_out()

    def watch(self, host: QWidget) -> None:
        """Follow ``host``'s size and text size (the page the panel is on) to choose the compact line."""
        host.installEventFilter(self)

    @property
    def compact(self) -> bool:
        """Large text on a small screen: the summary line instead of the list."""
        return self.window().height() / max(1, self.fontMetrics().height()) < COMPACT_BELOW_LINES

    def _lay_out(self) -> None:
        signed_in, count, compact = self.access is not None, len(self.items), self.compact
        self.setTitle(f"What needs doing ({count})" if count else "What needs doing")
        self.empty.setVisible(not self.items)
        self.scroll.setVisible(bool(self.items))
        self.setVisible(signed_in and (not compact or (self.expanded and bool(self.items))))
        self.compact_row.setVisible(signed_in and compact)
        if self.items:
            first = self.items[0]
            self.summary.setText(f"{first.days_text}: {first.title}")
            self.summary.setToolTip(f"{first.title}. {first.detail}")
        else:
            self.summary.setText("Nothing needs doing right now.")
        self.toggle.setVisible(bool(self.items))
        self.toggle.setText("Hide the list" if self.expanded else f"To do ({count})")
        self.toggle.setAccessibleName("Hide what needs doing" if self.expanded else "Show what needs doing")
        self._fit_height()

    def _toggle(self) -> None:
        self.expanded = not self.expanded
        self._lay_out()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.Resize, QEvent.Type.FontChange):
            self._lay_out()
        elif event.type() == QEvent.Type.Show and self._stale:
            self.reload()
        return super().eventFilter(watched, event)

    def _fit_height(self) -> None:
        """As tall as the rows, up to a share of the window's height (never less than two lines)."""
        lines = 2.4 * self.fontMetrics().height()
        wanted = self.scroll.widget().sizeHint().height()
        limit = max(lines, self.window().height() * SHARE_OF_WINDOW)
        self.scroll.setFixedHeight(int(min(max(wanted, lines), limit)))


    def _data_changed(self, _kinds: Collection[str]) -> None:
        if self.access is None:
            return
        if self.isVisible() or self.compact_row.isVisible():
            self.reload()
        else:
            self._stale = True  # nobody is looking: read it when the page is next shown

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.reload()
