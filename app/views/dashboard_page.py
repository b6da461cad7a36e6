"""The Dashboard: choose a service and an achievement date, then see QOF, vaccinations or an enhanced
service. Data is read and built in the background (the QOF worklist's texts too); the page only shows
the dataclasses it gets back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSizePolicy, QStackedWidget, QWidget

from app.services import dashboard_data, tasks
from app.services.claims_view import ClaimRow, VaccinationView
from app.services.dashboard import Choice, IndicatorRow, QofDashboard
from app.services.profile import PracticeAccess
from app.services.rules import RuleSet
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
    return Shown(choice, when, view, worklist)


def _read_all(ods: str, keep_key: Any, keep_date: date | None, finance: bool, today: date) -> Loaded:
    """The choices, and the view of the one chosen before (else the first), at the date chosen before."""
    found = dashboard_data.load_choices(ods)
    if not found:
        return Loaded(found, None)
    choice = next((choice for choice in found if choice.key == keep_key), found[0])
    when = keep_date if keep_date in choice.dates else choice.dates[0]
    return Loaded(found, _read_view(ods, choice, when, finance, today))


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
        pickers = QHBoxLayout()
        pickers.addWidget(QLabel("&Service:", buddy=self.service))
        pickers.addWidget(self.service)
        pickers.addSpacing(12)
        pickers.addWidget(QLabel("&Achievement date:", buddy=self.when))
        pickers.addWidget(self.when)
        pickers.addStretch(0)

        self.qof = QofPanel()
        self.qof.indicator_opened.connect(self._open_indicator)
        self.vaccinations = VaccinationPanel()
        self.enhanced = EnhancedPanel()
        self.stack = QStackedWidget()
        for widget in (self.qof, self.vaccinations, self.enhanced):
            self.stack.addWidget(widget)
        self.body_layout.addLayout(pickers)
        self.body_layout.addWidget(self.stack, 1)

    # --- the frame's loader ----------------------------------------------------------------------------

    def loader(self, access: PracticeAccess | None, today: date) -> Callable[[], Loaded]:
        assert access is not None
        ods, keep_key, keep_date, finance = access.ods, self.service.currentData(), self.when.currentData(), \
            access.sees_money
        return lambda: _read_all(ods, keep_key, keep_date, finance, today)

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

    def _load_view(self) -> None:
        choice, when, access = self.current_choice(), self.when.currentData(), self.access
        if choice is None or when is None or access is None:
            return
        ods, finance, today = access.ods, self.finance, self.today()
        self.run(lambda: _read_view(ods, choice, when, finance, today), self._show_view)

    def _show_view(self, shown: Shown) -> None:
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
