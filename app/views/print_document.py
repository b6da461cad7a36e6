"""Printing a report: the one path that Print, Print preview and Export PDF (and the headless command) share.

Contract:

- A *maker* is ``Callable[[], Report]`` (``app.services.report_html.Report``). It reads the cache and
  renders the charts, so it runs on the task runner's database worker — it must not touch widgets.
- ``print_with_dialog(parent, make)``, ``preview(parent, make)`` and ``export_pdf(path, make)`` run the
  maker on the database worker. Printing, once a printer is chosen, and the PDF are laid out and painted
  on a network-pool worker (Qt's rich text and painting on printers, PDFs and images are reentrant), so no
  file or printer is written from the GUI thread. The preview (``app.views.print_preview``) opens at once
  and paints its pages to images on that pool too. Each takes ``done`` (called on the GUI thread with the
  dialog opened, or the path written) and ``failed``; printing also ``printed`` (the pages sent).
  ``print_prepared`` and ``export_prepared`` do the same for a report already made (the preview's buttons).
- ``paint(report, device)`` is that final step: the report's HTML and chart PNGs as a QTextDocument on an
  A4 portrait page (``lay_out``), tables breaking across pages with their header row repeated, and at the
  foot of every page "Generated <date> from data synced at <time>" and "Page n of N" (``draw_page``).
  ``write_pdf(path, report)`` does it into a PDF (headless too, with a QGuiApplication).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QMarginsF, QRectF, QSizeF, QStandardPaths, Qt, QUrl
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
from PySide6.QtWidgets import QDialog, QFileDialog, QWidget

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
        # The format named: Qt then goes straight to its PNG reader. Left to guess, it asks every image
        # plugin, and the SVG one makes Qt objects whose locks the GUI thread may hold while it waits for
        # the interpreter this worker holds (a deadlock seen in a test run).
        image = QImage.fromData(png, "PNG")
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


@dataclass(frozen=True)
class Laid:
    """A report laid out on A4 pages for a device, ready to be painted a page at a time."""

    document: QTextDocument
    device: QPagedPaintDevice  # the layout's metrics come from it: it lives as long as the document
    pages: int
    width: float  # the body of a page, in the device's pixels
    height: float
    footer_height: float
    footer: str


def lay_out(made: Report | Ready, device: QPagedPaintDevice) -> Laid:
    """``made`` laid out on A4 pages of ``device`` (its page layout is set to A4 first)."""
    prepared = ready(made)
    device.setPageLayout(a4_layout())
    document = build_document(prepared, device)
    width, height = _body_size(device)
    return Laid(document, device, max(1, document.pageCount()), width, height, _footer_height(device),
                prepared.report.footer)


def draw_page(painter: QPainter, laid: Laid, index: int) -> None:
    """Page ``index`` of ``laid`` with its footer, painted from the painter's origin (the body's top left)."""
    document = laid.document
    context = QAbstractTextDocumentLayout.PaintContext()
    context.palette.setColor(QPalette.ColorRole.Text, QColor(Qt.GlobalColor.black))
    painter.save()
    painter.translate(0, -index * laid.height)
    context.clip = QRectF(0, index * laid.height, laid.width, laid.height)
    painter.setClipRect(context.clip)
    document.documentLayout().draw(painter, context)
    painter.restore()
    footer = QRectF(0, laid.height, laid.width, laid.footer_height)
    footer_font = QFont(document.defaultFont())
    footer_font.setPointSizeF(FOOTER_POINTS)
    painter.setFont(footer_font)
    painter.setPen(QColor(Qt.GlobalColor.black))
    align = Qt.AlignmentFlag.AlignBottom
    painter.drawText(footer, int(align | Qt.AlignmentFlag.AlignLeft), laid.footer)
    painter.drawText(footer, int(align | Qt.AlignmentFlag.AlignRight), f"Page {index + 1} of {laid.pages}")


def paint(made: Report | Ready, device: QPagedPaintDevice) -> int:
    """Lay a report out on ``device`` (a QPrinter or QPdfWriter) and paint every page; the page count."""
    global last_paint_ms, last_paint_thread
    prepared = ready(made)
    started = time.perf_counter()
    laid = lay_out(prepared, device)
    painter = QPainter()
    if not painter.begin(device):
        raise OSError("the printer or file could not be opened for printing")
    # Charts as they are: lossless is sharper, and spares the PDF writer trying JPEG on every picture.
    painter.setRenderHint(QPainter.RenderHint.LosslessImageRendering)
    try:
        for index in range(laid.pages):
            if index:
                device.newPage()
            draw_page(painter, laid, index)
    finally:
        painter.end()
    last_paint_ms = (time.perf_counter() - started) * 1000
    last_paint_thread = threading.current_thread().name
    log.info("Printed %d pages of %s in %.0f ms", laid.pages, prepared.report.meta.title, last_paint_ms)
    return laid.pages


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


def failure_message(error: BaseException) -> str:
    """What to tell a practice manager when a report could not be made, printed or saved."""
    if isinstance(error, OSError) and not getattr(error, "user_message", None):
        return (f"The report could not be printed or saved: {error}. Check the printer, or choose another "
                "folder, and try again.")
    return tasks.describe_error(error)


def ask_pdf_path(parent: QWidget | None, name: str) -> str | None:
    """Ask where to save the PDF (in Documents, named ``name``); None if the person cancels."""
    folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    suggested = str(Path(folder) / f"{name}.pdf")
    path, _filter = QFileDialog.getSaveFileName(parent, "Export PDF", suggested, "PDF files (*.pdf)")
    if not path:
        return None
    return path if path.lower().endswith(".pdf") else f"{path}.pdf"


def export_prepared(path: str | Path, prepared: Ready, *, done: Callable[[Path], None] | None = None,
                    failed: Failed | None = None) -> None:
    """Save a report already made as a PDF, laid out and written on a worker (Qt's rich text and painting
    onto a PDF are reentrant), so writing the file never holds up the window."""
    tasks.run(lambda: write_pdf(path, prepared), done, failed, kind="net")


def export_pdf(path: str | Path, make: Maker, *, done: Callable[[Path], None] | None = None,
               failed: Failed | None = None) -> None:
    """Save the report as a PDF (made on the database worker alone, written as ``export_prepared``)."""
    _made(make, lambda prepared: export_prepared(path, prepared, done=done, failed=failed), failed)


def preview(parent: QWidget | None, make: Maker, *, done: Callable[[QDialog], None] | None = None,
            failed: Failed | None = None, pdf_name: str = "report") -> None:
    """Open the print preview of the report at once (``app.views.print_preview``): it says the preview is
    being prepared while the report is made, then shows the pages as they are painted off the GUI thread.
    ``done`` gets the dialog as it opens; ``failed`` an error making or painting the report (the preview
    then closes); ``pdf_name`` is the file name its Export PDF… suggests."""
    from app.views.print_preview import PreviewDialog

    dialog = PreviewDialog(parent, failed=failed, pdf_name=pdf_name)
    dialog.open()
    if done is not None:
        done(dialog)
    _made(make, dialog.show_report, dialog.fail)


def print_prepared(parent: QWidget | None, prepared: Ready, *, done: Callable[[QDialog], None] | None = None,
                   failed: Failed | None = None, printed: Callable[[int], None] | None = None) -> None:
    """Ask which printer (Qt's print dialog), then print the report on it — on a worker, like a PDF, so a
    slow printer never holds up the window; ``printed`` gets the number of pages sent."""
    from PySide6.QtPrintSupport import QPrintDialog, QPrinter

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


def print_with_dialog(parent: QWidget | None, make: Maker, *, done: Callable[[QDialog], None] | None = None,
                      failed: Failed | None = None, printed: Callable[[int], None] | None = None) -> None:
    """Make the report on the database worker, then print it as ``print_prepared`` does."""
    _made(make, lambda prepared: print_prepared(parent, prepared, done=done, failed=failed, printed=printed),
          failed)
