"""The message above the page: it wraps rather than being cut off (the status bar cuts long messages at
1024 px), goes after a few seconds, and a message shown while offline goes once the connection is back."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QLabel

MESSAGE_MS = 12_000


class MessageBanner(QObject):
    """Shows messages in ``label``, a plain QLabel the window places above its pages."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel()
        self.label.setObjectName("messageBanner")
        self.label.setWordWrap(True)
        self.label.setAccessibleName("Message")
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.hide()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.label.hide)
        self._offline = self._shown_offline = False

    def show_message(self, message: str) -> None:
        """Show ``message`` for a few seconds."""
        self.label.setText(message)
        self.label.show()
        self._timer.start(MESSAGE_MS)
        self._shown_offline = self._offline

    def online_changed(self, online: bool) -> None:
        """Follow the connection: a message from while offline ("could not be reached") no longer holds."""
        self._offline = not online
        if online and self._shown_offline:
            self.label.hide()
