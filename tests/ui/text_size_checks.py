"""What "usable at this text size" means, checked on widgets on screen: tables show a few rows and do not
cut short texts (dates, figures, statuses), labels and buttons are not cut, fields are not squashed, and
chart tick labels do not run together. Each check returns plain descriptions of what it found."""

from __future__ import annotations

from collections.abc import Iterator

from PySide6.QtCore import QRect
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QAbstractSpinBox,
    QComboBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QScrollArea,
    QTableView,
    QWidget,
)

FEW_ROWS = 3
SHORT_TEXT = 24  # cells this short (dates, figures, statuses) must never be cut


def _shown(root: QWidget, kind: type) -> Iterator:
    for widget in root.findChildren(kind):
        if widget.isVisible() and widget.width() > 0:
            yield widget


def _scrolls(widget: QWidget) -> bool:
    """Inside a scroll area's contents: it may be partly out of view on purpose."""
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QScrollArea):
            return True
        parent = parent.parentWidget()
    return False


def _name(widget: QWidget) -> str:
    text = widget.text() if hasattr(widget, "text") else ""
    return f"{type(widget).__name__} {text or widget.accessibleName() or widget.objectName()!r}"


def clipped(widget: QWidget) -> bool:
    """Part of the widget is hidden by its parents' edges or by a sibling on top of it."""
    return not _scrolls(widget) and widget.visibleRegion().boundingRect() != widget.rect()


def tables(root: QWidget) -> list[str]:
    found = []
    for view in _shown(root, QTableView):
        model = view.model()
        rows = model.rowCount()
        if rows == 0:
            continue
        height = view.viewport().height()
        whole = sum(1 for row in range(min(rows, 50))
                    if view.rowViewportPosition(row) >= 0
                    and view.rowViewportPosition(row) + view.rowHeight(row) <= height)
        if whole < min(FEW_ROWS, rows):
            found.append(f"table {view.accessibleName()!r} shows {whole} whole row(s) of {rows}")
        if view.wordWrap():
            continue
        width = view.viewport().width()
        for row in range(min(rows, 20)):
            if view.rowViewportPosition(row) >= height:
                break
            for column in range(model.columnCount()):
                left = view.columnViewportPosition(column)
                if view.isColumnHidden(column) or left >= width:
                    continue
                index = model.index(row, column)
                text = str(index.data() or "")
                needed = view.sizeHintForIndex(index).width()
                if text and len(text) <= SHORT_TEXT and view.columnWidth(column) < needed:
                    header = model.headerData(column, view.horizontalHeader().orientation())
                    found.append(f"table {view.accessibleName()!r} column {header!r} cuts {text!r} "
                                 f"({view.columnWidth(column)} px for {needed})")
                    break
    return found


def labels(root: QWidget) -> list[str]:
    found = []
    for label in _shown(root, QLabel):
        if not label.text().strip() or label.parentWidget() is None or label.pixmap() and \
                not label.pixmap().isNull():
            continue
        if label.wordWrap():
            needed = label.heightForWidth(label.width())
            if label.height() < needed:
                found.append(f"{_name(label)} is {label.height()} px tall, its text needs {needed}")
        elif label.width() < label.sizeHint().width() or label.height() < label.fontMetrics().height():
            found.append(f"{_name(label)} is cut: {label.width()}×{label.height()} px for "
                         f"{label.sizeHint().width()}×{label.sizeHint().height()}")
        if clipped(label):
            found.append(f"{_name(label)} is partly hidden ({_visible(label)} of {label.rect()})")
    return found


def controls(root: QWidget) -> list[str]:
    """Buttons cut, or fields and lists squashed below the height of their text."""
    found = []
    for button in _shown(root, QAbstractButton):
        if not button.text():
            continue  # e.g. a table's corner button, a tab bar's scroll arrows
        hint = button.minimumSizeHint()
        if button.width() < button.sizeHint().width() - 2 or button.height() < hint.height():
            found.append(f"{_name(button)} is cut: {button.width()}×{button.height()} px for "
                         f"{button.sizeHint().width()}×{hint.height()}")
        elif clipped(button):
            found.append(f"{_name(button)} is partly hidden ({_visible(button)} of {button.rect()})")
    for kind in (QLineEdit, QComboBox, QAbstractSpinBox):
        for field in _shown(root, kind):
            if isinstance(field.parentWidget(), QAbstractSpinBox | QComboBox):
                continue  # the box's own editor: the box is checked
            if field.height() < field.minimumSizeHint().height():
                found.append(f"{_name(field)} is squashed: {field.height()} px tall for "
                             f"{field.minimumSizeHint().height()}")
    for area in _shown(root, QAbstractScrollArea):
        squashed = area.viewport().height() < 2 * area.fontMetrics().height()
        if squashed and not isinstance(area, QTableView | QHeaderView):
            found.append(f"{_name(area)} is squashed to {area.viewport().height()} px")
    return found


def charts(root: QWidget) -> list[str]:
    """Texts of each chart on screen (titles, tick labels, legend entries, value labels) that run into
    each other."""
    from matplotlib.text import Text

    from app.views.chart_view import ChartView

    found = []
    for chart in _shown(root, ChartView):
        figure = chart.figure
        if figure is None:
            continue
        renderer = figure.canvas.get_renderer()
        texts = [(text.get_text(), text.get_window_extent(renderer)) for text in figure.findobj(Text)
                 if text.get_visible() and text.get_text().strip() and text.figure is figure]
        clashes = [(one, two) for i, (one, first) in enumerate(texts) for two, second in texts[i + 1:]
                   if first.overlaps(second) and first.width > 0 and second.width > 0]
        if clashes:
            shown = "; ".join(f"{one!r} and {two!r}" for one, two in clashes[:4])
            found.append(f"chart {chart.accessibleName()!r}: {len(clashes)} texts run together, e.g. {shown}")
    return found


def dialog(box: QWidget, screen: QRect) -> list[str]:
    """A dialog fits the screen and is not squashed below what its contents need."""
    found = []
    hint = box.minimumSizeHint()
    if box.width() < hint.width() or box.height() < hint.height():
        found.append(f"dialog {box.windowTitle()!r} is squashed: {box.width()}×{box.height()} px for "
                     f"{hint.width()}×{hint.height()}")
    if box.frameGeometry().width() > screen.width() or box.frameGeometry().height() > screen.height():
        found.append(f"dialog {box.windowTitle()!r} ({box.width()}×{box.height()}) is larger than the "
                     f"{screen.width()}×{screen.height()} screen")
    return found + labels(box) + controls(box)


def everything(root: QWidget) -> list[str]:
    return tables(root) + labels(root) + controls(root) + charts(root)


def _visible(widget: QWidget) -> QRect:
    return widget.visibleRegion().boundingRect()
