"""Printing a report: the one path that Print, Print preview and Export PDF (and the headless command) share.

Contract:

- A *maker* is ``Callable[[], Report]`` (``app.services.report_html.Report``). It reads the cache and
  renders the charts, so it runs on the task runner's database worker — it must not touch widgets.
- ``print_with_dialog(parent, make)``, ``preview(parent, make)`` and ``export_pdf(path, make)`` run the
  maker on the database worker. The preview then paints on the GUI thread (Qt's preview asks for its
  pages there); printing, once a printer is chosen, and the PDF are laid out and painted on a
  network-pool worker (Qt's rich text and painting on printers and PDFs are reentrant), so no file or
  printer is written from the GUI thread. Each takes ``done`` (called on the GUI thread with the dialog
  opened, or the path written) and ``failed``; printing also ``printed`` (the pages sent).
- ``paint(report, device)`` is that final step: the report's HTML and chart PNGs as a QTextDocument on an
  A4 portrait page, tables breaking across pages with their header row repeated, and at the foot of every
  page "Generated <date> from data synced at <time>" and "Page n of N". ``write_pdf(path, report)`` does
  it into a PDF (headless too, with a QGuiApplication).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QMarginsF, QRectF, QSizeF, Qt, QUrl
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QColor,
    QFont,
    QImage,
    QPagedPaintDevice,
    QPageLayout,
    QPageSize,
    QPainter,
    QPalette,
    QPdfWriter,
    QTextDocument,
    QTextOption,
)
from PySide6.QtWidgets import QDialog, QWidget

from app.services import tasks
from app.services.report_html import Report

log = logging.getLogger(__name__)

Maker = Callable[[], Report]
Failed = Callable[[BaseException], None]
PRINT_DPI = 300
MARGINS_MM = QMarginsF(18, 15, 18, 15)
FOOTER_POINTS = 8.0
BODY_POINTS = 10.0
last_paint_ms = 0.0  # how long the latest printout took to lay out and paint, for the record
last_paint_thread = ""  # and the thread that did it


def a4_layout() -> QPageLayout:
    return QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait, MARGINS_MM,
                       QPageLayout.Unit.Millimeter)


@dataclass(frozen=True)
class Ready:
    """A report with its chart pictures decoded (on the worker: decoding is most of the work)."""

    report: Report
    images: dict[str, QImage]


def ready(report: Report | Ready) -> Ready:
    if isinstance(report, Ready):
        return report
    images = {}
    for name, png in report.images.items():
        image = QImage.fromData(png)
        if image.isNull():
            raise OSError(f"the chart {name} could not be read for printing")
        # Opaque: a PDF then needs no transparency mask for it, which is most of the cost of painting it.
        images[name] = image.convertToFormat(QImage.Format.Format_RGB32)
    return Ready(report, images)


def build_document(report: Report | Ready, device: QPagedPaintDevice) -> QTextDocument:
    """The report laid out for ``device``'s page (fonts and pictures at its resolution)."""
    prepared = ready(report)
    document = QTextDocument()
    document.documentLayout().setPaintDevice(device)
    font = QFont(document.defaultFont())
    font.setPointSizeF(BODY_POINTS)
    document.setDefaultFont(font)
    document.setDocumentMargin(0)  # the page layout's margins are the only ones
    option = document.defaultTextOption()
    option.setWrapMode(QTextOption.WrapMode.WordWrap)  # never inside a word: a column is as wide as one
    document.setDefaultTextOption(option)
    for name, image in prepared.images.items():
        document.addResource(QTextDocument.ResourceType.ImageResource, QUrl(name), image)
    document.setHtml(prepared.report.html)
    width, height = _body_size(device)
    document.setPageSize(QSizeF(width, height))
    return document


def _page_rect(device: QPagedPaintDevice) -> QRectF:
    return QRectF(device.pageLayout().paintRectPixels(device.logicalDpiX()))


def _footer_height(device: QPagedPaintDevice) -> float:
    return FOOTER_POINTS / 72 * device.logicalDpiY() * 2.6  # a gap, then one line


def _body_size(device: QPagedPaintDevice) -> tuple[float, float]:
    rect = _page_rect(device)
    return rect.width(), rect.height() - _footer_height(device)


