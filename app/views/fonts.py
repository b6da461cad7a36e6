"""Fonts sized relative to the application font, so the Text size setting enlarges headings too
(style sheets only know fixed point sizes), and a change of text size applied to the open window."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QWidget
from shiboken6 import Shiboken

HEADING = 1.45
PROMINENT = 1.15
BATCH = 60  # widgets told of a new font per turn of the event loop (about 5 ms)
_FACTOR, _BOLD = "cqrsFontFactor", "cqrsFontBold"  # dynamic properties: how to redo the font on a change


def relative(widget: QWidget, factor: float, *, bold: bool = False) -> None:
    """Give ``widget`` the application font scaled by ``factor`` (redone when the text size changes)."""
    widget.setProperty(_FACTOR, factor)
    widget.setProperty(_BOLD, bold)
    _apply(widget, factor, bold)


def scale_text(scale: float, *, current: float) -> None:
    """Change the application's text size from ``current`` to ``scale`` (the Text size setting, e.g. 1.5)
    in the open windows: the application font, every font set by :func:`relative`, and every widget the
    style sheet styles. The widgets are told in small batches, each in its own turn of the event loop, so
    the GUI thread never stalls for long; the layouts then fit the new text as Qt lays them out."""
    app = QApplication.instance()
    if not isinstance(app, QApplication) or scale == current:
        return
    font = QFont(app.font())
    font.setPointSizeF(font.pointSizeF() * scale / current)
    app.setFont(font)
    # Qt posts the change to every widget except those the style sheet styles, to be handled in one go:
    # they are all told here instead, in batches.
    QApplication.removePostedEvents(None, QEvent.Type.ApplicationFontChange)
    widgets = app.allWidgets()
    for widget in widgets:
        factor = widget.property(_FACTOR)
        if factor is not None:
            _apply(widget, float(factor), bool(widget.property(_BOLD)))
    # Windows last: the main window fits its sections to their new font.
    ordered = sorted(widgets, key=QWidget.isWindow)
    QTimer.singleShot(0, lambda: _tell(ordered))


def _tell(widgets: list[QWidget]) -> None:
    """Tell the next batch of ``widgets`` that the application font changed."""
    batch, rest = widgets[:BATCH], widgets[BATCH:]
    for widget in batch:
        if Shiboken.isValid(widget):  # closed meanwhile
            QApplication.sendEvent(widget, QEvent(QEvent.Type.ApplicationFontChange))
    if rest:
        QTimer.singleShot(0, lambda: _tell(rest))


def _apply(widget: QWidget, factor: float, bold: bool) -> None:
    font = QFont(QApplication.font())
    font.setPointSizeF(font.pointSizeF() * factor)
    font.setBold(bold)
    widget.setFont(font)
