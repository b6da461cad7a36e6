"""Sign out, with the choice to remove this person's data from this PC (and what that would lose)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QCheckBox, QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from app.services import screen_share

MIN_WIDTH_CHARS, MIN_WIDTH_PX = 56, 400


def waiting_words(waiting: int) -> str:
    if waiting == 0:
        return ""
    items = "1 change you made has" if waiting == 1 else f"{waiting} changes you made have"
    return (f"{items} not been sent to CQRS yet. If you keep your data they are sent when you next sign in "
            "here; if you remove it they are lost.")


class SignOutDialog(QDialog):
    """Asks before signing out; ``remove_data`` says whether to delete this person's cache too."""

    def __init__(self, name: str, waiting: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sign out")
        self.setModal(True)
        name = screen_share.shown(name)  # a person without a name on CQRS is named by their email
        intro = QLabel(f"Sign out {name}? Your practice's data stays on this PC for your next sign-in "
                       "unless you remove it. Nobody else who signs in here can see it either way.")
        intro.setWordWrap(True)
        self.warning = QLabel(waiting_words(waiting))
        self.warning.setObjectName("errorText")
        self.warning.setProperty("kind", "error")
        self.warning.setWordWrap(True)
        self.warning.setVisible(waiting > 0)
        self.remove = QCheckBox("Also &remove my data from this PC")
        self.remove.setAccessibleName("Remove my data from this PC")
        self.remove.setObjectName("removeData")  # app.qss sizes its tick box in em, to follow the text size
        choice = QDialogButtonBox.StandardButton
        buttons = QDialogButtonBox(choice.Ok | choice.Cancel)
        self.sign_out_button = buttons.button(choice.Ok)
        self.sign_out_button.setText("Sign out")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.warning)
        layout.addWidget(self.remove)
        layout.addWidget(buttons)
        self.setMinimumWidth(max(MIN_WIDTH_PX, MIN_WIDTH_CHARS * self.fontMetrics().averageCharWidth()))

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # the style sheet's em is worked out on polish only
            self.remove.style().unpolish(self.remove)
            self.remove.style().polish(self.remove)

    @property
    def remove_data(self) -> bool:
        return self.remove.isChecked()


def ask(parent: QWidget, name: str, waiting: int, sign_out: Callable[[bool], None]) -> SignOutDialog:
    """Open the confirmation; ``sign_out(remove_data)`` once the person confirms."""
    dialog = SignOutDialog(name, waiting, parent)
    dialog.accepted.connect(lambda: sign_out(dialog.remove_data))
    dialog.open()
    return dialog


def signed_out_words(waiting: int, removed: bool) -> str:
    if removed:
        return "Signed out, and your data was removed from this PC."
    if waiting:
        items = "1 item queued on this PC has" if waiting == 1 else f"{waiting} items queued on this PC have"
        return (f"Signed out. {items} not been sent yet: each is sent when the person who made it next signs "
                "in here.")
    return "Signed out."
