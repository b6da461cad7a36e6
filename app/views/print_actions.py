"""The window's one set of printing actions: Print… (Ctrl+P), Print preview… and Export PDF…, for the page on
screen. A page says what it prints through ``Page.printable``; everything goes through
``app.views.print_document`` (the report is built on the task runner and painted on a worker)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QSizePolicy, QToolButton, QWidget

from app.views import print_document
from app.views.page import Page

NOTHING_TO_PRINT = ("There is nothing to print on this page. Open the Dashboard on a QOF year to print its "
                    "achievement summary.")

PREPARING = "Preparing the report for printing…"


class PrintActions:
    """The actions (added to ``window`` so their shortcuts work anywhere in it) and a button with them."""

    def __init__(self, window: QWidget, current_page: Callable[[], Page], printed_by: Callable[[], str],
                 say: Callable[[str], None]) -> None:
        self.window, self.current_page, self.printed_by, self.say = window, current_page, printed_by, say
        self.print_action = QAction("Print…", window)
        self.print_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Print))
        self.print_action.triggered.connect(self.print_page)
        self.preview_action = QAction("Print preview…", window)
        self.preview_action.triggered.connect(self.preview_page)
        self.pdf_action = QAction("Export PDF…", window)
        self.pdf_action.triggered.connect(self.export_page)
        for action in (self.print_action, self.preview_action, self.pdf_action):
            window.addAction(action)
        self.button = QToolButton()
        self.button.setText("Print")
        self.button.setAccessibleName("Print")
        self.button.setToolTip("Print the page on screen (Ctrl+P), preview it, or save it as a PDF")
        self.button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)  # the list's width
        menu = QMenu(self.button)
        menu.addActions([self.print_action, self.preview_action, self.pdf_action])
        self.button.setMenu(menu)

    def _maker(self) -> print_document.Maker | None:
        make = self.current_page().printable(self.printed_by())
        self.say(NOTHING_TO_PRINT if make is None else PREPARING)  # drawing the charts takes a few seconds
        return make

    def _failed(self, error: BaseException) -> None:
        self.say(print_document.failure_message(error))

    def print_page(self) -> None:
        if (make := self._maker()) is not None:
            print_document.print_with_dialog(self.window, make, failed=self._failed, printed=self._printed)

    def _printed(self, pages: int) -> None:
        self.say(f"Sent {pages} page{'s' * (pages != 1)} to the printer.")

    def preview_page(self) -> None:
        page = self.current_page()
        if (make := self._maker()) is not None:
            print_document.preview(self.window, make, failed=self._failed, pdf_name=page.print_name())

    def export_page(self) -> None:
        page = self.current_page()
        if (make := self._maker()) is None:
            return
        if (target := print_document.ask_pdf_path(self.window, page.print_name())) is None:
            return
        print_document.export_pdf(target, make, done=lambda written: self.say(f"Saved {written}."),
                                  failed=self._failed)
