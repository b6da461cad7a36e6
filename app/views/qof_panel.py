"""The QOF part of the dashboard: summary cards, the ranked worklist of indicators, and the charts.

Everything shown comes from a :class:`~app.services.dashboard.QofDashboard`; without Finance View its
£ fields are None and the £ cards and columns are not built at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics, QResizeEvent
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.services import format as fmt
from app.services.dashboard import IndicatorRow, QofDashboard
from app.services.improvement import IMPROVEMENT_ROUTE
from app.services.projection import METHOD
from app.views import fonts
from app.views.record_table import Column, Prepared, RecordTable, attr, prepare

ALL_GROUPS = "All clinical groups"
# The worklist never gets fewer rows than this on screen: where the page is too short for them (large text
# on a small screen) the dashboard scrolls instead. Eight fit beside the tab's own lines at 200% on 1024×768.
WORKLIST_ROWS = 8
BAND_COLOURS = {"below lower threshold": "#fde2e0", "between thresholds": "#fff4cc", "at maximum": "#dff3e5"}


def _threshold(value: Fraction | None) -> str:
    return "" if value is None else f"{fmt.points(value).rstrip('0').rstrip('.')}%"


def _thresholds(row: IndicatorRow) -> str:
    if row.lower_threshold is None or row.upper_threshold is None:
        return ""
    return f"{_threshold(row.lower_threshold).rstrip('%')}–{_threshold(row.upper_threshold)}"


def _last_year(value: Fraction | None) -> str:
    return "" if value is None else fmt.percent(value)  # blank, not a dash: the tooltip says why


def _band(row: IndicatorRow) -> str:
    band = str(row.band).capitalize()
    paid_by_improvement = row.improvement is not None and row.improvement.route == IMPROVEMENT_ROUTE
    return f"{band} (improvement route)" if paid_by_improvement else band


def _points_note(row: IndicatorRow) -> str:
    note = f"{fmt.points(row.points)} of {fmt.points(row.max_points)} points"
    routes = row.improvement
    if routes is None:
        return note
    if routes.baseline_pct is None:
        return f"{note}, by the standard thresholds: no improvement baseline is held."
    return (f"{note}. Standard thresholds {fmt.points(routes.standard_points)}, improvement route "
            f"{fmt.points(routes.improvement_points)} from a baseline of "
            f"{fmt.percent(routes.baseline_pct / 100)}"
            "; the higher pays. Open the indicator for both routes.")


def indicator_columns(finance: bool, *, last_year: bool = False) -> list[Column[IndicatorRow]]:
    """The worklist's columns: what is left to earn first, then where the indicator stands (with
    ``last_year``, beside the same month of the year before), counts last."""
    unclaimed = (Column("£ unclaimed", attr("gbp_unclaimed"), fmt.money, numeric=True) if finance else
                 Column("Points unclaimed", attr("points_unclaimed"), fmt.points, numeric=True))
    columns = [
        Column("Indicator", attr("indicator_id"), tooltip=lambda row: row.description),
        unclaimed,
        Column("To upper", attr("patients_to_upper"), lambda n: "" if n is None else fmt.count(n),
               numeric=True, tooltip=lambda row: "More patients achieving the indicator needed to reach "
                                                 "the upper threshold (full points)."),
        Column("Achieved", attr("achievement"), fmt.percent, numeric=True,
               tooltip=lambda row: f"Thresholds {_thresholds(row)}" if _thresholds(row) else None),
        *([Column("Last year", attr("last_year"), _last_year, numeric=True,
                  tooltip=lambda row: row.last_year_note)] if last_year else []),
        Column("Band", _band, background=lambda row: BAND_COLOURS.get(row.band)),
        Column("Points", attr("points"), fmt.points, numeric=True, tooltip=_points_note),
        Column("Of", attr("max_points"), fmt.points, numeric=True),
    ]
    if finance:
        columns += [Column("£ next patient", attr("gbp_next_patient"), fmt.money, numeric=True),
                    Column("£ earned", attr("payment"), fmt.money, numeric=True)]
    return [*columns,
            Column("Description", attr("description"), tooltip=lambda row: row.description),
            Column("Thresholds", _thresholds, numeric=True),
            Column("Num", attr("numerator"), fmt.count, numeric=True),
            Column("Den", attr("denominator"), fmt.count, numeric=True),
            Column("PCA", attr("pca"), fmt.count, numeric=True)]


class Card(QFrame):
    """One headline figure with a line of detail."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = QLabel(title)
        self.title.setWordWrap(True)
        self.value = QLabel("—")
        self.value.setWordWrap(True)  # narrow windows and large text: wrap rather than cut off
        fonts.relative(self.value, fonts.HEADING, bold=True)
        self.detail = QLabel("")
        self.detail.setWordWrap(True)
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(10, 6, 10, 6)
        self._grid.setVerticalSpacing(2)
        self.compact: bool | None = None
        self.set_compact(False)
        self.setAccessibleName(title)

    def set_compact(self, compact: bool) -> None:
        """Compact (large text on a small screen): one line, the title beside a smaller figure, the detail
        in the figure's tooltip, so the worklist below keeps room for its rows."""
        if compact == self.compact:
            return
        self.compact = compact
        for label in (self.title, self.value, self.detail):
            self._grid.removeWidget(label)
        fonts.relative(self.value, fonts.PROMINENT if compact else fonts.HEADING, bold=True)
        self.detail.setVisible(not compact)
        self.value.setToolTip(self.detail.text() if compact else "")
        if compact:
            self._grid.addWidget(self.title, 0, 0)
            self._grid.addWidget(self.value, 0, 1)
            self._grid.addWidget(self.detail, 1, 0, 1, 2)
            self._grid.setColumnStretch(1, 1)
        else:
            self._grid.addWidget(self.title, 0, 0, 1, 2)
            self._grid.addWidget(self.value, 1, 0, 1, 2)
            self._grid.addWidget(self.detail, 2, 0, 1, 2)
            self._grid.setColumnStretch(1, 0)

    def figure_width(self) -> int:
        """The width the figure needs on one line at its full (not compact) size."""
        font = QFont(QApplication.font())
        font.setPointSizeF(font.pointSizeF() * fonts.HEADING)
        font.setBold(True)
        return QFontMetrics(font).horizontalAdvance(self.value.text()) + 24

    def show_figures(self, value: str, detail: str = "") -> None:
        self.value.setText(value)
        self.detail.setText(detail)
        self.value.setToolTip(detail if self.compact else "")
        self.setAccessibleDescription(f"{value}. {detail}")


