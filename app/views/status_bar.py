"""The status bar: online or offline, last successful sync, items waiting to be sent, who and where.

It listens to the signal hub only; the window tells it the signed-in user and practice.
"""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from app.services import format as fmt
from app.services import tasks
from app.signals import hub


def _read_counts(ods: str) -> tuple[datetime | None, int]:
    """On the database worker: the practice's last sync and the outbox count."""
    from app.services import cache_store, outbox  # the database layer loads off the first-paint path

    return cache_store.sync_info(ods).last_sync_at, outbox.waiting_count()


class StatusBar(QStatusBar):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.online = self._label("Connection", "Not connected yet")
        self.last_sync = self._label("Last sync", "Last sync: never")
        self.waiting = self._label("Items waiting to be sent", "Nothing waiting to be sent")
        self.who = self._label("Signed in user and practice", "Not signed in")
        self._last_sync_at: datetime | None = None
        self._practice: str | None = None
        self._syncing = False
        signals = hub()
        signals.sync_started.connect(self._sync_started)
        signals.sync_finished.connect(self._sync_finished)
        signals.online_changed.connect(self.set_online)
        signals.outbox_changed.connect(self.set_waiting)
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

    def set_waiting(self, count: int) -> None:
        self.waiting.setText("Nothing waiting to be sent" if count == 0
                             else f"{count} item{'s' * (count != 1)} waiting to be sent")

    def set_who(self, user: str | None, practice: str | None, ods: str | None) -> None:
        self._practice = ods
        self.who.setText(f"{user} · {practice}" if user and practice else (user or "Not signed in"))
        self.refresh()

    def refresh(self) -> None:
        """Read the last sync time and the outbox count from the cache (in the background)."""
        ods = self._practice
        if ods is None:
            return
        tasks.run(lambda: _read_counts(ods), self._counts)

    def _counts(self, values: tuple[datetime | None, int]) -> None:
        self._last_sync_at, waiting = values
        self.set_waiting(waiting)
        self._show_last_sync()

    def _show_last_sync(self) -> None:
        if self._syncing:
            return
        when = self._last_sync_at
        if when is not None and when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        self.last_sync.setText(f"Last sync: {fmt.ago(when, datetime.now(UTC))}")
        self.last_sync.setToolTip(fmt.uk_datetime(when) if when else "")

    def _sync_started(self) -> None:
        self._syncing = True
        self.last_sync.setText("Syncing…")

    def _sync_finished(self, _ok: bool, _message: str) -> None:
        self._syncing = False
        self.refresh()
        self._show_last_sync()
