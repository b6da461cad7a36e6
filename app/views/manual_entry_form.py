"""The manual-entry form of one service and achievement date, built from its FormDefinition; the "Check
before sending" summary (with a second person's confirmation when the practice asks for it); and the
conflict view that shows both versions side by side.

The dialogs never touch the cache or the network themselves: saving and queuing go through the task
runner to app.services.manual_entry, and the second person is checked by a callable the page passes in.
Whether a second person is needed is the practice's rule held by CQRS (the page reads it from the cache);
the check the second person obtains is queued with exactly the values they were shown.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, Literal

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QBoxLayout,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLayout,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.services import format as fmt
from app.services import manual_entry as me
from app.services import tasks
from app.services.windows import WindowState
from app.views import fonts

# (email, password, values, notes) -> who checked and their check token; raises when refused
SecondPersonCheck = Callable[[str, str, Mapping[str, int], str], me.SecondPersonConfirmation]
ERROR, WARNING, GOOD, QUIET = "#d5281b", "#8a5300", "#007f3b", "#425563"
ROLE_NEEDED = ("Only people with the Achievement Entry role for this practice can enter or change manual "
               "entries. You can see this entry, but not change it.")
IRREVERSIBLE = ("This goes to your commissioner for approval. You can amend it until it is approved and "
                "while its entry window is open; once approved it cannot be changed or withdrawn.")
YES_NO_CHOICES = (("Choose…", ""), ("Yes", "1"), ("No", "0"))


def _say(label: QLabel, text: str, colour: str = QUIET) -> None:
    label.setText(text)
    label.setStyleSheet(f"color: {colour};")
    label.setVisible(bool(text))


def _wrapping(text: str = "", name: str = "") -> QLabel:
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


def window_words(window: WindowState) -> str:
    return f"Entry window: {window.message[0].lower()}{window.message[1:]}" if window.open else window.message


def value_text(definition: me.FieldDefinition, value: Any) -> str:
    if value is None or value == "":
        return fmt.BLANK
    if definition.kind == me.YES_NO:
        return {1: "Yes", 0: "No"}.get(value, str(value))
    return fmt.count(value) if isinstance(value, int) else str(value)


class EntryForm(QDialog):
    """One form per service and achievement date: fields checked as typed, Save draft, Check before
    sending."""

    changed = Signal()  # a draft was saved or deleted, or the entry was queued

    def __init__(self, ods: str, form: me.FormDefinition, *, today: date, window: WindowState,
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
        locked = self._locked_reason(can_enter)

        title = QLabel(form.title)
        title.setObjectName("formTitle")
        fonts.relative(title, fonts.PROMINENT, bold=True)
        self.window_line = _wrapping(name="Entry window")
        _say(self.window_line, window_words(window), GOOD if window.open else ERROR)
        self.status_line = _wrapping(self._status_words(), "Status")
        self.status_line.setVisible(bool(self.status_line.text()))
        self.locked_line = _wrapping(name="Why this form cannot be changed")
        _say(self.locked_line, locked or "", ERROR)

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
        self.notes_message = _wrapping(name="Notes: message")
        self.notes_message.hide()
        grid.addWidget(self.notes_message, len(form.fields) + 1, 1, 1, 2)
        self.set_by_commissioner = _wrapping(self._commissioner_words(), "Set by your commissioner")
        self.set_by_commissioner.setVisible(bool(self.set_by_commissioner.text()))

        self.form_message = _wrapping(name="Form message")
        self.form_message.hide()

        self.delete_button = QPushButton("Delete draft")
        self.delete_button.setAccessibleName("Delete draft")
        self.delete_button.setVisible(row is not None and row.status == me.DRAFT and row.held != "CQRS")
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

        if locked:
            for widget in (*self.inputs.values(), self.notes, self.save_button, self.check_button,
                           self.delete_button):
                widget.setEnabled(False)
        elif not window.open:
            self.check_button.setEnabled(False)
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
            hint = _wrapping(definition.hint)
            _say(hint, definition.hint)
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
        message = _wrapping(name=f"{definition.label}: message")
        message.setMinimumWidth(16 * message.fontMetrics().averageCharWidth())
        message.hide()
        self.inputs[definition.name], self.messages[definition.name] = widget, message
        grid.addLayout(box, number, 0)
        grid.addWidget(widget, number, 1, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(message, number, 2, Qt.AlignmentFlag.AlignTop)
        grid.setColumnMinimumWidth(0, 24 * label.fontMetrics().averageCharWidth())

    def _locked_reason(self, can_enter: bool) -> str | None:
        if not can_enter:
            return ROLE_NEEDED
        status = self.row.status if self.row else None
        if status == me.APPROVED:
            return "This entry has been approved, so it can no longer be amended."
        if status == me.QUEUED:
            return ("Your last change to this entry is waiting to be sent. You can change it again once it "
                    "has reached CQRS.")
        return None

    def _commissioner_words(self) -> str:
        """The items the commissioner sets for this service: shown for reference, never entered here."""
        parts = []
        for item in self.definition.set_by_commissioner:
            label, value = me.field_for(item).label, self.definition.known.get(item)
            parts.append(f"{label}: {fmt.count(value)}" if value is not None else f"{label}: not set yet")
        return f"Set by your commissioner (not entered here): {'; '.join(parts)}." if parts else ""

    def _status_words(self) -> str:
        row = self.row
        if row is None:
            return ""
        words = row.status_text.rstrip(".") + "."
        amends = row.entry_id is not None and row.version is not None
        if amends and row.status != me.QUEUED and self.window.open:
            words += f" Sending amends version {row.version} on CQRS."
        return words

    # --- as the user types -------------------------------------------------------------------------

    def raw_values(self) -> dict[str, str]:
        raw = {}
        for name, widget in self.inputs.items():
            raw[name] = widget.currentData() if isinstance(widget, QComboBox) else widget.text()
        return raw

    def _notes_typed(self) -> None:
        problem = me.notes_problem(self.notes.toPlainText())
        _say(self.notes_message, problem or "", ERROR)

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
                _say(label, problems[name], ERROR)
            elif name in notes:
                _say(label, notes[name], WARNING)
            else:
                _say(label, "")
        return problems

    def _show_form_message(self, text: str, colour: str = ERROR) -> None:
        _say(self.form_message, text, colour)

    # --- actions -----------------------------------------------------------------------------------

    def save_draft(self) -> None:
        """Keep what is typed on this PC (valid or not): no network needed."""
        ods, definition, raw, notes = self.ods, self.definition, self.raw_values(), self.notes.toPlainText()
        self.save_button.setEnabled(False)
        tasks.run(lambda: me.save_draft(ods, definition, raw, notes), self._draft_saved, self._refused)

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
            raw, notes = self.raw_values(), self.notes.toPlainText()
            tasks.run(lambda: me.save_draft(ods, definition, raw, notes), lambda _draft: self.changed.emit())
        super().reject()

    def _unsaved(self) -> bool:
        return (self.raw_values(), self.notes.toPlainText()) != self._saved_state

    def _can_keep_draft(self) -> bool:
        return self.save_button.isEnabled() and self.save_button.isVisible()

    def _refused(self, error: BaseException) -> None:
        self.save_button.setEnabled(True)
        self.check_button.setEnabled(self.window.open)
        fields = getattr(error, "fields", {}) or {}
        for name, problem in fields.items():
            if name in self.messages:
                _say(self.messages[name], problem, ERROR)
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
        if not self.window.open:
            self._show_form_message(f"This entry cannot be sent now. {self.window.message}")
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


class CheckDialog(QDialog):
    """A summary of what will be sent, what cannot be undone, and (when asked for) a second person."""

    def __init__(self, form: me.FormDefinition, values: Mapping[str, int], notes: str,
                 warnings: Mapping[str, str], *, window: WindowState, row: me.EntryRow | None = None,
                 second_person: Callable[[str, str], me.SecondPersonConfirmation] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Check before sending")
        self.setAccessibleName("Check before sending")
        self.second_person = second_person
        self.confirmed_by: str | None = None
        self.check: str | None = None  # the second person's check token, queued with the entry

        heading = QLabel(f"You are about to send: {form.title}")
        heading.setWordWrap(True)
        fonts.relative(heading, fonts.PROMINENT, bold=True)
        summary = QFormLayout()
        for definition in form.fields:
            shown = QLabel(value_text(definition, values.get(definition.name)))
            shown.setAccessibleName(f"{definition.label}: value")
            summary.addRow(f"{definition.label}:", shown)
        notes_shown = _wrapping(notes.strip() or fmt.BLANK, "Notes to send")
        summary.addRow("Notes:", notes_shown)

        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.addWidget(heading)
        layout.addLayout(summary)
        for name, text in warnings.items():
            warning = _wrapping(name=f"Warning about {form.field(name).label}")
            _say(warning, f"{form.field(name).label}: {text}", WARNING)
            layout.addWidget(warning)
        if row is not None and row.entry_id is not None and row.version is not None:
            layout.addWidget(_wrapping(f"This replaces version {row.version} of the entry held on CQRS.",
                                       "What this replaces"))
        self.irreversible = _wrapping(name="What cannot be undone")
        _say(self.irreversible, f"{IRREVERSIBLE} {window_words(window)}", WARNING)
        layout.addWidget(self.irreversible)
        layout.addWidget(_wrapping("If this PC is offline, the entry is kept and sent at the next sync.",
                                   "When it is sent"))

        self.email = QLineEdit()
        self.password = QLineEdit()
        self.message = _wrapping(name="Confirmation problem")
        self.message.hide()
        if second_person is not None:
            box = QGroupBox("A second person must confirm")
            box.setAccessibleName("Second person's confirmation")
            inner = QVBoxLayout(box)
            inner.addWidget(_wrapping("Your practice requires a second person to check manual entries "
                                      "(a practice setting held by CQRS). Someone with Declaration "
                                      "Management or Supervisor at the practice signs in here to confirm "
                                      "these values.", "Why a second person"))
            self.email.setPlaceholderText("name@nhs.net")
            self.email.setAccessibleName("Second person's email address")
            self.password.setEchoMode(QLineEdit.EchoMode.Password)
            self.password.setAccessibleName("Second person's password")
            fields = QFormLayout()
            fields.addRow("&Email address:", self.email)
            fields.addRow("&Password:", self.password)
            inner.addLayout(fields)
            layout.addWidget(box)
        layout.addWidget(self.message)

        self.buttons = QDialogButtonBox()
        self.back_button = self.buttons.addButton("Go back", QDialogButtonBox.ButtonRole.RejectRole)
        self.back_button.setAccessibleName("Go back")
        self.send_button = self.buttons.addButton("Queue to send", QDialogButtonBox.ButtonRole.AcceptRole)
        self.send_button.setAccessibleName("Queue to send")
        self.send_button.setDefault(True)
        self.buttons.accepted.connect(self.confirm)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        fit_width(self, 88)

    def confirm(self) -> None:
        if self.second_person is None:
            self.accept()
            return
        email, password = self.email.text().strip(), self.password.text()
        if not email or not password:
            _say(self.message, "Enter the second person's email address and password.", ERROR)
            (self.email if not email else self.password).setFocus()
            return
        check = self.second_person
        self.send_button.setEnabled(False)
        _say(self.message, "Checking…", QUIET)
        tasks.run(lambda: check(email, password), self._confirmed, self._not_confirmed, kind="net")

    def _confirmed(self, confirmation: me.SecondPersonConfirmation) -> None:
        if not self.isVisible():
            return  # "Go back" was pressed while the check ran: nothing is sent
        self.confirmed_by, self.check = confirmation.name, confirmation.check
        self.password.clear()
        self.accept()

    def _not_confirmed(self, error: BaseException) -> None:
        self.send_button.setEnabled(True)
        self.password.clear()
        _say(self.message, tasks.describe_error(error), ERROR)


class ConflictDialog(QDialog):
    """Both versions side by side; "Keep mine" sends ours over theirs, "Use theirs" keeps ours as a draft."""

    changed = Signal()

    def __init__(self, form: me.FormDefinition, row: me.EntryRow, *, today: date, owner: str | None = None,
                 can_enter: bool = True, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.row, self.today, self.owner = row, today, owner
        theirs = row.server_copy or {}
        self.setWindowTitle(f"Conflict: {form.title}")
        self.setAccessibleName("Conflict between two versions")
        heading = QLabel(form.title)
        fonts.relative(heading, fonts.PROMINENT, bold=True)
        explain = _wrapping("Someone changed this entry on CQRS after you opened it. Both versions are kept "
                            "until you choose: Keep mine sends yours in place of theirs; Use theirs keeps "
                            "theirs and saves yours as a draft on this PC.", "What happened")
        self.table = QTableWidget(len(form.fields) + 2, 3)
        self.table.setAccessibleName("Both versions side by side")
        self.table.setHorizontalHeaderLabels(
            ["", "Yours (on this PC)", f"On CQRS (version {theirs.get('version', '?')})"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        ours_values, their_values = row.values, theirs.get("values") or {}
        lines = [(d.label, value_text(d, ours_values.get(d.name)), value_text(d, their_values.get(d.name)))
                 for d in form.fields]
        lines.append(("Notes", row.notes or fmt.BLANK, theirs.get("notes") or fmt.BLANK))
        lines.append(("Status", "Not sent yet", me.status_words(str(theirs.get("status", "")),
                                                                theirs.get("rejection_reason"))))
        for number, (label, ours, their) in enumerate(lines):
            for column, text in enumerate((label, ours, their)):
                item = QTableWidgetItem(text)
                if column and ours != their and number < len(form.fields):
                    font = item.font()
                    font.setBold(True)  # the figures that differ
                    item.setFont(font)
                self.table.setItem(number, column, item)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        for column in (1, 2):  # the two versions share the width equally
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        self.table.setWordWrap(True)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.resizeRowsToContents()
        self.table.setFixedHeight(self.table.verticalHeader().length() + header.sizeHint().height() + 4)

        self.message = _wrapping(name="Conflict message")
        self.message.hide()
        self.mine_button = QPushButton("Keep mine")
        self.mine_button.setAccessibleName("Keep mine")
        self.mine_button.setToolTip("Send your values again, replacing the version on CQRS.")
        self.theirs_button = QPushButton("Use theirs")
        self.theirs_button.setAccessibleName("Use theirs")
        self.theirs_button.setToolTip("Keep the version on CQRS. Your values are kept as a draft on this PC.")
        self.close_button = QPushButton("Decide later")
        self.close_button.setAccessibleName("Decide later")
        self.mine_button.clicked.connect(lambda: self.resolve("mine"))
        self.theirs_button.clicked.connect(lambda: self.resolve("theirs"))
        self.close_button.clicked.connect(self.reject)
        approved = theirs.get("status") == me.APPROVED
        if approved:
            self.mine_button.setEnabled(False)
            _say(self.message, "The CQRS version has been approved, so yours cannot replace it. Use theirs "
                               "to keep your values as a draft.", WARNING)
        if not can_enter:
            self.mine_button.setEnabled(False)
            self.theirs_button.setEnabled(False)
            _say(self.message, ROLE_NEEDED, ERROR)
        buttons = QHBoxLayout()
        buttons.addWidget(self.close_button)
        buttons.addStretch(1)
        buttons.addWidget(self.theirs_button)
        buttons.addWidget(self.mine_button)
        layout = QVBoxLayout(self)
        for widget in (heading, explain, self.table, self.message):
            layout.addWidget(widget)
        layout.addLayout(buttons)
        fit_width(self, 100)

    def resolve(self, keep: Literal["mine", "theirs"]) -> None:
        key, today, owner = self.row.outbox_key, self.today, self.owner
        assert key is not None
        if owner is None:
            _say(self.message, "Sign in again to settle this: this PC does not know who you are.", ERROR)
            return
        self.mine_button.setEnabled(False)
        self.theirs_button.setEnabled(False)
        # The service sends "mine" in the owner's name and tells the hub (the shell sends it, pages reload).
        tasks.run(lambda: me.resolve_conflict(key, keep, owner=owner, today=today),
                  lambda _result: self._resolved(), self._failed)

    def _resolved(self) -> None:
        self.changed.emit()
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self.theirs_button.setEnabled(True)
        self.mine_button.setEnabled(self.row.server_copy is not None
                                    and self.row.server_copy.get("status") != me.APPROVED)
        _say(self.message, tasks.describe_error(error), ERROR)

