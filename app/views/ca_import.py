"""Importing the practice's CA file from the sign-in form: pick the PEM file practice IT gave you, compare
its SHA-256 fingerprint with theirs, and only then trust it (the caller saves it as the CA_FILE setting)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFileDialog, QLabel, QVBoxLayout, QWidget

from app.services import tasks
from app.services.ca_file import CaFile

FILTER = "Certificate files (*.pem *.crt *.cer);;All files (*)"
MIN_WIDTH_CHARS, MIN_WIDTH_PX = 64, 440


class CaConfirmDialog(QDialog):
    """Shows what the chosen file holds; accepted only when the person says the fingerprints match."""

    def __init__(self, found: CaFile, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Trust your practice's certificate?")
        self.setModal(True)
        self.path = found.path
        lines = [f"<p>The file <b>{_escape(found.path)}</b> holds:</p>"]
        for authority in found.authorities:
            pairs = authority.sha256.split(":")  # two lines of 16 pairs: it never runs off the dialog
            lines.append(f"<p>{_escape(authority.subject)}<br>SHA-256 fingerprint:<br>"
                         f"<tt>{':'.join(pairs[:16])}:<br>{':'.join(pairs[16:])}</tt></p>")
        lines.append("<p>Compare the fingerprint with the one your practice's IT team gave you, character by "
                     "character. Trust it only if they are the same; if not, cancel and call them.</p>")
        self.details = QLabel("".join(lines))
        self.details.setWordWrap(True)
        self.details.setTextFormat(Qt.TextFormat.RichText)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.setAccessibleName("Certificate details")
        choice = QDialogButtonBox.StandardButton
        buttons = QDialogButtonBox(choice.Ok | choice.Cancel)
        self.trust_button = buttons.button(choice.Ok)
        self.trust_button.setText("They match: trust it")
        self.trust_button.setAutoDefault(False)
        buttons.button(choice.Cancel).setDefault(True)  # Enter never trusts
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.details)
        layout.addWidget(buttons)
        self.setMinimumWidth(max(MIN_WIDTH_PX, MIN_WIDTH_CHARS * self.fontMetrics().averageCharWidth()))

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        # As tall as the wrapped text needs at this width, so no line is cut off at large text sizes.
        layout = self.layout()
        layout.activate()
        needed = layout.totalHeightForWidth(self.width()) if layout.hasHeightForWidth() else \
            layout.totalMinimumSize().height()
        self.setMinimumHeight(needed)
        if self.height() < needed:
            self.resize(self.width(), needed)


Shown = Callable[[CaConfirmDialog], None]
Problem = Callable[[str], None]


def choose_file(parent: QWidget, chosen: Callable[[str], None]) -> QFileDialog:
    """Ask for the practice's certificate file; ``chosen(path)`` once one is picked."""
    picker = QFileDialog(parent, "Your practice's certificate file", "", FILTER)
    picker.setFileMode(QFileDialog.FileMode.ExistingFile)
    picker.fileSelected.connect(chosen)
    picker.open()
    return picker


def confirm_file(parent: QWidget, path: str, trusted: Callable[[str], None], shown: Shown,
                 problem: Problem) -> None:
    """Read ``path`` in the background and show its fingerprints (``shown`` gets the open dialog);
    ``trusted(path)`` once the person confirms, ``problem(message)`` if it is no CA file."""
    from app.services import ca_file

    def show(found: CaFile) -> None:
        dialog = CaConfirmDialog(found, parent)
        dialog.accepted.connect(lambda: trusted(found.path))
        shown(dialog)
        dialog.open()

    tasks.run(lambda: ca_file.read(path), show, lambda error: problem(tasks.describe_error(error)),
              kind="net")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