def paint(made: Report | Ready, device: QPagedPaintDevice) -> int:
    """Lay a report out on ``device`` (a QPrinter or QPdfWriter) and paint every page; the page count."""
    global last_paint_ms, last_paint_thread
    prepared = ready(made)
    report = prepared.report
    started = time.perf_counter()
    device.setPageLayout(a4_layout())
    document = build_document(prepared, device)
    width, height = _body_size(device)
    pages = max(1, document.pageCount())
    painter = QPainter()
    if not painter.begin(device):
        raise OSError("the printer or file could not be opened for printing")
    # Charts as they are: lossless is sharper, and spares the PDF writer trying JPEG on every picture.
    painter.setRenderHint(QPainter.RenderHint.LosslessImageRendering)
    try:
        footer_font = QFont(document.defaultFont())
        footer_font.setPointSizeF(FOOTER_POINTS)
        context = QAbstractTextDocumentLayout.PaintContext()
        context.palette.setColor(QPalette.ColorRole.Text, QColor(Qt.GlobalColor.black))
        for index in range(pages):
            if index:
                device.newPage()
            painter.save()
            painter.translate(0, -index * height)
            context.clip = QRectF(0, index * height, width, height)
            painter.setClipRect(context.clip)
            document.documentLayout().draw(painter, context)
            painter.restore()
            footer = QRectF(0, height, width, _footer_height(device))
            painter.setFont(footer_font)
            painter.setPen(QColor(Qt.GlobalColor.black))
            align = Qt.AlignmentFlag.AlignBottom
            painter.drawText(footer, int(align | Qt.AlignmentFlag.AlignLeft), report.footer)
            painter.drawText(footer, int(align | Qt.AlignmentFlag.AlignRight), f"Page {index + 1} of {pages}")
    finally:
        painter.end()
    last_paint_ms = (time.perf_counter() - started) * 1000
    last_paint_thread = threading.current_thread().name
    log.info("Printed %d pages of %s in %.0f ms", pages, report.meta.title, last_paint_ms)
    return pages


def pdf_writer(path: Path) -> QPdfWriter:
    writer = QPdfWriter(str(path))
    writer.setResolution(PRINT_DPI)
    writer.setPageLayout(a4_layout())
    writer.setCreator("CQRS Desktop")
    return writer


def write_pdf(path: str | Path, made: Report | Ready) -> Path:
    """Save a report as an A4 PDF at ``path`` (needs a QGuiApplication; the GUI thread in the app)."""
    target = Path(path)
    prepared = ready(made)
    writer = pdf_writer(target)
    writer.setTitle(f"{prepared.report.meta.title}: {prepared.report.meta.practice_name}")
    paint(prepared, writer)
    del writer  # the file is finished when the writer goes
    if not target.is_file():
        raise OSError(f"the PDF could not be saved as {target}")
    return target


def _made(make: Maker, then: Callable[[Ready], None], failed: Failed | None) -> None:
    """Build the report on the database worker (cache reads, charts rendered and decoded), then ``then``
    on the GUI thread."""
    tasks.run(lambda: ready(make()), then, failed)


def export_pdf(path: str | Path, make: Maker, *, done: Callable[[Path], None] | None = None,
               failed: Failed | None = None) -> None:
    """Save the report as a PDF. Laid out and written on a worker too (Qt's rich text and painting onto a
    PDF are reentrant), so writing the file never holds up the window."""
    def write(prepared: Ready) -> None:
        tasks.run(lambda: write_pdf(path, prepared), done, failed, kind="net")

    _made(make, write, failed)  # the cache is read on the database worker alone


def preview(parent: QWidget | None, make: Maker, *, done: Callable[[QDialog], None] | None = None,
            failed: Failed | None = None) -> None:
    """Open Qt's print preview of the report (it repaints through ``paint`` when the page is changed)."""
    from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog

    def show(prepared: Ready) -> None:
        report = prepared.report
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setPageLayout(a4_layout())
        dialog = QPrintPreviewDialog(printer, parent)
        dialog.setWindowTitle(f"Print preview: {report.meta.title}")
        dialog.setAccessibleName("Print preview")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.paintRequested.connect(lambda device: paint(prepared, device))
        dialog.open()
        if done is not None:
            done(dialog)

    _made(make, show, failed)


def print_with_dialog(parent: QWidget | None, make: Maker, *, done: Callable[[QDialog], None] | None = None,
                      failed: Failed | None = None, printed: Callable[[int], None] | None = None) -> None:
    """Ask which printer (Qt's print dialog), then print the report on it — on a worker, like a PDF, so a
    slow printer never holds up the window; ``printed`` gets the number of pages sent."""
    from PySide6.QtPrintSupport import QPrintDialog, QPrinter

    def ask(prepared: Ready) -> None:
        report = prepared.report
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setPageLayout(a4_layout())
        printer.setDocName(report.meta.title)
        dialog = QPrintDialog(printer, parent)
        dialog.setWindowTitle(f"Print {report.meta.title}")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def accepted() -> None:  # the dialog no longer uses the printer: the worker alone paints on it
            tasks.run(lambda: paint(prepared, printer), printed, failed, kind="net")

        dialog.accepted.connect(accepted)
        dialog._printer = printer  # type: ignore[attr-defined]  # kept alive as long as the dialog
        QDialog.open(dialog)  # QPrintDialog's own open() wants a slot to call
        if done is not None:
            done(dialog)

    _made(make, ask, failed)
