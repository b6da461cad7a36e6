"""The QOF achievement summary as a printed report (``app.services.report_html``), with its charts.

``SummaryRequest`` holds the plain values a page captures on the GUI thread; ``make_summary(request)``
reads the cache and renders the charts (run it on the task runner: it is a ``print_document`` maker's
body). ``build_summary`` is the content: totals (points; £ only with Finance View), a table of the
clinical groups, the indicator table as on the dashboard (one per clinical group, band in words), the
thresholds and trend charts from the dashboard's own painters (hatched by band so they read in black
and white), aspiration against achievement, declaration status, and provisional figures and rule
sources as footnotes. Without Finance View no £ figure and no money column is built at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction

from PySide6.QtCore import QBuffer, QIODevice

from app.services import format as fmt
from app.services.calculation import AT_MAXIMUM, BELOW_LOWER, BETWEEN, year_end_balance
from app.services.dashboard import IndicatorRow, QofDashboard, year_end
from app.services.declarations import DeclarationRow
from app.services.report_html import Chart, Report, ReportMeta, Section, Table, paragraph, report
from app.services.rules import RuleSet
from app.services.sources import citations

TITLE = "QOF achievement summary"
CHART_POINTS = 8.0
CHART_WIDTH_PX = 640  # at 96 per inch: the width of the page between its margins
PRINT_RATIO = 2.5  # 96 × 2.5 = 240 dots per inch: sharp on paper, and quick enough to print
MONEY_CONSTANTS = ("value_per_point_gbp", "national_average_list_size")
# Hatching by band, so bars tell their band apart without colour (the legend's swatches match).
BAND_HATCHES = {"#d5281b": "xxxx", "#ffb81c": "////", "#007f3b": ""}


@dataclass(frozen=True)
class SummaryRequest:
    ods: str
    practice_name: str
    printed_by: str  # already masked in screen-share mode
    finance: bool
    year: str
    achievement_date: date
    today: date  # the service's date (aspiration months, declaration windows)


def _band(row: IndicatorRow) -> str:
    return row.band.capitalize() if row.band else "Not scored"


def _thresholds(row: IndicatorRow) -> str:
    if row.lower_threshold is None or row.upper_threshold is None:
        return ""
    return f"{fmt.percent(row.lower_threshold / 100, 0)}–{fmt.percent(row.upper_threshold / 100, 0)}"


def indicator_table(rows: Sequence[IndicatorRow], finance: bool) -> Table:
    """The dashboard's indicator columns, each indicator's description on a line under its figures so the
    figures fit an A4 page's width; £ only with Finance View."""
    headers = ["Indicator", "Achieved", "Last year", "Band", "Thresholds", "Points", "To upper", "Num / Den",
               "PCA"]
    numeric = [False, True, True, False, True, True, True, True, True]
    widths = [8, 9, 8, 15, 11, 14, 8, 19, 8] if not finance else [7, 8, 6, 12, 9, 10, 6, 14, 5]
    if finance:
        headers += ["£ earned", "£ unclaimed"]
        numeric += [True, True]
        widths += [11, 12]
    body = []
    for row in rows:
        cells = [row.indicator_id, fmt.percent(row.achievement),
                 fmt.percent(row.last_year) if row.last_year is not None else "", _band(row),
                 _thresholds(row), f"{fmt.points(row.points)} of {fmt.points(row.max_points)}",
                 "" if row.patients_to_upper is None else fmt.count(row.patients_to_upper),
                 f"{fmt.count(row.numerator)} / {fmt.count(row.denominator)}", fmt.count(row.pca)]
        if finance:
            cells += [fmt.money(row.payment), fmt.money(row.gbp_unclaimed)]
        body.append(tuple(cells))
    return Table(tuple(headers), tuple(body), tuple(numeric), widths=tuple(widths),
                 notes=tuple(row.description for row in rows))


def groups_table(dashboard: QofDashboard) -> Table:
    headers = ["Clinical group", "Indicators", "At maximum", "Between", "Below lower", "Points", "Of"]
    numeric = [False, True, True, True, True, True, True]
    if dashboard.finance:
        headers.append("£ earned")
        numeric.append(True)
    body = []
    for group in dashboard.groups:
        rows = [row for row in dashboard.indicators if row.group == group]
        cells = [group, str(len(rows))] + [str(sum(row.band == band for row in rows))
                                           for band in (AT_MAXIMUM, BETWEEN, BELOW_LOWER)]
        cells += [fmt.points(sum((row.points for row in rows), Fraction(0))),
                  fmt.points(sum((row.max_points for row in rows), Fraction(0)))]
        if dashboard.finance:
            cells.append(fmt.money(sum((row.payment or Fraction(0) for row in rows), Fraction(0))))
        body.append(tuple(cells))
    return Table(tuple(headers), tuple(body), tuple(numeric))


