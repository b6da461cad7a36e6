"""One indicator in detail: its rule and source, its monthly history, and a what-if editor.

The what-if recalculates at once with ``app.services.dashboard.what_if`` (exact, on the GUI thread: one
indicator is microseconds of work). It is only a what-if: nothing is stored or sent anywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QLabel,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.services import format as fmt
from app.services import pca_reference, sources
from app.services.calculation import CalculationError
from app.services.dashboard import Benchmark, IndicatorRow, QofDashboard, what_if, year_end
from app.services.improvement import IMPROVEMENT_ROUTE, ImprovementResult
from app.services.projection import project
from app.services.rules import RuleSet
from app.views import fonts
from app.views.chart_view import MINIMUM_HEIGHT, ChartView
from app.views.charts import trend_painter
from app.views.provisional_note import linked

MAX_COUNT = 1_000_000
MONEY_CONSTANTS = ("value_per_point_gbp", "national_average_list_size")  # the £ per point and the CPI


def _percent(value: Fraction | None) -> str:
    return f"{fmt.points(value).rstrip('0').rstrip('.')}%"


def _value(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)  # large text or a narrow screen: wrap rather than widen the dialog
    return label


def _signed(text: str) -> str:
    return text if text.startswith(("−", "-")) else f"+{text}"


def pca_rates_line(row: IndicatorRow, peers: Benchmark | None) -> str:
    """The practice's PCA rate beside its PCN's and every practice's, in plain words."""
    def rate(value: Fraction | None) -> str:
        return "not known" if value is None else fmt.percent(value)

    text = (f"This practice {rate(row.pca_rate)} ({fmt.count(row.pca)} of "
            f"{fmt.count(row.denominator + row.pca)} patients)")
    if peers is None:
        return text + "; no PCN or national rate has been published for this date yet."
    return f"{text}; PCN {rate(peers.pca_pcn)}; national (all practices) {rate(peers.pca_all)}."


def pca_reason_lines(row: IndicatorRow) -> list[tuple[str, str]]:
    """(code and count, plain-English meaning) of each PCA reason, largest first."""
    return [(f"{code}: {fmt.count(count)}", pca_reference.meaning(code)) for code, count in row.pca_reasons]


def route_lines(routes: ImprovementResult, max_points: Fraction) -> str:
    """Both routes of an indicator with an improvement route, which pays, and the next step on each."""
    def to_reach(patients: int | None, what: str) -> str:
        if patients is None:
            return f"{what} is out of reach this year"
        return f"{what} is reached" if patients == 0 else f"{fmt.count(patients)} more patients reach {what}"

    standard = (f"Standard thresholds: {fmt.points(routes.standard_points)} of {fmt.points(max_points)} "
                "points; "
                f"{to_reach(routes.patients_to_standard_upper, 'the upper threshold')}.")
    if routes.baseline_pct is None:
        return (standard + "\nImprovement route: no baseline, because the results at 31 March of both "
                "earlier years are not held, so the standard thresholds alone apply.")
    pays = "improvement route pays" if routes.route == IMPROVEMENT_ROUTE else "standard thresholds pay"
    improvement = (f"Improvement route: baseline {fmt.percent(routes.baseline_pct / 100)} (the mean of the "
                   f"last two year ends); points start above {fmt.percent(routes.lower_pct / 100)} and are "
                   "full at "
                   f"{fmt.percent(routes.upper_pct / 100)}: {fmt.points(routes.improvement_points)} points; "
                   f"{to_reach(routes.patients_to_improvement_upper, 'full improvement points')}.")
    return f"{standard}\n{improvement}\nThe {pays}, as the higher of the two."


