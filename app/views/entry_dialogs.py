"""The manual-entry dialogs: "New entry" (choose a month and service), "Check before sending" (a summary
of what will be sent, what cannot be undone and, when the practice asks for it, a second person's
confirmation) and the conflict view that shows both versions side by side.

Neither touches the cache or the network itself: the second person is checked by a callable the form
passes in, and a conflict is settled through the task runner by app.services.manual_entry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Literal

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.services import format as fmt
from app.services import manual_entry as me
from app.services import tasks
from app.services.entry_form_state import CONTACT, ROLE_NEEDED
from app.services.entry_list import EntryWindow
from app.views import fonts
from app.views.entry_widgets import (
    ERROR,
    GOOD,
    QUIET,
    WARNING,
    fit_width,
    say,
    scrolled,
    value_text,
    window_words,
    wrapping,
)
from app.views.masked_fields import guard

NOTES_LINES = 5  # lines of notes shown before they scroll, so the buttons stay on screen at any text size
TABLE_LINES = 14  # likewise for the conflict view's two versions
IRREVERSIBLE = ("This goes to your commissioner for approval. You can amend it until it is approved and "
                "while its entry window is open; once approved it cannot be changed or withdrawn.")


class CheckDialog(QDialog):
    """A summary of what will be sent, what cannot be undone, and (when asked for) a second person."""

    def __init__(self, form: me.FormDefinition, values: Mapping[str, int], notes: str,
                 warnings: Mapping[str, str], *, window: EntryWindow, row: me.EntryRow | None = None,
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
        notes_shown = wrapping(notes.strip() or fmt.BLANK, "Notes to send")
        summary.addRow("Notes:", scrolled(notes_shown, NOTES_LINES))  # up to 2,000 characters

        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.addWidget(heading)
        layout.addLayout(summary)
        for name, text in warnings.items():
            warning = wrapping(name=f"Warning about {form.field(name).label}")
            say(warning, f"{form.field(name).label}: {text}", WARNING)
            layout.addWidget(warning)
        if row is not None and row.entry_id is not None and row.version is not None:
            layout.addWidget(wrapping(f"This replaces version {row.version} of the entry held on CQRS.",
                                       "What this replaces"))
        self.irreversible = wrapping(name="What cannot be undone")
        say(self.irreversible, f"{IRREVERSIBLE} {window_words(window)}", WARNING)
        layout.addWidget(self.irreversible)
        layout.addWidget(wrapping("If this PC is offline, the entry is kept and sent at the next sync.",
                                   "When it is sent"))

        self.email = QLineEdit()
        guard(self.email)  # the second person's address, while the screen is shared
        self.password = QLineEdit()
        self.message = wrapping(name="Confirmation problem")
        self.message.hide()
        if second_person is not None:
            box = QGroupBox("A second person must confirm")
            box.setAccessibleName("Second person's confirmation")
            inner = QVBoxLayout(box)
            inner.addWidget(wrapping("Your practice requires a second person to check manual entries "
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
            say(self.message, "Enter the second person's email address and password.", ERROR)
            (self.email if not email else self.password).setFocus()
            return
        check = self.second_person
        self.send_button.setEnabled(False)
        say(self.message, "Checking…", QUIET)
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
        say(self.message, tasks.describe_error(error), ERROR)


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
        explain = wrapping("Someone changed this entry on CQRS after you opened it. Both versions are kept "
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
        # The item, yours and theirs share the width (each wraps), so no header is cut at large text sizes.
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setWordWrap(True)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header.sectionResized.connect(lambda *_args: self._fit_table())
        self._fit_table()

        self.message = wrapping(name="Conflict message")
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
            say(self.message, "The CQRS version has been approved, so yours cannot replace it. Use theirs "
                               "to keep your values as a draft.", WARNING)
        if not can_enter:
            self.mine_button.setEnabled(False)
            self.theirs_button.setEnabled(False)
            say(self.message, ROLE_NEEDED, ERROR)
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

    def _fit_table(self) -> None:
        """Rows as tall as their wrapped text at the columns' widths; the table whole when it fits (it
        usually does), while long notes scroll instead of pushing the buttons off screen."""
        self.table.resizeRowsToContents()
        rows = min(self.table.verticalHeader().length(), TABLE_LINES * self.table.fontMetrics().lineSpacing())
        self.table.setFixedHeight(rows + self.table.horizontalHeader().sizeHint().height()
                                  + 2 * self.table.frameWidth())

    def resolve(self, keep: Literal["mine", "theirs"]) -> None:
        key, today, owner = self.row.outbox_key, self.today, self.owner
        assert key is not None
        if owner is None:
            say(self.message, "Sign in again to settle this: this PC does not know who you are.", ERROR)
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
        say(self.message, tasks.describe_error(error), ERROR)


class NewEntryDialog(QDialog):
    """Choose the achievement date (newest first) and a service with items entered by hand."""

    def __init__(self, choices: list[me.EntryChoice], last_closed: me.EntryChoice | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.last_closed = last_closed
        self.setWindowTitle("New manual entry")
        self.setAccessibleName("New manual entry")
        self.choices = choices
        self.when = QComboBox()
        self.when.setAccessibleName("Achievement date")
        self.service = QComboBox()
        self.service.setAccessibleName("Service")
        for when in dict.fromkeys(choice.achievement_date for choice in choices):
            self.when.addItem(fmt.uk_date(when), when.isoformat())  # Qt compares text data reliably
        self.window_line = QLabel()
        self.window_line.setWordWrap(True)
        self.window_line.setAccessibleName("Entry window")
        self.when.currentIndexChanged.connect(self._fill_services)
        self.service.currentIndexChanged.connect(self._show_window)
        form = QFormLayout()
        form.addRow("&Achievement date:", self.when)
        form.addRow("&Service:", self.service)
        buttons = QDialogButtonBox.StandardButton
        self.buttons = QDialogButtonBox(buttons.Ok | buttons.Cancel)
        self.open_button = self.buttons.button(buttons.Ok)
        self.open_button.setText("Open form")
        self.open_button.setAccessibleName("Open form")
        self.buttons.button(buttons.Cancel).setAccessibleName("Cancel")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        intro = QLabel("Services whose figures are entered by hand, for the months whose entry window is "
                       "open or opens within a month.")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.window_line)
        layout.addWidget(self.buttons)
        fit_width(self, 72)
        self._fill_services()

    def _fill_services(self, _index: int = 0) -> None:
        when = self.when.currentData()
        self.service.clear()
        for choice in self.choices:
            if choice.achievement_date.isoformat() == when:
                self.service.addItem(choice.service_name, choice.service)
        self._show_window()

    def chosen(self) -> me.EntryChoice | None:
        when, service = self.when.currentData(), self.service.currentData()
        matches = (c for c in self.choices if c.achievement_date.isoformat() == when and c.service == service)
        return next(matches, None)

    def _show_window(self, _index: int = 0) -> None:
        choice = self.chosen()
        self.open_button.setEnabled(choice is not None)
        if choice is None:
            self.window_line.setText(self._nothing_open() if not self.choices else "")
            self.window_line.setStyleSheet(f"color: {ERROR};")
            return
        # Closed windows are never offered; one that has not opened yet can hold a draft until it does.
        self.window_line.setText(window_words(choice.window) + ("" if choice.window.open else
                                 " You can keep a draft until then."))
        self.window_line.setStyleSheet(f"color: {GOOD if choice.window.open else WARNING};")

    def _nothing_open(self) -> str:
        last = self.last_closed
        if last is None:
            return "No entry window is open or opens within a month in the timetable. Sync to fetch it."
        return (f"No entry window is open now or opens within a month. The last one was for "
                f"{fmt.uk_date(last.achievement_date)}: "
                f"{last.window.message} {CONTACT}")
