"""An action whose shortcut works in every window of the app, a modal dialog included.

An application-wide shortcut still belongs to the widgets its action is added to, and Qt ignores it while a
modal dialog blocks them. So the action is also added to each window as it takes the keyboard focus: the
shortcut then stays Qt's own, one entry for the one action (it fires once per press, wherever the focus
is), and a widget that claims the key for itself (Qt's ShortcutOverride) still gets it first. No event
filter sees every event of the app.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtGui import QAction, QGuiApplication, QWindow
from PySide6.QtWidgets import QApplication, QMenu

# Popups pass their keys on to the window that opened them, and a menu would list the action as an item.
NOT_WINDOWS = (Qt.WindowType.Popup, Qt.WindowType.ToolTip)


class EveryWindow(QObject):
    """Adds ``action`` to each window that takes the focus; lives and dies with the action."""

    def __init__(self, action: QAction) -> None:
        super().__init__(action)
        self.action = action
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
                return


def in_every_window(action: QAction) -> QAction:
    """Make ``action``'s shortcut work in every window of the app, once per press; returns it."""
    EveryWindow(action)
    return action
