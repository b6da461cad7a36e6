"""The Manual entry page: every entry of the practice with its status in words (drafts on this PC,
queued, submitted, approved, rejected with the commissioner's reason, conflicts), "New entry…" and
"Open", and the history of the selected entry (who did what, when).

Entries are read in the background (app.services.manual_entry on the database worker); the forms are
in app.views.manual_entry_form.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.services import format as fmt
from app.services import manual_entry as me
from app.services.entry_form_state import CONTACT, ROLE_NEEDED, form_state
from app.services.profile import ACHIEVEMENT_ENTRY, PracticeAccess
from app.services.record_types import MANUAL_ENTRY, OUTBOX, TIMETABLE_EVENT
from app.views.entry_dialogs import ConflictDialog
from app.views.entry_widgets import ERROR, GOOD, WARNING, fit_width, value_text, window_words
from app.views.manual_entry_form import EntryForm
from app.views.page import Page
from app.views.record_table import Column, Prepared, RecordTable, attr, prepare

# (ods, email, password, *, service, achievement_date, values, notes) -> who checked and their check token
SecondPersonConfirmer = Callable[..., me.SecondPersonConfirmation]
EMPTY = "No manual entries yet. Use New entry… to enter the figures CQRS cannot extract."
SECOND_PERSON_RULE = {
    True: ("Your practice requires a second person (Declaration Management or Supervisor) to check manual "
           "entries before they are sent."),
    False: "Your practice does not require a second person to check manual entries before they are sent.",
}
RULE_HELD = "This is a practice setting held by CQRS; your practice's User Administrator can change it."
UNKNOWN_WINDOW = me.EntryWindow(False, "The entry window is not known yet. Sync, then try again.")
NEEDS_YOU = {me.CONFLICT: "#fde2e0", me.FAILED: "#fde2e0", me.REJECTED: "#fde2e0", me.DRAFT: "#fff9c4"}


def summary(row: me.EntryRow) -> str:
    """The values in the form's order, with short labels: "Referrals 11, Allocation 134"."""
    try:
        order = me.form_for(row.service, row.achievement_date).names
    except me.EntryRefused:  # e.g. a year this version has no rules for
        order = tuple(sorted(row.values))
    fields = [me.field_for(name) for name in (*order, *sorted(set(row.values) - set(order)))]
    return ", ".join(f"{d.short_label} {value_text(d, row.values[d.name])}" for d in fields
                     if d.name in row.values)


def _columns() -> list[Column[me.EntryRow]]:
    return [Column("Achievement date", attr("achievement_date"), fmt.uk_date),
            Column("Service", attr("service_name")),
            # The status wraps rather than being cut; a reason (which can run long) is in the detail
            # below, with who did what, when.
            Column("Values", summary, tooltip=summary),
            Column("Status", attr("list_status"), tooltip=attr("status_text"),
                   background=lambda row: NEEDS_YOU.get(row.status))]


SHARED_COLUMNS = (1, 2, 3)  # Service, Values, Status


@dataclass(frozen=True)
class Loaded:
    table: Prepared[me.EntryRow]
    choices: list[me.EntryChoice]
    context: me.PracticeContext
    last_closed: me.EntryChoice | None = None  # to say when entry last closed, if nothing is open


def _read(ods: str, today: date) -> Loaded:
    """On the database worker: the entries (with the table's texts worked out), the choices and rules."""
    table = prepare(_columns(), me.entries(ods, today))
    return Loaded(table, me.choices(ods, today), me.practice_context(ods), me.last_closed(ods, today))


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