def _totals_html(dashboard: QofDashboard) -> str:
    summary = dashboard.summary
    lines = [f"Points: {fmt.points(summary.points)} of {fmt.points(summary.max_points)} at "
             f"{fmt.uk_date(summary.achievement_date)}.",
             f"Projected points at 31 March: {fmt.points(summary.projected_points)}."
             if summary.projected_points is not None else "No projection to 31 March yet.",
             f"Registered list size: {fmt.count(summary.list_size)}."]
    if dashboard.finance:
        lines += [f"Achievement payment so far: {fmt.money(summary.payment)} of "
                  f"{fmt.money(summary.max_payment)} available.",
                  f"Projected achievement payment at 31 March: {fmt.money(summary.projected_payment)}."
                  if summary.projected_payment is not None else ""]
    return "".join(paragraph(line) for line in lines if line)


def _aspiration_html(dashboard: QofDashboard) -> str:
    summary = dashboard.summary
    if not dashboard.finance:
        return paragraph("Aspiration payments are money: they are shown only to people with the Finance View "
                         "role. Ask your practice's user administrator if you need them.")
    if summary.aspiration_total is None or summary.aspiration_to_date is None or summary.payment is None:
        return paragraph("No aspiration figures: last year's result at 31 March is not held on this PC.")
    paid = summary.aspiration_to_date
    projected = summary.projected_payment if summary.projected_payment is not None else summary.payment
    return "".join(paragraph(line) for line in (
        f"Aspiration for the year: {fmt.money(summary.aspiration_total)}, paid monthly; "
        f"{summary.aspiration_months} of 12 instalments by now: {fmt.money(paid)}.",
        f"Achievement payment so far: {fmt.money(summary.payment)}.",
        f"Projected year-end balance (projected achievement {fmt.money(projected)} less the year's "
        f"aspiration): {fmt.money(year_end_balance(projected, summary.aspiration_total))}. "
        "A negative balance is paid back."))


def declarations_section(rows: Sequence[DeclarationRow], year: str) -> Section:
    if not rows:
        return Section("Declaration status", paragraph(
            f"Nothing has been declared for QOF {year.replace('-', '/')} yet. The year's achievement is "
            f"declared after it ends on {fmt.uk_date(year_end(year))}."))
    table = Table(("Achievement date", "Status", "What happens next"),
                  tuple((fmt.uk_date(row.achievement_date), row.status, row.next_step) for row in rows))
    return Section("Declaration status", table=table)


def footnotes(dashboard: QofDashboard, rules: RuleSet | None) -> list[str]:
    notes = ["Bands: “At maximum” (full points), “Between thresholds” (some points), “Below lower threshold” "
             "(no points). Figures at an achievement date before 31 March are the year so far."]
    if rules is None:
        return notes
    provisional: dict[str, list[str]] = {}
    cited: dict[str, list[str]] = {}
    for row in dashboard.indicators:
        rule = rules.indicators.get(row.indicator_id)
        if rule is None:
            continue
        if rule.provisional:
            provisional.setdefault(rule.provisional, []).append(row.indicator_id)
        for citation in citations(rule.source):
            text = citation.title + (f" ({citation.url})" if citation.url else "")
            cited.setdefault(text, []).append(row.indicator_id)
    notes += [f"Provisional ({', '.join(codes)}): {reason}." for reason, codes in provisional.items()]
    if dashboard.finance:
        notes += [f"Provisional £: {rules.constants.provisional[name]}." for name in MONEY_CONSTANTS
                  if name in rules.constants.provisional]
    every = len(dashboard.indicators)
    notes += [f"Source ({'all indicators' if len(codes) == every else ', '.join(codes)}): {text}."
              for text, codes in cited.items()]
    return notes


