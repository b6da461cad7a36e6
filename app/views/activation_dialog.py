""""I have an activation link": set the first password with the code from the invitation email.

The password rules are shown beside the password and ticked off as the person types (the same rules the
service applies, app.services.account_rules). Like the sign-in form, the dialog does not talk to the
network itself: it is given ``activate(server, code, password)`` and runs it through the task runner.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.services import tasks
from app.services.account_rules import password_checks, password_problem
from app.views.masked_fields import guard

Activate = Callable[[str, str, str], str]  # (server, code, password) -> the activated account's email
MIN_WIDTH_CHARS = 60
MET, NOT_MET = "✓", "✗"


class ActivationDialog(QDialog):
    """The code from the email, the person's email (for the rules), and the new password twice."""

    def __init__(self, activate: Activate, *, server_url: str, email: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Activate your CQRS account")
        self.setModal(True)
        self._activate = activate
        self.server_url = server_url
        self.activated_email = ""
        intro = QLabel("Your invitation email has an activation code. It works once, for 14 days. Type it "
                       "here and choose your password.")
        intro.setWordWrap(True)
        self.code = QLineEdit()
        self.email = QLineEdit(email)
        self.email.setPlaceholderText("name@nhs.net")
        self.password = QLineEdit()
        self.again = QLineEdit()
        for widget, name in ((self.code, "Activation code"), (self.email, "Email address"),
                             (self.password, "New password"), (self.again, "New password again")):
            widget.setAccessibleName(name)
        for widget in (self.password, self.again):
            widget.setEchoMode(QLineEdit.EchoMode.Password)
        guard(self.email)
        self.rules = QLabel()
        self.rules.setWordWrap(True)
        self.rules.setAccessibleName("Password rules")
        self.message = QLabel()
        self.message.setObjectName("errorText")
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Activation problem")
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.hide()
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        form.addRow("Activation &code", self.code)
        form.addRow("&Email address", self.email)
        form.addRow("New &password", self.password)
        form.addRow("Password &again", self.again)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.activate_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.activate_button.setText("Set password")
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.rules)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        for widget in (self.email, self.password):
            widget.textChanged.connect(self._show_rules)
        self._show_rules()
        self.setMinimumWidth(MIN_WIDTH_CHARS * self.fontMetrics().averageCharWidth())
        self.code.setFocus()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._fit_height()

    def _fit_height(self) -> None:
        """Grow (never squash the fields) to the height the wrapped rules and message need."""
        layout = self.layout()
        layout.activate()
        needed = layout.totalHeightForWidth(self.width()) if layout.hasHeightForWidth() else \
            layout.totalMinimumSize().height()
        self.setMinimumHeight(needed)
        if self.height() < needed:
            self.resize(self.width(), needed)

    def _show_rules(self) -> None:
        checks = password_checks(self.password.text(), self.email.text())
        self.rules.setText("Password rules:\n" + "\n".join(
            f"{MET if check.met else NOT_MET} {check.rule}" for check in checks))

    def problem(self) -> tuple[str, QLineEdit] | None:
        if not self.code.text().strip():
            return "Type the activation code from your invitation email.", self.code
        if "@" not in self.email.text():
            return "Type your NHS email address, the one the invitation was sent to.", self.email
        if problem := password_problem(self.password.text(), self.email.text().strip()):
            return problem, self.password
        if self.again.text() != self.password.text():
            return "The two passwords are different. Type the same password twice.", self.again
        return None

    def submit(self) -> None:
        problem = self.problem()
        if problem is not None:
            self._say(problem[0], "error")
            problem[1].setFocus()
            return
        server, code, password = self.server_url, self.code.text().strip(), self.password.text()
        self._busy(True)
        self._say("Setting your password…", "info")
        tasks.run(lambda: self._activate(server, code, password), self._succeeded, self._failed, kind="net")

    def _say(self, text: str, kind: str) -> None:
        self.message.setText(text)
        self.message.setProperty("kind", kind)
        self.message.style().polish(self.message)  # the style sheet colours it by "kind"
        self.message.setVisible(bool(text))
        self._fit_height()

    def _busy(self, busy: bool) -> None:
        for widget in (self.code, self.email, self.password, self.again, self.activate_button):
            widget.setEnabled(not busy)

    def _succeeded(self, email: str) -> None:
        self.activated_email = email or self.email.text().strip()
        self.password.clear()
        self.again.clear()
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self._busy(False)
        fields = getattr(error, "fields", None) or {}  # e.g. why the service refused the password
        self._say(" ".join([tasks.describe_error(error), *map(str, fields.values())]), "error")