class ManualEntryPage(Page):
    """Manual entries of one practice: the list, New entry…, Open, and the selected entry's history."""

    key = "manual-entry"
    title = "Manual entry"
    intro = ("Figures CQRS cannot extract, entered by hand for each service and month, for your "
             "commissioner to approve. Drafts stay on this PC until you send them.")
    kinds = (MANUAL_ENTRY, TIMETABLE_EVENT, OUTBOX)  # changes that reload the page
    signed_out_text = "Sign in to see your practice's manual entries."

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # Checks a second person's email and password (network): replaceable, e.g. for the demo's CA.
        self.confirm_second_person: SecondPersonConfirmer = me.confirm_second_person
        self.context = me.PracticeContext()  # the practice's rule, list sizes and counts, from the cache
        self.rows: list[me.EntryRow] = []
        self.choices: list[me.EntryChoice] = []
        self.last_closed: me.EntryChoice | None = None
        self.dialog: QDialog | None = None  # the form, conflict view or chooser now open

        self.role_note = QLabel(ROLE_NEEDED.replace(" this entry, but not change it", " entries and their "
                                                                                       "history"))
        self.role_note.setWordWrap(True)
        self.role_note.setAccessibleName("Why you cannot enter figures")
        self.role_note.setStyleSheet(f"color: {ERROR};")
        self.role_note.hide()
        self.second_person_note = QLabel()
        self.second_person_note.setWordWrap(True)
        self.second_person_note.setAccessibleName("Your practice's rule for a second person")
        self.second_person_note.hide()

        self.new_button = QPushButton("New entry…")
        self.new_button.setAccessibleName("New entry")
        self.new_button.clicked.connect(self.new_entry)
        self.open_button = QPushButton("Open")
        self.open_button.setAccessibleName("Open the selected entry")
        self.open_button.clicked.connect(lambda: self.open_entry(self.selected()))
        self.open_button.setEnabled(False)
        actions = QHBoxLayout()
        actions.addWidget(self.new_button)
        actions.addWidget(self.open_button)
        actions.addStretch(1)

        # Rows grow to fit a wrapped status (a long rejection reason) rather than cutting it off.
        self.table: RecordTable[me.EntryRow] = RecordTable(_columns(), name="manual entries",
                                                           empty_message=EMPTY, wrap=True)
        # Service, values and status share what the date leaves, so none pushes another off screen at
        # large text sizes; each wraps. (The date keeps the width the table fits it to.)
        header = self.table.view.horizontalHeader()
        header.setStretchLastSection(False)  # the last is one of the three that share the room
        for column in SHARED_COLUMNS:
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        self.table.row_activated.connect(self.open_entry)
        self.table.view.selectionModel().selectionChanged.connect(lambda *_args: self._selection_changed())

        self.history_box = QGroupBox("History of the selected entry")
        self.history_box.setAccessibleName("History of the selected entry")
        self.detail = QLabel("Select an entry to see its history.")
        self.detail.setWordWrap(True)
        self.detail.setAccessibleName("Selected entry")
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # A small grid of a few steps: a QTableWidget is enough.
        self.history = QTableWidget(0, 3)
        self.history.setAccessibleName("History: who did what, when")
        self.history.setHorizontalHeaderLabels(["When", "Who", "What"])
        self.history.verticalHeader().hide()
        self.history.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.history.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        self.history.setTabKeyNavigation(False)
        history_header = self.history.horizontalHeader()
        history_header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        for column in (1, 2):  # who and what share the rest, so neither runs off at large text sizes
            history_header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        inner = QVBoxLayout(self.history_box)
        inner.addWidget(self.detail)
        inner.addWidget(self.history, 1)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.table)
        # Scrolls rather than cutting the detail off when the text is large and the window small.
        history_area = QScrollArea()
        history_area.setWidgetResizable(True)
        history_area.setFrameShape(QFrame.Shape.NoFrame)
        history_area.setWidget(self.history_box)
        history_area.setAccessibleName("History of the selected entry, scrollable")
        splitter.addWidget(history_area)
        splitter.setStretchFactor(0, 1)  # the list gets the room; the history keeps a few lines
        splitter.setStretchFactor(1, 0)
        splitter.setSizes([700, 200])  # proportions until the user drags the handle
        self.history.setMinimumHeight(self.history.fontMetrics().lineSpacing() * 4)

        self.body_layout.addWidget(self.role_note)
        self.body_layout.addWidget(self.second_person_note)
        self.body_layout.addLayout(actions)
        self.body_layout.addWidget(splitter, 1)
        self._update_actions()

    # --- the frame's loader ----------------------------------------------------------------------------

    def row_key(self, row: me.EntryRow) -> str:
        return row.key

    def practice_shown(self, access: PracticeAccess | None) -> None:
        self._update_actions()
        if access is None:
            self.rows, self.choices, self.context = [], [], me.PracticeContext()
            self.last_closed = None
            self.second_person_note.hide()
            self._selection_changed()
        else:
            self.table.set_empty_message(EMPTY)

    def loader(self, access: PracticeAccess | None, today: date) -> Callable[[], Loaded]:
        assert access is not None
        ods = access.ods
        return lambda: _read(ods, today)

    def show_result(self, result: Loaded) -> None:
        self.rows, self.choices, self.context = list(result.table.rows), result.choices, result.context
        self.last_closed = result.last_closed
        # One line on the page (room for the list at large text sizes); who holds the rule on hover.
        self.second_person_note.setText(SECOND_PERSON_RULE[result.context.second_person_required])
        self.second_person_note.setToolTip(RULE_HELD)
        self.second_person_note.setVisible(self.access is not None)
        self.table.set_prepared(result.table)
        self._selection_changed()

    # --- showing -------------------------------------------------------------------------------------

    @property
    def can_enter(self) -> bool:
        return self.access is not None and self.access.has(ACHIEVEMENT_ENTRY)

    def _update_actions(self) -> None:
        signed_in = self.access is not None
        self.role_note.setVisible(signed_in and not self.can_enter)
        self.new_button.setEnabled(self.can_enter)
        self.new_button.setToolTip("" if self.can_enter else "Needs the Achievement Entry role")

    def selected(self) -> me.EntryRow | None:
        return self.table.selected_row()

    def _selection_changed(self) -> None:
        row = self.selected()
        self.open_button.setEnabled(row is not None)
        self.history.setRowCount(0)
        if row is None:
            self.detail.setText("Select an entry to see its history.")
            return
        # The same words as the entry's form (one source): an approved entry only says it is approved.
        if row.status == me.CONFLICT:
            said = f"{row.status_text}. Open it to see both versions side by side and choose."
        elif self.can_enter:
            said = form_state(row, row.window or UNKNOWN_WINDOW, can_enter=True).sentences
        else:
            said = f"{row.status_text.rstrip('.')}."
        notes = f"\nNotes: {row.notes}" if row.notes else ""
        self.detail.setText(f"{row.service_name}, {fmt.uk_date(row.achievement_date)}: {said}{notes}")
        self.history.setRowCount(len(row.history))
        for number, step in enumerate(reversed(row.history)):  # newest first
            for column, text in enumerate((fmt.uk_datetime(step.at), step.who, step.what)):
                item = QTableWidgetItem(text)
                if column == 1:
                    item.setToolTip(step.by)  # the name is shown; the address CQRS recorded on hover
                self.history.setItem(number, column, item)
        self.history.resizeRowsToContents()  # a long name or address wraps instead of being cut

    # --- actions -------------------------------------------------------------------------------------

    def new_entry(self) -> None:
        """Choose a service and achievement date, then open its form (or the entry it already has)."""
        if not self.can_enter:
            return
        chooser = NewEntryDialog(self.choices, self.last_closed, self)
        chooser.accepted.connect(lambda: self._chosen(chooser.chosen()))
        self.dialog = chooser
        chooser.open()

    def _chosen(self, choice: me.EntryChoice | None) -> None:
        if choice is None:
            return
        existing = [row for row in self.rows if row.service == choice.service
                    and row.achievement_date == choice.achievement_date]
        # One form per service and date: a draft or change of ours first, else the entry on CQRS.
        existing.sort(key=lambda row: row.held == "CQRS")
        if existing:
            self.open_entry(existing[0])
            return
        self._open_form(me.form_for(choice.service, choice.achievement_date, self.context), None,
                        choice.window)

    def open_entry(self, row: me.EntryRow | None) -> None:
        """Open the form of ``row`` (read-only when it cannot be changed), or the conflict view."""
        if row is None or self.access is None:
            return
        try:
            form = me.form_for(row.service, row.achievement_date, self.context)
        except me.EntryRefused as error:  # e.g. a year this version has no rules for
            self.show_message(error.user_message, "error")
            return
        self.clear_message()
        if row.status == me.CONFLICT:
            # What it changes is announced on the hub by the service: this page reloads from that.
            conflict = ConflictDialog(form, row, today=self.today(), owner=self.owner,
                                      can_enter=self.can_enter, parent=self)
            self.dialog = conflict
            conflict.open()
            return
        window = row.window or UNKNOWN_WINDOW
        self._open_form(form, row, window)

    def _open_form(self, form: me.FormDefinition, row: me.EntryRow | None, window: me.EntryWindow) -> None:
        assert self.access is not None
        ods, confirm = self.access.ods, self.confirm_second_person

        def second_person(email: str, password: str, values: Any, notes: str) -> me.SecondPersonConfirmation:
            return confirm(ods, email, password, service=form.service, achievement_date=form.achievement_date,
                           values=values, notes=notes)

        dialog = EntryForm(ods, form, today=self.today(), window=window, row=row, owner=self.owner,
                           can_enter=self.can_enter,
                           require_second_person=self.context.second_person_required,
                           second_person=second_person, parent=self)
        self.dialog = dialog
        dialog.open()
