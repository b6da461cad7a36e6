"""app.views.income_page: the income statement on screen for Finance View (totals, QOF aspiration, every
claim with what it waits for in words), nothing of it for View only (not listed, no figures), readable at
1024×768 with 100% and 200% text, and printable through the one report builder."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import text_size_checks
from income_records import ODS, TODAY, fill
from PySide6.QtWidgets import QApplication

from app.services import format as fmt
from app.services import income, tasks
from app.services.profile import FINANCE_VIEW, PracticeAccess
from app.views.income_page import IncomePage, shown_texts
from app.views.sections import SECTION_PAGES, hidden_sections, page_class

PRACTICE = "Riverside Medical Practice"
FINANCE = ("View", FINANCE_VIEW)
VIEW_ONLY = ("View",)


@pytest.fixture
def open_page(fresh_hub: None, qtbot: Any) -> Callable[..., IncomePage]:
    fill()

    def open_(roles: tuple[str, ...] = FINANCE, *, money_hidden: bool = False) -> IncomePage:
        page = IncomePage()
        page.today = lambda: TODAY
        page.owner = "practice.manager@nhs.net"
        qtbot.addWidget(page)
        page.resize(1024, 768)
        page.show()
        qtbot.waitExposed(page)
        with qtbot.waitSignal(page.loaded, timeout=5000):
            page.show_practice(PracticeAccess(ODS, PRACTICE, roles, money_hidden=money_hidden))
        QApplication.processEvents()
        return page
    return open_


def _cells(page: IncomePage) -> list[list[str]]:
    model = page.table.proxy
    return [[model.index(row, column).data() for column in range(model.columnCount())]
            for row in range(model.rowCount())]


def test_finance_view_sees_the_totals_the_qof_balance_and_each_claim(open_page: Callable[..., IncomePage]
                                                                      ) -> None:
    page = open_page()
    statement = income.load(ODS, "2025-26", TODAY)
    summary, qof, attention = shown_texts(page)
    assert summary == (f"Expected for 2025/26: {fmt.money(statement.expected)}. Paid so far: £12,044.58. "
                       f"Still to come: {fmt.money(statement.outstanding)}.")
    assert "Aspiration: £9,600.00 for the year, £800.00 a month; 12 of 12 instalments paid" in qof
    assert "Projected year-end balance (achievement − aspiration)" in qof
    assert attention == ("Needs attention: 9 calculated but not yet declared, 3 declared but not yet paid. "
                         "The Status column says what each is waiting for.")
    assert page.year.currentText() == "2025/26" and page.year.count() == 2
    rows = _cells(page)
    assert len(rows) == 13  # 12 claims and QOF's year end
    flu_january = next(row for row in rows if row[:2] == ["Seasonal influenza (adult)", "31 Jan 2026"])
    assert flu_january[2:] == ["Paid on 31 Mar 2026."] + ["£2,444.58"] * 4 + ["31 Mar 2026"]
    waiting = next(row for row in rows if row[:2] == ["Shingles", "31 Jan 2026"])
    assert waiting[2] == "Declared, not yet paid: waiting for the commissioner to approve it."
    assert waiting[5:7] == [fmt.BLANK, fmt.BLANK]  # not approved, not paid: never shown as £0
    assert page.tabs.tabText(1) == "QOF aspiration" and page.tabs.isTabEnabled(1)


def test_another_year_is_read_when_chosen(open_page: Callable[..., IncomePage], qtbot: Any) -> None:
    page = open_page()
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.year.setCurrentIndex(page.year.findData("2024-25"))
    assert page.year.currentData() == "2024-25"
    # Only last year's QOF year end is held (declared nowhere), and nothing from the year before it.
    assert shown_texts(page)[0] == ("Expected for 2024/25: £12,000.00. Paid so far: £0.00. "
                                    "Still to come: £12,000.00.")
    assert shown_texts(page)[1].endswith("There is no aspiration payment this year: no QOF result for last "
                                         "year's 31 March is held.")
    assert page.table.model.rowCount() == 1


def test_view_only_gets_no_income_page_and_no_figures(open_page: Callable[..., IncomePage]) -> None:
    section = next(section for section in SECTION_PAGES if section.key == "income")
    assert page_class(section) is IncomePage
    assert "income" in hidden_sections(PracticeAccess(ODS, PRACTICE, VIEW_ONLY))
    assert "income" in hidden_sections(None)
    assert "income" not in hidden_sections(PracticeAccess(ODS, PRACTICE, FINANCE))
    page = open_page(VIEW_ONLY)
    assert page.table.model.rowCount() == 0
    assert "Only people with the Finance View role" in page.table.findChild(
        type(page.intro_label), "emptyMessage").text()
    assert not any(label.isVisible() for label in (page.summary, page.qof, page.attention, page.year))
    assert not page.tabs.isTabEnabled(1)
    assert page.printable("Viewer") is None


def test_money_hidden_while_sharing_the_screen(open_page: Callable[..., IncomePage]) -> None:
    page = open_page(money_hidden=True)
    assert page.table.model.rowCount() == 0 and not page.summary.isVisible()
    assert "hidden while you share your screen" in page.table.findChild(
        type(page.intro_label), "emptyMessage").text()


def test_the_statement_prints_through_the_report_builder(open_page: Callable[..., IncomePage]) -> None:
    page = open_page()
    make = page.printable("Helen Marsh")
    assert make is not None and page.print_name() == "Income statement 2025-26"
    report = tasks.call_db(make)
    statement = income.load(ODS, "2025-26", TODAY)
    assert (report.meta.title, report.meta.ods, report.meta.year) == ("Income statement", ODS, "2025-26")
    assert fmt.money(statement.expected) in report.html and "Seasonal influenza (adult)" in report.html
    assert "Declared, not yet paid: finance approved, waiting to be paid." in report.html
    assert report.footer.startswith("Generated ") and report.meta.printed_by == "Helen Marsh"


@pytest.mark.parametrize("text_scale", [1.0, 2.0], indirect=True)
def test_readable_at_1024_by_768(open_page: Callable[..., IncomePage], text_scale: float) -> None:
    page = open_page()
    QApplication.processEvents()
    assert text_size_checks.labels(page) == []
    assert text_size_checks.controls(page) == []
    assert text_size_checks.tables(page) == []
    assert page.table.view.horizontalHeader().sectionSize(0) > 0
    assert page.table.view.isVisible() and page.table.view.height() > 3 * page.table.view.rowHeight(0)