class QofPanel(QWidget):
    indicator_opened = Signal(object)  # an IndicatorRow (double-click or Enter)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.dashboard: QofDashboard | None = None
        self._finance: bool | None = None
        self._worklist: Prepared[IndicatorRow] | None = None
        self.cards_row = QGridLayout()
        self.points_card = Card("Points", self)
        self.payment_card = Card("Payment", self)
        self.aspiration_card = Card("Aspiration received", self)
        self.projection_card = Card("Year-end projection", self)
        self.projection_card.setToolTip(METHOD + ".")
        self.cards = (self.points_card, self.payment_card, self.aspiration_card, self.projection_card)
        self._cards_across: int | None = None

        self.group = QComboBox()
        self.group.setAccessibleName("Clinical group")
        # Long group names shorten on a narrow screen or with large text (the list shows them whole).
        self.group.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.group.setMinimumContentsLength(18)
        self.group.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.group.setMaximumWidth(self.group.fontMetrics().averageCharWidth() * 50)
        self.group.currentIndexChanged.connect(lambda _index: self._show_rows())
        self.table: RecordTable[IndicatorRow] = RecordTable(
            indicator_columns(False, last_year=True), name="indicators",
            empty_message="No indicators in this group.")
        self.table.row_activated.connect(self.indicator_opened)

        from app.views.chart_view import ChartView  # matplotlib itself loads on the first draw, on a worker

        self.thresholds_chart = ChartView(name="Achievement against thresholds")
        self.trend_chart = ChartView(name="Monthly trend and projection")
        charts_body = QWidget()
        chart_layout = QVBoxLayout(charts_body)
        chart_layout.addWidget(self.thresholds_chart, 3)
        chart_layout.addWidget(self.trend_chart, 2)
        charts = QScrollArea()  # on a small screen the charts keep their size and scroll
        charts.setWidgetResizable(True)
        charts.setFrameShape(QFrame.Shape.NoFrame)
        charts.setWidget(charts_body)
        worklist = QWidget()
        worklist_layout = QVBoxLayout(worklist)
        worklist_layout.setContentsMargins(0, 4, 0, 0)
        filters = QHBoxLayout()
        filters.addWidget(QLabel("Clinical &group:", buddy=self.group))
        filters.addWidget(self.group, 1)
        filters.addStretch(0)
        # On its own line: beside the group picker it was squeezed to a column a word wide at large text.
        hint = QLabel("Ranked by what is still to earn. Double-click for detail and a what-if.")
        hint.setWordWrap(True)
        worklist_layout.addLayout(filters)
        worklist_layout.addWidget(hint)
        worklist_layout.addWidget(self.table, 1)
        self.tabs = QTabWidget()
        self.tabs.addTab(worklist, "&Worklist")
        self.tabs.addTab(charts, "C&harts")
        self.tabs.currentChanged.connect(lambda _index: self._draw_charts())

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self.cards_row)
        layout.addWidget(self.tabs, 1)
        self._arrange_cards()
        self._fit_worklist_height()

    def show_dashboard(self, dashboard: QofDashboard, worklist: Prepared[IndicatorRow] | None = None) -> None:
        """Show ``dashboard``; ``worklist`` is its indicators prepared for the table (on the worker)."""
        self.dashboard = dashboard
        finance = dashboard.finance
        self._worklist = worklist or prepare(indicator_columns(finance, last_year=True), dashboard.indicators)
        self._show_cards(dashboard)
        chosen = self.group.currentText()
        self.group.blockSignals(True)
        self.group.clear()
        self.group.addItems([ALL_GROUPS, *dashboard.groups])
        self.group.setCurrentIndex(max(0, self.group.findText(chosen)))
        self.group.blockSignals(False)
        self._show_rows()
        if finance != self._finance:
            self._finance = finance
            self.payment_card.setVisible(finance)
            self.aspiration_card.setVisible(finance)
            self.table.view.sortByColumn(self._worklist_column(), Qt.SortOrder.DescendingOrder)
        self._cards_across = None
        self._arrange_cards()

    def _arrange_cards(self) -> None:
        """The cards side by side when their figures fit there; else two across, each compact, so large
        text leaves the worklist room for its rows."""
        shown = [card for card in self.cards if not card.isHidden()]
        if not shown:
            return
        # Side by side while each figure needs at most two lines there (as at 150% text on 1024×768).
        width = self.width() or 1
        side_by_side = all(card.figure_width() <= 1.6 * (width / len(shown) - 8) for card in shown)
        across = len(shown) if side_by_side else min(2, len(shown))
        if across == self._cards_across:
            return
        self._cards_across = across
        for card in self.cards:
            self.cards_row.removeWidget(card)
        for index, card in enumerate(shown):
            card.set_compact(not side_by_side)
            self.cards_row.addWidget(card, index // across, index % across)
        for column in range(4):
            self.cards_row.setColumnStretch(column, 1 if column < across else 0)

    def _fit_worklist_height(self) -> None:
        """At least WORKLIST_ROWS rows tall, with the header and the sideways scroll bar, at the text size."""
        view = self.table.view
        rows = max(view.verticalHeader().defaultSectionSize(), view.sizeHintForRow(0))
        header = view.horizontalHeader().sizeHint().height()
        scroll_bar = view.horizontalScrollBar().sizeHint().height()
        view.setMinimumHeight(header + WORKLIST_ROWS * rows + scroll_bar + 2 * view.frameWidth())

    def _worklist_column(self) -> int:
        titles = [column.title for column in self.table.model.columns]
        return titles.index("£ unclaimed" if self._finance else "Points unclaimed")

    def _show_cards(self, dashboard: QofDashboard) -> None:
        # Short details (the longer explanation is the tooltip): the cards must fit 1024×768 at 150% text.
        summary = dashboard.summary
        share = summary.points / summary.max_points if summary.max_points else None
        self.points_card.show_figures(f"{fmt.points(summary.points)} of {fmt.points(summary.max_points)}",
                                      f"{fmt.percent(share)} at {fmt.uk_date(summary.achievement_date)}")
        projected = summary.projected_points
        detail = "by 31 March"
        if dashboard.finance and summary.projected_payment is not None:
            detail = f"About {fmt.money(summary.projected_payment)} by 31 March"
        self.projection_card.show_figures(f"{fmt.points(projected)} points" if projected is not None else "—",
                                          detail)
        if not dashboard.finance:
            return
        self.payment_card.show_figures(fmt.money(summary.payment), f"of {fmt.money(summary.max_payment)}")
        if summary.aspiration_total is None:
            self.aspiration_card.show_figures("Not known", "No result for last year")
            self.aspiration_card.setToolTip("Aspiration payments are a share of last year's QOF achievement, "
                                            "and last year's result is not in CQRS.")
        else:
            self.aspiration_card.show_figures(
                fmt.money(summary.aspiration_to_date),
                f"{summary.aspiration_months} of 12 payments, of {fmt.money(summary.aspiration_total)}")
            self.aspiration_card.setToolTip("Aspiration is paid monthly from last year's achievement; the "
                                            "balance against this year's achievement is paid after year end.")

    def _show_rows(self) -> None:
        if self._worklist is None:
            return
        group = self.group.currentText()
        everything = group in ("", ALL_GROUPS)
        worklist = self._worklist
        self.table.set_prepared(worklist if everything else worklist.where(lambda row: row.group == group))
        self._fit_worklist_height()  # the rows' own height is known once there are some
        self._draw_charts()

    def _chart_rows(self) -> tuple[str, Sequence[IndicatorRow]]:
        """The clinical group chosen and its indicators; every indicator, by group, for all groups."""
        assert self.dashboard is not None
        group = self.group.currentText()
        if group in ("", ALL_GROUPS):
            return ALL_GROUPS, self.dashboard.indicators
        return group, [row for row in self.dashboard.indicators if row.group == group]

    def _draw_charts(self) -> None:
        if self.dashboard is None or self.tabs.currentIndex() != 1 or not self.dashboard.indicators:
            return  # charts are drawn when their tab is open (matplotlib loads on first use)
        from app.views.charts import trend_painter
        from app.views.threshold_chart import thresholds_painter

        size = self.font().pointSizeF()
        group, rows = self._chart_rows()
        self._fit_chart_heights()
        self.thresholds_chart.draw(
            thresholds_painter(rows, self.dashboard.benchmarks, title=f"{group}: achievement against "
                               "thresholds", font_size=size),
            description=f"{group}: " + "; ".join(f"{row.indicator_id} {fmt.percent(row.achievement)} "
                                                 f"({row.band})" for row in rows))
        summary = self.dashboard.summary
        self.trend_chart.draw(
            trend_painter(self.dashboard.points_history, self.dashboard.points_projection,
                          title=f"QOF points, {summary.year.replace('-', '/')}", as_percent=False,
                          maximum=summary.max_points, y_label="Points", font_size=size),
            description=f"Points by month, {fmt.points(summary.points)} at "
                        f"{fmt.uk_date(summary.achievement_date)}; projected "
                        f"{fmt.points(summary.projected_points)} at 31 March.")

    def _fit_chart_heights(self) -> None:
        """Room for each row of the thresholds chart (an indicator or a group's heading) and for a legend
        above the plot when it cannot sit beside it; the trend gets room for its two-line month labels.
        At any text size; the charts tab scrolls."""
        if self.dashboard is None:
            return
        from app.views.chart_view import MINIMUM_HEIGHT
        from app.views.charts import legend_rows
        from app.views.threshold_chart import THRESHOLDS_GAP, THRESHOLDS_LEGEND, threshold_slots

        line, size = self.fontMetrics().height(), self.font().pointSizeF()
        width, dpi = self.thresholds_chart.width(), float(self.thresholds_chart.logicalDpiY() or 96)
        legend = legend_rows(THRESHOLDS_LEGEND, size, width, dpi, size * THRESHOLDS_GAP) * 1.35
        slots = len(threshold_slots(self._chart_rows()[1]))
        self.thresholds_chart.setMinimumHeight(max(MINIMUM_HEIGHT, round(line * (1.7 * slots + 6 + legend))))
        self.trend_chart.setMinimumHeight(max(MINIMUM_HEIGHT, line * 13))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._arrange_cards()
        if self.tabs.currentIndex() == 1:
            self._fit_chart_heights()  # a narrower chart may move its legend above the plot

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # the Text size setting changed
            self._cards_across = None
            self._arrange_cards()
            self._fit_worklist_height()
            self._draw_charts()  # chart text follows the new size
