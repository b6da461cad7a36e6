"""The one signal hub (as in vorta's application.py): services announce, views subscribe.

Views never call each other, and never emit here: they connect to ``hub()`` signals. Emitting from a
worker thread is safe: the hub lives on the GUI thread, so Qt queues each call to the GUI thread.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal

from app.services import record_types

EVERYTHING = "*"  # in a data_changed set: reload whatever you show
OUTBOX = record_types.OUTBOX  # in a data_changed set: what waits to be sent (or needs attention) changed


class Hub(QObject):
    sync_started = Signal()
    sync_finished = Signal(bool, str)  # ok, plain-English message
    # frozenset[str] of the record kinds that changed, e.g. {"offer", "outbox"}; "*" means everything.
    # A sync emits it once with every kind it changed, so a page reloads at most once per sync.
    data_changed = Signal(object)
    online_changed = Signal(bool)
    outbox_changed = Signal(int)  # how many items wait to be sent (counted off the GUI thread)
    queued = Signal(str)  # a write was put in the outbox (its kind): the shell syncs soon to send it
    screen_share_changed = Signal(object)  # app.services.screen_share.ScreenShare (on, Show £, reference)


_hub: Hub | None = None


def hub() -> Hub:
    """The application's hub, created on first use; it always lives on the GUI thread."""
    global _hub
    if _hub is None:
        _hub = Hub()
        app = QCoreApplication.instance()
        if app is not None and QThread.currentThread() is not app.thread():
            _hub.moveToThread(app.thread())  # first used on a worker: its calls still go to the GUI
    return _hub


def changed(*kinds: str) -> frozenset[str]:
    """A data_changed payload: ``changed("offer", OUTBOX)``."""
    return frozenset(kinds)


def reset_hub() -> None:
    """Forget the hub (tests): the next ``hub()`` makes a fresh one with no connections."""
    global _hub
    if _hub is not None:
        _hub.deleteLater()
    _hub = None
