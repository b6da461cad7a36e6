"""The Manual entry page: every entry of the practice with its status in words (drafts on this PC,
queued, submitted, approved, rejected with the commissioner's reason, conflicts), "New entry…" and
"Open", and below the list the selected entry's state in words and its history (who did what, when).

The list comes first at every text size: the details below it get what is left once the list shows a
few whole rows (and scroll), the columns share the width by need so rows stay low, and the user can
drag the divider.

Entries are read in the background (app.services.manual_entry on the database worker); the forms are
in app.views.manual_entry_form.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QResizeEvent, QShowEvent
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QSplitter, QWidget

from app.services import format as fmt
from app.services import manual_entry as me
from app.services.entry_form_state import ROLE_NEEDED, form_state
from app.services.profile import ACHIEVEMENT_ENTRY, PracticeAccess
from app.services.record_types import MANUAL_ENTRY, OUTBOX, TIMETABLE_EVENT
from app.views.entry_details import EntryDetails
from app.views.entry_dialogs import ConflictDialog, NewEntryDialog
from app.views.entry_widgets import ERROR, value_text
from app.views.manual_entry_form import EntryForm
from app.views.page import Page
from app.views.record_table import ROW_PADDING, Column, Prepared, RecordTable, attr, prepare
from app.views.width_by_need import WidthByNeed

# (ods, email, password, *, service, achievement_date, values, notes) -> who checked and their check token
SecondPersonConfirmer = Callable[..., me.SecondPersonConfirmation]
EMPTY = "No manual entries yet. Use New entry… to enter the figures CQRS cannot extract."
SECOND_PERSON_RULE = {
    True: ("Your practice requires a second person (Declaration Management or Supervisor) to check manual "
           "entries before they are sent."),
    False: "Your practice does not require a second person to check manual entries before they are sent.",
}
ABOUT = ("Figures CQRS cannot extract, entered by hand for each service and month, for your commissioner "
         "to approve. Drafts stay on this PC until you send them.")
RULE_HELD = "This is a practice setting held by CQRS; your practice's User Administrator can change it."
UNKNOWN_WINDOW = me.EntryWindow(False, "The entry window is not known yet. Sync, then try again.")
FEW_ROWS = 3  # the list keeps at least this many whole rows when the details below it are given room
DETAILS_SHARE = 1 / 3  # at most this part of the height goes to the selected entry's details
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


class ManualEntryPage(Page):
    """Manual entries of one practice: the list, New entry…, Open, and the selected entry's history."""

    key = "manual-entry"
    title = "Manual entry"
    intro = ""  # below the list (ABOUT), so the list keeps its rows at large text sizes
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
        # Service, values and status share what the date leaves, each by what its texts need, so none
        # wraps much more than another at large text sizes; the date is as wide as its header needs.
        self.widths = WidthByNeed(self.table, SHARED_COLUMNS, fitted=(0,))
        self.table.row_activated.connect(self.open_entry)
        self.table.view.selectionModel().selectionChanged.connect(lambda *_args: self._selection_changed())

        # Below the list, what the selected entry's state means, its history, what the page is for and the
        # practice's rule:
        # in a pane that scrolls, so the list keeps its rows when the text is large.
        self.details = EntryDetails(ABOUT)
        self.detail, self.history = self.details.detail, self.details.history
        self.second_person_note = self.details.second_person_note
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.details)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 0)
        self._divider_moved = False  # by the user: their choice is kept until the text size changes
        self.splitter.splitterMoved.connect(self._user_moved_divider)
        self._fit_timer = QTimer(self)
        self._fit_timer.setSingleShot(True)
        self._fit_timer.timeout.connect(self.fit_split)

        self.body_layout.addWidget(self.role_note)
        self.body_layout.addLayout(actions)
        self.body_layout.addWidget(self.splitter, 1)
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
        # Below the selected entry (room for the list at large text sizes); who holds the rule on hover.
        self.second_person_note.setText(SECOND_PERSON_RULE[result.context.second_person_required])
        self.second_person_note.setToolTip(RULE_HELD)
        self.second_person_note.setVisible(self.access is not None)
        self.table.set_prepared(result.table)
        self._selection_changed()
        self._fit_timer.start(0)  # after the columns are shared for these rows

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
        if row is None:
            self.details.show_entry(None if self.rows else "")
            return
        # The same words as the entry's form (one source): an approved entry only says it is approved.
        if row.status == me.CONFLICT:
            said = f"{row.status_text}. Open it to see both versions side by side and choose."
        elif self.can_enter:
            said = form_state(row, row.window or UNKNOWN_WINDOW, can_enter=True).sentences
        else:
            said = f"{row.status_text.rstrip('.')}."
        notes = f"\nNotes: {row.notes}" if row.notes else ""
        self.details.show_entry(f"{row.service_name}, {fmt.uk_date(row.achievement_date)}: {said}{notes}",
                                row.history)

    # --- the list first, at any text size ------------------------------------------------------------

    def fit_split(self) -> None:
        """Give the list room for a few whole rows first; the details below get the rest, up to a share
        of the height (they scroll), and never less than two lines. A divider the user moved stays."""
        self.widths.share()  # the row heights below follow the columns' widths
        view = self.table.view
        if self._divider_moved or not self.rows or not view.isVisible():
            return
        total = sum(self.splitter.sizes())
        top = max(0, view.rowAt(0))
        shown = range(top, min(top + FEW_ROWS, self.table.proxy.rowCount()))
        rows = sum(view.sizeHintForRow(row) + ROW_PADDING for row in shown)
        chrome = self.table.height() - view.viewport().height()  # the filter, the header and frames
        details = max(self.details.floor(), min(total - chrome - rows - 1, int(total * DETAILS_SHARE)))
        if self.splitter.sizes() != [total - details, details]:
            self.splitter.setSizes([total - details, details])

    def _user_moved_divider(self, _position: int, _index: int) -> None:
        self._divider_moved = True

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_timer.start(0)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._fit_timer.start(0)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # a new text size: the list's rows change height
            self._divider_moved = False
            self._fit_timer.start(0)

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
