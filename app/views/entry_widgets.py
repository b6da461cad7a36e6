"""Small pieces the manual-entry form, its dialogs and its page share: message colours, wrapping labels,
a dialog width that follows the text size, and values in words."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QBoxLayout, QDialog, QLabel, QLayout

from app.services import entry_form_state as state
from app.services import format as fmt
from app.services import manual_entry as me

ERROR, WARNING, GOOD, QUIET = "#d5281b", "#8a5300", "#007f3b", "#425563"
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


def fit_width(dialog: QDialog, characters: int) -> None:
    """About ``characters`` wide in the dialog's font (so it grows with the Text size setting), and
    never narrower than its contents need: wrapped messages then get the height they need."""
    layout = dialog.layout()
    assert isinstance(layout, QBoxLayout)
    layout.addStrut(min(980, characters * dialog.fontMetrics().averageCharWidth()))
    layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)


def value_text(definition: me.FieldDefinition, value: Any) -> str:
    if value is None or value == "":
        return fmt.BLANK
    if definition.kind == me.YES_NO:
        return {1: "Yes", 0: "No"}.get(value, str(value))
    return fmt.count(value) if isinstance(value, int) else str(value)