class IndicatorDetail(QDialog):
    def __init__(self, row: IndicatorRow, dashboard: QofDashboard, record: Mapping[str, Any], rules: RuleSet,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.row, self.dashboard, self.record, self.rules = row, dashboard, record, rules
        self.setWindowTitle(f"{row.indicator_id}: indicator detail")
        rule = rules.indicators[row.indicator_id]

        heading = QLabel(f"{row.indicator_id}: {row.description}")
        heading.setWordWrap(True)
        fonts.relative(heading, fonts.PROMINENT, bold=True)
        facts = QFormLayout()
        facts.addRow("Clinical group:", _value(row.group))
        thresholds = (f"{_percent(rule.lower_threshold)} to {_percent(rule.upper_threshold)}"
                      if rule.lower_threshold is not None else "none (paid when the register exists)")
        facts.addRow("Thresholds:", _value(thresholds))
        facts.addRow("Points available:", _value(fmt.points(rule.max_points)))
        weighted = ", ".join(rule.registers) or "the practice list (CPI) only"
        facts.addRow("Paid by prevalence of:", _value(weighted))
        now = (f"{fmt.count(row.numerator)} of {fmt.count(row.denominator)} "
               f"({fmt.percent(row.achievement)}), {fmt.count(row.pca)} PCA: {fmt.points(row.points)} points")
        if row.payment is not None:
            now += f", {fmt.money(row.payment)}"
        facts.addRow(f"At {fmt.uk_date(dashboard.summary.achievement_date)}:", _value(f"{now} ({row.band})"))
        if row.improvement is not None:
            self.routes = _value(route_lines(row.improvement, rule.max_points))
            self.routes.setAccessibleName("Improvement route")
            facts.addRow("Two routes:", self.routes)
        found = sources.citations(rule.source)
        self.source = source = QLabel(sources.as_html(found))
        source.setTextFormat(Qt.TextFormat.RichText)
        source.setWordWrap(True)
        source.setOpenExternalLinks(True)  # in the web browser; links are reached with Tab too
        source.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        source.linkHovered.connect(source.setToolTip)  # the full address, before it is opened
        source.setAccessibleName("Source")
        source.setAccessibleDescription(sources.as_text(found))
        facts.addRow("Source:", source)
        # The indicator's own figures, and with Finance View the constants its £ rests on.
        reasons = [rule.provisional] if rule.provisional else []
        if dashboard.finance:
            reasons += [rules.constants.provisional[name] for name in MONEY_CONSTANTS
                        if name in rules.constants.provisional]
        if reasons:
            # Addresses cannot wrap: each shows as its site's name, a link to the whole address.
            self.provisional = _value("<br>".join(linked(reason) for reason in reasons))
            self.provisional.setTextFormat(Qt.TextFormat.RichText)
            self.provisional.setOpenExternalLinks(True)
            self.provisional.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
            self.provisional.linkHovered.connect(self.provisional.setToolTip)
            self.provisional.setAccessibleName("Provisional")
            self.provisional.setAccessibleDescription(" ".join(reasons))
            facts.addRow("Provisional:", self.provisional)

        self.chart = ChartView(name=f"{row.indicator_id} monthly achievement")
        history = dashboard.history.get(row.indicator_id, ())
        projection = project(history, year_end(dashboard.summary.year), 1) if history else None
        self.chart.draw(trend_painter(history, projection, title=f"{row.indicator_id}: achievement by month",
                                      as_percent=True, maximum=None, y_label="Achievement (%)",
                                      font_size=self.font().pointSizeF()),
                        description="; ".join(f"{fmt.uk_date(when)} {fmt.percent(value)}"
                                              for when, value in history))

        body = QWidget()
        content = QVBoxLayout(body)
        content.addWidget(heading)
        content.addLayout(facts)
        content.addWidget(self._pca_box(dashboard.benchmarks.get(row.indicator_id)))
        # Room for two-line month labels and the y-axis at any text size, and for the what-if below.
        self.chart.setMinimumHeight(max(MINIMUM_HEIGHT, self.fontMetrics().height() * 13))
        self.chart.setMaximumHeight(self.fontMetrics().height() * 16)
        content.addWidget(self.chart)
        content.addWidget(self._what_if_box(rule.registers))
        scroll = QScrollArea()  # small screens and large text: scroll rather than overlap
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # the texts wrap instead
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addWidget(buttons)
        self.recalculate()
        screen = self.screen().availableGeometry()
        wanted = body.sizeHint()
        self.resize(min(max(wanted.width() + 40, 720), screen.width() - 40),
                    min(wanted.height() + 80, screen.height() - 60))

    def _pca_box(self, peers: Benchmark | None) -> QGroupBox:
        box = QGroupBox("Personalised care adjustments (PCAs)")
        form = QFormLayout(box)
        self.pca_rates = _value(pca_rates_line(self.row, peers))
        self.pca_rates.setAccessibleName("PCA rates")
        form.addRow("PCA rate:", self.pca_rates)
        self.pca_reasons: list[QLabel] = []
        for count, meaning in pca_reason_lines(self.row):
            label = _value(meaning)
            label.setAccessibleName(f"PCA reason {count}")
            self.pca_reasons.append(label)
            form.addRow(f"{count}", label)
        if not self.row.pca_reasons:
            none = ("No PCAs were counted." if not self.row.pca else
                    "The extract gave the PCAs as one total, without the reasons.")
            form.addRow(_value(none))
        return box

    def _what_if_box(self, registers: tuple[str, ...]) -> QGroupBox:
        box = QGroupBox("What if… (not saved or sent anywhere)")
        form = QFormLayout(box)
        self.numerator = self._spin(self.row.numerator, "Numerator")
        self.denominator = self._spin(self.row.denominator, "Denominator")
        form.addRow("&Numerator:", self.numerator)
        form.addRow("&Denominator:", self.denominator)
        self.registers: dict[str, QSpinBox] = {}
        for register in registers:
            spin = self._spin(int(self.record["registers"].get(register, 0)), f"{register} register size")
            self.registers[register] = spin
            form.addRow(f"{register} register:", spin)
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.result.setAccessibleName("What-if result")
        form.addRow(self.result)
        return box

    def _spin(self, value: int, name: str) -> QSpinBox:
        spin = QSpinBox()
        spin.setRange(0, MAX_COUNT)
        spin.setValue(value)
        spin.setGroupSeparatorShown(True)
        spin.setAccessibleName(name)
        spin.valueChanged.connect(lambda _value: self.recalculate())
        return spin

    def recalculate(self) -> None:
        numerator, denominator = self.numerator.value(), self.denominator.value()
        if numerator > denominator:
            self.result.setText("The numerator cannot be more than the denominator.")
            return
        changed = {name: spin.value() for name, spin in self.registers.items()
                   if spin.value() != int(self.record["registers"].get(name, 0))}
        try:
            result = what_if(self.record, self.rules, self.row.indicator_id, numerator=numerator,
                             denominator=denominator, registers=changed or None,
                             finance=self.dashboard.finance, year_ends=self.dashboard.year_ends)
        except CalculationError as error:
            self.result.setText(str(error))
            return
        after = result.after
        text = (f"What-if: {fmt.percent(after.achievement)} achieved gives {fmt.points(after.points)} points "
                f"({_signed(fmt.points(result.points_change))})")
        if result.payment_change is not None:
            text += f", {fmt.money(after.payment)} ({_signed(fmt.money(result.payment_change))})"
        if after.patients_to_upper:
            text += f". {fmt.count(after.patients_to_upper)} more patients would reach the upper threshold"
        self.result.setText(text + ".")
