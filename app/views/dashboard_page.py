"""The Dashboard: choose a service and an achievement date, then see QOF, vaccinations or an enhanced
service. Data is read and built in the background; the page only shows the dataclasses it gets back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.services import dashboard_data, tasks
from app.services.claims_view import VaccinationView
from app.services.dashboard import Choice, IndicatorRow, QofDashboard
from app.services.profile import PracticeAccess
from app.views import fonts
from app.views.claims_panels import EnhancedPanel, VaccinationPanel, latest_first
from app.views.indicator_detail import IndicatorDetail
from app.views.qof_panel import QofPanel

EMPTY = ("No achievement has been calculated for this practice yet. It appears after the first extract "
         "is loaded and the app has synced.")


class DashboardPage(QWidget):
    loaded = Signal()
    kinds = ("result", "benchmark")  # feed record types whose change reloads the page

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("page-dashboard")
        self.today: Callable[[], date] = date.today  # the service's "today" once signed in
        self.access: PracticeAccess | None = None
        self.choices: list[Choice] = []
        self.view: QofDashboard | VaccinationView | tuple | None = None

        heading = QLabel("Dashboard")
        heading.setObjectName("pageHeading")
        fonts.relative(heading, fonts.HEADING, bold=True)
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

        self.message = QLabel(EMPTY)
        self.message.setWordWrap(True)
        self.message.setObjectName("emptyMessage")
        self.qof = QofPanel()
        self.qof.indicator_opened.connect(self._open_indicator)
        self.vaccinations = VaccinationPanel()
        self.enhanced = EnhancedPanel()
        self.stack = QStackedWidget()
        for widget in (self.message, self.qof, self.vaccinations, self.enhanced):
            self.stack.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addLayout(pickers)
        layout.addWidget(self.stack, 1)

    @property
    def finance(self) -> bool:
        return self.access is not None and self.access.sees_money

    def show_practice(self, access: PracticeAccess | None) -> None:
        self.access = access
        if access is None:
            self._show_message("Sign in to see your practice's achievement.")
            return
        ods = access.ods
        tasks.run(lambda: dashboard_data.load_choices(ods), lambda found: self._choices(ods, found),
                  self._failed)

    def reload(self) -> None:
        self.show_practice(self.access)

    def _choices(self, ods: str, found: list[Choice]) -> None:
        if self.access is None or self.access.ods != ods:
            return  # another practice was chosen meanwhile
        self.choices = found
        if not found:
            self._show_message(EMPTY)
            return
        keep_key = self.service.currentData()
        keep_date = self.when.currentData()
        self.service.blockSignals(True)
        self.service.clear()
        for choice in found:
            self.service.addItem(choice.label, choice.key)
        self.service.setCurrentIndex(max(0, self.service.findData(keep_key)))
        self.service.blockSignals(False)
        self._fill_dates(keep_date)
        self._load_view()

    def _service_changed(self, _index: int) -> None:
        self._fill_dates(None)
        self._load_view()

    def current_choice(self) -> Choice | None:
        key = self.service.currentData()
        return next((choice for choice in self.choices if choice.key == key), None)

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
        finance, today = self.finance, self.today()
        tasks.run(lambda: dashboard_data.load_view(access.ods, choice, when, finance=finance, today=today),
                  lambda view: self._show_view(access.ods, choice, when, view), self._failed)

    def _show_view(self, ods: str, choice: Choice, when: date, view: object) -> None:
        if self.access is None or self.access.ods != ods or self.current_choice() != choice \
                or self.when.currentData() != when:
            return  # the choice changed while this was loading; a newer load is on its way
        self.view = view  # type: ignore[assignment]
        if isinstance(view, QofDashboard):
            self.qof.show_dashboard(view)
            self.stack.setCurrentWidget(self.qof)
        elif isinstance(view, VaccinationView):
            self.vaccinations.show_view(view, self.finance)
            self.stack.setCurrentWidget(self.vaccinations)
        else:
            self.enhanced.show_rows(view, self.finance, when)  # type: ignore[arg-type]
            self.stack.setCurrentWidget(self.enhanced)
        self.loaded.emit()

    def _show_message(self, text: str) -> None:
        self.message.setText(text)
        self.stack.setCurrentWidget(self.message)
        self.loaded.emit()

    def _failed(self, error: BaseException) -> None:
        self._show_message(tasks.describe_error(error) if getattr(error, "user_message", None) else
                           f"The dashboard could not be shown: {error}")

    def _open_indicator(self, row: IndicatorRow) -> None:
        dashboard, access = self.view, self.access
        if not isinstance(dashboard, QofDashboard) or access is None:
            return
        when = dashboard.summary.achievement_date
        rules = dashboard_data.rules_for(dashboard.summary.year)

        def open_detail(record: dict | None) -> None:
            if record is None or rules is None:
                return
            self.detail = IndicatorDetail(row, dashboard, record, rules, parent=self)
            self.detail.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # each has its own figure
            self.detail.open()

        tasks.run(lambda: dashboard_data.load_qof_record(access.ods, when), open_detail)
