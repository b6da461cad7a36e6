"""Fonts sized relative to the application font, so the Text size setting enlarges headings too
(style sheets only know fixed point sizes)."""

from __future__ import annotations

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QWidget

HEADING = 1.45
PROMINENT = 1.15


def relative(widget: QWidget, factor: float, *, bold: bool = False) -> None:
    """Give ``widget`` the application font scaled by ``factor``."""
    font = QFont(QApplication.font())
    font.setPointSizeF(font.pointSizeF() * factor)
    font.setBold(bold)
    widget.setFont(font)
