"""The sign-in form: server address, email and password, with the reason in plain English when it fails.

The dialog does not talk to the network itself: it is given a ``sign_in(server, email, password)``
callable, runs it through the task runner and shows what it returns or raises. When the server's
certificate is not trusted, it offers to import the practice's own CA file (app.views.ca_import):
never the certificate the server presented.
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
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.services import tasks
from app.views.masked_fields import guard

SignIn = Callable[[str, str, str], Any]
UseCaFile = Callable[[str], None]
Activate = Callable[[str, str, str], str]  # (server, activation code, password) -> the account's email
WHERE_THE_ADDRESS_COMES_FROM = ("Your practice's IT team gives you the server address, or it is set for "
                                "you by your site's configuration.")
CA_SET_BY_SITE = ("Your site's configuration chooses which certificates are trusted, so it cannot be "
                  "changed here: ask your practice's IT team.")
SERVER_SET_BY_SITE = ("Set by your practice: your site's configuration chooses the CQRS server, so it cannot "
                      "be changed here. Ask your practice's IT team.")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MIN_WIDTH_CHARS, MIN_WIDTH_PX = 60, 420


class SignInDialog(QDialog):
    abandoned = Signal(object)  # what sign_in returned after the dialog was cancelled
    def __init__(self, sign_in: SignIn, *, server_url: str = "", email: str = "", message: str = "",
                 server_editable: bool = True, use_ca_file: UseCaFile | None = None,
                 ca_from_site: bool = False, activate: Activate | None = None,
                 server_from_site: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sign in to CQRS")
        self.setModal(True)
        self._sign_in = sign_in
        self.result_value: Any = None
        self._server_editable = server_editable
        self._use_ca_file = use_ca_file
        self.ca_confirm: QDialog | None = None  # the fingerprint check, while it is open

        intro = QLabel(message or "Sign in with your NHS email address and your CQRS password.")
        intro.setWordWrap(True)
        # A first start knows no address yet: say where it comes from.
        self.where = QLabel(WHERE_THE_ADDRESS_COMES_FROM)
        self.where.setWordWrap(True)
        self.where.setVisible(not server_url and server_editable)
        self.server = QLineEdit(server_url)
        self.server.setPlaceholderText("https://cqrs.example.nhs.uk")
        self.server.setEnabled(server_editable)
        if server_from_site:
            self.server.setToolTip(SERVER_SET_BY_SITE)
            self.server.setAccessibleDescription(SERVER_SET_BY_SITE)
        self.email = QLineEdit(email)
        self.email.setPlaceholderText("name@nhs.net")
        guard(self.email)
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
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy while signing in
        self.progress.setTextVisible(False)
        self.progress.setAccessibleName("Signing in")
        self.progress.hide()
        self.import_ca = QPushButton("Use your practice's certificate file…")
        self.import_ca.setAccessibleName("Use your practice's certificate file")
        self.import_ca.clicked.connect(self._choose_ca_file)
        self.import_ca.setEnabled(use_ca_file is not None and not ca_from_site)
        self.import_ca.setToolTip(CA_SET_BY_SITE if ca_from_site else "")
        self.ca_reason = QLabel(CA_SET_BY_SITE if ca_from_site else "")
        self.ca_reason.setWordWrap(True)
        self.import_ca.hide()
        self.ca_reason.hide()

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
        self._activate = activate
        self.activation_button = self.buttons.addButton("I have an activation link",
                                                        QDialogButtonBox.ButtonRole.ActionRole)
        self.activation_button.setVisible(activate is not None)
        self.activation_button.clicked.connect(self.open_activation)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.where)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.progress)
        layout.addWidget(self.import_ca)
        layout.addWidget(self.ca_reason)
        layout.addWidget(self.buttons)
        # Wide enough for an address and a sentence at any text size; taller as its message needs.
        self.setMinimumWidth(max(MIN_WIDTH_PX, MIN_WIDTH_CHARS * self.fontMetrics().averageCharWidth()))
        self.first_empty_field().setFocus()

    def open_activation(self) -> QDialog | None:
        """Set the first password with the invitation's code (app.views.activation_dialog)."""
        from app.views.activation_dialog import ActivationDialog

        server = self.server.text().strip()
        if self._activate is None:
            return None
        if not server.startswith("https://") or len(server) <= len("https://"):
            self.show_error("Enter the server address your practice was given first; it starts with https://.",
                            self.server)
            return None
        dialog = ActivationDialog(self._activate, server_url=server, email=self.email.text().strip(),
                                  parent=self)
        dialog.accepted.connect(lambda: self._activated(dialog.activated_email))
        dialog.open()
        return dialog

    def _activated(self, email: str) -> None:
        self.email.setText(email)
        self._say("Your password is set. Type it here to sign in.", "info")
        self.password.setFocus()

    def first_empty_field(self) -> QLineEdit:
        """Where typing starts: the first field still empty (the password when the rest is known)."""
        fields = (self.server, self.email) if self._server_editable else (self.email,)
        return next((field for field in fields if not field.text().strip()), self.password)

    def submit(self) -> None:
        """Check the fields here first, then sign in in the background."""
        server, email, password = self.server.text().strip(), self.email.text().strip(), self.password.text()
        problem = self._problem(server, email, password)
        if problem:
            self.show_error(*problem)
            return
        self._busy(True)
        self.import_ca.hide()
        self.ca_reason.hide()
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
        self.first_empty_field().setFocus()
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
        self.progress.setVisible(busy)
        self._fit_height()

    def _succeeded(self, result: Any) -> None:
        self.password.clear()
        if not self.isVisible():  # cancelled while signing in: that session must not stay behind
            self.abandoned.emit(result)
            return
        self.result_value = result
        self.accept()

    def _failed(self, error: BaseException) -> None:
        from app.services.api_client import CertificateNotTrusted  # loaded by the sign-in by now

        self._busy(False)
        self.password.clear()
        untrusted = isinstance(error, CertificateNotTrusted) and self._server_editable
        self.import_ca.setVisible(untrusted)
        self.ca_reason.setVisible(untrusted and bool(self.ca_reason.text()))
        self.show_error(tasks.describe_error(error), self.password)

    def _choose_ca_file(self) -> None:
        from app.views.ca_import import choose_file

        choose_file(self, self.check_ca_file)

    def check_ca_file(self, path: str) -> None:
        """Show the fingerprint of the CA file at ``path``; trusted only once the person confirms."""
        from app.views.ca_import import CaConfirmDialog, confirm_file

        def shown(dialog: CaConfirmDialog) -> None:
            self.ca_confirm = dialog

        confirm_file(self, path, self._ca_file_chosen, shown, self.show_error)

    def _ca_file_chosen(self, path: str) -> None:
        assert self._use_ca_file is not None
        self._use_ca_file(path)
        self.import_ca.hide()
        self._say("Your practice's certificate is now trusted. Enter your password and sign in again.",
                  "info")
        self.password.setFocus()
