"""The list of sections down the left of the main window: one row per section, in order, the rows a role
may not see left out, and as wide as the longest name at the text size in use."""

from __future__ import annotations

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QListWidget, QWidget

from app.views import fonts
from app.views.sections import SECTIONS

KEYS = [key for key, _title in SECTIONS]


class SectionList(QListWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sections")
        self.setAccessibleName("Sections")
        self.addItems([title for _key, title in SECTIONS])
        fonts.relative(self, fonts.PROMINENT)
        self.hidden: frozenset[str] = frozenset()  # sections the signed-in roles may not see
        self.fit_width()

    def current_key(self) -> str:
        """The key of the section chosen (the first before any is)."""
        return SECTIONS[max(0, self.currentRow())][0]

    def choose(self, key: str) -> None:
        self.setCurrentRow(KEYS.index(key))

    def hide_sections(self, hidden: frozenset[str]) -> None:
        """Leave out the rows of ``hidden`` sections (the Income page without Finance View)."""
        self.hidden = hidden
        for row, key in enumerate(KEYS):
            self.setRowHidden(row, key in hidden)

    def fit_width(self) -> None:
        """Wide enough for the longest name, with room for a scroll bar, and not much wider."""
        self.setMinimumWidth(self.sizeHintForColumn(0) + 40)
        self.setMaximumWidth(self.sizeHintForColumn(0) + 60)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # the text size changed: the names fit again
            self.fit_width()
