"""The print preview: a report's pages painted to images off the GUI thread, shown one under another.

``PreviewDialog`` opens at once saying the preview is being prepared. ``show_report(prepared)`` (the
report made on the database worker) lays it out on a network-pool worker exactly as Export PDF does
(``print_document.lay_out`` on a PDF writer at the print resolution), then paints one page at a time to an
image at the resolution the screen needs (``paint_page``), the pages in view first. The dialog shows each
page as it arrives; zooming in paints them again, sharper, the same way. The laid-out document is used by
one task at a time and handed between workers with ``moveToThread`` (no thread while it waits), so the GUI
thread never lays out or paints a page. Print… and Export PDF… use the report already made, through
``print_document``'s worker paths.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QBuffer, QIODevice, QPointF, QSizeF, Qt, QThread
from PySide6.QtGui import QCloseEvent, QImage, QKeySequence, QPainter, QPaintEvent, QPdfWriter, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.services import screen_share, tasks
from app.signals import hub
from app.views import print_document
from app.views.print_document import Failed, Laid, Ready

PREPARING = "Preparing the preview…"
SCREEN_DPI = 96  # a page at 100% is as big as on paper on a 96-per-inch screen
MAX_DPI = 300  # sharper than this only costs memory
ZOOMS = (0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0)
PAGE_GAP = 12  # pixels between pages, and around them


@dataclass(frozen=True)
class PreviewLayout:
    """A report laid out for the preview, and the A4 page around the body, in the layout's pixels."""

    laid: Laid
    buffer: QBuffer  # where the layout's PDF writer would write: nothing is ever written
    page: QSizeF
    body_origin: QPointF


@dataclass(frozen=True)
class Painted:
    index: int
    dpi: int
    image: QImage
    thread: str  # the thread that painted it (never the GUI thread)


@contextmanager
def _borrowed(layout: PreviewLayout) -> Iterator[Laid]:
    """The layout's Qt objects on this thread while it is used, and on none afterwards, so the next worker
    (another thread, maybe) can take them: only one task uses them at a time."""
    current = QThread.currentThread()
    for held in (layout.laid.document, layout.laid.device, layout.buffer):
        held.moveToThread(current)
    try:
        yield layout.laid
    finally:
        for held in (layout.laid.document, layout.laid.device, layout.buffer):
            held.moveToThread(None)


def lay_out(prepared: Ready) -> PreviewLayout:
    """On a worker: the report laid out as the PDF is (same resolution, same page breaks)."""
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setResolution(print_document.PRINT_DPI)
    laid = print_document.lay_out(prepared, writer)
    dpi = writer.resolution()
    full = writer.pageLayout().fullRectPixels(dpi)
    body = writer.pageLayout().paintRectPixels(dpi)
    layout = PreviewLayout(laid, buffer, QSizeF(full.width(), full.height()),
                           QPointF(body.x() - full.x(), body.y() - full.y()))
    for held in (laid.document, writer, buffer):
        held.moveToThread(None)
    return layout


def paint_page(layout: PreviewLayout, index: int, dpi: int) -> Painted:
    """On a worker: page ``index`` as an image at ``dpi`` dots per inch, white paper around the body."""
    scale = dpi / print_document.PRINT_DPI
    image = QImage(max(1, round(layout.page.width() * scale)), max(1, round(layout.page.height() * scale)),
                   QImage.Format.Format_RGB32)
    # Fonts given in points (the footer's) are sized for the print resolution, as the body's are; the
    # painter's scale then brings both down to ``dpi``.
    image.setDotsPerMeterX(round(print_document.PRINT_DPI / 0.0254))
    image.setDotsPerMeterY(round(print_document.PRINT_DPI / 0.0254))
    image.fill(Qt.GlobalColor.white)
    with _borrowed(layout) as laid:
        painter = QPainter(image)
        try:
            painter.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing
                                   | QPainter.RenderHint.SmoothPixmapTransform)
            painter.scale(scale, scale)
            painter.translate(layout.body_origin)
            print_document.draw_page(painter, laid, index)
        finally:
            painter.end()
    return Painted(index, dpi, image, threading.current_thread().name)


