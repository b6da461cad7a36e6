"""Charts of achievement: the painters that fill a matplotlib figure, and drawing a figure to pixels.

matplotlib is imported only inside functions: it costs about 0.4 s and must stay off the start-up path.
Painters are plain functions of a ``Figure`` (testable without widgets). ``render`` draws one with the
Agg canvas into a QImage on any thread (the widget, ``app.views.chart_view.ChartView``, does so on a
worker); printed reports render the same painter to a PNG with ``render_png``.
No painter takes £ values: money is shown only to users with Finance View, and never in a chart.
"""

from __future__ import annotations

import contextlib
import math
import threading
import warnings
from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from PySide6.QtGui import QImage

from app.services import format as fmt
from app.services.calculation import AT_MAXIMUM, BELOW_LOWER, BETWEEN
from app.services.dashboard import Benchmark, IndicatorRow
from app.services.projection import Projection, month_ends_after

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.legend import Legend

Painter = Callable[["Figure"], None]

DEFAULT_FONT_SIZE = 9.0
WHITE = "#ffffff"
TEXT = "#212b32"
SECONDARY_TEXT = "#4c6272"
GRID = "#e8edee"
AXIS = "#aeb7bd"

# NHS identity colours; the legend also names each band in words, so colour is never the only cue.
BAND_COLOURS = {BELOW_LOWER: "#d5281b", BETWEEN: "#ffb81c", AT_MAXIMUM: "#007f3b"}
BAND_LABELS = {BELOW_LOWER: "Below lower threshold", BETWEEN: "Between thresholds", AT_MAXIMUM: "At maximum"}
OTHER_BAND_COLOUR = "#aeb7bd"
OTHER_BAND_LABEL = "Not scored"

# (Benchmark field, legend label, marker, colour, offset from the bar's centre line): distinct shapes so
# they read in black and white, and staggered so close averages do not hide one another.
BENCHMARKS = (("pcn", "PCN average", "o", "#005eb8", -0.17),
              ("icb", "ICB average", "s", "#330072", 0.0),
              ("all_practices", "All practices", "^", "#212b32", 0.17))

UPPER_STYLE = (0, (1.6, 1.0))  # dotted: tells the upper threshold from the lower without colour
LINE_COLOUR = "#005eb8"
PROJECTION_STYLE = (0, (4, 2.5))
SERIES_COLOURS = ("#005eb8", "#ffb81c", "#007f3b", "#330072", "#ae2573", "#41b6e6", "#ed8b00", "#768692")

# matplotlib is not thread-safe: figures are drawn one at a time, whichever thread asks.
_RENDER_LOCK = threading.Lock()
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def month_labels(months: Sequence[date]) -> list[str]:
    """Tick labels for months in order: "May", with the year on a second line ("Apr" above "2025") on the
    first, in January and April (where a year and a QOF year start) and wherever the year changes.
    Below rather than beside, so a year of labels still fits side by side at 150% text size.
    """
    labels = []
    for index, when in enumerate(months):
        name = _MONTHS[when.month - 1]
        new_year = index == 0 or when.month in (1, 4) or when.year != months[index - 1].year
        labels.append(f"{name}\n{when.year}" if new_year else name)
    return labels


def _month_ticks(axes: Axes, positions: Sequence[float], months: Sequence[date], font_size: float) -> None:
    """Label months along x, thinned to every second (third…) month when the axes is too narrow.

    Decided at draw time from the axes' width, so labels stay apart after the widget is resized.
    """
    from matplotlib.ticker import Formatter, Locator

    positions = list(positions)
    by_position = dict(zip(positions, months, strict=True))

    class Months(Locator):
        def __call__(self) -> list[float]:
            # Room for a three-letter month and a gap, in pixels at the figure's current DPI.
            needed = font_size * axes.figure.dpi / 72 * 3.2
            step = max(1, math.ceil(needed * len(positions) / max(axes.bbox.width, 1.0)))
            return positions[::step]

    class MonthNames(Formatter):
        def format_ticks(self, values: Sequence[float]) -> list[str]:
            return month_labels([self._month(value) for value in values])

        def __call__(self, value: float, pos: int | None = None) -> str:
            return month_labels([self._month(value)])[0]

        @staticmethod
        def _month(value: float) -> date:
            return by_position[min(positions, key=lambda known: abs(known - value))]

    axes.xaxis.set_major_locator(Months())
    axes.xaxis.set_major_formatter(MonthNames())


