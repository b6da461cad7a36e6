"""The thresholds chart: each indicator's achievement as a bar coloured by band, its lower and upper
thresholds, and the PCN, ICB and all-practice averages — several clinical groups each under a heading.

A painter like those of ``app.views.charts`` (matplotlib only inside functions; no £ ever).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from app.services import format as fmt
from app.services.calculation import AT_MAXIMUM, BELOW_LOWER, BETWEEN
from app.services.dashboard import Benchmark, IndicatorRow
from app.views.charts import (
    DEFAULT_FONT_SIZE,
    GRID,
    SECONDARY_TEXT,
    TEXT,
    WHITE,
    Painter,
    no_data,
    place_legend,
    set_title,
    style_axes,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# NHS identity colours; the legend also names each band in words, so colour is never the only cue.
BAND_COLOURS = {BELOW_LOWER: "#d5281b", BETWEEN: "#ffb81c", AT_MAXIMUM: "#007f3b"}
BAND_LABELS = {BELOW_LOWER: "Below lower threshold", BETWEEN: "Between thresholds", AT_MAXIMUM: "At maximum"}
OTHER_BAND_COLOUR = "#aeb7bd"
OTHER_BAND_LABEL = "Not scored"

# (Benchmark field, legend label, marker, colour, lane): distinct shapes so they read in black and white,
# each in its own lane across the bar (above, on, below its centre line) so equal averages stay apart.
BENCHMARKS = (("pcn", "PCN average", "o", "#005eb8", -1),
              ("icb", "ICB average", "s", "#330072", 0),
              ("all_practices", "All practices", "^", "#212b32", 1))
BAR_HEIGHT = 0.62
LANE = 0.34  # a benchmark lane's distance from the bar's centre line, in rows
GROUP_COLOUR = "#005eb8"

UPPER_STYLE = (0, (1.6, 1.0))  # dotted: tells the upper threshold from the lower without colour

# Every entry the thresholds chart's legend can have (owners size the chart for it).
THRESHOLDS_LEGEND = (*BAND_LABELS.values(), OTHER_BAND_LABEL, "Lower threshold", "Upper threshold",
                     *(label for _, label, _, _, _ in BENCHMARKS))
THRESHOLDS_GAP = 4.2  # the column of values right of the thresholds chart, in font sizes


def threshold_slots(rows: Sequence[IndicatorRow]) -> list[str | IndicatorRow]:
    """The chart's rows from the top: each indicator, under a heading row per clinical group when the
    indicators come from more than one group (in the order the groups first appear)."""
    groups = list(dict.fromkeys(row.group for row in rows))
    if len(groups) < 2:
        return list(rows)
    slots: list[str | IndicatorRow] = []
    for group in groups:
        slots.append(group)
        slots += [row for row in rows if row.group == group]
    return slots


def _marker_points(figure: Figure, slots: int, font_size: float) -> float:
    """A benchmark marker's size in points: as large as the text allows, yet small enough that the three
    lanes of one row never touch at the figure's height."""
    height_px = figure.get_figheight() * figure.dpi
    text_px = font_size * figure.dpi / 72
    row_px = max(height_px - text_px * 10, text_px) / max(slots, 3)  # less the title and x-axis, roughly
    return max(3.0, min(font_size * 0.75, row_px * LANE * 0.85 * 72 / figure.dpi))


def thresholds_painter(rows: Sequence[IndicatorRow], benchmarks: Mapping[str, Benchmark], *, title: str,
                       font_size: float = DEFAULT_FONT_SIZE) -> Painter:
    """Achievement of each indicator as a bar coloured by band, with its thresholds and peer averages.

    Indicators of several clinical groups are drawn under a heading per group (see ``threshold_slots``).
    """
    slots = threshold_slots(tuple(rows))
    benchmarks = dict(benchmarks)

    def paint(figure: Figure) -> None:
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch

        axes = figure.add_subplot()
        style_axes(axes, font_size)
        set_title(axes, title, font_size)
        placed = [(y, slot) for y, slot in enumerate(slots) if isinstance(slot, IndicatorRow)]
        if not placed:
            no_data(axes, font_size)
            return
        positions = [y for y, _ in placed]
        rows = [row for _, row in placed]
        for y, slot in enumerate(slots):
            if isinstance(slot, str):  # a group's heading, in the row above its indicators
                axes.annotate(slot, xy=(0.0, y + 0.15), xycoords=("axes fraction", "data"), xytext=(2, 0),
                              textcoords="offset points", ha="left", va="center", fontsize=font_size,
                              fontweight="bold", color=GROUP_COLOUR, annotation_clip=False)
        widths = [float(row.achievement * 100) if row.achievement is not None else 0.0 for row in rows]
        colours = [BAND_COLOURS.get(row.band, OTHER_BAND_COLOUR) for row in rows]
        bar_height = BAR_HEIGHT
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

        marker_size = _marker_points(figure, len(slots), font_size)
        for attribute, label, marker, colour, lane in BENCHMARKS:
            found = [(float(value * 100), y + lane * LANE) for y, row in zip(positions, rows, strict=True)
                     if (peer := benchmarks.get(row.indicator_id)) is not None
                     and (value := getattr(peer, attribute)) is not None]
            if not found:
                continue
            style = dict(linestyle="none", marker=marker, color=colour, markeredgecolor=WHITE,
                         markeredgewidth=0.6)
            axes.plot([x for x, _ in found], [y for _, y in found], label=label, zorder=4, clip_on=False,
                      markersize=marker_size, **style)
            # The legend's marker at text size, however small the chart's rows make them.
            handles.append(Line2D([], [], label=label, markersize=max(4.0, font_size * 0.7), **style))

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
        spare = max(0.0, 3 - len(slots)) / 2
        axes.set_ylim(len(slots) - 0.5 + spare, -0.5 - spare)  # first row at the top
        axes.set_xlim(0, 100)
        axes.set_xticks(range(0, 101, 20))
        axes.xaxis.grid(True, color=GRID, linewidth=0.8)
        axes.set_xlabel("Achievement (%)", fontsize=font_size, color=TEXT)
        place_legend(axes, handles, font_size, gap_points=font_size * THRESHOLDS_GAP)

    return paint
