"""Printing: the achievement summary as a PDF (read back with pdftotext), no £ for a View-only user or while
screen sharing, tables whose header row repeats on each page, the print preview, Ctrl+P, and the report
built on the database worker. Records come from tests/qof_records.py, built by the central service."""

from __future__ import annotations

import shutil
import subprocess
import threading
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrintDialog
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit
from qof_records import COUNTS, MARCH, feed_changes

from app import settings
from app.services import cache_store, screen_share, tasks
from app.services import format as fmt
from app.services.calculation import BELOW_LOWER
from app.services.profile import FINANCE_VIEW, PracticeAccess, Profile
from app.services.report_html import ReportMeta, Section, Table, report
from app.views import print_document
from app.views.achievement_summary import BAND_HATCHES, _hatched
from app.views.main_window import MainWindow
from app.views.print_actions import NOTHING_TO_PRINT
from app.views.print_preview import PreviewDialog

ODS = "Z99001"
PRACTICE = "Riverside Medical Practice"
ME = "helen.marsh@nhs.net"
FINANCE_ROLES = ("View", FINANCE_VIEW)
VIEW_ONLY = ("View",)
MARCH_NOON = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils (pdftotext)")


def pdf_text(path: Path, page: int | None = None) -> str:
    pages = ["-f", str(page), "-l", str(page)] if page else []
    text = subprocess.run(["pdftotext", "-layout", *pages, str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    return unicodedata.normalize("NFKC", text)  # the PDF's "ﬁ" ligatures as the letters they stand for


def pdf_pages(path: Path) -> tuple[int, str]:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
    return int(fields["Pages"]), fields["Page size"].strip()


def settle() -> None:
    assert tasks.wait_for_idle(20.0)
    QApplication.processEvents()


@pytest.fixture
def window(fresh_hub: None, qtbot: Any) -> Any:
    cache_store.apply_feed_page(ODS, feed_changes(ODS), 100)
    shown = MainWindow(settings.load())
    qtbot.addWidget(shown)
    yield shown
    for dialog in QApplication.topLevelWidgets():
        if isinstance(dialog, PreviewDialog | QPrintDialog):
            dialog.close()
    if screen_share.active():
        screen_share.turn_off()
    screen_share.reset()


def open_on(qtbot: Any, window: MainWindow, roles: tuple[str, ...], first_name: str = "Helen") -> None:
    profile = Profile("https://cqrs.example.nhs.uk", ME, first_name, "Marsh" if first_name else "",
                      (PracticeAccess(ODS, PRACTICE, roles),))
    with qtbot.waitSignal(window.ready, timeout=5000):
        window.show_profile(profile, ODS)
        window.show()
    settle()


def export(qtbot: Any, window: MainWindow, path: Path) -> Path:
    """Export PDF of the page on screen, as the window's action does it."""
    make = window.pages[window.current_section()].printable("Helen Marsh")
    assert make is not None
    written: list[Path] = []
    print_document.export_pdf(path, make, done=written.append)
    qtbot.waitUntil(lambda: bool(written), timeout=20000)
    return written[0]


def test_the_summary_pdf_holds_the_practice_totals_and_every_indicator_row(qtbot, window, tmp_path) -> None:
    open_on(qtbot, window, FINANCE_ROLES)
    dashboard = window.dashboard.view
    path = export(qtbot, window, tmp_path / "summary.pdf")
    pages, size = pdf_pages(path)
    assert "A4" in size and pages >= 2
    text = pdf_text(path)
    for expected in (PRACTICE, f"({ODS})", "QOF, 2025/26", "31 Mar 2026", "Helen Marsh",
                     "Points: 79.19 of 123.00", "Achievement payment so far: £17,012.62",
                     "Generated ", f"Page 1 of {pages}", f"Page {pages} of {pages}"):
        assert expected in text, expected
    for row in dashboard.indicators:  # each row as the dashboard has it: id, achievement, band in words
        line = next(line for line in text.splitlines() if line.strip().startswith(row.indicator_id + " "))
        assert fmt.percent(row.achievement) in line and fmt.money(row.payment) in line
        assert row.band.capitalize().split()[0] in line
    assert set(COUNTS[MARCH]) == {row.indicator_id for row in dashboard.indicators}
    for group in dashboard.groups:
        assert f"{group}: indicators" in text


def test_a_view_only_users_pdf_has_no_money_anywhere(qtbot, window, tmp_path) -> None:
    open_on(qtbot, window, VIEW_ONLY)
    path = export(qtbot, window, tmp_path / "viewer.pdf")
    text = pdf_text(path)
    assert "Points: 79.19 of 123.00" in text and "AF006" in text
    assert "£" not in text and "earned" not in text and "unclaimed" not in text
    assert "shown only to people with the Finance View" in text


def test_sharing_the_screen_hides_money_and_the_printers_email(qtbot, window, tmp_path, monkeypatch) -> None:
    open_on(qtbot, window, FINANCE_ROLES, first_name="")  # no name: the window shows the email instead
    window.toggle_screen_share()
    settle()
    target = tmp_path / "shared.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: (str(target), "PDF files (*.pdf)"))
    window.print_actions.pdf_action.trigger()
    qtbot.waitUntil(lambda: window.message.isVisible() and "Saved" in window.message.text(), timeout=20000)
    text = pdf_text(target)
    assert "Points: 79.19 of 123.00" in text
    assert "£" not in text and ME not in text


def test_long_tables_repeat_their_header_row_on_every_page(qapp, tmp_path) -> None:
    meta = ReportMeta("Long table", PRACTICE, ODS, "Helen Marsh", MARCH_NOON, None, "QOF", "2025-26")
    rows = tuple((f"X{number:03d}", f"{number}.00") for number in range(200))
    path = print_document.write_pdf(tmp_path / "long.pdf", report(meta, [
        Section("Rows", table=Table(("Code", "Points"), rows, (False, True), caption="Every row"))]))
    pages, _size = pdf_pages(path)
    assert pages >= 3
    for page in range(2, pages + 1):
        text = pdf_text(path, page)
        lines = [line.split() for line in text.splitlines() if line.strip()]
        assert lines[0] == ["Every", "row"] and lines[1] == ["Code", "Points"], page
        assert f"Page {page} of {pages}" in text


def test_print_preview_opens_and_closes(qtbot, window) -> None:
    open_on(qtbot, window, FINANCE_ROLES)
    window.print_actions.preview_action.trigger()

    def previews() -> list[PreviewDialog]:
        return [widget for widget in QApplication.topLevelWidgets()
                if isinstance(widget, PreviewDialog) and widget.isVisible()]

    qtbot.waitUntil(lambda: bool(previews()) and previews()[0].complete(), timeout=20000)
    dialog = previews()[0]
    assert dialog.windowTitle() == "Print preview: QOF achievement summary"
    # Its pages were painted through the one page painter, off the GUI thread.
    assert dialog.page_count() >= 2
    assert all(page.painted is not None and page.painted.thread != threading.main_thread().name
               for page in dialog.pages)
    dialog.close()
    qtbot.waitUntil(lambda: not previews(), timeout=5000)


def test_ctrl_p_prints_the_page_on_screen_on_the_printer_chosen(qtbot, window, tmp_path) -> None:
    open_on(qtbot, window, VIEW_ONLY)
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)

    def dialogs() -> list[QPrintDialog]:
        return [widget for widget in QApplication.topLevelWidgets()
                if isinstance(widget, QPrintDialog) and widget.isVisible()]

    qtbot.waitUntil(lambda: bool(dialogs()), timeout=20000)
    dialog = dialogs()[0]
    assert dialog.windowTitle() == "Print QOF achievement summary"
    target = tmp_path / "printed.pdf"  # the printer chosen: Qt's "Print to File (PDF)"
    for field in dialog.findChildren(QLineEdit):
        if field.text().endswith("/") or field.text().endswith(".pdf"):
            field.setText(str(target))
    dialog.accept()
    qtbot.waitUntil(lambda: "to the printer" in window.message.text(), timeout=20000)
    pages, _size = pdf_pages(target)
    assert window.message.text() == f"Sent {pages} pages to the printer."
    assert print_document.last_paint_thread != threading.main_thread().name  # never on the GUI thread
    text = pdf_text(target)
    assert "Points: 79.19 of 123.00" in text and "£" not in text


def test_a_page_with_nothing_to_print_says_so(qtbot, window) -> None:
    open_on(qtbot, window, FINANCE_ROLES)
    window.show_section("help")
    settle()
    window.print_actions.print_action.trigger()
    assert window.message.isVisible() and window.message.text() == NOTHING_TO_PRINT


def test_the_report_is_built_on_the_database_worker(qtbot, window, tmp_path) -> None:
    open_on(qtbot, window, FINANCE_ROLES)
    make = window.dashboard.printable("Helen Marsh")
    assert make is not None
    threads: list[str] = []

    def watched() -> Any:
        threads.append(threading.current_thread().name)
        return make()

    written: list[Path] = []
    print_document.export_pdf(tmp_path / "worker.pdf", watched, done=written.append)
    qtbot.waitUntil(lambda: bool(written), timeout=20000)
    assert threads and threads[0].startswith(tasks.DB_THREAD)  # the cache read and the charts drawn there
    assert print_document.last_paint_thread != threading.main_thread().name  # the file written off the GUI


def test_bars_are_hatched_by_band_so_they_read_in_black_and_white(qtbot, window) -> None:
    from app.views.charts import render
    from app.views.threshold_chart import thresholds_painter

    open_on(qtbot, window, FINANCE_ROLES)
    rows = window.dashboard.view.indicators
    figure = render(_hatched(thresholds_painter(rows, {}, title="x")), 640, 300, dpi=96).figure
    hatches = [patch.get_hatch() for patch in figure.axes[0].patches]
    below = [row for row in rows if row.band == BELOW_LOWER]
    assert below and hatches.count(BAND_HATCHES["#d5281b"]) == len(below)
    legend = [patch.get_hatch() for patch in figure.axes[0].get_legend().get_patches()]
    assert BAND_HATCHES["#d5281b"] in legend and BAND_HATCHES["#ffb81c"] in legend

