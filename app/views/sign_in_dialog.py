"""The sign-in form: server address, email and password, with the reason in plain English when it fails.

The dialog does not talk to the network itself: it is given a ``sign_in(server, email, password)``
callable, runs it through the task runner and shows what it returns or raises.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
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

SignIn = Callable[[str, str, str], Any]
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MIN_WIDTH_CHARS, MIN_WIDTH_PX = 60, 420


class SignInDialog(QDialog):
    abandoned = Signal(object)  # what sign_in returned after the dialog was cancelled
    def __init__(self, sign_in: SignIn, *, server_url: str = "", email: str = "", message: str = "",
                 server_editable: bool = True, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sign in to CQRS")
        self.setModal(True)
        self._sign_in = sign_in
        self.result_value: Any = None
        self._server_editable = server_editable

        intro = QLabel(message or "Sign in with your NHS email address and your CQRS password.")
        intro.setWordWrap(True)
        self.server = QLineEdit(server_url)
        self.server.setPlaceholderText("https://cqrs.example.nhs.uk")
        self.server.setEnabled(server_editable)
        self.email = QLineEdit(email)
        self.email.setPlaceholderText("name@nhs.net")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        for widget, name in ((self.server, "Server address"), (self.email, "Email address"),
                             (self.password, "Password")):
            widget.setAccessibleName(name)
        self.error = QLabel()
        self.error.setObjectName("errorText")
        self.error.setWordWrap(True)
        self.error.setAccessibleName("Sign-in problem")
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.hide()

        form = QFormLayout()
        form.addRow("&Server address", self.server)
        form.addRow("&Email address", self.email)
        form.addRow("&Password", self.password)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.sign_in_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.sign_in_button.setText("Sign in")
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        # Wide enough for an address and a sentence at any text size; taller as its message needs.
        self.setMinimumWidth(max(MIN_WIDTH_PX, MIN_WIDTH_CHARS * self.fontMetrics().averageCharWidth()))
        (self.password if email else self.email).setFocus()

    def submit(self) -> None:
        """Check the fields here first, then sign in in the background."""
        server, email, password = self.server.text().strip(), self.email.text().strip(), self.password.text()
        problem = self._problem(server, email, password)
        if problem:
            self.show_error(*problem)
            return
        self._busy(True)
        self._say("Signing in…", "info")
        tasks.run(lambda: self._sign_in(server, email, password), self._succeeded, self._failed, kind="net")

    def show_error(self, message: str, field: QLineEdit | None = None) -> None:
        self._say(message, "error")
        if field is not None:
            field.setFocus()
            field.selectAll()

    def _say(self, text: str, kind: str) -> None:
        self.error.setText(text)
        self.error.setProperty("kind", kind)
        self.error.style().polish(self.error)  # the style sheet colours it by "kind"
        self.error.show()
        self._fit_height()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._fit_height()  # a long first message (why sign-in is needed) wraps without squashing

    def _fit_height(self) -> None:
        """Grow (never squash the fields) to the height the wrapped message needs at this width."""
        layout = self.layout()
        layout.activate()
        needed = layout.totalHeightForWidth(self.width()) if layout.hasHeightForWidth() else \
            layout.totalMinimumSize().height()
        self.setMinimumHeight(needed)
        if self.height() < needed:
            self.resize(self.width(), needed)

    def _problem(self, server: str, email: str, password: str) -> tuple[str, QLineEdit] | None:
        if not server.startswith("https://") or len(server) <= len("https://"):
            return "Enter the server address your practice was given; it starts with https://.", self.server
        if not EMAIL.fullmatch(email):
            return "Enter your email address, for example name@nhs.net.", self.email
        if not password:
            return "Enter your password.", self.password
        return None

    def _busy(self, busy: bool) -> None:
        for widget in (self.email, self.password, self.sign_in_button):
            widget.setEnabled(not busy)
        self.server.setEnabled(not busy and self._server_editable)

    def _succeeded(self, result: Any) -> None:
        self.password.clear()
        if not self.isVisible():  # cancelled while signing in: that session must not stay behind
            self.abandoned.emit(result)
            return
        self.result_value = result
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self._busy(False)
        self.password.clear()
        self.show_error(tasks.describe_error(error), self.password)
