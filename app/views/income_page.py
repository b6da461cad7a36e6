"""The Income page (Finance View only): for a QOF year, what CQRS calculated, what was declared, approved
and paid, and when payment is due, per service and month; QOF's aspiration against its achievement; the
total expected against the total paid so far; and what is still to declare or still to be paid.

Everything is read and worded on the database worker (app.services.income, income_report); the GUI thread
only swaps the prepared rows and sentences in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QTabWidget, QVBoxLayout, QWidget

from app.services import format as fmt
from app.services.dashboard import opening_year
from app.services.income import IncomeRow, IncomeStatement
from app.services.income_report import status_text, table_rows
from app.services.profile import PracticeAccess
from app.services.report_html import Report
from app.services.rules import FINANCE_VIEW
from app.views import fonts
from app.views.page import Page
from app.views.record_table import Column, Prepared, RecordTable, attr, prepare
from app.views.year_picker import fill_years

EMPTY = "There are no results for this practice yet. Sync to fetch them."
MONEY_HIDDEN = ("Amounts are hidden while you share your screen. To see them, tick the money box on the "
                "screen-share banner above.")


def _columns() -> list[Column[IncomeRow]]:
    # The status comes before the amounts: what each claim waits for is in view on a 1024-pixel screen.
    return [Column("Service", attr("service_name")),
            Column("Month end", attr("achievement_date"), fmt.uk_date),
            Column("Status", status_text, tooltip=lambda row: f"CQRS status: {row.status}"),
            Column("Calculated", attr("calculated"), fmt.money, numeric=True),
            Column("Declared", attr("declared"), fmt.money, numeric=True),
            Column("Approved", attr("approved"), fmt.money, numeric=True),
            Column("Paid", attr("paid"), fmt.money, numeric=True),
            Column("Payment due", attr("payment_due"), fmt.uk_date)]


@dataclass(frozen=True)
class Loaded:
    years: tuple[str, ...]  # every QOF year held, newest first
    year: str | None
    statement: IncomeStatement | None
    table: Prepared[IncomeRow] | None
    summary: str = ""
    qof: str = ""
    attention: str = ""


def read(ods: str, keep_year: str | None, today: date) -> Loaded:
    """The statement of the year chosen before (at first, that of ``today``), worded (database worker)."""
    from app.services import income, income_report

    years = tuple(income.load_years(ods))
    year = keep_year if keep_year in years else opening_year(list(years), today)
    if year is None:
        return Loaded(years, None, None, None)
    statement = income.load(ods, year, today)
    return Loaded(years, year, statement, prepare(_columns(), table_rows(statement)),
                  income_report.summary_text(statement), income_report.qof_text(statement.qof),
                  income_report.attention_text(statement))


def make_report(ods: str, name: str, printed_by: str, year: str | None, today: date) -> Report:
    """The income statement for printing (database worker): the same figures as the page."""
    from app.services import cache_store, income, income_report

    years = income.load_years(ods)
    chosen = year if year in years else opening_year(years, today)
    if chosen is None:
        raise LookupError(EMPTY)
    return income_report.report(income.load(ods, chosen, today), practice_name=name, ods=ods,
                                printed_by=printed_by, printed_at=datetime.now(UTC),
                                synced_at=cache_store.sync_info(ods).last_sync_at)


def _wrapped(name: str) -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setAccessibleName(name)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class IncomePage(Page):
    key = "income"
    title = "Income"
    intro = ("What CQRS calculated against what was declared, approved and paid, month by month, and what "
             "is still to come.")
    kinds = ("result", "declaration", "timetable_event")
    needs_role = FINANCE_VIEW
    signed_out_text = "Sign in to see your practice's income."

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.statement: IncomeStatement | None = None
        self.year = QComboBox()
        self.year.setAccessibleName("QOF year")
        self.year.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.year.currentIndexChanged.connect(lambda _index: self.reload())
        picker = QHBoxLayout()
        self._year_label = QLabel("&Year:", buddy=self.year)
        picker.addWidget(self._year_label)
        picker.addWidget(self.year)
        picker.addStretch(1)
        self.summary = _wrapped("Totals")
        self.summary.setObjectName("incomeTotals")
        fonts.relative(self.summary, fonts.PROMINENT, bold=True)
        self.qof = _wrapped("QOF aspiration and achievement")
        self.attention = _wrapped("Needs attention")
        self.table: RecordTable[IncomeRow] = RecordTable(_columns(), name="income", empty_message=EMPTY,
                                                         wrap=True)
        # The claims get the room; QOF's aspiration, a few sentences, has its own tab (at 200% text the
        # table would otherwise show two rows).
        qof_tab = QWidget()
        qof_layout = QVBoxLayout(qof_tab)
        qof_layout.addWidget(self.qof)
        qof_layout.addStretch(1)
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Income statement")
        self.tabs.addTab(self.table, "Claims by month")
        self.tabs.addTab(qof_tab, "QOF aspiration")
        self.body_layout.addLayout(picker)
        self.body_layout.addWidget(self.summary)
        self.body_layout.addWidget(self.attention)
        self.body_layout.addWidget(self.tabs, 1)

    def loader(self, access: PracticeAccess | None, today: date) -> Callable[[], Loaded | None]:
        assert access is not None
        ods, keep = access.ods, self.year.currentData()
        if not access.sees_money:  # Finance View, but £ hidden while sharing the screen
            return lambda: None
        return lambda: read(ods, keep, today)

    def show_result(self, result: Loaded | None) -> None:
        if result is None:
            self.show_empty(MONEY_HIDDEN)
            return
        fill_years(self.year, result.years, result.year)
        if result.table is None:
            self.show_empty(EMPTY)
            return
        self.statement = result.statement
        for label, text in ((self.summary, result.summary), (self.qof, result.qof),
                            (self.attention, result.attention)):
            label.setText(text)
            label.show()
        self._year_label.show()
        self.year.show()
        self.tabs.setTabEnabled(1, True)
        self.table.set_empty_message("No claims were calculated or declared this year.")
        self.table.set_prepared(result.table)

    def show_empty(self, text: str) -> None:
        # Signed out, not Finance View, £ hidden or nothing held: no figures from before stay on screen.
        self.statement = None
        for widget in (self.summary, self.qof, self.attention, self._year_label, self.year):
            widget.hide()
        self.tabs.setCurrentIndex(0)
        self.tabs.setTabEnabled(1, False)
        super().show_empty(text)

    def row_key(self, row: IncomeRow) -> str:
        return row.key

    def printable(self, printed_by: str) -> Callable[[], Report] | None:
        """What Print, Print preview and Export PDF print for this page: the statement of the year shown
        (run on the database worker); None when there is nothing to print."""
        access = self.access
        if access is None or not access.has(FINANCE_VIEW) or not access.sees_money or self.statement is None:
            return None
        ods, name, year, today = access.ods, access.name, self.year.currentData(), self.today()
        return lambda: make_report(ods, name, printed_by, year, today)

    def print_name(self) -> str:
        year = self.year.currentText().replace("/", "-")
        return f"Income statement {year}" if year else "Income statement"


def shown_texts(page: IncomePage) -> Sequence[str]:
    """The sentences above the table, as on screen (for tests and the help desk)."""
    return (page.summary.text(), page.qof.text(), page.attention.text())
