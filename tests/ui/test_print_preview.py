"""The print preview: opens at once, paints its pages to images off the GUI thread, shows as many pages as
the printout has, zooms (sharper when bigger), moves by page from the keyboard, prints and saves through
the workers' paths, and shows only the masked report while the screen is shared. Records come from
tests/qof_records.py, built by the central service."""

from __future__ import annotations

import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrintDialog
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit
from qof_records import feed_changes

from app import settings
from app.services import cache_store, screen_share, tasks
from app.services.profile import FINANCE_VIEW, PracticeAccess, Profile
from app.views import print_document
from app.views.main_window import MainWindow
from app.views.print_preview import PREPARING, PreviewDialog

ODS = "Z99001"
PRACTICE = "Riverside Medical Practice"
ME = "helen.marsh@nhs.net"
FINANCE_ROLES = ("View", FINANCE_VIEW)
GUI = threading.main_thread().name

pytestmark = pytest.mark.skipif(shutil.which("pdfinfo") is None, reason="needs poppler-utils (pdfinfo)")


def pdf_pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(next(line for line in info.splitlines() if line.startswith("Pages:")).split(":")[1])


@pytest.fixture
def window(fresh_hub: None, qtbot: Any) -> Any:
    cache_store.apply_feed_page(ODS, feed_changes(ODS), 100)
    shown = MainWindow(settings.load())
    shown.resize(1024, 768)
    qtbot.addWidget(shown)
    access = (PracticeAccess(ODS, PRACTICE, FINANCE_ROLES),)
    profile = Profile("https://cqrs.example.nhs.uk", ME, "", "", access)  # no name: the email is shown
    with qtbot.waitSignal(shown.ready, timeout=5000):
        shown.show_profile(profile, ODS)
        shown.show()
    assert tasks.wait_for_idle(20.0)
    yield shown
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, PreviewDialog | QPrintDialog) and widget.isVisible():
            widget.close()
    if screen_share.active():
        screen_share.turn_off()
    screen_share.reset()


def previews() -> list[PreviewDialog]:
    return [widget for widget in QApplication.topLevelWidgets()
            if isinstance(widget, PreviewDialog) and widget.isVisible()]


def open_preview(qtbot: Any, window: MainWindow) -> PreviewDialog:
    window.print_actions.preview_action.trigger()
    qtbot.waitUntil(lambda: bool(previews()) and previews()[0].complete(), timeout=30000)
    return previews()[0]


def test_the_preview_opens_at_once_saying_it_is_being_prepared(qtbot, window) -> None:
    window.print_actions.preview_action.trigger()
    # No event has been handled yet: the report is still being made on the database worker.
    shown = previews()
    assert len(shown) == 1 and shown[0].waiting.isVisible() and shown[0].waiting.text() == PREPARING
    assert shown[0].accessibleName() == "Print preview" and not shown[0].print_button.isEnabled()
    qtbot.waitUntil(shown[0].complete, timeout=30000)
    assert shown[0].windowTitle() == "Print preview: QOF achievement summary"
    assert shown[0].print_button.isEnabled() and not shown[0].waiting.isVisible()


