"""The status bar: online or offline, last successful sync, items waiting to be sent, items that need the
user (conflicts and refusals, with the pages that show them), who and where.

It listens to the signal hub only; the window tells it the signed-in user and practice, and may connect
``attention_clicked`` to show the page named.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QLabel, QPushButton, QStatusBar, QWidget

from app.services import format as fmt
from app.services import tasks
from app.services.record_types import DECLARATION, MANUAL_ENTRY, OFFER_RESPONSE
from app.signals import hub

# Outbox kinds -> the section (key, title) whose page shows such an item and lets the user settle it.
PAGES: Mapping[str, tuple[str, str]] = {MANUAL_ENTRY: ("manual-entry", "Manual entry"),
                                        DECLARATION: ("declarations", "Declarations"),
                                        OFFER_RESPONSE: ("offers", "Offers")}
ATTENTION_COLOUR = "#d5281b"
# The bar's own layout: the space between parts, the size grip and margins at its right-hand end, and a few
# pixels so rounding in text widths cannot push the last part past the window's edge.
GAP, EDGE, SLACK = 6, 24, 4
MIN_WHO_CHARACTERS = 8  # fewer letters of the person's name than this are of no use


@dataclass(frozen=True)
class Counts:
    last_sync_at: datetime | None = None
    waiting: int = 0  # queued or being sent
    attention: Mapping[str, int] = field(default_factory=dict)  # outbox kind -> conflicts and refusals


def read_counts(ods: str | None) -> Counts:
    """On the database worker: the practice's last sync, what waits to be sent and what needs the user."""
    from app.services import cache_store, outbox  # the database layer loads off the first-paint path

    last = cache_store.sync_info(ods).last_sync_at if ods is not None else None
    needs_user = Counter(item.kind for item in outbox.items(statuses=outbox.NEEDS_ATTENTION))
    return Counts(last, outbox.waiting_count(), dict(needs_user))


def waiting_words(count: int, short: bool = False) -> str:
    if short:
        return "Nothing to send" if count == 0 else f"{count} to send"
    if count == 0:
        return "Nothing waiting to be sent"
    return f"{count} item{'s' * (count != 1)} waiting to be sent"


def attention_words(attention: Mapping[str, int]) -> str:
    """"1 needs your attention: Manual entry" (empty when nothing does); pages in the window's order."""
    total = sum(attention.values())
    if not total:
        return ""
    pages = [title for kind, (_key, title) in PAGES.items() if attention.get(kind)]
    where = f": {', '.join(pages)}" if pages else ""
    return f"⚠ {total} need{'s' * (total == 1)} your attention{where}"


