"""The one signal hub (as in vorta's application.py): services announce, views subscribe.

Views never call each other; they connect to ``hub()`` signals. Emitting from a worker thread is safe:
connections to slots of objects living on the GUI thread are queued by Qt.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal


class Hub(QObject):
    sync_started = Signal()
    sync_finished = Signal(bool, str)  # ok, plain-English message
    data_changed = Signal(str)  # record kind, e.g. "achievement", "offer", or "*" for everything
    online_changed = Signal(bool)
    outbox_changed = Signal(int)  # items waiting to be sent
    queued = Signal(str)  # a write was put in the outbox (its kind): the shell syncs soon to send it


_hub: Hub | None = None


def hub() -> Hub:
    """The application's hub, created on first use (after the QApplication, on the GUI thread)."""
    global _hub
    if _hub is None:
        _hub = Hub()
    return _hub


def reset_hub() -> None:
    """Forget the hub (tests): the next ``hub()`` makes a fresh one with no connections."""
    global _hub
    if _hub is not None:
        _hub.deleteLater()
    _hub = None