def test_every_page_of_the_printout_is_painted_off_the_gui_thread(qtbot, window, tmp_path) -> None:
    dialog = open_preview(qtbot, window)
    assert dialog.prepared is not None
    printed = pdf_pages(print_document.write_pdf(tmp_path / "same.pdf", dialog.prepared))
    assert printed >= 2 and dialog.page_count() == printed
    assert [page.accessibleName() for page in dialog.pages] == [f"Page {n} of {printed}"
                                                                 for n in range(1, printed + 1)]
    for page in dialog.pages:
        assert page.painted is not None and page.painted.thread != GUI
        assert page.painted.thread.startswith("cqrs-net")  # the task runner's pool
        assert not page.painted.image.isNull()
    first = dialog.pages[0].painted.image  # type: ignore[union-attr]
    assert first.pixelColor(2, 2).name() == "#ffffff"  # the paper's margin
    ink = [first.pixelColor(x, y).lightness() < 128 for y in range(0, first.height() // 5, 2)
           for x in range(0, first.width(), 2)]
    assert any(ink)  # the title and the practice's details are on it
    assert dialog.page_label.text() == f"Page 1 of {printed}"


def test_zooming_in_makes_the_pages_bigger_and_paints_them_sharper(qtbot, window) -> None:
    dialog = open_preview(qtbot, window)
    page = dialog.pages[0]
    width, dpi = page.width(), page.painted.dpi  # type: ignore[union-attr]
    dialog.zoom_in_button.click()
    dialog.zoom_in_button.click()
    assert page.width() > width and dialog.zoom_label.text() == f"{round(dialog.zoom * 100)}%"
    qtbot.waitUntil(dialog.complete, timeout=30000)
    assert page.painted.dpi > dpi and page.painted.thread != GUI  # type: ignore[union-attr]
    zoomed = page.width()
    qtbot.keyClick(dialog, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert page.width() < zoomed
    qtbot.keyClick(dialog, Qt.Key.Key_Plus, Qt.KeyboardModifier.ControlModifier)
    assert page.width() == zoomed
    dialog.fit_button.click()
    assert page.width() == width  # as wide as the window again


def test_page_down_and_page_up_move_a_page_at_a_time(qtbot, window) -> None:
    dialog = open_preview(qtbot, window)
    pages = dialog.page_count()
    qtbot.keyClick(dialog.scroll, Qt.Key.Key_PageDown)
    assert dialog.current_page() == 2 and dialog.page_label.text() == f"Page 2 of {pages}"
    qtbot.keyClick(dialog.scroll, Qt.Key.Key_PageUp)
    assert dialog.page_label.text() == f"Page 1 of {pages}"
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not previews(), timeout=5000)


def test_print_from_the_preview_prints_on_a_worker(qtbot, window, tmp_path) -> None:
    dialog = open_preview(qtbot, window)
    print_document.last_paint_thread = ""
    dialog.print_button.click()
    chosen = [widget for widget in QApplication.topLevelWidgets()
              if isinstance(widget, QPrintDialog) and widget.isVisible()]
    assert len(chosen) == 1 and chosen[0].windowTitle() == "Print QOF achievement summary"
    target = tmp_path / "printed.pdf"  # the printer chosen: Qt's "Print to File (PDF)"
    for field in chosen[0].findChildren(QLineEdit):
        if field.text().endswith("/") or field.text().endswith(".pdf"):
            field.setText(str(target))
    chosen[0].accept()
    qtbot.waitUntil(lambda: "to the printer" in dialog.status.text(), timeout=30000)
    assert dialog.status.text() == f"Sent {dialog.page_count()} pages to the printer."
    assert print_document.last_paint_thread.startswith("cqrs-net")  # the same worker path as Print…
    assert pdf_pages(target) == dialog.page_count()


def test_export_pdf_from_the_preview_saves_the_report_shown(qtbot, window, tmp_path, monkeypatch) -> None:
    dialog = open_preview(qtbot, window)
    target = tmp_path / "from-preview"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: (str(target), "PDF files (*.pdf)"))
    dialog.pdf_button.click()
    qtbot.waitUntil(lambda: "Saved" in dialog.status.text(), timeout=30000)
    saved = target.with_suffix(".pdf")
    assert dialog.status.text() == f"Saved {saved}." and pdf_pages(saved) == dialog.page_count()


def test_while_sharing_the_screen_the_preview_shows_the_masked_report(qtbot, window) -> None:
    window.toggle_screen_share()
    assert tasks.wait_for_idle(20.0)
    dialog = open_preview(qtbot, window)
    assert dialog.prepared is not None
    shown = dialog.prepared.report.html
    assert "Points: 79.19 of 123.00" in shown and "£" not in shown and ME not in shown


def test_starting_to_share_the_screen_closes_an_open_preview(qtbot, window) -> None:
    dialog = open_preview(qtbot, window)
    assert dialog.prepared is not None and "£" in dialog.prepared.report.html
    window.toggle_screen_share()
    qtbot.waitUntil(lambda: not previews(), timeout=5000)


def test_a_report_that_cannot_be_made_closes_the_preview_and_says_why(qtbot, window) -> None:
    def broken() -> Any:
        raise OSError("the chart could not be drawn")

    failures: list[BaseException] = []
    print_document.preview(window, broken, failed=failures.append)
    assert len(previews()) == 1
    qtbot.waitUntil(lambda: bool(failures), timeout=10000)
    assert not previews() and "could not be drawn" in print_document.failure_message(failures[0])
