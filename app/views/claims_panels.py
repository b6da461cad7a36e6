"""The dashboard's panels for item-of-service claims: vaccination programmes by month (with QOF VI001–
VI004), and an enhanced service against its cap (LD register, referral allocation)."""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from typing import Any

from PySide6.QtCore import QEvent
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.services import format as fmt
from app.services.claims_view import ClaimRow, VaccinationView
from app.services.dashboard import IndicatorRow
from app.views.chart_view import MINIMUM_HEIGHT, ChartView
from app.views.qof_panel import indicator_columns
from app.views.record_table import Column, RecordTable, attr, prepare


def _item(name: str) -> str:
    return name.replace("_", " ").lower()


def singular(items: str) -> str:
    """One of ``items`` (an item name in the plural): "checks" → "check", "batches" → "batch"."""
    if items.endswith("ies"):
        return items[:-3] + "y"
    if items.endswith(("ches", "shes", "sses", "xes")):
        return items[:-2]
    return items[:-1] if items.endswith("s") and not items.endswith("ss") else items


def counted(number: int, items: str) -> str:
    """A count with its item name, singular for one: "1 check", "62 checks"."""
    return f"{fmt.count(number)} {singular(items) if number == 1 else items}"


class VaccinationPanel(QWidget):
    """Doses per programme per month (and £ for Finance View), a chart of doses, and VI001–VI004."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view: VaccinationView | None = None
        self.finance = False
        self.table: RecordTable[dict[str, Any]] = RecordTable(
            [], name="vaccination programmes", empty_message="No vaccination claims yet.")
        self.indicators: RecordTable[IndicatorRow] = RecordTable(
            indicator_columns(False), name="QOF vaccination indicators",
            empty_message="No QOF vaccination indicators in this extract.")
        self.chart = ChartView(name="Doses by month")
        self.measure = QComboBox()  # the monthly cells: doses, or £ claimed (Finance View only)
        self.measure.setAccessibleName("Show in the monthly columns")
        self.measure.currentIndexChanged.connect(lambda _index: self._fill_table())
        self.measure_label = QLabel("S&how each month:", buddy=self.measure)
        programmes = QWidget()
        programme_layout = QVBoxLayout(programmes)
        programme_layout.setContentsMargins(0, 4, 0, 0)
        chooser = QHBoxLayout()
        chooser.addWidget(self.measure_label)
        chooser.addWidget(self.measure)
        chooser.addStretch(1)
        programme_layout.addLayout(chooser)
        programme_layout.addWidget(self.table, 1)
        tabs = QTabWidget()
        tabs.addTab(programmes, "&Programmes")
        chart_area = QScrollArea()  # large text: the chart keeps room for its legend and scrolls
        chart_area.setWidgetResizable(True)
        chart_area.setFrameShape(QFrame.Shape.NoFrame)
        chart_area.setWidget(self.chart)
        tabs.addTab(chart_area, "&Doses chart")
        tabs.addTab(self.indicators, "&QOF VI001–VI004")
        tabs.currentChanged.connect(lambda index: self._draw_chart() if index == 1 else None)
        self.tabs = tabs
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(tabs, 1)

    def show_view(self, view: VaccinationView, finance: bool) -> None:
        self.view, self.finance = view, finance
        self.measure_label.setVisible(finance)
        self.measure.setVisible(finance)
        self.measure.blockSignals(True)
        chosen = self.measure.currentIndex()
        self.measure.clear()
        self.measure.addItems(["Doses", "£ claimed"] if finance else ["Doses"])  # no £ at all otherwise
        self.measure.setCurrentIndex(chosen if finance and chosen > 0 else 0)
        self.measure.blockSignals(False)
        self._fill_table()
        self.indicators.set_prepared(prepare(indicator_columns(finance), view.qof_indicators))
        self._draw_chart()

    def _fill_table(self) -> None:
        view = self.view
        if view is None:
            return
        money = self.finance and self.measure.currentIndex() == 1
        cell, show = ("pounds", fmt.money) if money else ("doses", fmt.count)
        columns = [Column("Programme", lambda row: row["name"])]
        for index, month in enumerate(view.months):
            columns.append(Column(fmt.month_year(month), lambda row, i=index: row[cell][i], show,
                                  numeric=True))
        columns.append(Column("Doses", lambda row: sum(row["doses"]), fmt.count, numeric=True))
        if self.finance:
            columns.append(Column("£ claimed", lambda row: sum((p for p in row["pounds"] if p is not None),
                                                               start=Fraction(0)), fmt.money, numeric=True))
        rows = [{"code": code, "name": name, "doses": view.doses(code),
                 "pounds": view.payments(code) if self.finance else []} for code, name in view.programmes]
        self.table.set_prepared(prepare(columns, rows))

    def _draw_chart(self) -> None:
        if self.view is None or self.tabs.currentIndex() != 1:
            return
        from app.views.charts import doses_painter

        series = {name: self.view.doses(code) for code, name in self.view.programmes}
        self._fit_chart_height()
        self.chart.draw(doses_painter(self.view.months, series, title="Vaccination doses by month",
                                      font_size=self.font().pointSizeF()),
                        description="; ".join(f"{name}: {sum(doses)} doses"
                                              for name, doses in series.items()))

    def _fit_chart_height(self) -> None:
        """Room for two-line month labels, and for the legend when it has to go above the plot."""
        if self.view is None:
            return
        from app.views.charts import legend_rows

        line, size = self.fontMetrics().height(), self.font().pointSizeF()
        names = [name for _, name in self.view.programmes]
        legend = legend_rows(names, size, self.chart.width(), float(self.chart.logicalDpiY() or 96)) * 1.35
        self.chart.setMinimumHeight(max(MINIMUM_HEIGHT, round(line * (13 + legend))))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.tabs.currentIndex() == 1:
            self._fit_chart_height()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # the Text size setting changed: chart text follows it
            self._draw_chart()


class EnhancedPanel(QWidget):
    """One enhanced service month by month: done, the cap, paid for, and what the cap leaves unpaid.

    Shown as at the chosen achievement date, as QOF is: that month's summary, and the months up to it
    with that month selected.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.table: RecordTable[ClaimRow] = RecordTable([], name="enhanced service claims",
                                                        empty_message="No claims yet.")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)

    def show_rows(self, rows: tuple[ClaimRow, ...], finance: bool, when: date | None = None) -> None:
        item = _item(rows[0].item) if rows else "items"
        columns = [Column("Achievement date", attr("achievement_date"), fmt.uk_date),
                   Column(f"{item.capitalize()} done", attr("count"), fmt.count, numeric=True),
                   Column("Cap", attr("cap"), lambda n: "" if n is None else fmt.count(n), numeric=True,
                          tooltip=lambda row: "The most that can be paid: e.g. the LD register or the "
                                              "referral allocation."),
                   Column("Paid for", attr("paid_count"), fmt.count, numeric=True),
                   Column("Over the cap", attr("over_cap"), fmt.count, numeric=True)]
        if finance:
            columns += [Column("£ claimed", attr("payment"), fmt.money, numeric=True),
                        Column("£ still claimable", attr("headroom"), fmt.money, numeric=True)]
        columns.append(Column("Waiting for", attr("waiting_for"), lambda w: w or ""))
        chosen = next((row for row in rows if row.achievement_date == when), rows[0] if rows else None)
        shown = [row for row in rows if chosen is None or row.achievement_date <= chosen.achievement_date]
        self.table.set_prepared(prepare(columns, shown))
        if chosen is not None:
            self.table.select_where(lambda row: row is chosen)
        self.summary.setText(self._summary(chosen, item, finance) if chosen is not None else "")

    @staticmethod
    def _summary(latest: ClaimRow, item: str, finance: bool) -> str:
        text = f"{fmt.uk_date(latest.achievement_date)}: {counted(latest.count, item)}"
        if latest.cap is not None:
            text += f" against a cap of {fmt.count(latest.cap)}"
            if latest.over_cap:
                text += f"; {fmt.count(latest.over_cap)} over the cap will not be paid"
        if finance and latest.headroom is not None:
            text += f"; {fmt.money(latest.headroom)} still claimable"
        return text + "."


def latest_first(dates: tuple[date, ...]) -> list[str]:
    """Labels for the achievement-date picker: the newest marked as the latest extract."""
    return [f"{fmt.uk_date(when)}{' (latest)' if index == 0 else ''}" for index, when in enumerate(dates)]
