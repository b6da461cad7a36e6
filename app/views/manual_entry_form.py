"""The manual-entry form of one service and achievement date, built from its FormDefinition: fields
checked as the user types, Save draft and "Check before sending" (the dialogs are in
app.views.entry_dialogs). What the form says and allows comes from the entry's real state, worked out
once in app.services.entry_form_state.

The form never touches the cache or the network itself: saving and queuing go through the task runner to
app.services.manual_entry, and the second person is checked by a callable the page passes in. Whether a
second person is needed is the practice's rule held by CQRS (the page reads it from the cache); the check
the second person obtains is queued with exactly the values they were shown.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.services import format as fmt
from app.services import manual_entry as me
from app.services import tasks
from app.services.entry_form_state import ROLE_NEEDED, form_state
from app.services.entry_list import EntryWindow
from app.views import fonts
from app.views.entry_dialogs import IRREVERSIBLE, CheckDialog, ConflictDialog
from app.views.entry_widgets import (
    ERROR,
    GOOD,
    QUIET,
    TONES,
    WARNING,
    fit_width,
    say,
    value_text,
    window_words,
    wrapping,
)

__all__ = ["ERROR", "GOOD", "IRREVERSIBLE", "QUIET", "ROLE_NEEDED", "WARNING", "CheckDialog",
           "ConflictDialog", "EntryForm", "SecondPersonCheck", "fit_width", "value_text", "window_words"]

# (email, password, values, notes) -> who checked and their check token; raises when refused
SecondPersonCheck = Callable[[str, str, Mapping[str, int], str], me.SecondPersonConfirmation]
YES_NO_CHOICES = (("Choose…", ""), ("Yes", "1"), ("No", "0"))


class EntryForm(QDialog):
    """One form per service and achievement date: fields checked as typed, Save draft, Check before
    sending."""

    changed = Signal()  # a draft was saved or deleted, or the entry was queued

    def __init__(self, ods: str, form: me.FormDefinition, *, today: date, window: EntryWindow,
                 row: me.EntryRow | None = None, owner: str | None = None, can_enter: bool = True,
                 require_second_person: bool = False, second_person: SecondPersonCheck | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ods, self.definition, self.today, self.window, self.row = ods, form, today, window, row
        self.owner = owner  # the signed-in person's email: what is queued is queued in their name
        self.require_second_person, self.second_person = require_second_person, second_person
        self.check_dialog: CheckDialog | None = None
        self.setWindowTitle(f"Manual entry: {form.title}")
        self.setAccessibleName("Manual entry form")
        self._touched: set[str] = set()
        self.inputs: dict[str, QLineEdit | QComboBox] = {}
        self.messages: dict[str, QLabel] = {}
        self.state = state = form_state(row, window, can_enter=can_enter)

        title = QLabel(form.title)
        title.setObjectName("formTitle")
        fonts.relative(title, fonts.PROMINENT, bold=True)
        self.window_line = wrapping(name="Entry window")
        say(self.window_line, state.window, TONES[state.window_tone])
        self.status_line = wrapping(name="Status")
        say(self.status_line, state.status)
        self.locked_line = wrapping(name="Why this form cannot be changed")
        say(self.locked_line, state.locked, ERROR)

        grid = QGridLayout()
        grid.setColumnStretch(2, 1)
        grid.setHorizontalSpacing(12)
        values = row.values if row else {}
        for number, definition in enumerate(form.fields):
            self._add_field(grid, number, definition, values.get(definition.name))
        self.notes = QPlainTextEdit(row.notes if row else "")
        self.notes.setAccessibleName("Notes")
        self.notes.setPlaceholderText("Optional: where the figures came from, for whoever checks them")
        self.notes.setTabChangesFocus(True)
        self.notes.setMaximumHeight(self.notes.fontMetrics().lineSpacing() * 4 + 12)
        self.notes.textChanged.connect(self._notes_typed)
        notes_label = QLabel("&Notes")
        notes_label.setBuddy(self.notes)
        grid.addWidget(notes_label, len(form.fields), 0, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(self.notes, len(form.fields), 1, 1, 2)
        self.notes_message = wrapping(name="Notes: message")
        self.notes_message.hide()
        grid.addWidget(self.notes_message, len(form.fields) + 1, 1, 1, 2)
        self.set_by_commissioner = wrapping(self._commissioner_words(), "Set by your commissioner")
        self.set_by_commissioner.setVisible(bool(self.set_by_commissioner.text()))

        self.form_message = wrapping(name="Form message")
        self.form_message.hide()

        self.delete_button = QPushButton("Delete draft")
        self.delete_button.setAccessibleName("Delete draft")
        self.delete_button.setVisible(row is not None and row.local_draft)
        self.delete_button.clicked.connect(self._delete_draft)
        self.close_button = QPushButton("Close")
        self.close_button.setAccessibleName("Close")
        self.close_button.clicked.connect(self.reject)  # reject() keeps unsaved values as a draft
        self.save_button = QPushButton("Save draft")
        self.save_button.setAccessibleName("Save draft")
        self.save_button.setToolTip("Keep these values on this PC. Works offline; nothing is sent.")
        self.save_button.clicked.connect(self.save_draft)
        self.check_button = QPushButton("Check before sending…")
        self.check_button.setAccessibleName("Check before sending")
        self.check_button.setDefault(True)
        self.check_button.clicked.connect(self.check_before_sending)
        buttons = QHBoxLayout()
        buttons.addWidget(self.delete_button)
        buttons.addStretch(1)
        for button in (self.close_button, self.save_button, self.check_button):
            buttons.addWidget(button)

        layout = QVBoxLayout(self)
        for widget in (title, self.window_line, self.status_line, self.locked_line):
            layout.addWidget(widget)
        layout.addSpacing(6)
        layout.addLayout(grid)
        layout.addWidget(self.set_by_commissioner)
        layout.addWidget(self.form_message)
        layout.addStretch(1)
        layout.addLayout(buttons)

        for widget in (*self.inputs.values(), self.notes):
            widget.setEnabled(state.can_edit)
        self.save_button.setEnabled(state.can_save)
        self.save_button.setVisible(not window.closed)  # no draft is offered that could never be sent
        self.delete_button.setEnabled(state.can_delete)
        self.check_button.setEnabled(state.can_send)
        if not state.can_send and not state.locked:
            self.check_button.setToolTip(window.message)
        fit_width(self, 100)
        self._touched.update(name for name, value in values.items() if value not in (None, ""))
        self.refresh_messages()
        self._saved_state = (self.raw_values(), self.notes.toPlainText())  # what closing may leave as is

    # --- building --------------------------------------------------------------------------------

    def _add_field(self, grid: QGridLayout, number: int, definition: me.FieldDefinition, value: Any) -> None:
        label = QLabel(f"{definition.label}{'' if definition.required else ' (optional)'}")
        label.setWordWrap(True)
        box = QVBoxLayout()
        box.setSpacing(0)
        box.addWidget(label)
        if definition.hint:
            hint = wrapping(definition.hint)
            say(hint, definition.hint)
            fonts.relative(hint, 0.9)
            box.addWidget(hint)
        widget: QLineEdit | QComboBox
        if definition.kind == me.YES_NO:
            widget = QComboBox()
            for text, data in YES_NO_CHOICES:
                widget.addItem(text, data)
            widget.setCurrentIndex(max(0, widget.findData("" if value is None else str(value))))
            widget.currentIndexChanged.connect(lambda _i, name=definition.name: self._typed(name))
        else:
            widget = QLineEdit("" if value is None else str(value))
            widget.setPlaceholderText("0")
            widget.setAlignment(Qt.AlignmentFlag.AlignRight)
            widget.setMaxLength(14)
            widget.setFixedWidth(widget.fontMetrics().averageCharWidth() * 14 + 16)
            widget.textEdited.connect(lambda _text, name=definition.name: self._typed(name))
        widget.setAccessibleName(definition.label)
        widget.setAccessibleDescription(definition.hint)
        label.setBuddy(widget)
        message = wrapping(name=f"{definition.label}: message")
        message.setMinimumWidth(16 * message.fontMetrics().averageCharWidth())
        message.hide()
        self.inputs[definition.name], self.messages[definition.name] = widget, message
        grid.addLayout(box, number, 0)
        grid.addWidget(widget, number, 1, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(message, number, 2, Qt.AlignmentFlag.AlignTop)
        grid.setColumnMinimumWidth(0, 24 * label.fontMetrics().averageCharWidth())

    def _commissioner_words(self) -> str:
        """The items the commissioner sets for this service: shown for reference, never entered here."""
        parts = []
        for item in self.definition.set_by_commissioner:
            label, value = me.field_for(item).label, self.definition.known.get(item)
            parts.append(f"{label}: {fmt.count(value)}" if value is not None else f"{label}: not set yet")
        return f"Set by your commissioner (not entered here): {'; '.join(parts)}." if parts else ""

    # --- as the user types -------------------------------------------------------------------------

    def raw_values(self) -> dict[str, str]:
        raw = {}
        for name, widget in self.inputs.items():
            raw[name] = widget.currentData() if isinstance(widget, QComboBox) else widget.text()
        return raw

    def _notes_typed(self) -> None:
        problem = me.notes_problem(self.notes.toPlainText())
        say(self.notes_message, problem or "", ERROR)

    def _typed(self, name: str) -> None:
        self._touched.add(name)
        self.form_message.hide()
        self.refresh_messages()

    def refresh_messages(self, *, everything: bool = False) -> dict[str, str]:
        """Show each field's problem (or warning) beside it; empty required fields only once touched."""
        raw = self.raw_values()
        problems, notes = me.validate(self.definition, raw), me.warnings(self.definition, raw)
        for name, label in self.messages.items():
            shown = everything or name in self._touched or bool(str(raw.get(name) or "").strip())
            if name in problems and shown:
                say(label, problems[name], ERROR)
            elif name in notes:
                say(label, notes[name], WARNING)
            else:
                say(label, "")
        return problems

    def _show_form_message(self, text: str, colour: str = ERROR) -> None:
        say(self.form_message, text, colour)

    # --- actions -----------------------------------------------------------------------------------

    def save_draft(self) -> None:
        """Keep what is typed on this PC (valid or not): no network needed."""
        ods, definition, raw, notes = self.ods, self.definition, self.raw_values(), self.notes.toPlainText()
        self.save_button.setEnabled(False)
        today = self.today
        tasks.run(lambda: me.save_draft(ods, definition, raw, notes, today), self._draft_saved, self._refused)

    def _draft_saved(self, draft: Any) -> None:
        self._saved_state = (self.raw_values(), self.notes.toPlainText())
        self.save_button.setEnabled(True)
        self._show_form_message(f"Draft saved on this PC at {fmt.uk_datetime(draft.updated_at)[-5:]}. "
                                "It has not been sent.", GOOD)
        self.delete_button.setVisible(True)
        self.delete_button.setEnabled(True)
        self.changed.emit()

    def reject(self) -> None:
        """Close (the button or Esc). Values typed since the last save are kept as a draft, never lost."""
        if self._unsaved() and self._can_keep_draft():
            ods, definition = self.ods, self.definition
            raw, notes, today = self.raw_values(), self.notes.toPlainText(), self.today
            tasks.run(lambda: me.save_draft(ods, definition, raw, notes, today),
                      lambda _draft: self.changed.emit())
        super().reject()

    def _unsaved(self) -> bool:
        return (self.raw_values(), self.notes.toPlainText()) != self._saved_state

    def _can_keep_draft(self) -> bool:
        return self.state.can_save and self.save_button.isEnabled()

    def _refused(self, error: BaseException) -> None:
        self.save_button.setEnabled(self.state.can_save)
        self.check_button.setEnabled(self.state.can_send)
        fields = getattr(error, "fields", {}) or {}
        for name, problem in fields.items():
            if name in self.messages:
                say(self.messages[name], problem, ERROR)
        self._show_form_message(tasks.describe_error(error))

    def _delete_draft(self) -> None:
        answer = QMessageBox.question(self, "Delete draft",
                                      "Delete this draft? The values typed will be lost.")
        if answer != QMessageBox.StandardButton.Yes:
            return
        ods, service, when = self.ods, self.definition.service, self.definition.achievement_date
        tasks.run(lambda: me.delete_draft(ods, service, when), lambda _deleted: self._deleted(),
                  self._refused)

    def _deleted(self) -> None:
        self.changed.emit()
        self._saved_state = (self.raw_values(), self.notes.toPlainText())  # deleted on purpose
        self.accept()

    def check_before_sending(self) -> None:
        """Stop at the first problem; otherwise show what will be sent and ask for confirmation."""
        problems = self.refresh_messages(everything=True)
        if not self.state.can_send:  # e.g. by its shortcut, while the button is disabled
            why = self.state.locked or f"This entry cannot be sent now. {self.window.message}"
            self._show_form_message(why)
            return
        notes_problem = me.notes_problem(self.notes.toPlainText())
        if problems or notes_problem:
            self._show_form_message("Some values need correcting first; the messages are beside them.")
            self._notes_typed()
            first = next((name for name in self.inputs if name in problems), None)
            (self.inputs[first] if first else self.notes).setFocus()
            return
        raw, notes = self.raw_values(), self.notes.toPlainText()
        values = me.values_of(self.definition, raw)
        check = self.second_person if self.require_second_person else None
        second_person = (None if check is None
                         else lambda email, password: check(email, password, values, notes))
        dialog = CheckDialog(self.definition, values, notes, me.warnings(self.definition, raw),
                             window=self.window, row=self.row, second_person=second_person, parent=self)
        self.check_dialog = dialog
        # What is queued is exactly what was checked, even if the form is edited behind the dialog.
        dialog.accepted.connect(lambda: self.queue(raw, notes, dialog.check))
        dialog.open()

    def queue(self, raw: Mapping[str, Any] | None = None, notes: str | None = None,
              second_person_check: str | None = None) -> None:
        """Put the entry in the outbox (deleting its draft in the same transaction)."""
        ods, definition, today, row, owner = self.ods, self.definition, self.today, self.row, self.owner
        if owner is None:
            self._show_form_message("Sign in again to send this: this PC does not know who you are. Your "
                                    "values are kept as a draft when you close the form.")
            return
        raw = dict(raw) if raw is not None else self.raw_values()
        notes = notes if notes is not None else self.notes.toPlainText()
        self.check_button.setEnabled(False)
        self._show_form_message("Queuing…", QUIET)
        # The service queues it in the owner's name and tells the hub (the shell sends it, pages reload).
        check = second_person_check
        tasks.run(lambda: _queue_or_amend(ods, definition, raw, notes, today, row, owner, check),
                  self._queued, self._refused)

    def _queued(self, _item: Any) -> None:
        self.changed.emit()
        self.accept()


def _queue_or_amend(ods: str, form: me.FormDefinition, raw: Mapping[str, Any], notes: str, today: date,
                    row: me.EntryRow | None, owner: str, second_person_check: str | None = None) -> Any:
    """On the database worker: amend the entry the form was opened on (the version the user saw), or
    queue a new one, in ``owner``'s name."""
    if row is not None and row.entry_id is not None and row.version is not None:
        return me.amend(ods, row.entry_id, raw, notes, row.version, today, second_person_check, owner=owner)
    return me.queue(ods, form, raw, notes, today, second_person_check, owner=owner)
