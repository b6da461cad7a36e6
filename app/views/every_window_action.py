"""An action whose shortcut works in every window of the app, a modal dialog included.

An application-wide shortcut still belongs to the widgets its action is added to, and Qt ignores it while a
modal dialog blocks them. So the action is also added to each window as it takes the keyboard focus: the
shortcut then stays Qt's own, one entry for the one action (it fires once per press, wherever the focus
is), and a widget that claims the key for itself (Qt's ShortcutOverride) still gets it first. No event
filter sees every event of the app.

Only the newest action for a key is spread: an older one (a main window closed but not yet deleted) is
taken back out of the windows it joined, or Qt would find two actions for the key and fire neither.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtGui import QAction, QGuiApplication, QWindow
from PySide6.QtWidgets import QApplication, QMenu, QWidget

# Popups pass their keys on to the window that opened them, and a menu would list the action as an item.
NOT_WINDOWS = (Qt.WindowType.Popup, Qt.WindowType.ToolTip)
_spread: dict[str, EveryWindow] = {}  # per key: the action spread to every window now


class EveryWindow(QObject):
    """Adds ``action`` to each window that takes the focus; lives and dies with the action."""

    def __init__(self, action: QAction) -> None:
        super().__init__(action)
        self.action = action
        self.joined: list[QWidget] = []
        key = action.shortcut().toString()
        older = _spread.get(key)
        if older is not None and shiboken6.isValid(older):
            older.stop()
        _spread[key] = self
        action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        app = QGuiApplication.instance()
        if isinstance(app, QGuiApplication):
            app.focusWindowChanged.connect(self.focus_moved)
            self.focus_moved(app.focusWindow())  # a dialog already open when the action is made

    @Slot(QWindow)
    def focus_moved(self, window: QWindow | None) -> None:
        if window is None:
            return
        for widget in QApplication.topLevelWidgets():
            if widget.windowHandle() is window:
                if widget.windowType() not in NOT_WINDOWS and not isinstance(widget, QMenu) \
                        and self.action not in widget.actions():
                    widget.addAction(self.action)
                    self.joined.append(widget)
                return

    def stop(self) -> None:
        """Spread no further, and leave the windows joined so far (those still there)."""
        app = QGuiApplication.instance()
        if isinstance(app, QGuiApplication):
            app.focusWindowChanged.disconnect(self.focus_moved)
        for widget in self.joined:
            if shiboken6.isValid(widget):
                widget.removeAction(self.action)
        self.joined = []


def in_every_window(action: QAction) -> QAction:
    """Make ``action``'s shortcut (set before) work in every window of the app, once per press; returns
    it."""
    EveryWindow(action)
    return action
