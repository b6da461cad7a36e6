"""app.views.charts, .threshold_chart and .chart_view: matplotlib loads only on the first draw, which runs
on a worker; painters draw what the data says."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import date
from fractions import Fraction
from pathlib import Path

import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QLabel, QVBoxLayout, QWidget

from app.services import tasks
from app.services.calculation import AT_MAXIMUM, BELOW_LOWER, BETWEEN, NOT_SCORED
from app.services.dashboard import Benchmark, IndicatorRow
from app.services.projection import METHOD, month_ends_after, project
from app.views import chart_view
from app.views.chart_view import ChartView
from app.views.charts import doses_painter, month_labels, render, trend_painter
from app.views.threshold_chart import threshold_slots, thresholds_painter

REPO = Path(__file__).resolve().parents[2]
RED, AMBER, GREEN = "#d5281b", "#ffb81c", "#007f3b"


def indicator(indicator_id: str, achievement: Fraction | None, lower: int | None, upper: int | None,
              band: str) -> IndicatorRow:
    return IndicatorRow(
        indicator_id=indicator_id, group="Diabetes", description=f"{indicator_id} description",
        source="QOF 2025/26 business rules", numerator=0, denominator=0, pca=0, achievement=achievement,
        lower_threshold=None if lower is None else Fraction(lower),
        upper_threshold=None if upper is None else Fraction(upper),
        points=Fraction(0), max_points=Fraction(10), points_unclaimed=Fraction(0), patients_to_upper=None,
        band=band, payment=None, gbp_next_patient=None, gbp_unclaimed=None)


ROWS = (
    indicator("DM006", Fraction(34, 100), 40, 90, BELOW_LOWER),
    indicator("DM012", Fraction(81, 100), 50, 90, BETWEEN),
    indicator("DM036", Fraction(95, 100), 50, 90, AT_MAXIMUM),
    indicator("DM034", None, 40, 90, BELOW_LOWER),
    indicator("DM_REG", None, None, None, NOT_SCORED),
)
BENCHMARKS = {
    "DM006": Benchmark(pcn=Fraction(6, 10), icb=Fraction(65, 100), all_practices=Fraction(7, 10)),
    "DM012": Benchmark(pcn=Fraction(7, 10), icb=None, all_practices=Fraction(72, 100)),
}
MONTHS = [date(2025, 4, 30), *month_ends_after(date(2025, 4, 30), date(2025, 11, 30))]  # Apr-Nov
POINTS = [(when, Fraction(50 * (index + 1))) for index, when in enumerate(MONTHS)]


def figure(width: float = 10, height: float = 4):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    drawn = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(drawn)
    return drawn


def texts(drawn) -> list[str]:
    from matplotlib.text import Text

    return [text.get_text() for text in drawn.findobj(Text)]


def hex_colour(artist) -> str:
    from matplotlib.colors import to_hex

    return to_hex(artist.get_facecolor())


def shown(qtbot, view: ChartView, size: tuple[int, int] = (900, 320)) -> ChartView:
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)
    return view


def wait_drawn(qtbot, view: ChartView) -> None:
    qtbot.waitUntil(lambda: view.figure is not None and view.up_to_date, timeout=10000)


def test_importing_the_modules_does_not_load_matplotlib() -> None:
    code = ("import sys, app.views.charts, app.views.chart_view, app.views.threshold_chart; "
            "print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "False"


def test_the_first_draw_loads_matplotlib_and_replaces_the_placeholder(qtbot) -> None:
    view = shown(qtbot, ChartView(name="Achievement against thresholds"))
    assert view.accessibleName() == "Achievement against thresholds"
    assert view.minimumHeight() >= 200
    assert view.figure is None
    assert [label.text() for label in view.findChildren(QLabel)] == ["Loading chart…"]

    view.draw(thresholds_painter(ROWS, BENCHMARKS, title="Diabetes"), description="DM006 34.0%")
    assert view.accessibleDescription() == "DM006 34.0%"
    wait_drawn(qtbot, view)

    assert "matplotlib" in sys.modules
    assert view.figure is not None and len(view.figure.axes) == 1
    assert view.figure.axes[0].get_title(loc="left") == "Diabetes"
    qtbot.waitUntil(lambda: not view.findChildren(QLabel))
    assert view.accessibleDescription() == "DM006 34.0%"
    image = view.image
    assert image is not None and not image.isNull()
    ratio = view.devicePixelRatioF()
    assert (image.width(), image.height()) == (round(900 * ratio), round(320 * ratio))
    assert not is_flat(view.grab().toImage())  # the picture is painted, not only held


def is_flat(image: QImage) -> bool:
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    flat = QImage(image.size(), QImage.Format.Format_RGB32)
    flat.fill(image.pixel(0, 0))
    return image == flat


def recording(painter, threads: list[threading.Thread]):
    """``painter``, noting the thread each drawing runs on."""
    def paint(drawn) -> None:
        threads.append(threading.current_thread())
        painter(drawn)
    return paint


def test_matplotlib_draws_on_a_worker_never_on_the_gui_thread(qtbot) -> None:
    view = shown(qtbot, ChartView(name="Doses by month"))
    threads: list[threading.Thread] = []
    months = [date(2025, 9, 30), date(2025, 10, 31)]
    view.draw(recording(doses_painter(months, {"Flu": [1, 2]}, title="Doses"), threads), description="")
    wait_drawn(qtbot, view)

    assert threads and threading.main_thread() not in threads
    assert view.figure is not None and view.figure.canvas.__class__.__name__ == "FigureCanvasAgg"


def test_a_resize_draws_again_at_the_new_size_once_resizing_pauses(qtbot) -> None:
    view = shown(qtbot, ChartView(name="Monthly trend and projection"), (600, 300))
    threads: list[threading.Thread] = []
    view.draw(recording(trend_painter(POINTS, None, title="Points", as_percent=False, maximum=None,
                                      y_label="Points"), threads), description="")
    wait_drawn(qtbot, view)
    first = view.figure
    assert len(threads) == 1

    for width in range(610, 800, 10):  # a window edge dragged: many sizes in quick succession
        view.resize(width, 300 + width // 10)
        qtbot.wait(5)
    assert view.figure is first  # the last picture stays (stretched) while the size keeps changing
    wait_drawn(qtbot, view)

    assert view.figure is not first
    dpi = view.figure.dpi / view.devicePixelRatioF()
    assert tuple(view.figure.get_size_inches() * dpi) == pytest.approx((790, 379))
    assert len(threads) < 5  # not one drawing per size
    assert view.image is not None
    assert view.image.width() == round(790 * view.devicePixelRatioF())


def test_only_the_latest_painter_is_ever_shown(qtbot) -> None:
    view = shown(qtbot, ChartView(name="Achievement against thresholds"))
    titles: list[str] = []
    view.rendered.connect(lambda: titles.append(view.figure.axes[0].get_title(loc="left")))
    view.draw(thresholds_painter(ROWS, BENCHMARKS, title="First"), description="first")
    qtbot.wait(0)
    view.draw(thresholds_painter(ROWS[:2], BENCHMARKS, title="Second"), description="second")
    view.draw(thresholds_painter(ROWS[:3], BENCHMARKS, title="Third"), description="third")
    wait_drawn(qtbot, view)
    qtbot.wait(100)

    assert titles == ["Third"]
    assert view.figure is not None and len(view.figure.axes[0].containers[0]) == 3
    assert view.accessibleDescription() == "third"


def test_a_chart_in_a_window_not_shown_yet_is_drawn_once_shown(qtbot) -> None:
    holder = QWidget()
    qtbot.addWidget(holder)
    view = ChartView(name="Doses by month", parent=holder)
    layout = QVBoxLayout(holder)
    layout.addWidget(view)
    view.draw(doses_painter([date(2025, 9, 30)], {"Flu": [3]}, title="Doses"), description="Flu: 3 doses")
    qtbot.wait(50)
    assert tasks.wait_for_idle()
    assert view.figure is None  # not laid out yet: nothing drawn at a size nobody will see

    holder.resize(500, 300)
    holder.show()
    wait_drawn(qtbot, view)
    assert view.figure is not None and view.figure.axes[0].get_title(loc="left") == "Doses"
    assert view.image is not None and view.image.height() == round(view.height() * view.devicePixelRatioF())


def test_a_closed_chart_ignores_its_drawing_arriving_late(qtbot) -> None:
    view = ChartView(name="Doses by month")  # not handed to qtbot: it is deleted here
    view.resize(500, 300)
    view.show()
    qtbot.waitExposed(view)
    view.draw(doses_painter([date(2025, 9, 30)], {"Flu": [3]}, title="Doses"), description="")
    qtbot.waitUntil(lambda: tasks.runner().pending > 0)  # the drawing is on its way
    failures: list[BaseException] = []
    tasks.set_failure_handler(failures.append)
    try:
        view.close()
        view.deleteLater()
        QApplication.processEvents()
        assert tasks.wait_for_idle(10)
    finally:
        tasks.set_failure_handler(None)
    assert failures == []


def test_render_draws_the_requested_pixels_on_any_thread() -> None:
    painter = doses_painter([date(2025, 9, 30)], {"Flu": [3]}, title="Doses")
    results = []
    worker = threading.Thread(target=lambda: results.append(render(painter, 300, 200, dpi=96, ratio=2)))
    worker.start()
    worker.join(60)
    (drawn,) = results
    assert drawn.image.size().toTuple() == (600, 400)
    assert drawn.image.devicePixelRatio() == 2
    assert drawn.figure.axes[0].get_title(loc="left") == "Doses"
    assert chart_view.MINIMUM_HEIGHT >= 200


def test_thresholds_draws_one_bar_per_indicator_coloured_by_band() -> None:
    drawn = figure()
    thresholds_painter(ROWS, BENCHMARKS, title="Diabetes: achievement against thresholds")(drawn)
    axes = drawn.axes[0]
    bars = axes.containers[0]

    assert [bar.get_width() for bar in bars] == pytest.approx([34, 81, 95, 0, 0])
    assert [hex_colour(bar) for bar in bars] == [RED, AMBER, GREEN, RED, "#aeb7bd"]
    assert [label.get_text() for label in axes.get_yticklabels()] == ["DM006", "DM012", "DM036", "DM034",
                                                                      "DM_REG"]
    bottom, top = axes.get_ylim()
    assert bottom > top  # the first indicator is at the top
    assert axes.get_xlim() == (0, 100)
    assert axes.get_xlabel() == "Achievement (%)"
    assert axes.get_title(loc="left") == "Diabetes: achievement against thresholds"
    assert texts(drawn).count("no patients") == 2
    assert {"34.0%", "81.0%", "95.0%"} <= set(texts(drawn))


def test_thresholds_marks_both_thresholds_and_explains_everything_in_words() -> None:
    drawn = figure()
    thresholds_painter(ROWS, BENCHMARKS, title="Diabetes")(drawn)
    axes = drawn.axes[0]

    lower, upper = axes.collections  # one short vertical tick per indicator with thresholds
    assert [segment[0][0] for segment in lower.get_segments()] == [40, 50, 50, 40]
    assert [segment[0][0] for segment in upper.get_segments()] == [90, 90, 90, 90]
    assert lower.get_linestyle() != upper.get_linestyle()

    legend = [text.get_text() for text in axes.get_legend().get_texts()]
    assert legend == ["Below lower threshold", "Between thresholds", "At maximum", "Not scored",
                      "Lower threshold", "Upper threshold", "PCN average", "ICB average", "All practices"]


def test_thresholds_places_benchmarks_on_their_indicators_bars() -> None:
    drawn = figure()
    thresholds_painter(ROWS, BENCHMARKS, title="Diabetes")(drawn)
    markers = {line.get_label(): line for line in drawn.axes[0].lines}

    assert list(markers["PCN average"].get_xdata()) == pytest.approx([60, 70])
    assert list(markers["ICB average"].get_xdata()) == pytest.approx([65])
    assert list(markers["All practices"].get_xdata()) == pytest.approx([70, 72])
    assert [round(y) for y in markers["PCN average"].get_ydata()] == [0, 1]  # DM006 and DM012 rows
    assert round(markers["ICB average"].get_ydata()[0]) == 0
    shapes = {markers[name].get_marker() for name in ("PCN average", "ICB average", "All practices")}
    assert len(shapes) == 3


def test_thresholds_leaves_out_benchmarks_nobody_has() -> None:
    drawn = figure()
    thresholds_painter(ROWS[:3], {}, title="Diabetes")(drawn)
    legend = [text.get_text() for text in drawn.axes[0].get_legend().get_texts()]
    assert legend == ["Below lower threshold", "Between thresholds", "At maximum", "Lower threshold",
                      "Upper threshold"]
    assert len(drawn.axes[0].lines) == 0


def test_an_empty_chart_says_so() -> None:
    drawn = figure()
    thresholds_painter([], {}, title="Diabetes")(drawn)
    assert "No data yet" in texts(drawn)


def test_trend_projects_to_31_march_and_says_how() -> None:
    projection = project(POINTS, date(2026, 3, 31), Fraction(635))
    assert projection is not None
    drawn = figure()
    trend_painter(POINTS, projection, title="QOF points, 2025/26", as_percent=False, maximum=Fraction(635),
                  y_label="Points")(drawn)
    axes = drawn.axes[0]
    lines = [line for line in axes.lines if len(line.get_xdata()) > 1]
    actual, projected = lines[0], lines[1]

    assert list(actual.get_xdata()) == MONTHS
    assert list(actual.get_ydata()) == pytest.approx([50, 100, 150, 200, 250, 300, 350, 400])
    assert projected.get_xdata()[0] == date(2025, 11, 30)
    assert projected.get_xdata()[-1] == date(2026, 3, 31)
    assert projected.get_ydata()[-1] == pytest.approx(float(projection.year_end_value))
    assert projected.get_linestyle() != actual.get_linestyle()
    assert METHOD in texts(drawn)
    assert axes.get_ylim()[0] == 0
    assert axes.get_ylabel() == "Points"
    assert "Maximum 635.00" in texts(drawn)
    assert any(line.get_ydata()[0] == 635 for line in axes.lines if len(line.get_ydata()) == 2)
    assert "Projection:\n600.00 by 31 Mar" in [text.get_text() for text in axes.get_legend().get_texts()]


def test_trend_shows_fractions_as_percentages() -> None:
    history = [(when, Fraction(52 + 2 * index, 100)) for index, when in enumerate(MONTHS)]
    drawn = figure()
    trend_painter(history, project(history, date(2026, 3, 31), Fraction(1)), title="DM006",
                  as_percent=True, maximum=Fraction(1), y_label="Achievement (%)")(drawn)
    axes = drawn.axes[0]

    assert list(axes.lines[0].get_ydata()) == pytest.approx([52, 54, 56, 58, 60, 62, 64, 66])
    assert axes.get_ylim()[0] == 0 and axes.get_ylim()[1] >= 100
    assert "Maximum 100.0%" in texts(drawn)
    drawn.canvas.draw()
    assert "100%" in [label.get_text() for label in axes.get_yticklabels()]


def test_trend_month_labels_carry_the_year_where_it_starts_and_thin_out_when_narrow() -> None:
    projection = project(POINTS, date(2026, 3, 31), Fraction(635))
    wide, narrow = figure(10, 4), figure(3, 3)
    for drawn in (wide, narrow):
        trend_painter(POINTS, projection, title="Points", as_percent=False, maximum=None, y_label="Points",
                      font_size=9)(drawn)
        drawn.canvas.draw()

    labels = [label.get_text() for label in wide.axes[0].get_xticklabels()]
    assert labels == ["Apr\n2025", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "Jan\n2026",
                      "Feb", "Mar"]
    assert 1 < len(narrow.axes[0].get_xticklabels()) < 12


def test_month_labels() -> None:
    assert month_labels([date(2025, 9, 30), date(2025, 10, 31)]) == ["Sep\n2025", "Oct"]
    assert month_labels([date(2025, 11, 30), date(2026, 2, 28)]) == ["Nov\n2025", "Feb\n2026"]
    assert month_labels([date(2025, 3, 31), date(2025, 4, 30), date(2025, 5, 31)]) == [
        "Mar\n2025", "Apr\n2025", "May"]


def test_doses_stacks_programmes_by_month() -> None:
    months = [date(2025, 9, 30), date(2025, 10, 31), date(2025, 11, 30)]
    drawn = figure()
    doses_painter(months, {"Flu": [120, 480, 300], "COVID-19": [60, 310, 150]}, title="Doses")(drawn)
    axes = drawn.axes[0]
    flu, covid = axes.containers

    assert [bar.get_height() for bar in flu] == [120, 480, 300]
    assert [bar.get_y() for bar in covid] == [120, 480, 300]
    assert [bar.get_height() for bar in covid] == [60, 310, 150]
    assert [text.get_text() for text in axes.get_legend().get_texts()] == ["COVID-19", "Flu"]
    assert axes.get_ylabel() == "Doses"


def test_doses_refuses_series_of_the_wrong_length() -> None:
    with pytest.raises(ValueError, match="Flu"):
        doses_painter([date(2025, 9, 30)], {"Flu": [1, 2]}, title="Doses")


def test_charts_never_show_money() -> None:
    thresholds, trend = figure(), figure()
    thresholds_painter(ROWS, BENCHMARKS, title="Diabetes")(thresholds)
    trend_painter(POINTS, project(POINTS, date(2026, 3, 31), Fraction(635)), title="Points",
                  as_percent=False, maximum=Fraction(635), y_label="Points")(trend)
    for drawn in (thresholds, trend):
        drawn.canvas.draw()
        assert not any("£" in text for text in texts(drawn))


def test_chart_text_follows_the_font_size() -> None:
    drawn = figure()
    thresholds_painter(ROWS, BENCHMARKS, title="Diabetes", font_size=13.5)(drawn)
    axes = drawn.axes[0]
    assert {label.get_fontsize() for label in axes.get_yticklabels()} == {13.5}
    assert axes.xaxis.label.get_fontsize() == 13.5


def test_render_png_writes_the_printed_size_and_leaves_the_screen_alone(qtbot, tmp_path: Path) -> None:
    view = shown(qtbot, ChartView(name="Monthly trend and projection"))
    with pytest.raises(RuntimeError):
        view.render_png(tmp_path / "nothing.png")
    view.draw(trend_painter(POINTS, project(POINTS, date(2026, 3, 31), Fraction(635)), title="Points",
                            as_percent=False, maximum=Fraction(635), y_label="Points",
                            font_size=view.font_size),
              description="Points by month, 400.00 at 30 Nov 2025; projected 600.00 at 31 March.")
    wait_drawn(qtbot, view)
    on_screen = view.figure
    assert on_screen is not None
    size, dpi = tuple(on_screen.get_size_inches()), on_screen.dpi

    written = view.render_png(tmp_path / "trend.png")

    image = QImage(str(written))
    assert (image.width(), image.height()) == (1200, 500)
    assert view.figure is on_screen
    assert tuple(on_screen.get_size_inches()) == size and on_screen.dpi == dpi
    assert view.accessibleDescription().startswith("Points by month")
    odd = view.render_png(tmp_path / "odd.png", width_px=1001, height_px=333, dpi=96)
    assert QImage(str(odd)).size().toTuple() == (1001, 333)


# --- every clinical group, and peer averages that stay apart (issue 12, point 13) ------------------------

Peers = dict[str, Benchmark]


def many_groups(groups: int = 15, per_group: int = 3) -> tuple[tuple[IndicatorRow, ...], Peers]:
    """``groups`` × ``per_group`` indicators, each with PCN, ICB and all-practice averages all equal (as in
    the demo, whose ICB has one PCN)."""
    rows = []
    for group in range(groups):
        for number in range(per_group):
            row = indicator(f"G{group:02d}{number}", Fraction(60 + number, 100), 40, 90, BETWEEN)
            rows.append(IndicatorRow(**{**row.__dict__, "group": f"Group {group}"}))
    same = Fraction(7, 10)
    return tuple(rows), {row.indicator_id: Benchmark(same, same, same) for row in rows}


def test_all_clinical_groups_are_drawn_each_under_its_own_heading() -> None:
    rows, benchmarks = many_groups(4, 2)
    slots = threshold_slots(rows)
    assert slots[0] == "Group 0" and slots[1:3] == list(rows[:2]) and len(slots) == 4 + 8

    drawn = figure(10, 8)
    thresholds_painter(rows, benchmarks, title="All clinical groups")(drawn)
    axes = drawn.axes[0]
    assert [label.get_text() for label in axes.get_yticklabels()] == [row.indicator_id for row in rows]
    assert len(axes.containers[0]) == 8
    assert {f"Group {group}" for group in range(4)} <= set(texts(drawn))
    # One group alone needs no heading: the title names it.
    assert threshold_slots(rows[:2]) == list(rows[:2])


@pytest.mark.parametrize("groups", [1, 15], ids=["one group", "all groups"])
def test_equal_peer_averages_stay_apart_with_a_shape_each(groups) -> None:
    """Three equal averages on one bar: each marker clear of the others (and of the next row's), in
    a chart as tall as the dashboard makes it (1.7 lines of 17 px text per row, at least 220 px)."""
    rows, benchmarks = many_groups(groups)
    height_px = max(220, round(17 * (1.7 * len(threshold_slots(rows)) + 6)))
    dpi = 96
    drawn = render(thresholds_painter(rows, benchmarks, title="All clinical groups"), 900, height_px,
                   dpi=dpi).figure  # as the chart widget draws it: laid out to fit, then drawn
    markers = {line.get_label(): line for line in drawn.axes[0].lines}
    assert len({markers[name].get_marker() for name in ("PCN average", "ICB average", "All practices")}) == 3

    centres = []
    for name in ("PCN average", "ICB average", "All practices"):
        line = markers[name]
        points = drawn.axes[0].transData.transform(list(zip(line.get_xdata(), line.get_ydata(), strict=True)))
        diameter = line.get_markersize() * dpi / 72
        assert diameter >= 3 * dpi / 72  # still a visible shape
        centres += [(x, y, diameter) for x, y in points]
    for index, (x, y, size) in enumerate(centres):
        for other_x, other_y, other_size in centres[index + 1:]:
            apart = ((x - other_x) ** 2 + (y - other_y) ** 2) ** 0.5
            assert apart >= (size + other_size) / 2, (x, y, other_x, other_y, size)

    legend = {text.get_text() for text in drawn.axes[0].get_legend().get_texts()}
    assert {"PCN average", "ICB average", "All practices"} <= legend


def clashing_texts(drawn) -> list[tuple[str, str]]:
    """Pairs of texts drawn on top of one another (titles, ticks, legend entries, value labels)."""
    from matplotlib.text import Text

    renderer = drawn.canvas.get_renderer()
    shown = [(text.get_text(), text.get_window_extent(renderer)) for text in drawn.findobj(Text)
             if text.get_visible() and text.get_text().strip()]
    return [(one, two) for index, (one, first) in enumerate(shown) for two, second in shown[index + 1:]
            if first.width > 0 and second.width > 0 and first.overlaps(second)]


PROGRAMMES = {name: [10 + index] * 12 for index, name in enumerate((
    "Shingles", "Seasonal influenza (adult)", "Rotavirus", "RSV (older adults)",
    "Pneumococcal polysaccharide (65+ and at risk)", "Pneumococcal conjugate (infant)",
    "Pertussis in pregnancy", "MenB (infant)", "MMR", "Hexavalent 6-in-1 and DTaP/IPV booster",
    "HPV (missed school programme)", "Childhood influenza (2 and 3 year olds)"))}
YEAR = [date(2025, 4, 30), *month_ends_after(date(2025, 4, 30), date(2026, 3, 31))]


@pytest.mark.parametrize("font_size", [9.0, 18.0], ids=["100%", "200%"])
def test_at_1024_by_768_and_200_percent_text_no_chart_text_runs_into_another(font_size) -> None:
    """Each chart at the width the dashboard gives it on a 1024×768 screen (about 700 px), as tall as the
    dashboard makes it for that text size: legends move above the plot rather than squeeze it, and no
    title, tick, legend entry or value label lands on another."""
    from app.views.charts import legend_rows
    from app.views.threshold_chart import THRESHOLDS_GAP, THRESHOLDS_LEGEND

    width, dpi = 700, 96
    line = font_size * 96 / 72 * 1.4  # a line of text, as Qt's font metrics give it
    rows, benchmarks = many_groups(15)
    legend = legend_rows(THRESHOLDS_LEGEND, font_size, width, dpi, font_size * THRESHOLDS_GAP) * 1.35
    points = [(when, Fraction(40 * (index + 1))) for index, when in enumerate(YEAR[:11])]
    charts = {
        "thresholds": (thresholds_painter(rows, benchmarks, title="All clinical groups: achievement against "
                                          "thresholds", font_size=font_size),
                       round(line * (1.7 * len(threshold_slots(rows)) + 6 + legend))),
        "trend": (trend_painter(points, project(points, date(2026, 3, 31), Fraction(564)),
                                title="QOF points, 2025/26", as_percent=False, maximum=Fraction(564),
                                y_label="Points", font_size=font_size), round(line * 13)),
        "doses": (doses_painter(YEAR, PROGRAMMES, title="Vaccination doses by month", font_size=font_size),
                  round(line * (13 + legend_rows(list(PROGRAMMES), font_size, width, dpi) * 1.35))),
    }
    for name, (painter, height) in charts.items():
        drawn = render(painter, width, max(220, height), dpi=dpi).figure
        assert clashing_texts(drawn) == [], name
        axes = drawn.axes[0]
        plot = axes.get_window_extent()
        assert plot.width >= width * 0.45, f"{name}: the plot is squeezed to {plot.width:.0f} px"
        if font_size > 9 and name != "trend":  # long legends go above the plot at 200%
            assert axes.get_legend().get_window_extent().y0 >= plot.y1 - 1, name
