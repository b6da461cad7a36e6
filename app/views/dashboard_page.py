"""The Dashboard: choose a service and an achievement date, then see QOF, vaccinations or an enhanced
service. Data is read and built in the background (the QOF worklist's texts too); the page only shows
the dataclasses it gets back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.services import dashboard_data, tasks
from app.services import format as fmt
from app.services.claims_view import ClaimRow, VaccinationView
from app.services.dashboard import Choice, IndicatorRow, QofDashboard
from app.services.profile import PracticeAccess
from app.services.rules import RuleSet
from app.views import fonts
from app.views.claims_panels import EnhancedPanel, VaccinationPanel, latest_first
from app.views.indicator_detail import IndicatorDetail
from app.views.page import Page
from app.views.qof_panel import QofPanel, indicator_columns
from app.views.record_table import Prepared, prepare

EMPTY = ("No achievement has been calculated for this practice yet. It appears after the first extract "
         "is loaded and the app has synced.")


@dataclass(frozen=True)
class Shown:
    """One view of the dashboard, read and prepared on the worker."""

    ods: str
    finance: bool
    choice: Choice
    when: date
    view: QofDashboard | VaccinationView | tuple[ClaimRow, ...]
    worklist: Prepared[IndicatorRow] | None  # the QOF worklist's cells, formatted


@dataclass(frozen=True)
class Loaded:
    choices: list[Choice]
    shown: Shown | None  # None when nothing has been calculated yet


def _read_view(ods: str, choice: Choice, when: date, finance: bool, today: date) -> Shown:
    view = dashboard_data.load_view(ods, choice, when, finance=finance, today=today)
    qof = isinstance(view, QofDashboard)
    worklist = prepare(indicator_columns(finance), view.indicators) if qof else None
    return Shown(ods, finance, choice, when, view, worklist)


def _read_all(ods: str, keep_key: Any, keep_date: date | None, finance: bool, today: date) -> Loaded:
    """The choices, and the view of the one chosen before (else the first), at the date chosen before."""
    found = dashboard_data.load_choices(ods)
    if not found:
        return Loaded(found, None)
    choice = next((choice for choice in found if choice.key == keep_key), found[0])
    when = keep_date if keep_date in choice.dates else choice.dates[0]
    return Loaded(found, _read_view(ods, choice, when, finance, today))


class Loading(QWidget):
    """In place of a panel while another service, date or practice is read: its name, and that it is
    coming, so the figures of the one before are never shown under the new name."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Loading")
        self.heading = QLabel()
        self.heading.setWordWrap(True)
        fonts.relative(self.heading, fonts.PROMINENT, bold=True)
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        busy = QProgressBar()
        busy.setRange(0, 0)  # busy: how long a read takes is not known
        busy.setTextVisible(False)
        busy.setMaximumWidth(self.fontMetrics().averageCharWidth() * 30)
        busy.setAccessibleName("Loading")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.addWidget(self.heading)
        layout.addWidget(self.detail)
        layout.addWidget(busy)
        layout.addStretch(1)

    def show_text(self, heading: str, detail: str) -> None:
        self.heading.setText(heading)
        self.detail.setText(detail)
        self.setAccessibleDescription(f"{heading}. {detail}")


