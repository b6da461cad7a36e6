"""The Users page's dialogs: add a user, and edit a user's roles.

Each checks what is typed with the same rules the service applies (app.services.user_admin) and shows
every problem beside its field; neither queues anything itself: the page calls the service with what
the dialog holds once it is accepted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.services import user_admin
from app.services.rules import PRACTICE_ROLES, USER_ADMINISTRATOR
from app.services.user_admin import NewUser
from app.views import fonts
from app.views.masked_fields import guard

MIN_WIDTH_CHARS = 70
OK, CANCEL = QDialogButtonBox.StandardButton.Ok, QDialogButtonBox.StandardButton.Cancel


def _problem_label(name: str) -> QLabel:
    label = QLabel()
    label.setObjectName("errorText")
    label.setProperty("kind", "error")
    label.setWordWrap(True)
    label.setAccessibleName(name)
    label.hide()
    return label


def _say(label: QLabel, text: str | None) -> None:
    label.setText(text or "")
    label.setVisible(bool(text))


def _fit_to_screen(dialog: QDialog, scroll: QScrollArea) -> None:
    """As tall as the content needs (no scrolling at normal text sizes), but never taller than the screen."""
    screen = dialog.screen()
    limit = int(screen.availableGeometry().height() * 0.9) if screen is not None else 700
    content = scroll.widget()
    content.adjustSize()
    needed = (dialog.layout().sizeHint().height() - scroll.sizeHint().height()
              + content.sizeHint().height() + 2 * scroll.frameWidth())
    dialog.resize(dialog.minimumWidth(), min(needed, limit))


class RolePicker(QWidget):
    """A tick box per practice role with its one-line description, the hint and the warnings."""

    def __init__(self, chosen: Iterable[str] = (), *, pending: Iterable[str] = (),
                 locked: Mapping[str, str] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        chosen_set, pending_set, locked = set(chosen), set(pending), dict(locked or {})
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        hint = QLabel(user_admin.JOB_HINT)
        hint.setObjectName("hintText")
        hint.setWordWrap(True)
        layout.addWidget(hint)
        self.boxes: dict[str, QCheckBox] = {}
        for role in PRACTICE_ROLES:
            box = QCheckBox(role + (f" ({user_admin.PENDING_NOTE})" if role in pending_set else ""))
            box.setAccessibleName(role)
            box.setChecked(role in chosen_set or role in pending_set)
            description = QLabel(user_admin.ROLE_DESCRIPTIONS[role])
            description.setWordWrap(True)
            description.setIndent(24)
            layout.addWidget(box)
            layout.addWidget(description)
            if role in locked:  # e.g. the last User Administrator: kept, and the reason is shown
                box.setEnabled(False)
                reason = QLabel(locked[role])
                reason.setObjectName("errorText")
                reason.setProperty("kind", "warning")
                reason.setWordWrap(True)
                reason.setIndent(24)
                reason.setAccessibleName(f"Why {role} cannot be removed")
                layout.addWidget(reason)
            box.toggled.connect(self._update_warnings)
            self.boxes[role] = box
        self.warnings = QLabel()
        self.warnings.setObjectName("errorText")
        self.warnings.setProperty("kind", "warning")
        self.warnings.setWordWrap(True)
        self.warnings.setAccessibleName("Role warnings")
        layout.addWidget(self.warnings)
        self.problem = _problem_label("Roles problem")
        layout.addWidget(self.problem)
        self._update_warnings()

    def roles(self) -> tuple[str, ...]:
        return tuple(role for role, box in self.boxes.items() if box.isChecked())

    def _update_warnings(self) -> None:
        _say(self.warnings, "\n".join(user_admin.warnings_for(self.roles())))


class AddUserDialog(QDialog):
    """Add a person to a practice: NHS email twice, names, phones, the practice and the roles."""

    def __init__(self, practices: Sequence[tuple[str, str]], *, form: NewUser | None = None,
                 problems: Mapping[str, str] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add a user")
        self.setModal(True)
        where = f" to {practices[0][1]}" if len(practices) == 1 else ""
        intro = QLabel(f"Add a person{where}. We email them a link to set their password; it works for "
                       "14 days.")
        intro.setWordWrap(True)
        self.practice = QComboBox()
        self.practice.setAccessibleName("Practice")
        for ods, name in practices:
            self.practice.addItem(f"{name} ({ods})", ods)
        self.inputs: dict[str, QLineEdit] = {}
        self.problems: dict[str, QLabel] = {}
        fields = QFormLayout()
        fields.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        if len(practices) > 1:
            caption = QLabel("P&ractice")
            caption.setBuddy(self.practice)
            fields.addRow(caption, self.practice)
        for name, label, hint in (("email", "NHS &email", "firstname.lastname@nhs.net"),
                                  ("confirm_email", "Email &again", "type the same address again"),
                                  ("first_name", "&First name", ""), ("last_name", "&Last name", ""),
                                  ("work_phone", "&Work phone", "01632 960000"),
                                  ("mobile", "&Mobile (optional)", "07700 900123")):
            edit = QLineEdit()
            edit.setPlaceholderText(hint)
            edit.setAccessibleName(label.replace("&", ""))
            edit.textEdited.connect(lambda _text, field=name: self._check(field))
            problem = _problem_label(f"{label.replace('&', '')} problem")
            column = QVBoxLayout()
            column.setSpacing(2)
            column.addWidget(edit)
            column.addWidget(problem)
            caption = QLabel(label)
            caption.setBuddy(edit)  # Alt+letter moves to the field
            fields.addRow(caption, column)
            self.inputs[name], self.problems[name] = edit, problem
        guard(*(self.inputs[name] for name in ("email", "confirm_email", "work_phone", "mobile")))
        self.roles = RolePicker(form.roles if form else ())
        self.problems["roles"] = self.roles.problem
        self.general = _problem_label("Problem")
        buttons = QDialogButtonBox(OK | CANCEL)
        self.add_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.add_button.setText("Add user")
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)

        inner = QWidget()
        inner_layout = QVBoxLayout(inner)
        inner_layout.addWidget(intro)
        inner_layout.addLayout(fields)
        roles_heading = QLabel("Roles")
        roles_heading.setObjectName("sectionHeading")
        fonts.relative(roles_heading, 1.0, bold=True)
        inner_layout.addWidget(roles_heading)
        inner_layout.addWidget(self.roles)
        inner_layout.addStretch(1)  # spare height below the roles, not between the rows
        scroll = QScrollArea()  # at large text sizes the roles scroll rather than squash
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.general)
        layout.addWidget(buttons)
        self.setMinimumWidth(MIN_WIDTH_CHARS * self.fontMetrics().averageCharWidth())
        _fit_to_screen(self, scroll)
        if form is not None:
            self.fill(form)
        for field, text in (problems or {}).items():  # e.g. the service's refusal, beside its field
            _say(self.problems.get(field, self.general), text)
        self.inputs["email"].setFocus()

    def fill(self, form: NewUser) -> None:
        for name, edit in self.inputs.items():
            edit.setText(getattr(form, name))
        for role, box in self.roles.boxes.items():
            box.setChecked(role in form.roles)

    def form(self) -> NewUser:
        text = {name: edit.text() for name, edit in self.inputs.items()}
        return NewUser(roles=self.roles.roles(), **text)

    def chosen_practice(self) -> str:
        return str(self.practice.currentData())

    def submit(self) -> None:
        """Accept only when every field passes; otherwise each problem shows beside its field."""
        problems = user_admin.new_user_problems(self.form())
        for name, label in self.problems.items():
            _say(label, problems.get(name))
        _say(self.general, None)
        if problems:
            first = next(name for name in user_admin.FIELDS if name in problems)
            if first in self.inputs:
                self.inputs[first].setFocus()
            return
        self.accept()

    def show_refusal(self, message: str, field: str | None) -> None:
        """A check the page's service call made (shown beside ``field`` when it names one)."""
        _say(self.problems.get(field or "", self.general), message)

    def _check(self, field: str) -> None:
        """As the person types: this field's problem, once there is something to judge."""
        if field not in self.inputs or not self.inputs[field].text().strip():
            _say(self.problems[field], None)
            return
        problem = user_admin.new_user_problems(self.form()).get(field)
        if field == "confirm_email" and len(self.inputs[field].text()) < len(self.inputs["email"].text()):
            problem = None  # still typing the second copy
        _say(self.problems[field], problem)


