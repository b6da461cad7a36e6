"""One chart on screen: a picture of a matplotlib figure, drawn on a worker at the widget's size.

The GUI thread never runs matplotlib: ``draw`` hands the painter to a worker (``tasks.run``), which draws
a new figure with the Agg canvas into a QImage (``app.views.charts.render``); the widget paints that
image. A resize draws again at the new size once resizing pauses; until then the last picture is
stretched. Only one drawing is in flight per chart, and a picture of an older painter is never shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent, QResizeEvent, QShowEvent
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget
from shiboken6 import Shiboken

from app.services import tasks
from app.views import charts
from app.views.charts import Painter

if TYPE_CHECKING:
    from matplotlib.figure import Figure

MINIMUM_HEIGHT = 220
RESIZE_PAUSE_MS = 120  # draw again once the size has stayed put this long
SMALLEST_PX = 16


@dataclass(frozen=True)
class _Request:
    version: int  # which painter (bumped by every ``draw``)
    width: int
    height: int
    dpi: float
    ratio: float


class ChartView(QWidget):
    """One chart. Owners pass ``font_size`` to the painter factories so charts follow the app's text-size
    setting, and draw again when that setting changes."""

    rendered = Signal()  # a picture of the latest painter, at the current size, is on screen

    def __init__(self, *, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(name)
        self.setMinimumHeight(MINIMUM_HEIGHT)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._placeholder: QLabel | None = QLabel("Loading chart…")
        self._placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._layout.addWidget(self._placeholder)
        self._painter: Painter | None = None
        self._version = 0
        self._figure: Figure | None = None
        self._image: QImage | None = None
        self._shown: _Request | None = None  # what the picture on screen was drawn for
        self._in_flight: _Request | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._render)

    @property
    def figure(self) -> Figure | None:
        """The figure of the picture on screen; None until the first picture arrives."""
        return self._figure

    @property
    def image(self) -> QImage | None:
        """The picture on screen (device pixels); None until the first one arrives."""
        return self._image

    @property
    def up_to_date(self) -> bool:
        """True when the picture on screen is of the latest painter at the widget's current size."""
        return self._shown is not None and self._shown == self._wanted() and self._in_flight is None

    @property
    def font_size(self) -> float:
        """The widget's font size in points, for the painter factories."""
        size = self.font().pointSizeF()
        return size if size > 0 else charts.DEFAULT_FONT_SIZE

    def draw(self, painter: Painter, *, description: str) -> None:
        """Show what ``painter`` draws (drawn on a worker); ``description`` says the same in words."""
        self._painter = painter
        self._version += 1
        self.setAccessibleDescription(description)
        self._timer.start(0)  # a burst of draws in one event-loop turn costs one drawing

    def render_png(self, path: str | Path, *, width_px: int = 1200, height_px: int = 500,
                   dpi: float = 100) -> Path:
        """Save the chart as a ``width_px`` × ``height_px`` PNG, leaving the screen as it is.

        The last painter draws again into a separate figure of the printed size, so the layout suits
        the page rather than being the on-screen figure stretched.
        """
        if self._painter is None:
            raise RuntimeError("nothing has been drawn yet")
        return charts.render_png(self._painter, path, width_px=width_px, height_px=height_px, dpi=dpi)

    # --- drawing on the worker ------------------------------------------------------------------------

    def _wanted(self) -> _Request | None:
        if self._painter is None or self.width() < SMALLEST_PX or self.height() < SMALLEST_PX:
            return None
        # At the screen's logical DPI a matplotlib point is a Qt point, so chart text matches the UI.
        return _Request(self._version, self.width(), self.height(), float(self.logicalDpiY() or 96),
                        float(self.devicePixelRatioF() or 1.0))

    def _render(self) -> None:
        wanted = self._wanted()
        if wanted is None or wanted == self._shown or self._in_flight is not None:
            return  # nothing new, or asked again when the drawing in flight is back
        if not self.isVisible() and not self.window().isVisible():
            return  # its window is not on screen yet (nor laid out): drawn when the chart is shown
        painter = self._painter
        assert painter is not None
        self._in_flight = wanted

        def op() -> charts.Rendered:
            return charts.render(painter, wanted.width, wanted.height, dpi=wanted.dpi, ratio=wanted.ratio)

        tasks.run(op, lambda result: self._arrived(wanted, result),
                  lambda error: self._failed(error), kind="net")

    def _arrived(self, request: _Request, result: charts.Rendered) -> None:
        if not Shiboken.isValid(self):
            return  # the chart was closed while it was being drawn
        self._in_flight = None
        if request.version == self._version:  # an older painter's picture is never shown
            self._figure, self._image, self._shown = result.figure, result.image, request
            if self._placeholder is not None:
                self._layout.removeWidget(self._placeholder)
                self._placeholder.deleteLater()
                self._placeholder = None
            self.update()
        if self.up_to_date:
            self.rendered.emit()
        else:
            self._timer.start(0)

    def _failed(self, error: BaseException) -> None:
        if Shiboken.isValid(self):
            self._in_flight = None
        tasks.runner().failure_handler(error)  # the one error path (logged already by the runner)

    # --- Qt events ----------------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        if self._image is None:
            super().paintEvent(event)
            return
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(charts.WHITE))
        shown = self._shown
        if shown is not None and (shown.width, shown.height) != (self.width(), self.height()):
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)  # stretched until redrawn
        painter.drawImage(QRectF(self.rect()), self._image)
        painter.end()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._painter is not None:
            self._timer.start(RESIZE_PAUSE_MS if self._image is not None else 0)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._painter is not None:
            self._timer.start(0)
