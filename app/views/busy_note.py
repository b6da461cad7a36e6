"""A line saying what the app is waiting for ("Connecting to https://…"), with a busy indicator, so a
wait on the network never looks like nothing is happening."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QWidget

BAR_WIDTH_CHARS = 12


class BusyNote(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("busyNote")
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)  # no end known: Qt draws it moving
        self.bar.setTextVisible(False)
        self.bar.setAccessibleName("Busy")
        self.bar.setFixedWidth(BAR_WIDTH_CHARS * self.fontMetrics().averageCharWidth())
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setAccessibleName("What the app is doing")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.addWidget(self.bar)
        layout.addWidget(self.text, 1)
        self.hide()

    def start(self, text: str) -> None:
        self.text.setText(text)
        self.show()

    def stop(self) -> None:
        self.hide()

    @property
    def busy(self) -> bool:
        return not self.isHidden()
