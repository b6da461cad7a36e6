"""Declaring from the Declarations page: the confirmation that says exactly what is declared, Declare
several…, and the message that follows each declaration afterwards."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QMessageBox, QPushButton

from app.services import declarations, tasks
from app.services import format as fmt
from app.services.declarations import DeclarationRow
from app.services.outbox import OutboxEntry
from app.services.profile import PracticeAccess
from app.views.declaration_texts import Asked, declaration_summary, follow_up, label
from app.views.declare_many_dialog import DeclareManyDialog
from app.views.page import Today
from app.views.record_table import Prepared, RecordTable


class DeclaringMixin:
    """The Declare… and Declare several… buttons' flow, for DeclarationsPage (a Page)."""

    # What the page provides.
    access: PracticeAccess | None
    owner: str | None
    finance: bool
    today: Today
    declare_button: QPushButton
    declare_many_button: QPushButton
    filter: QComboBox
    table: RecordTable[DeclarationRow]
    can_manage: bool
    _all: Prepared[DeclarationRow]
    _busy: bool
    _just_queued: set[str]
    _pinned: set[str]
    _asked: list[Asked]
    selected: Callable[[], DeclarationRow | None]
    show_message: Callable[..., None]
    _update_actions: Callable[[DeclarationRow | None], None]

    def _confirm(self, row: DeclarationRow) -> bool:
        icon = QMessageBox.Icon.Warning if row.nothing_to_pay else QMessageBox.Icon.Question
        box = QMessageBox(icon, "Declare achievement",
                          f"Declare {row.service_name} for {fmt.uk_date(row.achievement_date)}?",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, self)
        box.setInformativeText(declaration_summary(row, self.finance))
        box.button(QMessageBox.StandardButton.Yes).setText("Declare")
        box.button(QMessageBox.StandardButton.Yes).setAccessibleName("Declare")
        box.button(QMessageBox.StandardButton.Cancel).setAccessibleName("Cancel")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)  # declaring is never the accidental Enter
        box.setEscapeButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # one box per declaration, not kept
        return box.exec() == QMessageBox.StandardButton.Yes

    def _declare(self) -> None:
        row, access, owner = self.selected(), self.access, self.owner
        if row is None or access is None or not self.can_manage or not self.declare_button.isEnabled():
            return
        if owner is None:
            self.show_message("Sign in again to declare: this PC does not know who you are.", "error")
            return
        if not self._confirm(row):
            return
        self._busy = True
        self._update_actions(row)
        ods, today = access.ods, self.today()
        # The service queues it in the owner's name and tells the hub (this page then reloads).
        tasks.run(lambda: declarations.declare(ods, row.service, row.achievement_date, today, owner=owner),
                  lambda entry: self._queued(row, entry), self._declare_failed)

    def _queued(self, row: DeclarationRow, entry: OutboxEntry) -> None:
        self._busy = False
        self._just_queued.add(row.key)
        self._pinned.add(row.key)
        self._asked = [Asked(row.key, label(row), entry.key)]
        self._follow_up()
        self._update_actions(self.selected())

    def _declare_many(self) -> None:
        access, owner = self.access, self.owner
        if access is None or not self.can_manage or not self.declare_many_button.isEnabled():
            return
        if owner is None:
            self.show_message("Sign in again to declare: this PC does not know who you are.", "error")
            return
        shown = self.table.shown_rows()
        selected = self.selected()
        dialog = DeclareManyDialog(self._all.rows, shown, str(self.filter.currentData()),
                                   finance=self.finance, parent=self,
                                   month=selected.achievement_date if selected is not None else None)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        if dialog.exec() != DeclareManyDialog.DialogCode.Accepted:
            return
        chosen = dialog.chosen()
        if not chosen:
            return
        self._busy = True
        self._update_actions(selected)
        ods, today, keys = access.ods, self.today(), [row.key for row in chosen]
        labels = {row.key: label(row) for row in chosen}
        tasks.run(lambda: declarations.declare_many(ods, keys, today, owner=owner),
                  lambda outcomes: self._queued_many(outcomes, labels), self._declare_failed)

    def _queued_many(self, outcomes: list[declarations.Outcome], labels: dict[str, str]) -> None:
        self._busy = False
        queued = {outcome.key for outcome in outcomes if outcome.entry is not None}
        self._just_queued |= queued
        self._pinned |= queued
        self._asked = [Asked(outcome.key, labels.get(outcome.key, outcome.key),
                             outcome.entry.key if outcome.entry is not None else None, outcome.refused)
                       for outcome in outcomes]
        self._follow_up()
        self._update_actions(self.selected())

    def _follow_up(self) -> None:
        """The message about the last declaring, worded from where each declaration has got to now."""
        if self._asked:
            rows = {row.key: row for row in self._all.rows}
            self.show_message(*follow_up(self._asked, rows))

    def _declare_failed(self, error: BaseException) -> None:
        self._busy = False
        self.show_message(tasks.describe_error(error), "error")
        self._update_actions(self.selected())
