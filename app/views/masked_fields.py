"""Text boxes that hold an email address or phone number show bullets while the screen is shared, and
their text again when sharing stops (what was typed is kept either way)."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLineEdit

from app.services import screen_share
from app.services.screen_share import ScreenShare
from app.signals import hub


class _Guard(QObject):
    """A child of the text box, so the hub's connection goes when the box does."""

    def __init__(self, edit: QLineEdit) -> None:
        super().__init__(edit)
        self.edit = edit
        self.normal = edit.echoMode()
        hub().screen_share_changed.connect(self.follow)
        self.follow(screen_share.state())

    def follow(self, state: ScreenShare) -> None:
        self.edit.setEchoMode(QLineEdit.EchoMode.Password if state.on else self.normal)


def guard(*edits: QLineEdit) -> None:
    """Mask what ``edits`` show while screen-share mode is on."""
    for edit in edits:
        _Guard(edit)
