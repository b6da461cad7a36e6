"""The Dashboard: choose a QOF year, a service and an achievement date, then see QOF, vaccinations or an
enhanced service. It opens on the year of the service's today. Data is read and built in the background
(the QOF worklist's texts too); the page only shows the dataclasses it gets back.

A year picker rather than one long list of dates: practices are paid, and think, by QOF year, and each
list stays short (a year's month ends) however many years are held."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.services import dashboard_data, tasks
from app.services import format as fmt
from app.services.claims_view import ClaimRow, VaccinationView
from app.services.dashboard import Choice, IndicatorRow, QofDashboard, opening_year, service_key
from app.services.profile import PracticeAccess
from app.services.rules import RuleSet
from app.views import fonts
from app.views.claims_panels import EnhancedPanel, VaccinationPanel, latest_first
from app.views.indicator_detail import IndicatorDetail
from app.views.needs_doing_panel import NeedsDoingPanel
from app.views.page import Page
from app.views.provisional_note import ProvisionalNote
from app.views.qof_panel import QofPanel, indicator_columns
from app.views.record_table import Prepared, prepare
from app.views.year_picker import fill_years

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
    provisional: tuple[str, ...] = ()  # why the fees behind the £ shown are provisional (Finance View)


@dataclass(frozen=True)
class Loaded:
    years: dict[str, list[Choice]]  # every QOF year held, newest first, with its services
    year: str | None  # the year shown
    shown: Shown | None  # None when nothing has been calculated yet


def _read_view(ods: str, choice: Choice, when: date, finance: bool, today: date) -> Shown:
    view = dashboard_data.load_view(ods, choice, when, finance=finance, today=today)
    qof = isinstance(view, QofDashboard)
    worklist = prepare(indicator_columns(finance, last_year=True), view.indicators) if qof else None
    provisional = dashboard_data.provisional_fees(view, choice, when) if finance else ()
    return Shown(ods, finance, choice, when, view, worklist, provisional)


def same_service(found: list[Choice], key: Any) -> Choice:
    """The choice of the service ``key`` names (in any year), else the first (QOF)."""
    wanted = service_key(key) if isinstance(key, str) else None
    return next((choice for choice in found if service_key(choice.key) == wanted), found[0])


def _read_all(ods: str, keep_year: Any, keep_key: Any, keep_date: date | None, finance: bool,
              today: date) -> Loaded:
    """The years and their services; the view of the year, service and date chosen before (at first, the
    year of ``today``, else the newest held, its first service at its latest date)."""
    years = dashboard_data.load_years(ods)
    year = keep_year if keep_year in years else opening_year(list(years), today)
    if year is None:
        return Loaded(years, None, None)
    choice = same_service(years[year], keep_key)
    when = keep_date if keep_date in choice.dates else choice.dates[0]
    return Loaded(years, year, _read_view(ods, choice, when, finance, today))


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
        self.years: dict[str, list[Choice]] = {}
        self.choices: list[Choice] = []  # the services of the year chosen
        self.view: QofDashboard | VaccinationView | tuple[ClaimRow, ...] | None = None
        self.detail: IndicatorDetail | None = None

        self.year = QComboBox()
        self.year.setAccessibleName("QOF year")
        self.year.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.year.currentIndexChanged.connect(self._year_changed)
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
        # The pickers go on as many lines as they need, in order, when they do not fit on one (large text).
        self._picker_rows = [QHBoxLayout() for _ in range(3)]
        self._labels = (QLabel("&Year:", buddy=self.year), QLabel("&Service:", buddy=self.service),
                        QLabel("&Achievement date:", buddy=self.when))
        self._pickers = QVBoxLayout()
        for row in self._picker_rows:
            self._pickers.addLayout(row)
        self._picker_lines: tuple[int, ...] | None = None
        self.content = QWidget()  # what scrolls under the heading: the pickers are laid out to its width
        self._arrange_pickers()

        self.provisional = ProvisionalNote()  # above the claims whose fees are provisional
        self.loading = Loading()
        self.qof = QofPanel()
        self.qof.indicator_opened.connect(self._open_indicator)
        self.vaccinations = VaccinationPanel()
        self.enhanced = EnhancedPanel()
        self.stack = QStackedWidget()
        for widget in (self.loading, self.qof, self.vaccinations, self.enhanced):
            self.stack.addWidget(widget)
        self._shown_for: tuple[str, bool] | None = None  # the practice (and £ or not) the panels show
        # Above the body, so it shows even before any achievement has been calculated; with large text on
        # a small screen, as a summary under the heading, across the page's width so that it reads whole.
        self.needs_doing = NeedsDoingPanel()
        page_layout = cast(QVBoxLayout, self.layout())
        page_layout.insertWidget(2, self.needs_doing)
        page_layout.insertWidget(2, self.needs_doing.compact_row)
        self.needs_doing.watch(self)
        # Everything under the heading scrolls as one when it does not fit (large text on a small screen),
        # rather than squeezing the worklist to a row or two: the panels keep their minimum heights.
        content_layout = QVBoxLayout(self.content)
        content_layout.setContentsMargins(0, 0, 0, 0)
        content_layout.addLayout(self._pickers)
        content_layout.addWidget(self.provisional)
        content_layout.addWidget(self.stack, 1)
        self.scroll = QScrollArea()
        self.scroll.setAccessibleName("Dashboard figures")
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setWidget(self.content)
        self.body_layout.addWidget(self.scroll)
        self.content.installEventFilter(self)

    def _arrange_pickers(self) -> None:
        """Each label and its picker side by side, as many pairs to a line as fit the page's width."""
        combos = (self.year, self.service, self.when)
        spacing = max(self._picker_rows[0].spacing(), 6)
        needs = [label.sizeHint().width() + (self.service.minimumSizeHint() if combo is self.service
                                             else combo.sizeHint()).width() + spacing * 2 + 12
                 for label, combo in zip(self._labels, combos, strict=True)]
        width = self.content.width()
        lines, used = [0], 0
        for need in needs:
            if used and width > 0 and used + need > width:
                lines.append(lines[-1] + 1)
                used = 0
            else:
                lines.append(lines[-1])
            used += need
        placed = tuple(lines[1:])
        if placed == self._picker_lines:
            return
        self._picker_lines = placed
        for row in self._picker_rows:
            while row.count():
                row.takeAt(0)  # the widgets stay where they are until added again
        for line, label, combo in zip(placed, self._labels, combos, strict=True):
            row = self._picker_rows[line]
            if row.count():
                row.addSpacing(12)
            row.addWidget(label)
            row.addWidget(combo)
        for row in self._picker_rows:
            row.addStretch(0)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # What scrolls, not the page: it gets its new width after the page's own resize event, and loses
        # the scroll bar's width when one appears.
        if watched is self.content and event.type() == QEvent.Type.Resize:
            self._arrange_pickers()
        return super().eventFilter(watched, event)

    # --- the frame's loader ----------------------------------------------------------------------------

    def loader(self, access: PracticeAccess | None, today: date) -> Callable[[], Loaded]:
        assert access is not None
        ods, finance = access.ods, access.sees_money
        keep_year, keep_key, keep_date = self.year.currentData(), self.service.currentData(), \
            self.when.currentData()
        return lambda: _read_all(ods, keep_year, keep_key, keep_date, finance, today)

    def practice_shown(self, access: PracticeAccess | None) -> None:
        self.needs_doing.show_practice(access, self.today())
        if access is not None and (access.ods, access.sees_money) != self._shown_for:
            self._show_loading(access.name, "Loading the dashboard…")

    def show_result(self, result: Loaded) -> None:
        self.years = result.years
        if result.shown is None or result.year is None:
            self.choices = []
            self.provisional.show_reasons(())
            self.show_empty(EMPTY)
            return
        fill_years(self.year, result.years, result.year)
        self._fill_services(result.shown.choice.key)
        self._fill_dates(result.shown.when)
        self._show_view(result.shown)

    # --- choosing ----------------------------------------------------------------------------------------

    def current_choice(self) -> Choice | None:
        key = self.service.currentData()
        return next((choice for choice in self.choices if choice.key == key), None)

    def _fill_services(self, keep_key: Any) -> None:
        """The services of the year chosen, keeping the service chosen before when that year has it."""
        self.choices = self.years.get(self.year.currentData(), [])
        self.service.blockSignals(True)
        self.service.clear()
        for choice in self.choices:
            self.service.addItem(choice.label, choice.key)
        if self.choices:
            self.service.setCurrentIndex(self.service.findData(same_service(self.choices, keep_key).key))
        self.service.blockSignals(False)

    def _year_changed(self, _index: int) -> None:
        self._fill_services(self.service.currentData())
        self._fill_dates(None)
        self._load_view()

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
        self.provisional.show_reasons(())
        self.loading.show_text(heading, detail)
        self.stack.setCurrentWidget(self.loading)

    def _show_view(self, shown: Shown) -> None:
        self._shown_for = (shown.ods, shown.finance)
        self.view = view = shown.view
        self.provisional.show_reasons(shown.provisional)
        if isinstance(view, QofDashboard):
            self.qof.show_dashboard(view, shown.worklist)
            self.stack.setCurrentWidget(self.qof)
        elif isinstance(view, VaccinationView):
            self.vaccinations.show_view(view, self.finance)
            self.stack.setCurrentWidget(self.vaccinations)
        else:
            self.enhanced.show_rows(view, self.finance, shown.when)
            self.stack.setCurrentWidget(self.enhanced)

    # --- printing ------------------------------------------------------------------------------------

    def printable(self, printed_by: str) -> Callable[[], Any] | None:
        """The QOF achievement summary of the year and date shown (other services print nothing yet)."""
        view, access = self.view, self.access
        if not isinstance(view, QofDashboard) or access is None or self.stack.currentWidget() is not self.qof:
            return None  # not QOF, or another view is still loading
        from app.views.achievement_summary import SummaryRequest, make_summary

        request = SummaryRequest(access.ods, access.name, printed_by, self.finance, view.summary.year,
                                 view.summary.achievement_date, self.today())
        return lambda: make_summary(request)

    def print_name(self) -> str:
        view = self.view
        if not isinstance(view, QofDashboard) or self.access is None:
            return super().print_name()
        return f"QOF summary {self.access.ods} {view.summary.achievement_date.isoformat()}"

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
