"""Small pieces the manual-entry form, its dialogs and its page share: message colours, wrapping labels,
a dialog size that follows the text size (wide enough, and as tall as its wrapped texts need), long texts
that scroll, and values in words."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer
from PySide6.QtWidgets import QDialog, QFrame, QLabel, QLayout, QScrollArea, QSizePolicy

from app.services import entry_form_state as state
from app.services import format as fmt
from app.services import manual_entry as me

ERROR, WARNING, GOOD, QUIET = "#d5281b", "#8a5300", "#007f3b", "#425563"
MAX_WIDTH = 980  # px: a dialog stays within a 1024-wide screen
FRAME_ALLOWANCE = 40  # px: the window title bar, which the dialog's own height does not include
TONES = {state.ERROR: ERROR, state.WARNING: WARNING, state.GOOD: GOOD, state.QUIET: QUIET}
window_words = state.window_words


def say(label: QLabel, text: str, colour: str = QUIET) -> None:
    """Show ``text`` in ``colour`` (hidden when empty)."""
    label.setText(text)
    label.setStyleSheet(f"color: {colour};")
    label.setVisible(bool(text))


def wrapping(text: str = "", name: str = "") -> QLabel:
    """A selectable plain-text label that wraps, with an accessible name."""
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if name:
        label.setAccessibleName(name)
    return label


class _ShortScroll(QScrollArea):
    """A wrapped label shown whole up to ``lines`` lines, scrolled beyond (never below two lines)."""

    def __init__(self, label: QLabel, lines: int) -> None:
        super().__init__()
        self._label, self._lines = label, lines
        self.setWidget(label)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.setAccessibleName(f"{label.accessibleName()}, scrollable".lstrip(", "))

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        metrics = self.fontMetrics()
        room = width - self.verticalScrollBar().sizeHint().width()
        whole = self._label.heightForWidth(room)
        return max(2 * metrics.height(), min(whole, self._lines * metrics.lineSpacing()))

    def sizeHint(self) -> QSize:
        hint = self._label.sizeHint()
        return QSize(hint.width(), self.heightForWidth(hint.width()))

    def minimumSizeHint(self) -> QSize:
        return QSize(super().minimumSizeHint().width(), 2 * self.fontMetrics().height())


def scrolled(label: QLabel, lines: int) -> QScrollArea:
    """``label`` in an area as tall as its text up to ``lines`` lines; longer texts scroll."""
    return _ShortScroll(label, lines)


def fit_width(dialog: QDialog, characters: int) -> None:
    """About ``characters`` wide in the dialog's font (so it grows with the Text size setting), never
    narrower than its contents need, and as tall as its wrapped texts need at that width (Qt's own
    minimum-size constraint ignores height-for-width, so wrapped lines were squashed at large text)."""
    dialog.layout().setSizeConstraint(QLayout.SizeConstraint.SetDefaultConstraint)
    _HeightFitter(dialog, characters)


class _HeightFitter(QObject):
    """Refits its dialog whenever it is shown, resized or its layout changes (a message shown or hidden)."""

    def __init__(self, dialog: QDialog, characters: int) -> None:
        super().__init__(dialog)
        self._dialog, self._characters = dialog, characters
        self._placed = False  # until first shown, its height is exactly what it needs (then only grows)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.fit)
        dialog.installEventFilter(self)
        self.fit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.Show, QEvent.Type.LayoutRequest, QEvent.Type.Resize,
                            QEvent.Type.FontChange):
            self._timer.start(0)  # once the layout has taken the change in
        if event.type() == QEvent.Type.Show:
            self.fit()  # before it is first painted
            self._placed = True
        return False

    def fit(self) -> None:
        dialog, layout = self._dialog, self._dialog.layout()
        layout.activate()
        screen = dialog.screen().availableGeometry() if dialog.screen() else None
        width = max(min(MAX_WIDTH, self._characters * dialog.fontMetrics().averageCharWidth()),
                    layout.totalMinimumSize().width())
        if dialog.minimumWidth() != width:
            dialog.setMinimumWidth(width)
        needed = (layout.totalHeightForWidth(max(width, dialog.width())) if layout.hasHeightForWidth()
                  else layout.totalMinimumSize().height())
        if screen is not None:
            needed = min(needed, screen.height() - FRAME_ALLOWANCE)
        if dialog.minimumHeight() != needed:
            dialog.setMinimumHeight(needed)
        if not self._placed:
            dialog.resize(max(width, dialog.width()), needed)  # no gaps from a first guess at its height
        elif dialog.height() < needed or dialog.width() < width:
            dialog.resize(max(width, dialog.width()), max(needed, dialog.height()))


def value_text(definition: me.FieldDefinition, value: Any) -> str:
    if value is None or value == "":
        return fmt.BLANK
    if definition.kind == me.YES_NO:
        return {1: "Yes", 0: "No"}.get(value, str(value))
    return fmt.count(value) if isinstance(value, int) else str(value)
