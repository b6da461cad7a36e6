"""The Users page: a practice's users, their status and roles, and what a User Administrator can do.

User Administrators see everyone (name, email, work phone, status, roles) and can add a user, edit
roles, confirm a role someone gave themselves, resend an activation link, disable and re-enable (users are
never deleted). Everyone else sees only their own record, and why. Each change is queued in the outbox
(app.services.user_admin) and shows as waiting until it is sent; a refusal shows on the person's row.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QGridLayout, QLabel, QPushButton, QWidget

from app.services import screen_share, tasks, user_admin, user_list
from app.services.profile import USER_ADMINISTRATOR, PracticeAccess
from app.services.record_types import OUTBOX, USER
from app.services.user_admin import NewUser
from app.services.user_list import UserRow, UsersView
from app.views.page import Page
from app.views.record_table import Column, Prepared, RecordTable, prepare
from app.views.user_dialogs import AddUserDialog, EditRolesDialog

BUTTONS_PER_ROW = 3
DISABLED = ("disabled here", "account disabled")
EMPTY = "No users have been synced yet."
ADMIN_INTRO = "People who can use CQRS for this practice, their status and their roles."
Loaded = tuple[Prepared[UserRow], UsersView, list[tuple[str, str]], Path | None]


def user_columns() -> list[Column[UserRow]]:
    return [Column("Name", lambda row: row.name), Column("Email", lambda row: row.email),
            Column("Work phone", lambda row: row.work_phone), Column("Status", lambda row: row.status),
            Column("Roles", lambda row: row.role_text, tooltip=lambda row: row.role_text),
            Column("Waiting or refused", lambda row: row.note, tooltip=lambda row: row.note or None)]


def _administered(current: PracticeAccess) -> list[tuple[str, str]]:
    """On the database worker: the practices the signed-in person administers, the one shown first."""
    from app.services.profile import load_profile

    profile = load_profile()
    others = [(p.ods, p.name) for p in (profile.practices if profile else ())
              if p.ods != current.ods and p.has(USER_ADMINISTRATOR)]
    return [(current.ods, current.name), *others]


def _read(access: PracticeAccess, owner: str | None, today: date) -> Loaded:
    admin = access.has(USER_ADMINISTRATOR)
    view = user_list.load(access.ods, owner=owner, administrator=admin, own_roles=access.roles, today=today)
    mailbox = user_list.demo_mailbox() if admin else None
    return prepare(user_columns(), view.rows), view, _administered(access) if admin else [], mailbox


class UsersPage(Page):
    key = "users"
    title = "Users"
    intro = ADMIN_INTRO
    kinds = (USER, OUTBOX)
    signed_out_text = "Sign in to see your practice's users."
    message_name = "Users result"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view: UsersView | None = None
        self.practices: list[tuple[str, str]] = []
        self.mailbox: Path | None = None  # the demo's mail folder, where its activation links arrive
        self.table: RecordTable[UserRow] = RecordTable(user_columns(), name="users", empty_message=EMPTY)
        self.table.view.selectionModel().selectionChanged.connect(lambda *_: self._update_actions())
        self.buttons: dict[str, QPushButton] = {}
        actions = QGridLayout()  # rows of three: they fit 1024 px wide at twice the text size
        for position, (name, text, tip, slot) in enumerate((
                ("add", "&Add user…", "Add a person to this practice", self.add_user),
                ("roles", "Edit &roles…", "Give or take away roles of the selected person", self.edit_roles),
                ("confirm", "&Confirm role", "Confirm a role the person gave themselves", self.confirm),
                ("resend", "Re&send activation", "Email the person a new activation link", self.resend),
                ("disable", "&Disable", "Turn off the person's access (never deleted)", self.disable),
                ("enable", "Re-&enable", "Turn the selected person's access back on", self.enable),
                ("fix", "&Fix and send again…", "Correct a refused new user and send it again", self.fix))):
            button = QPushButton(text)
            button.setAccessibleName(text.replace("&", "").rstrip("…"))
            button.setToolTip(tip)
            button.clicked.connect(slot)
            actions.addWidget(button, position // BUTTONS_PER_ROW, position % BUTTONS_PER_ROW)
            self.buttons[name] = button
        actions.setColumnStretch(BUTTONS_PER_ROW, 1)
        self.mailbox_button = QPushButton("Open the demo's &mail folder")
        self.mailbox_button.setAccessibleName("Open the demo's mail folder")
        self.mailbox_button.setToolTip("The demo sends no real email: activation links are saved here.")
        self.mailbox_button.clicked.connect(self.open_mailbox)
        self.mailbox_button.hide()
        actions.addWidget(self.mailbox_button, actions.rowCount(), 0, 1, BUTTONS_PER_ROW)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.hint.setAccessibleName("About the selected user")
        self.body_layout.addWidget(self.table, 1)
        self.body_layout.addLayout(actions)
        self.body_layout.addWidget(self.hint)
        self._update_actions()

    # --- the frame's loader ----------------------------------------------------------------------------

    def row_key(self, row: UserRow) -> str:
        return row.key

    def loader(self, access: PracticeAccess | None, today: date) -> Callable[[], Loaded]:
        assert access is not None
        owner = self.owner
        return lambda: _read(access, owner, today)

    def show_result(self, result: Loaded) -> None:
        prepared, self.view, self.practices, self.mailbox = result
        self.mailbox_button.setVisible(self.mailbox is not None)
        self.table.set_prepared(prepared)
        admin = self.view.administrator
        self.intro_label.setText(ADMIN_INTRO if admin else (
            f"You can see only your own record. Adding people and changing roles for "
            f"{self.access.name if self.access else 'this practice'} needs the User Administrator role: "
            "ask your practice's User Administrator."))
        if not prepared.rows:
            self.table.set_empty_message(EMPTY)
        self._update_actions()

    # --- actions ---------------------------------------------------------------------------------------

    @property
    def administrator(self) -> bool:
        return self.view is not None and self.view.administrator

    def selected(self) -> UserRow | None:
        return self.table.selected_row()

    def _update_actions(self) -> None:
        row, admin, access = self.selected(), self.administrator, self.access
        records = self.view.records if self.view else []
        mine = row is not None and user_list.same_person(row.email, self.owner)
        existing = row is not None and row.user_id is not None and admin and not row.waiting
        last = existing and row is not None and user_admin.is_last_admin(records, row.user_id)
        status = row.record.get("status") if row is not None else None
        states = {
            "add": admin,
            "roles": existing,
            "confirm": existing and bool(row and row.pending_roles) and not mine,
            "resend": existing and status in ("invited", "activation expired"),
            "disable": existing and not mine and not last and status not in DISABLED,
            "enable": existing and not mine and status in DISABLED,
            "fix": admin and row is not None and row.item_key is not None,
        }
        for name, button in self.buttons.items():
            if button.isHidden() == admin:  # showing or hiding restyles and lays out: only on a change
                button.setVisible(admin)
            button.setEnabled(bool(states[name]))
        hints = []
        if row is not None and row.note:
            hints.append(row.note)
        if last and row is not None and access is not None:
            hints.append(user_admin.last_admin_message(row.record, access.name))
        elif mine and admin:
            hints.append("You cannot disable yourself or confirm your own roles: another User Administrator "
                         "must.")
        self.hint.setText(screen_share.shown(" ".join(hints)))
        self.hint.setVisible(bool(hints))

    def _queue(self, op: Callable[[], Any], done: str) -> None:
        """Queue a change through the service in the owner's name; the hub then reloads this page."""
        if self.owner is None:
            self.show_message("Sign in again to change users: this PC does not know who you are.", "error")
            return
        tasks.run(op, lambda _result: self.show_message(done, "info"), self._refused)

    def _refused(self, error: BaseException) -> None:
        self.show_message(tasks.describe_error(error), "error")

    def add_user(self, form: NewUser | None = None, problems: dict[str, str] | None = None,
                 key: str | None = None) -> AddUserDialog | None:
        if not self.administrator or self.owner is None:
            return None
        dialog = AddUserDialog(self.practices or [], form=form, problems=problems, parent=self)
        dialog.accepted.connect(lambda: self._add(dialog, key))
        dialog.open()
        return dialog

    def _add(self, dialog: AddUserDialog, key: str | None) -> None:
        ods, form, owner = dialog.chosen_practice(), dialog.form(), self.owner or ""
        done = (f"{form.first_name.strip()} {form.last_name.strip()} will be added when this PC next "
                "reaches CQRS; they are then emailed an activation link.")
        if key is not None:
            self._queue(lambda: user_admin.resend_new_user(key, form, owner=owner), done)
        else:
            self._queue(lambda: user_admin.add_user(ods, form, owner=owner), done)

    def fix(self) -> None:
        row = self.selected()
        if row is not None and row.item_key is not None:
            body = {"email": row.email, "first_name": row.name.partition(" ")[0],
                    "last_name": row.name.partition(" ")[2], "work_phone": row.work_phone,
                    "mobile": row.mobile, "roles": list(row.roles)}
            self.add_user(NewUser.from_body(body), row.problems, row.item_key)

    def edit_roles(self) -> EditRolesDialog | None:
        row, access = self.selected(), self.access
        if row is None or access is None or row.user_id is None or self.view is None:
            return None
        records = self.view.records
        reason = (user_admin.last_admin_message(row.record, access.name)
                  if user_admin.is_last_admin(records, row.user_id) else None)
        who = screen_share.shown(row.name or row.email)
        dialog = EditRolesDialog(who, row.record, last_admin_reason=reason, parent=self)
        ods, owner, record = access.ods, self.owner or "", row.record
        dialog.accepted.connect(lambda: self._queue(
            lambda: user_admin.change_roles(ods, record, dialog.chosen(), owner=owner,
                                            practice_name=access.name, others=records),
            f"The role changes for {who} will be sent when this PC next reaches CQRS."))
        dialog.open()
        return dialog

    def _on_selected(self, op: Callable[[str, dict[str, Any], str], Any], done: str) -> None:
        row, access = self.selected(), self.access
        if row is None or access is None or row.user_id is None:
            return
        ods, record, owner = access.ods, row.record, self.owner or ""
        who = screen_share.shown(row.name or row.email)
        self._queue(lambda: op(ods, record, owner), done.format(name=who))

    def confirm(self) -> None:
        def confirm_all(ods: str, record: dict[str, Any], owner: str) -> list[Any]:
            return [user_admin.confirm_role(ods, record, role, owner=owner)
                    for role in record.get("pending_roles") or ()]
        self._on_selected(confirm_all, "Confirming {name}'s roles: sent when this PC next reaches CQRS.")

    def resend(self) -> None:
        self._on_selected(lambda ods, record, owner: user_admin.resend_activation(ods, record, owner=owner),
                          "A new activation link for {name} will be sent when this PC next reaches CQRS; "
                          "the old link then stops working.")

    def disable(self) -> None:
        name, records = (self.access.name if self.access else ""), (self.view.records if self.view else [])
        self._on_selected(lambda ods, record, owner: user_admin.disable(
            ods, record, owner=owner, practice_name=name, others=records),
            "{name} will be disabled when this PC next reaches CQRS. They are not deleted: re-enable them "
            "at any time.")

    def open_mailbox(self) -> None:
        if self.mailbox is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.mailbox)))

    def enable(self) -> None:
        self._on_selected(lambda ods, record, owner: user_admin.enable(ods, record, owner=owner),
                          "{name} will be re-enabled when this PC next reaches CQRS.")