class PageView(QWidget):
    """One page: its latest image drawn to the size the zoom gives, or blank paper until it arrives."""

    def __init__(self, number: int, pages: int) -> None:
        super().__init__()
        self.number = number
        self.painted: Painted | None = None
        self.setAccessibleName(f"Page {number} of {pages}")

    def show_painted(self, painted: Painted) -> None:
        self.painted = painted
        self.update()

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        painter.fillRect(self.rect(), Qt.GlobalColor.white)
        if self.painted is None:
            painter.setPen(Qt.GlobalColor.darkGray)
            painter.drawText(self.rect(), int(Qt.AlignmentFlag.AlignCenter), f"Preparing page {self.number}…")
        else:  # scaling an image already made: only the pages in view are drawn
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(self.rect(), self.painted.image)
        painter.end()


class PreviewDialog(QDialog):
    """The preview window. ``show_report`` fills it in; ``fail`` closes it and passes the error on."""

    def __init__(self, parent: QWidget | None, *, failed: Failed | None = None,
                 pdf_name: str = "report") -> None:
        super().__init__(parent)
        self._failed, self.pdf_name = failed, pdf_name
        self.prepared: Ready | None = None
        self.layout_: PreviewLayout | None = None
        self.pages: list[PageView] = []
        self.zoom, self.fitting = 1.0, True
        self._busy = False  # a task is using the layout: the next page waits for it
        self._closed = False
        self.setWindowTitle("Print preview")
        self.setAccessibleName("Print preview")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        window = parent.window() if parent is not None else None
        self.resize(window.size() if window is not None else self.size().expandedTo(self.minimumSizeHint()))

        self.print_button = self._button("Print…", "Print", "Print the report (Ctrl+P)", self.print_report)
        self.pdf_button = self._button("Export PDF…", "Export PDF", "Save the report as a PDF file",
                                       self.export_pdf)
        self.zoom_out_button = self._button("Zoom out", "Zoom out", "Smaller pages (Ctrl+minus)",
                                            self.zoom_out)
        self.zoom_in_button = self._button("Zoom in", "Zoom in", "Bigger pages (Ctrl+plus)", self.zoom_in)
        self.fit_button = self._button("Fit width", "Fit width", "Pages as wide as the window",
                                       self.fit_width)
        close = self._button("Close", "Close", "Close the preview (Esc)", self.close)
        self.print_button.setEnabled(False)
        self.pdf_button.setEnabled(False)
        self.zoom_label = QLabel()
        self.zoom_label.setAccessibleName("Zoom")
        self.page_label = QLabel()
        self.page_label.setAccessibleName("Page number")
        self.status = QLabel()  # what Print… and Export PDF… did
        self.status.setAccessibleName("Preview status")
        self.status.setWordWrap(True)

        self.sheet = QWidget()
        self.sheet.setObjectName("previewPages")
        self.sheet_layout = QVBoxLayout(self.sheet)
        self.sheet_layout.setSpacing(PAGE_GAP)
        self.sheet_layout.setContentsMargins(PAGE_GAP, PAGE_GAP, PAGE_GAP, PAGE_GAP)
        self.waiting = QLabel(PREPARING)
        self.waiting.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.sheet_layout.addWidget(self.waiting, 1)
        self.scroll = QScrollArea()
        self.scroll.setAccessibleName("Pages")
        self.scroll.setWidgetResizable(True)
        # Always there, so fitting the width never makes room for it afterwards (and a sideways scroll).
        self.scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.scroll.setWidget(self.sheet)
        self.scroll.verticalScrollBar().valueChanged.connect(self._scrolled)

        tools = QHBoxLayout()
        for widget in (self.print_button, self.pdf_button, self.zoom_out_button, self.zoom_label,
                       self.zoom_in_button, self.fit_button):
            tools.addWidget(widget)
        tools.addStretch(1)
        tools.addWidget(close)
        foot = QHBoxLayout()
        foot.addWidget(self.page_label)
        foot.addWidget(self.status, 1)
        rows = QVBoxLayout(self)
        rows.addLayout(tools)
        rows.addWidget(self.scroll, 1)
        rows.addLayout(foot)
        for keys, action in ((QKeySequence.StandardKey.ZoomIn, self.zoom_in), ("Ctrl+=", self.zoom_in),
                             (QKeySequence.StandardKey.ZoomOut, self.zoom_out),
                             (QKeySequence(Qt.Key.Key_PageDown), self.next_page),
                             (QKeySequence(Qt.Key.Key_PageUp), self.previous_page),
                             (QKeySequence.StandardKey.Print, self.print_report)):
            QShortcut(QKeySequence(keys), self, activated=action)
        hub().screen_share_changed.connect(self._screen_share_changed)
        self._show_zoom()

    def _button(self, text: str, name: str, tip: str, action: Callable[[], object]) -> QPushButton:
        button = QPushButton(text)
        button.setAccessibleName(name)
        button.setToolTip(tip)
        button.setAutoDefault(False)  # Enter does not print
        button.clicked.connect(lambda: action())
        return button

    # --- filling in ---------------------------------------------------------------------------------

    def show_report(self, prepared: Ready) -> None:
        """The report made: lay it out on a worker, then paint its pages."""
        if self._closed:
            return
        self.prepared = prepared
        self.setWindowTitle(f"Print preview: {prepared.report.meta.title}")
        self.print_button.setEnabled(True)
        self.pdf_button.setEnabled(True)
        self._busy = True
        tasks.run(lambda: lay_out(prepared), self._laid_out, self.fail, kind="net")

    def _laid_out(self, layout: PreviewLayout) -> None:
        self._busy = False
        if self._closed:
            return
        self.layout_ = layout
        self.waiting.hide()
        for number in range(1, layout.laid.pages + 1):
            page = PageView(number, layout.laid.pages)
            self.pages.append(page)
            self.sheet_layout.addWidget(page, 0, Qt.AlignmentFlag.AlignHCenter)
        self.sheet_layout.addStretch(1)
        self._show_zoom()
        self._next_page()

    def fail(self, error: BaseException) -> None:
        """Making or painting the report failed: close the preview and say why, as the window does."""
        self._busy = False
        if not self._closed:
            self.close()
        (self._failed or tasks.runner().failure_handler)(error)

    def needed_dpi(self) -> int:
        """The resolution that shows a page sharp at the zoom on this screen."""
        return min(MAX_DPI, math.ceil(SCREEN_DPI * self.zoom * self.devicePixelRatioF()))

    def _next_page(self) -> None:
        """Paint the next page that is missing or not sharp enough, those in view first; one at a time."""
        if self._busy or self._closed or self.layout_ is None:
            return
        dpi, layout = self.needed_dpi(), self.layout_
        wanted = [page for page in self.pages if page.painted is None or page.painted.dpi < dpi]
        if not wanted:
            return
        in_view = self.scroll.viewport().rect().translated(0, self.scroll.verticalScrollBar().value())
        page = next((page for page in wanted if page.geometry().intersects(in_view)), wanted[0])
        self._busy = True
        index = page.number - 1
        tasks.run(lambda: paint_page(layout, index, dpi), self._page_painted, self.fail, kind="net")

    def _page_painted(self, painted: Painted) -> None:
        self._busy = False
        if self._closed:
            return
        self.pages[painted.index].show_painted(painted)
        self._next_page()

    def complete(self) -> bool:
        """Every page shown at the resolution the zoom needs (nothing left to paint)."""
        dpi = self.needed_dpi()
        return (self.layout_ is not None and not self._busy
                and all(page.painted is not None and page.painted.dpi >= dpi for page in self.pages))

    def page_count(self) -> int:
        return len(self.pages)

    # --- zoom and pages -----------------------------------------------------------------------------

    def zoom_in(self) -> None:
        self._set_zoom(next((zoom for zoom in ZOOMS if zoom > self.zoom + 0.01), ZOOMS[-1]))

    def zoom_out(self) -> None:
        self._set_zoom(next((zoom for zoom in reversed(ZOOMS) if zoom < self.zoom - 0.01), ZOOMS[0]))

    def fit_width(self) -> None:
        self.fitting = True
        self._show_zoom()

    def _set_zoom(self, zoom: float) -> None:
        self.fitting, self.zoom = False, zoom
        self._show_zoom()

    def page_size(self) -> tuple[int, int]:
        """A page's size on screen at the zoom, in pixels."""
        width, height = (SCREEN_DPI / 25.4 * mm for mm in (210, 297))
        return round(width * self.zoom), round(height * self.zoom)

    def _show_zoom(self) -> None:
        if self.fitting:
            room = self.scroll.viewport().width() - 2 * PAGE_GAP
            self.zoom = max(ZOOMS[0], min(ZOOMS[-1], room / (SCREEN_DPI / 25.4 * 210)))
        top = self.current_page()
        width, height = self.page_size()
        for page in self.pages:
            page.setFixedSize(width, height)
        self.zoom_label.setText(f"{round(self.zoom * 100)}%" if self.pages else "")  # fitted once pages show
        self.zoom_out_button.setEnabled(self.zoom > ZOOMS[0] + 0.01)
        self.zoom_in_button.setEnabled(self.zoom < ZOOMS[-1] - 0.01)
        if self.pages:
            # The sheet grows now rather than at the next layout pass, so the same page can be kept in view.
            self.sheet_layout.activate()
            viewport = self.scroll.viewport().size()
            self.sheet.resize(self.sheet.minimumSizeHint().expandedTo(viewport))
            self.go_to_page(top)
        self._next_page()

    def _page_top(self, number: int) -> int:
        """Where page ``number`` starts on the sheet (pages are stacked with a gap above each)."""
        return PAGE_GAP + (number - 1) * (self.pages[0].height() + PAGE_GAP)

    def current_page(self) -> int:
        """The number of the page at the top of the view (1 when there are none)."""
        if not self.pages:
            return 1
        reach = self.scroll.verticalScrollBar().value() + self.scroll.viewport().height() // 3
        step = self.pages[0].height() + PAGE_GAP  # as the pages are sized now (the zoom may be changing)
        return max(1, min(len(self.pages), 1 + (reach - PAGE_GAP) // step))

    def next_page(self) -> None:
        self.go_to_page(self.current_page() + 1)

    def previous_page(self) -> None:
        self.go_to_page(self.current_page() - 1)

    def go_to_page(self, number: int) -> None:
        if not self.pages:
            return
        number = max(1, min(number, len(self.pages)))
        self.scroll.verticalScrollBar().setValue(self._page_top(number) - PAGE_GAP)
        self._scrolled()

    def _scrolled(self) -> None:
        if self.pages:
            self.page_label.setText(f"Page {self.current_page()} of {len(self.pages)}")
            self._next_page()

    def resizeEvent(self, event: object) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)  # type: ignore[arg-type]
        if self.fitting:
            self._show_zoom()

    # --- print, save, close -------------------------------------------------------------------------

    def print_report(self) -> None:
        if self.prepared is not None:
            print_document.print_prepared(self, self.prepared, failed=self._action_failed,
                                          printed=self._printed)

    def _printed(self, pages: int) -> None:
        if not self._closed:
            self.status.setText(f"Sent {pages} page{'s' * (pages != 1)} to the printer.")

    def export_pdf(self) -> None:
        if self.prepared is None or (path := print_document.ask_pdf_path(self, self.pdf_name)) is None:
            return
        print_document.export_prepared(path, self.prepared, done=self._saved, failed=self._action_failed)

    def _saved(self, path: Path) -> None:
        if not self._closed:
            self.status.setText(f"Saved {path}.")

    def _action_failed(self, error: BaseException) -> None:
        if not self._closed:
            self.status.setText(print_document.failure_message(error))

    def _screen_share_changed(self, _state: object) -> None:
        # The pages were made before sharing began and may show £ or emails: they must not be on screen.
        if screen_share.active() and not self._closed:
            self.close()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        self._closed = True
        with suppress(RuntimeError, TypeError):  # already gone with the hub
            hub().screen_share_changed.disconnect(self._screen_share_changed)
        super().closeEvent(event)

    def done(self, result: int) -> None:  # Esc ends here
        self._closed = True
        super().done(result)