def _new_figure(*, dpi: float, figsize: tuple[float, float] | None = None) -> Figure:
    from matplotlib.figure import Figure

    # A tight layout engine re-fits labels and legends each time the widget is resized.
    return Figure(figsize=figsize, dpi=dpi, facecolor=WHITE, layout="tight")


def _fit(figure: Figure) -> None:
    """Fit the layout, tolerating figures too small to fit (e.g. a widget not laid out yet)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with contextlib.suppress(ValueError, RuntimeError):  # it still draws, only less tidily
            figure.tight_layout()
    # tight_layout() drops the figure's layout engine; restore it so a resized widget is fitted again.
    figure.set_layout_engine("tight")


class Rendered(NamedTuple):
    """A figure drawn to pixels: the figure (for its content) and the picture of it."""

    figure: Figure
    image: QImage


def render(painter: Painter, width_px: int, height_px: int, *, dpi: float, ratio: float = 1.0) -> Rendered:
    """Draw ``painter`` into a new figure with the Agg canvas: ``width_px`` × ``height_px`` logical pixels
    at ``dpi``, times ``ratio`` device pixels each. Safe on any thread (renders are taken one at a time).
    """
    with _RENDER_LOCK:
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        figure = _new_figure(dpi=dpi * ratio, figsize=(width_px / dpi, height_px / dpi))
        canvas = FigureCanvasAgg(figure)
        painter(figure)
        _fit(figure)
        canvas.draw()
        width, height = canvas.get_width_height(physical=True)
        pixels = bytes(canvas.buffer_rgba())
    # QImage does not own ``pixels``: the conversion makes a copy that does, ready for QPainter.
    image = QImage(pixels, width, height, width * 4, QImage.Format.Format_RGBA8888)
    image = image.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)
    image.setDevicePixelRatio(ratio)
    return Rendered(figure, image)


def render_png(painter: Painter, path: str | Path, *, width_px: int = 1200, height_px: int = 500,
               dpi: float = 100) -> Path:
    """Save what ``painter`` draws as a ``width_px`` × ``height_px`` PNG (printed reports)."""
    target = Path(path)
    if not render(painter, width_px, height_px, dpi=dpi).image.save(str(target), "PNG"):
        raise OSError(f"could not save {target}")
    return target


def _style_axes(axes: Axes, font_size: float) -> None:
    axes.set_facecolor(WHITE)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        axes.spines[side].set_color(AXIS)
    axes.tick_params(labelsize=font_size, colors=TEXT, length=3, color=AXIS)
    axes.set_axisbelow(True)


def _title(axes: Axes, title: str, font_size: float) -> None:
    axes.set_title(title, loc="left", fontsize=font_size * 1.15, fontweight="bold", color=TEXT, pad=8)


def _legend_right(axes: Axes, handles: Sequence, font_size: float, *, gap_points: float = 0) -> Legend:
    """A legend outside the axes on the right, so it never covers the data."""
    from matplotlib.transforms import offset_copy

    anchor = offset_copy(axes.transAxes, fig=axes.figure, x=gap_points, y=0, units="points")
    return axes.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), bbox_transform=anchor,
                       fontsize=font_size * 0.9, frameon=False, borderaxespad=0.3, handlelength=1.6,
                       labelcolor=TEXT)


def _no_data(axes: Axes, font_size: float) -> None:
    axes.text(0.5, 0.5, "No data yet", transform=axes.transAxes, ha="center", va="center",
              fontsize=font_size, color=SECONDARY_TEXT)
    axes.set_xticks([])
    axes.set_yticks([])


def thresholds_painter(rows: Sequence[IndicatorRow], benchmarks: Mapping[str, Benchmark], *, title: str,
                       font_size: float = DEFAULT_FONT_SIZE) -> Painter:
    """Achievement of each indicator as a bar coloured by band, with its thresholds and peer averages."""
    rows = tuple(rows)
    benchmarks = dict(benchmarks)

    def paint(figure: Figure) -> None:
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch

        axes = figure.add_subplot()
        _style_axes(axes, font_size)
        _title(axes, title, font_size)
        if not rows:
            _no_data(axes, font_size)
            return
        positions = list(range(len(rows)))
        widths = [float(row.achievement * 100) if row.achievement is not None else 0.0 for row in rows]
        colours = [BAND_COLOURS.get(row.band, OTHER_BAND_COLOUR) for row in rows]
        bar_height = 0.62
        axes.barh(positions, widths, height=bar_height, color=colours, edgecolor="none", zorder=2)

        tick_half = bar_height / 2 + 0.12  # ticks stand proud of the bar so they show on empty bars too
        for attribute, style in (("lower_threshold", "solid"), ("upper_threshold", UPPER_STYLE)):
            marked = [(y, float(getattr(row, attribute))) for y, row in zip(positions, rows, strict=True)
                      if getattr(row, attribute) is not None]
            if marked:
                axes.vlines([x for _, x in marked], [y - tick_half for y, _ in marked],
                            [y + tick_half for y, _ in marked], colors=TEXT, linewidth=2,
                            linestyles=style, zorder=3)

        handles: list = [Patch(facecolor=BAND_COLOURS[band], label=BAND_LABELS[band]) for band in BAND_LABELS]
        if any(row.band not in BAND_COLOURS for row in rows):
            handles.append(Patch(facecolor=OTHER_BAND_COLOUR, label=OTHER_BAND_LABEL))
        handles += [Line2D([], [], color=TEXT, linewidth=2, label="Lower threshold"),
                    Line2D([], [], color=TEXT, linewidth=2, linestyle=UPPER_STYLE, label="Upper threshold")]

        marker_size = max(4.0, font_size * 0.65)
        for attribute, label, marker, colour, offset in BENCHMARKS:
            found = [(float(value * 100), y + offset) for y, row in zip(positions, rows, strict=True)
                     if (peer := benchmarks.get(row.indicator_id)) is not None
                     and (value := getattr(peer, attribute)) is not None]
            if not found:
                continue
            style = dict(linestyle="none", marker=marker, markersize=marker_size, color=colour,
                         markeredgecolor=WHITE, markeredgewidth=0.8)
            axes.plot([x for x, _ in found], [y for _, y in found], label=label, zorder=4, clip_on=False,
                      **style)
            handles.append(Line2D([], [], label=label, **style))

        for y, row in zip(positions, rows, strict=True):
            if row.achievement is None:
                axes.text(1, y, "no patients", va="center", ha="left", fontsize=font_size * 0.85,
                          fontstyle="italic", color=SECONDARY_TEXT, zorder=5)
            else:
                # Values in a column just right of the axes, where no tick or marker can cover them.
                axes.annotate(fmt.percent(row.achievement), xy=(1.0, y), xycoords=("axes fraction", "data"),
                              xytext=(6, 0), textcoords="offset points", va="center", ha="left",
                              fontsize=font_size * 0.9, color=TEXT)

        axes.set_yticks(positions, [row.indicator_id for row in rows])
        axes.tick_params(axis="y", length=0)
        # At least three rows' worth of height, so one or two indicators do not give slab-like bars.
        spare = max(0.0, 3 - len(rows)) / 2
        axes.set_ylim(len(rows) - 0.5 + spare, -0.5 - spare)  # first row at the top
        axes.set_xlim(0, 100)
        axes.set_xticks(range(0, 101, 20))
        axes.xaxis.grid(True, color=GRID, linewidth=0.8)
        axes.set_xlabel("Achievement (%)", fontsize=font_size, color=TEXT)
        _legend_right(axes, handles, font_size, gap_points=font_size * 4.2)

    return paint


def trend_painter(history: Sequence[tuple[date, Fraction]], projection: Projection | None, *, title: str,
                  as_percent: bool, maximum: Fraction | None, y_label: str,
                  font_size: float = DEFAULT_FONT_SIZE) -> Painter:
    """Monthly values as a line, the projection to 31 March dashed, and the maximum as a thin line.

    With ``as_percent`` values (and ``maximum``) are fractions of 1, drawn as 0-100 %.
    """
    history = tuple(history)
    scale = 100 if as_percent else 1

    def shown(value: Fraction) -> float:
        return float(value * scale)

    def label(value: Fraction) -> str:
        return fmt.percent(value) if as_percent else fmt.points(value)

    def paint(figure: Figure) -> None:
        from matplotlib.dates import date2num
        from matplotlib.lines import Line2D
        from matplotlib.ticker import MaxNLocator, PercentFormatter

        axes = figure.add_subplot()
        _style_axes(axes, font_size)
        _title(axes, title, font_size)
        projected = tuple(projection.points) if projection is not None else ()
        dates = [when for when, _ in history] + [when for when, _ in projected]
        if not dates:
            _no_data(axes, font_size)
            return
        handles: list = []
        if history:
            actual = dict(color=LINE_COLOUR, linewidth=2, marker="o", markersize=max(3.0, font_size * 0.45))
            axes.plot([when for when, _ in history], [shown(value) for _, value in history], zorder=3,
                      **actual)
            handles.append(Line2D([], [], label="Actual", **actual))
        if projection is not None and projected:
            dashed = dict(color=LINE_COLOUR, linewidth=1.8, linestyle=PROJECTION_STYLE)
            end = dict(marker="o", markerfacecolor=WHITE, markeredgecolor=LINE_COLOUR, markeredgewidth=1.5,
                       markersize=max(4.0, font_size * 0.6))
            axes.plot([when for when, _ in projected], [shown(value) for _, value in projected], zorder=3,
                      **dashed)
            end_date, end_value = projected[-1]
            axes.plot([end_date], [shown(end_value)], linestyle="none", zorder=4, **end)
            # The year-end figure goes in the legend: beside the line it would cross the line or the maximum.
            handles.append(Line2D([], [], markevery=[1], label=f"Projection:\n{label(end_value)} by "
                                  f"{end_date.day} {_MONTHS[end_date.month - 1]}", **dashed, **end))
            # As the x-axis label (months need none): under the tick labels, however tall, clear of the plot.
            axes.set_xlabel(projection.method, loc="right", fontsize=font_size * 0.8, fontstyle="italic",
                            color=SECONDARY_TEXT, labelpad=2, wrap=True)

        top = max(shown(value) for _, value in (*history, *projected))
        if maximum is not None:
            axes.axhline(shown(maximum), color=SECONDARY_TEXT, linewidth=0.9, zorder=2)
            axes.annotate(f"Maximum {label(maximum)}", xy=(0.0, shown(maximum)),
                          xycoords=("axes fraction", "data"), xytext=(4, 3), textcoords="offset points",
                          ha="left", va="bottom", fontsize=font_size * 0.85, color=SECONDARY_TEXT)
            top = max(top, shown(maximum))
        axes.set_ylim(0, (top or 1) * 1.12)  # headroom for the "Maximum" label
        axes.yaxis.set_major_locator(MaxNLocator(nbins=5))
        if as_percent:
            axes.yaxis.set_major_formatter(PercentFormatter(xmax=100, decimals=0))
        axes.yaxis.grid(True, color=GRID, linewidth=0.8)
        axes.set_ylabel(y_label, fontsize=font_size, color=TEXT)

        months = [min(dates)] + month_ends_after(min(dates), max(dates))
        _month_ticks(axes, [float(day) for day in date2num(months)], months, font_size)
        axes.set_xlim(min(dates) - timedelta(days=16), max(dates) + timedelta(days=16))
        _legend_right(axes, handles, font_size)

    return paint


def doses_painter(months: Sequence[date], series: Mapping[str, Sequence[int]], *, title: str,
                  font_size: float = DEFAULT_FONT_SIZE) -> Painter:
    """Doses given each month, stacked by programme (legend in the same top-to-bottom order)."""
    months = tuple(months)
    series = {name: tuple(values) for name, values in series.items()}
    for name, values in series.items():
        if len(values) != len(months):
            raise ValueError(f"{name}: {len(values)} values for {len(months)} months")

    def paint(figure: Figure) -> None:
        from matplotlib.patches import Patch
        from matplotlib.ticker import MaxNLocator

        axes = figure.add_subplot()
        _style_axes(axes, font_size)
        _title(axes, title, font_size)
        if not months or not series:
            _no_data(axes, font_size)
            return
        positions = list(range(len(months)))
        base = [0] * len(months)
        handles = []
        for index, (name, values) in enumerate(series.items()):
            colour = SERIES_COLOURS[index % len(SERIES_COLOURS)]
            axes.bar(positions, values, bottom=base, width=0.68, color=colour, edgecolor=WHITE, linewidth=0.6,
                     label=name, zorder=2)
            handles.append(Patch(facecolor=colour, label=name))
            base = [below + value for below, value in zip(base, values, strict=True)]
        _month_ticks(axes, positions, months, font_size)
        axes.set_xlim(-0.6, len(months) - 0.4)
        axes.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        axes.yaxis.grid(True, color=GRID, linewidth=0.8)
        axes.set_ylim(0, max(max(base), 1) * 1.05)
        axes.set_ylabel("Doses", fontsize=font_size, color=TEXT)
        _legend_right(axes, handles[::-1], font_size)  # reversed: the legend reads like the stack

    return paint