class StatusBar(QStatusBar):
    attention_clicked = Signal(str)  # the section key of the first page with something for the user

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.online = self._label("Connection", "Not connected yet")
        self.last_sync = self._label("Last sync", "Last sync: never")
        self.waiting = self._label("Items waiting to be sent", "Nothing waiting to be sent")
        self.waiting.setToolTip("Changes made on this PC that have not reached CQRS yet")
        # A button, so it can be reached from the keyboard and clicked to go where the items are.
        self.attention = QPushButton()
        self.attention.setFlat(True)
        self.attention.setAccessibleName("Items that need your attention")
        self.attention.setCursor(Qt.CursorShape.PointingHandCursor)
        self.attention.setStyleSheet(f"color: {ATTENTION_COLOUR}; font-weight: bold; padding: 0 4px;")
        self.attention.clicked.connect(self._attention_clicked)
        self.attention.hide()
        self.addPermanentWidget(self.attention)
        self.who = self._label("Signed in user and practice", "Not signed in")
        self._last_sync_at: datetime | None = None
        self._practice: str | None = None
        self._attention: Mapping[str, int] = {}
        self._who = ("Not signed in", "Not signed in")  # with the practice, and without it
        self._waiting = 0
        self._syncing = False
        self._space()
        signals = hub()
        signals.sync_started.connect(self._sync_started)
        signals.sync_finished.connect(self._sync_finished)
        signals.online_changed.connect(self.set_online)
        signals.outbox_changed.connect(self._outbox_changed)
        self._clock = QTimer(self)  # "5 minutes ago" must keep moving
        self._clock.timeout.connect(self._show_last_sync)
        self._clock.start(30_000)

    def _label(self, accessible_name: str, text: str) -> QLabel:
        label = QLabel(text)
        label.setAccessibleName(accessible_name)
        self.addPermanentWidget(label)
        return label

    def set_online(self, online: bool) -> None:
        self.online.setText("● Online" if online else "● Offline: showing saved data")
        self.online.setProperty("state", "online" if online else "offline")
        self.online.style().unpolish(self.online)
        self.online.style().polish(self.online)
        self._fit_who()  # "Offline: showing saved data" is longer than what it replaces

    def set_waiting(self, count: int) -> None:
        self._waiting = count
        self._fit_who()

    def set_attention(self, attention: Mapping[str, int]) -> None:
        """Conflicts and refusals per outbox kind: counted apart from what waits, and named by page."""
        self._attention = dict(attention)
        text = attention_words(attention)
        self.attention.setText(text)
        self.attention.setAccessibleDescription(text)
        first = self._first_page()
        where = f"Go to {PAGES[first][1]}: each item says what to do. " if first else ""
        self.attention.setToolTip(f"{where}{text.removeprefix('⚠ ')}")
        self.attention.setVisible(bool(text))
        self._fit_who()

    def set_who(self, user: str | None, practice: str | None, ods: str | None) -> None:
        self._practice = ods
        self._who = (f"{user} · {practice}" if user and practice else (user or "Not signed in"),
                     user or "Not signed in")
        self.who.setToolTip(self._who[0])
        self._fit_who()
        self.refresh()

    def _fit_who(self) -> None:
        """With large text on a small screen the bar gives way step by step, so nothing is cut off: first
        the person and practice are shortened with "…", then they make way, then the pages named, then the
        long wording of what waits, then the attention words keep only their count (the full texts are in
        the tooltips; both names are also at the top of the window). The connection state is never
        shortened. Redone whenever any of the bar's texts changes, since any of them may grow, and when
        the window is resized."""
        attention = attention_words(self._attention)
        unnamed, counted = attention.split(":")[0], attention.split(" need")[0]  # "⚠ 2 need your…", "⚠ 2"
        waiting, brief = waiting_words(self._waiting), waiting_words(self._waiting, short=True)
        steps = [(attention, waiting, True), (attention, waiting, False), (unnamed, waiting, False),
                 (unnamed, brief, False), (counted, brief, False)]
        for needs, waits, with_who in steps:
            self.attention.setText(needs)
            self.waiting.setText(waits)
            others = [w for w in self._labels() if w is not self.who and not w.isHidden()]
            room = self._room() - EDGE - sum(w.sizeHint().width() + GAP for w in others) - GAP
            if with_who and self._show_who_in(room):
                return
            self.who.hide()
            if room >= 0:
                return

    def _show_who_in(self, room: int) -> bool:
        """The person and practice in ``room`` pixels, shortened with "…" if need be; False if too little
        of them would be left to recognise."""
        full = self._who[0]
        margins = self.who.contentsMargins()
        text = self.who.fontMetrics().elidedText(full, Qt.TextElideMode.ElideRight,
                                                 room - margins.left() - margins.right() - SLACK)
        if text != full and len(text.rstrip("…").strip()) < MIN_WHO_CHARACTERS:
            return False
        self.who.setText(text)
        self.who.show()
        return True

    def _space(self) -> None:
        """Room either side of each part, growing with the text, so the parts do not read as one line."""
        for widget in (self.online, self.last_sync, self.waiting, self.who):  # the button has its padding
            side = widget.fontMetrics().averageCharWidth() // 2
            widget.setContentsMargins(side, 0, side, 0)

    def _room(self) -> int:
        """The window's width: the bar itself grows past it when its labels do not fit. A bar on its own
        has no window edge to keep inside."""
        top = self.window()
        return top.width() if top is not self else 1 << 20

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.window().installEventFilter(self)  # a narrower window cannot shrink a bar that is too wide
        for label in self._labels():
            label.installEventFilter(self)  # larger text (e.g. screen sharing starts) may no longer fit
        self._fit_who()

    def _labels(self) -> tuple[QWidget, ...]:
        return (self.online, self.last_sync, self.waiting, self.attention, self.who)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and watched is self.window():
            self._fit_who()
        elif event.type() == QEvent.Type.FontChange and watched in self._labels():
            QTimer.singleShot(0, self, self._refit)  # once the label has its new size hint
        return False

    def _refit(self) -> None:
        self._space()
        self._fit_who()

    def refresh(self) -> None:
        """Read the last sync time and the outbox counts from the cache (in the background)."""
        ods = self._practice
        if ods is None:
            return
        tasks.run(lambda: read_counts(ods), self._counts)

    def _counts(self, counts: Counts) -> None:
        self._last_sync_at = counts.last_sync_at
        self.set_waiting(counts.waiting)
        self.set_attention(counts.attention)
        self._show_last_sync()

    def _outbox_changed(self, count: int) -> None:
        self.set_waiting(count)
        self.refresh()  # sent as the count changes: an item may now need the user, or no longer

    def _first_page(self) -> str | None:
        return next((kind for kind in PAGES if self._attention.get(kind)), None)

    def _attention_clicked(self) -> None:
        kind = self._first_page()
        if kind is not None:
            self.attention_clicked.emit(PAGES[kind][0])

    def _show_last_sync(self) -> None:
        if self._syncing:
            return
        when = self._last_sync_at
        if when is not None and when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        self.last_sync.setText(f"Last sync: {fmt.ago(when, datetime.now(UTC))}")
        self.last_sync.setToolTip(fmt.uk_datetime(when) if when else "")
        self._fit_who()  # "5 minutes ago" is longer than "just now": the bar must not outgrow the window

    def _sync_started(self) -> None:
        self._syncing = True
        self.last_sync.setText("Syncing…")
        self._fit_who()

    def _sync_finished(self, _ok: bool, _message: str) -> None:
        self._syncing = False
        self.refresh()
        self._show_last_sync()
