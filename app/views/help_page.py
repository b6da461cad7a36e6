"""The Help page: the user guide, then the facts the help desk asks for during a screen-sharing session."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import QLabel, QTextBrowser, QVBoxLayout, QWidget

from app.views import fonts

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


class HelpPage(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("page-help")
        heading = QLabel("Help")
        heading.setObjectName("pageHeading")
        fonts.relative(heading, fonts.HEADING, bold=True)
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(True)
        self.browser.setAccessibleName("Help text")
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.browser, 1)
        self._guide = GUIDE.read_text(encoding="utf-8")
        self.show_facts(None)

    def show_facts(self, facts: InstallationFacts | None) -> None:
        text = self._guide
        if facts is not None:
            rows = [("Version", facts.version), ("CQRS server", facts.server),
                    ("Signed in as", facts.signed_in_as), ("Sign-in remembered", facts.sign_in_kept),
                    ("Data folder", facts.data_folder), ("Log file", facts.log_file)]
            table = "\n".join(f"| {name} | {_markdown_escape(value)} |" for name, value in rows)
            text += f"\n## About this installation\n\n| | |\n|---|---|\n{table}\n"
        self.browser.setMarkdown(text)