def _hatched(painter: object) -> object:
    """``painter`` with each band's bars (and legend swatch) hatched, so the bands read in black and white."""
    from matplotlib.colors import to_hex
    from matplotlib.patches import Rectangle

    def paint(figure: object) -> None:
        painter(figure)  # type: ignore[operator]
        for axes in figure.axes:  # type: ignore[attr-defined]
            legend = axes.get_legend()
            patches = [*axes.patches, *(legend.get_patches() if legend is not None else [])]
            for patch in patches:
                if isinstance(patch, Rectangle):
                    hatch = BAND_HATCHES.get(to_hex(patch.get_facecolor()))
                    if hatch:
                        patch.set_hatch(hatch)
                        patch.set_edgecolor("#ffffff")

    return paint


def _png(painter: object, height_px: int) -> bytes:
    from app.views.charts import render

    image = render(painter, CHART_WIDTH_PX, height_px, dpi=96, ratio=PRINT_RATIO).image  # type: ignore[arg-type]
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise OSError("a chart could not be drawn for printing")
    return bytes(buffer.data().data())


def thresholds_chart(group: str, rows: Sequence[IndicatorRow], dashboard: QofDashboard, index: int) -> Chart:
    from app.views.threshold_chart import thresholds_painter

    height = 150 + 26 * len(rows)  # title and legend above, the x-axis below, then a row per indicator
    painter = thresholds_painter(rows, dashboard.benchmarks, title=f"{group}: achievement against thresholds",
                                 font_size=CHART_POINTS)
    words = "; ".join(f"{row.indicator_id} {fmt.percent(row.achievement)} ({_band(row).lower()})"
                      for row in rows)
    return Chart(f"thresholds-{index}.png", _png(_hatched(painter), height), f"{group}: {words}.",
                 CHART_WIDTH_PX, height)


def trend_chart(dashboard: QofDashboard) -> Chart:
    from app.views.charts import trend_painter

    summary = dashboard.summary
    painter = trend_painter(dashboard.points_history, dashboard.points_projection,
                            title=f"QOF points, {summary.year.replace('-', '/')}", as_percent=False,
                            maximum=summary.max_points, y_label="Points", font_size=CHART_POINTS)
    height = 260
    return Chart("trend.png", _png(painter, height),
                 f"Points by month: {fmt.points(summary.points)} at {fmt.uk_date(summary.achievement_date)}; "
                 f"projected {fmt.points(summary.projected_points)} at 31 March.", CHART_WIDTH_PX, height)


def build_summary(meta: ReportMeta, dashboard: QofDashboard, declared: Sequence[DeclarationRow],
                  rules: RuleSet | None, *, charts: bool = True) -> Report:
    """The achievement summary of ``dashboard`` (charts rendered here unless ``charts`` is False)."""
    trend = (trend_chart(dashboard),) if charts else ()
    sections = [Section("Totals", _totals_html(dashboard), charts=trend),
                Section("Aspiration against achievement", _aspiration_html(dashboard)),
                declarations_section(declared, dashboard.summary.year),
                Section("Points by clinical group", table=groups_table(dashboard))]
    for index, group in enumerate(dashboard.groups, start=1):
        rows = [row for row in dashboard.indicators if row.group == group]
        shown = (thresholds_chart(group, rows, dashboard, index),) if charts else ()
        sections.append(Section(f"{group}: indicators", table=indicator_table(rows, dashboard.finance),
                                charts=shown, new_page=index == 1))
    return report(meta, sections, footnotes(dashboard, rules))


def make_summary(request: SummaryRequest, *, printed_at: datetime | None = None) -> Report:
    """Read the dashboard of ``request`` from the cache and build its summary (on the task runner)."""
    from app.services import cache_store, dashboard_data, declarations
    from app.services.dashboard import QOF, Choice
    from app.services.rules import qof_year, rules_for

    choice = Choice(f"{QOF}:{request.year}", QOF, "qof", (request.achievement_date,))
    dashboard = dashboard_data.load_view(request.ods, choice, request.achievement_date,
                                         finance=request.finance, today=request.today)
    assert isinstance(dashboard, QofDashboard)
    declared = [row for row in declarations.load(request.ods, finance=request.finance, today=request.today)
                if row.service == QOF and qof_year(row.achievement_date) == request.year]
    meta = ReportMeta(TITLE, request.practice_name, request.ods, request.printed_by,
                      printed_at or datetime.now().astimezone(),
                      cache_store.sync_info(request.ods).last_sync_at, QOF, request.year,
                      request.achievement_date)
    return build_summary(meta, dashboard, declared, rules_for(request.year))

