"""The Help page: the user guide, the facts the help desk asks for during a screen-sharing session, and
the help desk's tools: the help topics (F1), diagnostics to copy, a support bundle to save, and About.

It is the same whoever is signed in, so it opts out of per-practice loading; the guide, the diagnostics
and the bundle are read and written through the task runner (no file I/O on the GUI thread).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFileDialog, QGridLayout, QPushButton, QTextBrowser, QWidget

from app import paths
from app.services import diagnostics, help_texts, site_config, tasks
from app.services.profile import PracticeAccess
from app.views.page import Page

GUIDE = help_texts.HELP_DIR / "guide.md"


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
    return help_texts.read("guide")


class HelpPage(Page):
    key = "help"
    title = "Help"
    per_practice = False

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(True)
        self.browser.setAccessibleName("Help text")
        tools = QGridLayout()  # two columns: at 200% text four buttons in one row would be cut
        self.tool_buttons: dict[str, QPushButton] = {}
        for index, (name, action) in enumerate((("Help topics (F1)", self.show_help),
                                                ("Copy diagnostics", self.copy_diagnostics),
                                                ("Save support bundle…", self.save_support_bundle),
                                                ("About CQRS Desktop", self.show_about))):
            button = QPushButton(name)
            button.setAccessibleName(name.removesuffix("…").replace(" (F1)", ""))
            button.clicked.connect(lambda _checked=False, action=action: action())
            tools.addWidget(button, index // 2, index % 2)
            self.tool_buttons[name] = button
        tools.setColumnStretch(2, 1)
        self.body_layout.addLayout(tools)
        self.body_layout.addWidget(self.browser, 1)
        self._guide: str | None = None
        self._facts: InstallationFacts | None = None

    def loader(self, access: PracticeAccess | None, today: date) -> Callable[[], str]:
        return read_guide

    def show_result(self, result: str) -> None:
        self._guide = result
        self._show()

    # --- the help desk's tools -----------------------------------------------------------------------

    def gather_diagnostics(self) -> Callable[[], diagnostics.Diagnostics]:
        """What to gather on a worker: only the signed-in person's own details, and only when signed in."""
        person, own, server = paths.person(), self.owner, self._facts.server if self._facts else None
        # The site file is read at start-up; current() reads it here, off the GUI thread, if it was not.
        return lambda: diagnostics.gather(site_config.current(), person=person, own_email=own, server=server)

    def copy_diagnostics(self) -> None:
        def copied(found: diagnostics.Diagnostics) -> None:
            QGuiApplication.clipboard().setText(found.as_text())
            self.show_message("Diagnostics copied. Paste them into your email to the help desk "
                              f"({site_config.current().help_desk.email}).")

        tasks.run(self.gather_diagnostics(), copied, self._tool_failed)

    def save_support_bundle(self, path: str | None = None) -> None:
        """Ask where (unless ``path`` is given), then gather and save the zip in the background."""
        if path is None:
            suggested = str(Path.home() / diagnostics.default_bundle_name())
            path, _filter = QFileDialog.getSaveFileName(self, "Save support bundle", suggested,
                                                        "Zip files (*.zip)")
            if not path:
                return
        gather, out = self.gather_diagnostics(), Path(path)

        def saved(where: Path) -> None:
            self.show_message(f"Support bundle saved as {where}. Attach it to an email to the help desk "
                              f"({site_config.current().help_desk.email}).")

        tasks.run(lambda: diagnostics.write_bundle(gather(), out), saved, self._tool_failed)

    def show_about(self) -> None:
        from app.views.about_dialog import AboutDialog

        self.about = AboutDialog(self.window())
        self.about.show()

    def _tool_failed(self, error: BaseException) -> None:
        why = error.strerror if isinstance(error, OSError) and error.strerror else tasks.describe_error(error)
        self.show_message(f"That did not work ({why}). Try again, choosing another folder such as your "
                          "Documents folder; if it keeps failing, tell the help desk.", "error")

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