class DashboardPage(Page):
    key = "dashboard"
    title = "Dashboard"
    kinds = ("result", "benchmark")  # feed record types whose change reloads the page
    signed_out_text = "Sign in to see your practice's achievement."

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.choices: list[Choice] = []
        self.view: QofDashboard | VaccinationView | tuple[ClaimRow, ...] | None = None
        self.detail: IndicatorDetail | None = None

        self.service = QComboBox()
        self.service.setAccessibleName("Service")
        # The service name may shorten on a narrow screen (the list shows it whole); the date never does.
        self.service.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.service.setMinimumContentsLength(16)
        self.service.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.service.setMaximumWidth(self.service.fontMetrics().averageCharWidth() * 40)
        self.when = QComboBox()
        self.when.setAccessibleName("Achievement date")
        self.when.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.service.currentIndexChanged.connect(self._service_changed)
        self.when.currentIndexChanged.connect(lambda _index: self._load_view())
        # The date picker goes under the service picker when both do not fit side by side (large text).
        self._service_row, self._date_row = QHBoxLayout(), QHBoxLayout()
        self._service_label = QLabel("&Service:", buddy=self.service)
        self._date_label = QLabel("&Achievement date:", buddy=self.when)
        self._pickers = QVBoxLayout()
        self._pickers.addLayout(self._service_row)
        self._pickers.addLayout(self._date_row)
        self._stacked_pickers: bool | None = None
        self._arrange_pickers()

        self.loading = Loading()
        self.qof = QofPanel()
        self.qof.indicator_opened.connect(self._open_indicator)
        self.vaccinations = VaccinationPanel()
        self.enhanced = EnhancedPanel()
        self.stack = QStackedWidget()
        for widget in (self.loading, self.qof, self.vaccinations, self.enhanced):
            self.stack.addWidget(widget)
        self._shown_for: tuple[str, bool] | None = None  # the practice (and £ or not) the panels show
        self.body_layout.addLayout(self._pickers)
        self.body_layout.addWidget(self.stack, 1)

    def _arrange_pickers(self) -> None:
        needed = (self._service_label.sizeHint().width() + self.service.minimumSizeHint().width()
                  + self._date_label.sizeHint().width() + self.when.sizeHint().width()
                  + max(self._service_row.spacing(), 6) * 4 + 12)
        stacked = self.body.width() > 0 and needed > self.body.width()
        if stacked == self._stacked_pickers:
            return
        self._stacked_pickers = stacked
        for row in (self._service_row, self._date_row):
            while row.count():
                row.takeAt(0)  # the widgets stay where they are until added again
        self._service_row.addWidget(self._service_label)
        self._service_row.addWidget(self.service)
        self._service_row.addSpacing(12)
        row = self._date_row if stacked else self._service_row
        row.addWidget(self._date_label)
        row.addWidget(self.when)
        for each in (self._service_row, self._date_row):
            each.addStretch(0)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._arrange_pickers()

    # --- the frame's loader ----------------------------------------------------------------------------

    def loader(self, access: PracticeAccess | None, today: date) -> Callable[[], Loaded]:
        assert access is not None
        ods, keep_key, keep_date, finance = access.ods, self.service.currentData(), self.when.currentData(), \
            access.sees_money
        return lambda: _read_all(ods, keep_key, keep_date, finance, today)

    def practice_shown(self, access: PracticeAccess | None) -> None:
        if access is not None and (access.ods, access.sees_money) != self._shown_for:
            self._show_loading(access.name, "Loading the dashboard…")

    def show_result(self, result: Loaded) -> None:
        self.choices = result.choices
        if result.shown is None:
            self.show_empty(EMPTY)
            return
        self.service.blockSignals(True)
        self.service.clear()
        for choice in result.choices:
            self.service.addItem(choice.label, choice.key)
        self.service.setCurrentIndex(max(0, self.service.findData(result.shown.choice.key)))
        self.service.blockSignals(False)
        self._fill_dates(result.shown.when)
        self._show_view(result.shown)

    # --- choosing ----------------------------------------------------------------------------------------

    def current_choice(self) -> Choice | None:
        key = self.service.currentData()
        return next((choice for choice in self.choices if choice.key == key), None)

    def _service_changed(self, _index: int) -> None:
        self._fill_dates(None)
        self._load_view()

    def _fill_dates(self, keep: date | None) -> None:
        choice = self.current_choice()
        self.when.blockSignals(True)
        self.when.clear()
        if choice is not None:
            for label, when in zip(latest_first(choice.dates), choice.dates, strict=True):
                self.when.addItem(label, when)
            self.when.setCurrentIndex(max(0, self.when.findData(keep)) if keep else 0)
        self.when.blockSignals(False)
        self._arrange_pickers()  # the date picker is as wide as its longest date

    def _load_view(self) -> None:
        choice, when, access = self.current_choice(), self.when.currentData(), self.access
        if choice is None or when is None or access is None:
            return
        self._show_loading(choice.label, f"Loading the figures at {fmt.uk_date(when)}…")
        ods, finance, today = access.ods, self.finance, self.today()
        self.run(lambda: _read_view(ods, choice, when, finance, today), self._show_view)

    def _show_loading(self, heading: str, detail: str) -> None:
        self.loading.show_text(heading, detail)
        self.stack.setCurrentWidget(self.loading)

    def _show_view(self, shown: Shown) -> None:
        self._shown_for = (shown.ods, shown.finance)
        self.view = view = shown.view
        if isinstance(view, QofDashboard):
            self.qof.show_dashboard(view, shown.worklist)
            self.stack.setCurrentWidget(self.qof)
        elif isinstance(view, VaccinationView):
            self.vaccinations.show_view(view, self.finance)
            self.stack.setCurrentWidget(self.vaccinations)
        else:
            self.enhanced.show_rows(view, self.finance, shown.when)
            self.stack.setCurrentWidget(self.enhanced)

    # --- one indicator -------------------------------------------------------------------------------

    def _open_indicator(self, row: IndicatorRow) -> None:
        dashboard, access = self.view, self.access
        if not isinstance(dashboard, QofDashboard) or access is None:
            return
        when, ods, year = dashboard.summary.achievement_date, access.ods, dashboard.summary.year

        def open_detail(found: tuple[dict | None, RuleSet | None]) -> None:
            record, rules = found
            if record is None or rules is None:
                return
            self.detail = IndicatorDetail(row, dashboard, record, rules, parent=self)
            self.detail.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # each has its own figure
            self.detail.open()

        # The record and the year's rules (files, the first time) are read on the database worker.
        tasks.run(lambda: (dashboard_data.load_qof_record(ods, when), dashboard_data.rules_for(year)),
                  open_detail, lambda error: self.show_message(tasks.describe_error(error), "error"))
