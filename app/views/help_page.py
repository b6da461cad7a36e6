"""The Help page: the user guide, then the facts the help desk asks for during a screen-sharing session.

It is the same whoever is signed in, so it opts out of per-practice loading; the guide is still read
through the task runner (no file reading on the GUI thread).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from PySide6.QtWidgets import QTextBrowser, QWidget

from app.services.profile import PracticeAccess
from app.views.page import Page

GUIDE = Path(__file__).resolve().parents[2] / "resources" / "help" / "guide.md"


@dataclass(frozen=True)
class InstallationFacts:
    version: str
    server: str
    signed_in_as: str
    data_folder: str
    log_file: str
    sign_in_kept: str  # where the sign-in is remembered


def _markdown_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("*", "\\*").replace("_", "\\_")


def read_guide() -> str:
    return GUIDE.read_text(encoding="utf-8")


class HelpPage(Page):
    key = "help"
    title = "Help"
    per_practice = False

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(True)
        self.browser.setAccessibleName("Help text")
        self.body_layout.addWidget(self.browser, 1)
        self._guide: str | None = None
        self._facts: InstallationFacts | None = None

    def loader(self, access: PracticeAccess | None, today: date) -> Callable[[], str]:
        return read_guide

    def show_result(self, result: str) -> None:
        self._guide = result
        self._show()

    def show_facts(self, facts: InstallationFacts | None) -> None:
        self._facts = facts
        self._show()

    def _show(self) -> None:
        if self._guide is None:
            return  # the facts are shown with the guide once it has been read
        text = self._guide
        facts = self._facts
        if facts is not None:
            rows = [("Version", facts.version), ("CQRS server", facts.server),
                    ("Signed in as", facts.signed_in_as), ("Sign-in remembered", facts.sign_in_kept),
                    ("Data folder", facts.data_folder), ("Log file", facts.log_file)]
            table = "\n".join(f"| {name} | {_markdown_escape(value)} |" for name, value in rows)
            text += f"\n## About this installation\n\n| | |\n|---|---|\n{table}\n"
        self.browser.setMarkdown(text)