class EditRolesDialog(QDialog):
    """Give and take away a person's roles; the last User Administrator's role is kept, with why."""

    def __init__(self, name: str, record: Mapping[str, object], *, last_admin_reason: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Roles of {name}")
        self.setModal(True)
        roles = [str(role) for role in record.get("roles") or ()]  # type: ignore[union-attr]
        pending = [str(role) for role in record.get("pending_roles") or ()]  # type: ignore[union-attr]
        locked = {USER_ADMINISTRATOR: last_admin_reason} if last_admin_reason else {}
        intro = QLabel(f"Choose what {name} may do for this practice. A role a User Administrator gives "
                       "themselves waits until a second administrator confirms it.")
        intro.setWordWrap(True)
        self.roles = RolePicker(roles, pending=pending, locked=locked)
        buttons = QDialogButtonBox(OK | CANCEL)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Save roles")
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.roles)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(scroll, 1)
        layout.addWidget(buttons)
        self.setMinimumWidth(MIN_WIDTH_CHARS * self.fontMetrics().averageCharWidth())
        _fit_to_screen(self, scroll)

    def chosen(self) -> tuple[str, ...]:
        return self.roles.roles()

    def submit(self) -> None:
        if not self.chosen():
            _say(self.roles.problem, "Leave the person at least one role, or disable them instead.")
            return
        self.accept()

    def show_refusal(self, message: str) -> None:
        _say(self.roles.problem, message)
