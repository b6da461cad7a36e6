"""Charts of achievement: the painters that fill a matplotlib figure, and drawing a figure to pixels.
The parts every chart shares (style, title, a legend beside or above the plot) are here too; the
thresholds chart is in ``app.views.threshold_chart``.

matplotlib is imported only inside functions: it costs about 0.4 s and must stay off the start-up path.
Painters are plain functions of a ``Figure`` (testable without widgets). ``render`` draws one with the
Agg canvas into a QImage on any thread (the widget, ``app.views.chart_view.ChartView``, does so on a
worker); printed reports render the same painter to a PNG with ``render_png``.
No painter takes £ values: money is shown only to users with Finance View, and never in a chart.
"""

from __future__ import annotations

import contextlib
import math
import textwrap
import threading
import warnings
from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from PySide6.QtGui import QImage

from app.services import format as fmt
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


def style_axes(axes: Axes, font_size: float) -> None:
    axes.set_facecolor(WHITE)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        axes.spines[side].set_color(AXIS)
    axes.tick_params(labelsize=font_size, colors=TEXT, length=3, color=AXIS)
    axes.set_axisbelow(True)


def set_title(axes: Axes, title: str, font_size: float) -> None:
    # Wrapped within the figure: a long title at large text sizes takes two lines rather than being cut.
    axes.set_title(title, loc="left", fontsize=font_size * 1.15, fontweight="bold", color=TEXT, pad=8,
                   wrap=True)


LEGEND_SHARE = 0.42  # the most of the figure's width a legend beside the plot may take


def legend_columns(labels: Sequence[str], font_size: float, width_points: float,
                   gap_points: float = 0) -> int:
    """How a legend of ``labels`` is placed in a figure ``width_points`` wide: 0 beside the plot on the
    right, else the number of columns it takes above the plot (a narrow figure, or large text)."""
    size = font_size * 0.9
    longest = max((len(line) for label in labels for line in str(label).split("\n")), default=0)
    column_points = (longest * 0.55 + 2.6) * size  # text, handle and the gap after it, roughly
    if column_points + gap_points <= width_points * LEGEND_SHARE:
        return 0
    return max(1, min(len(labels), int(width_points * 0.92 // column_points)))


def legend_rows(labels: Sequence[str], font_size: float, width_px: float, dpi: float,
                gap_points: float = 0) -> int:
    """Rows of text a legend adds above the plot of a chart ``width_px`` wide (0: it sits beside it)."""
    columns = legend_columns(labels, font_size, width_px / dpi * 72, gap_points)
    return math.ceil(len(labels) / columns) if columns else 0


def place_legend(axes: Axes, handles: Sequence, font_size: float, *, gap_points: float = 0) -> Legend:
    """A legend outside the axes, so it never covers the data: on the right, or — when that would take more
    than ``LEGEND_SHARE`` of a narrow figure (large text) — in columns between the title and the plot."""
    from matplotlib.transforms import blended_transform_factory, offset_copy

    size = font_size * 0.9
    style = dict(fontsize=size, frameon=False, handlelength=1.6, labelcolor=TEXT)
    labels = [str(handle.get_label()) for handle in handles]
    columns = legend_columns(labels, font_size, axes.figure.get_figwidth() * 72, gap_points)
    if not columns:
        anchor = offset_copy(axes.transAxes, fig=axes.figure, x=gap_points, y=0, units="points")
        return axes.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0),
                           bbox_transform=anchor, borderaxespad=0.3, **style)
    # From the figure's left edge (not the plot's, which starts after the tick labels), just above the plot;
    # the chart's title becomes the legend's, so the two can never overlap; a gap clears the top value label.
    figure = axes.figure
    title = axes.get_title(loc="left")
    axes.set_title("", loc="left")
    title_size = font_size * 1.15
    width_points = figure.get_figwidth() * 72
    wrapped = textwrap.fill(title, width=max(12, int(width_points * 0.95 / (title_size * 0.62))))
    anchor = blended_transform_factory(figure.transFigure, axes.transAxes)
    legend = axes.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.0, 1.0), bbox_transform=anchor,
                         ncols=columns, borderaxespad=1.0, columnspacing=1.2, title=wrapped or None,
                         alignment="left", title_fontproperties={"size": title_size, "weight": "bold"},
                         **style)
    legend.get_title().set_color(TEXT)
    return legend


def no_data(axes: Axes, font_size: float) -> None:
    axes.text(0.5, 0.5, "No data yet", transform=axes.transAxes, ha="center", va="center",
              fontsize=font_size, color=SECONDARY_TEXT)
    axes.set_xticks([])
    axes.set_yticks([])


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
        style_axes(axes, font_size)
        set_title(axes, title, font_size)
        projected = tuple(projection.points) if projection is not None else ()
        dates = [when for when, _ in history] + [when for when, _ in projected]
        if not dates:
            no_data(axes, font_size)
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
            # Under the line, where the year's early months are low: above it, large text met the title.
            axes.annotate(f"Maximum {label(maximum)}", xy=(0.0, shown(maximum)),
                          xycoords=("axes fraction", "data"), xytext=(4, -3), textcoords="offset points",
                          ha="left", va="top", fontsize=font_size * 0.85, color=SECONDARY_TEXT)
            top = max(top, shown(maximum))
        axes.set_ylim(0, (top or 1) * 1.12)  # headroom for the "Maximum" label
        # Fewer value labels on a short chart, so they never run into one another.
        text_px = font_size * figure.dpi / 72
        plot_px = figure.get_figheight() * figure.dpi - text_px * 7
        axes.yaxis.set_major_locator(MaxNLocator(nbins=max(2, min(5, int(plot_px / (text_px * 2.0))))))
        if as_percent:
            axes.yaxis.set_major_formatter(PercentFormatter(xmax=100, decimals=0))
        axes.yaxis.grid(True, color=GRID, linewidth=0.8)
        axes.set_ylabel(y_label, fontsize=font_size, color=TEXT)

        months = [min(dates)] + month_ends_after(min(dates), max(dates))
        _month_ticks(axes, [float(day) for day in date2num(months)], months, font_size)
        # Room either side for half a month label ("2025" under "Apr"), clear of the value axis's "0".
        span_days = (max(dates) - min(dates)).days + 32
        plot_px = figure.get_figwidth() * figure.dpi * 0.55  # less the value axis and the legend, roughly
        margin = max(16, math.ceil(text_px * 1.5 * span_days / max(plot_px, 1.0)))
        axes.set_xlim(min(dates) - timedelta(days=margin), max(dates) + timedelta(days=margin))
        place_legend(axes, handles, font_size)

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
        style_axes(axes, font_size)
        set_title(axes, title, font_size)
        if not months or not series:
            no_data(axes, font_size)
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
        place_legend(axes, handles[::-1], font_size)  # reversed: the legend reads like the stack

    return paint
