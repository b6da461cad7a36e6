"""The window painted at start-up from the snapshot of the last session, before anything heavy is loaded.

``capture(window)`` describes what a window shows — each visible label, button, picker, list, frame, tab
bar and table (its header and the rows in view, as display texts), and where it sits. ``SnapshotWindow``
draws that description with plain Qt widgets at the same places, so the first paint costs about what a
bare window costs. ``swap_in`` then puts the live window in its place once the live page has loaded, and
``SnapshotKeeper`` takes a new snapshot after each sync, data change, page switch, resize and at close.

This module imports Qt and ``app.services.snapshot`` only (no page, no SQLAlchemy, no rules).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QByteArray, QEvent, QObject, QPoint, Qt, QTimer, SignalInstance
from PySide6.QtGui import QCloseEvent, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QComboBox,
    QFrame,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QMainWindow,
    QMenu,
    QPushButton,
    QScrollBar,
    QTabBar,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QToolButton,
    QWidget,
)

from app.services.snapshot import Snapshot

MAX_ROWS = 80  # a table's rows in view; more than any screen shows
SKIPPED_NAMES = {"messageBanner"}  # a message of the last session means nothing at the next start
LEAVES = (QAbstractItemView, QLabel, QComboBox, QAbstractButton, QLineEdit, QTabBar, QScrollBar, QHeaderView)
SAVE_DELAY_MS = 1500  # after the last change: a sync's reloads come in a burst
SWAP_TIMEOUT_MS = 8000  # the live window replaces the picture by then, loaded or not
DISPLAY, ALIGN, BACKGROUND = (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.TextAlignmentRole,
                              Qt.ItemDataRole.BackgroundRole)


# --- describing a window ----------------------------------------------------------------------------

def capture(window: QWidget) -> list[dict[str, Any]]:
    """What ``window`` shows, parents before children, in window coordinates."""
    found: list[dict[str, Any]] = []

    def walk(parent: QWidget) -> None:
        for child in parent.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly):
            if child.isWindow() or not child.isVisible() or child.objectName() in SKIPPED_NAMES:
                continue
            described = _describe(child, window)
            if described is not None:
                found.append(described)
            if not isinstance(child, LEAVES):
                walk(child)

    walk(window)
    return found


def _describe(widget: QWidget, window: QWidget) -> dict[str, Any] | None:
    corner = widget.mapTo(window, QPoint(0, 0))
    font = widget.font()
    item: dict[str, Any] = {"rect": [corner.x(), corner.y(), widget.width(), widget.height()],
                            "name": widget.objectName(), "font": [font.pointSizeF(), font.bold()],
                            "access": widget.accessibleName()}
    if isinstance(widget, QLabel):
        state = widget.property("state")
        item.update(kind="label", text=widget.text(), align=widget.alignment().value,
                    wrap=widget.wordWrap(), state=state if isinstance(state, str) else None,
                    buddy=widget.buddy() is not None)  # "&Service:" underlines S rather than show "&"
    elif isinstance(widget, QComboBox):
        item.update(kind="combo", text=widget.currentText())
    elif isinstance(widget, QToolButton):
        item.update(kind="tool", text=widget.text(), menu=widget.menu() is not None)
    elif isinstance(widget, QAbstractButton):
        item.update(kind="button", text=widget.text())
    elif isinstance(widget, QLineEdit):
        item.update(kind="edit", text=widget.text(), placeholder=widget.placeholderText())
    elif isinstance(widget, QTabWidget):
        item.update(kind="tabs", tabs=[widget.tabText(i) for i in range(widget.count())],
                    current=widget.currentIndex())
    elif isinstance(widget, QListView) and widget.model() is not None:
        model = widget.model()
        item.update(kind="list", items=[str(model.index(row, 0).data(DISPLAY) or "")
                                        for row in range(model.rowCount())],
                    current=widget.currentIndex().row())
    elif isinstance(widget, QTableView) and widget.model() is not None:
        item.update(kind="table", **_describe_table(widget))
    elif type(widget) is QWidget and widget.objectName():
        item.update(kind="box")  # a styled container, e.g. the top bar's border
    elif isinstance(widget, QFrame) and not isinstance(widget, QAbstractItemView) \
            and widget.frameShape() != QFrame.Shape.NoFrame and type(widget).__name__ != "QStackedWidget":
        item.update(kind="frame", shape=widget.frameShape().value, shadow=widget.frameShadow().value)
    else:
        return None
    return item


def _describe_table(view: QTableView) -> dict[str, Any]:
    model, header = view.model(), view.horizontalHeader()
    logical = [header.logicalIndex(v) for v in range(header.count())]
    columns = [c for c in logical if not header.isSectionHidden(c)]
    first = max(0, view.rowAt(0))
    last = view.rowAt(max(0, view.viewport().height() - 1))
    last = model.rowCount() - 1 if last < 0 else last
    rows = range(first, min(last + 1, first + MAX_ROWS, model.rowCount()))
    cells, backgrounds = [], []
    for out_row, row in enumerate(rows):
        cells.append([str(model.index(row, c).data(DISPLAY) or "") for c in columns])
        for out_column, column in enumerate(columns):
            brush = model.index(row, column).data(BACKGROUND)
            colour = brush.color() if hasattr(brush, "color") else brush
            if isinstance(colour, QColor) and colour.isValid():
                backgrounds.append([out_row, out_column, colour.name()])
    align = [int(_alignment(model.index(first, c).data(ALIGN))) if rows else 0 for c in columns]
    sort_section = header.sortIndicatorSection()
    across = Qt.Orientation.Horizontal
    return {
        "columns": [str(model.headerData(c, across, DISPLAY) or "") for c in columns],
        "header_align": [_alignment(model.headerData(c, across, ALIGN)) for c in columns],
        "default_align": header.defaultAlignment().value,
        "widths": [header.sectionSize(c) for c in columns], "cells": cells, "align": align,
        "backgrounds": backgrounds, "row_height": view.rowHeight(first) if rows else 0,
        "header_height": header.height(), "row_header": view.verticalHeader().isVisible(),
        "sort": [columns.index(sort_section), header.sortIndicatorOrder().value]
        if header.isSortIndicatorShown() and sort_section in columns else None,
        "alternate": view.alternatingRowColors(), "grid": view.showGrid(),
        "bars": [view.horizontalScrollBar().isVisible(), view.verticalScrollBar().isVisible()],
    }


def _alignment(value: object) -> int:
    if value is None:
        return 0
    return value.value if hasattr(value, "value") else int(value)  # type: ignore[call-overload]


# --- drawing a description --------------------------------------------------------------------------

class SnapshotWindow(QMainWindow):
    """The last session's window, drawn from its description; inert until the live window replaces it."""

    def __init__(self, snapshot: Snapshot, geometry: str | None = None) -> None:
        super().__init__()
        self.snapshot, self.replaced = snapshot, False
        self.setWindowTitle(snapshot.title)
        self.resize(*snapshot.size)
        if geometry:
            self.restoreGeometry(QByteArray.fromBase64(geometry.encode("ascii")))
        canvas = QWidget()
        canvas.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setCentralWidget(canvas)
        base = QApplication.font()
        for item in snapshot.widgets:
            widget = _draw(item, canvas)
            if widget is None:
                continue
            widget.setObjectName(item.get("name") or "")
            if item.get("access"):
                widget.setAccessibleName(item["access"])
            size, bold = item.get("font") or (base.pointSizeF(), False)
            if size != base.pointSizeF() or bold != base.bold():
                font = QFont(base)
                font.setPointSizeF(size)
                font.setBold(bold)
                widget.setFont(font)
            widget.setGeometry(*item["rect"])

    def closeEvent(self, event: QCloseEvent) -> None:
        super().closeEvent(event)
        if not self.replaced:  # closed by the person before the live window came: they meant to quit
            QApplication.quit()


def _draw(item: dict[str, Any], canvas: QWidget) -> QWidget | None:
    kind = item.get("kind")
    widget: QWidget
    if kind == "label":
        label = QLabel(item["text"], canvas)
        label.setAlignment(Qt.AlignmentFlag(item["align"]))
        label.setWordWrap(item["wrap"])
        if item.get("state"):
            label.setProperty("state", item["state"])
        if item.get("buddy"):
            label.setBuddy(canvas)
        widget = label
    elif kind == "combo":
        combo = QComboBox(canvas)
        combo.addItem(item["text"])
        widget = combo
    elif kind == "tool":
        tool = QToolButton(canvas)
        tool.setText(item["text"])
        if item.get("menu"):  # drawn with its arrow
            tool.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
            tool.setMenu(QMenu(tool))
        widget = tool
    elif kind == "button":
        widget = QPushButton(item["text"], canvas)
    elif kind == "edit":
        edit = QLineEdit(item["text"], canvas)
        edit.setPlaceholderText(item["placeholder"])
        widget = edit
    elif kind == "tabs":
        tabs = QTabWidget(canvas)
        for title in item["tabs"]:
            tabs.addTab(QWidget(), title)
        tabs.setCurrentIndex(item["current"])
        widget = tabs
    elif kind == "list":
        listing = QListWidget(canvas)
        listing.addItems(item["items"])
        listing.setCurrentRow(item["current"])
        widget = listing
    elif kind == "table":
        widget = _draw_table(item, canvas)
    elif kind == "box":
        widget = QWidget(canvas)
    elif kind == "frame":
        frame = QFrame(canvas)
        frame.setFrameShape(QFrame.Shape(item["shape"]))
        frame.setFrameShadow(QFrame.Shadow(item["shadow"]))
        widget = frame
    else:
        return None
    return widget


def _draw_table(item: dict[str, Any], canvas: QWidget) -> QTableWidget:
    cells = item["cells"]
    table = QTableWidget(len(cells), len(item["columns"]), canvas)
    table.horizontalHeader().setDefaultAlignment(Qt.AlignmentFlag(item["default_align"]))
    for column, (title, align) in enumerate(zip(item["columns"], item["header_align"], strict=True)):
        heading = QTableWidgetItem(title)
        if align:
            heading.setTextAlignment(Qt.AlignmentFlag(align))
        table.setHorizontalHeaderItem(column, heading)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(item["alternate"])
    table.setShowGrid(item["grid"])
    table.verticalHeader().setVisible(item["row_header"])
    if item["row_height"]:
        table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        table.verticalHeader().setDefaultSectionSize(item["row_height"])
    header = table.horizontalHeader()
    header.setFixedHeight(item["header_height"])
    for column, width in enumerate(item["widths"]):
        header.resizeSection(column, width)
    if item["sort"] is not None:
        header.setSortIndicatorShown(True)
        header.setSortIndicator(item["sort"][0], Qt.SortOrder(item["sort"][1]))
    on, off = Qt.ScrollBarPolicy.ScrollBarAlwaysOn, Qt.ScrollBarPolicy.ScrollBarAlwaysOff
    table.setHorizontalScrollBarPolicy(on if item["bars"][0] else off)
    table.setVerticalScrollBarPolicy(on if item["bars"][1] else off)
    for row, texts in enumerate(cells):
        for column, text in enumerate(texts):
            cell = QTableWidgetItem(text)
            if item["align"][column]:
                cell.setTextAlignment(Qt.AlignmentFlag(item["align"][column]))
            table.setItem(row, column, cell)
    for row, column, colour in item["backgrounds"]:
        table.item(row, column).setBackground(QColor(colour))
    return table


# --- the live window takes over --------------------------------------------------------------------

def swap_in(live: QWidget, placeholder: SnapshotWindow, ready: SignalInstance) -> None:
    """Show ``live`` where ``placeholder`` is once ``ready`` fires (its page painted with cached data).

    Until then ``live`` is shown off-screen, so it loads as a shown window does but nobody sees its pages
    fill in; the picture stays on screen instead.
    """
    live.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
    live.setGeometry(placeholder.geometry())
    done: list[bool] = []

    def reveal() -> None:
        if done:
            return
        done.append(True)
        live.hide()
        live.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, False)
        live.setGeometry(placeholder.geometry())  # where the person may have moved it meanwhile
        live.setWindowState(placeholder.windowState())
        live.show()
        live.raise_()
        live.activateWindow()
        placeholder.replaced = True
        placeholder.close()
        placeholder.deleteLater()

    ready.connect(reveal)
    QTimer.singleShot(SWAP_TIMEOUT_MS, reveal)
    live.show()


def on_screen(window: QWidget) -> bool:
    return window.isVisible() and not window.testAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)


# --- keeping the snapshot up to date ---------------------------------------------------------------

class SnapshotKeeper(QObject):
    """Takes a snapshot of ``window`` a moment after each change, and at close; ``save`` and ``clear``
    run on the database worker through ``run`` (the task runner's ``run``)."""

    def __init__(self, window: Any, changed: list[SignalInstance], run: Callable[..., Any],
                 save: Callable[[Snapshot], None], clear: Callable[[], None], busy: Callable[[], bool],
                 section: Callable[[], str]) -> None:
        super().__init__(window)
        self.window, self._run, self._save, self._clear, self._busy = window, run, save, clear, busy
        self._section = section
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(SAVE_DELAY_MS)
        self.timer.timeout.connect(self._due)
        for signal in changed:
            signal.connect(lambda *_args: self.timer.start())
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window:
            if event.type() == QEvent.Type.Resize:
                self.timer.start()
            elif event.type() == QEvent.Type.Close:
                self.timer.stop()
                self.save_now()
        return False

    def _due(self) -> None:
        if self._busy():  # pages still loading: the picture would show them half-filled
            self.timer.start()
            return
        self.save_now()

    def save_now(self) -> None:
        profile = self.window.profile
        if profile is None:
            self._run(self._clear)
            return
        if not on_screen(self.window):
            return
        app_font = QApplication.font().pointSizeF()
        snapshot = Snapshot(profile.server_url, profile.email, self._section(), self.window.windowTitle(),
                            (self.window.width(), self.window.height()), app_font, capture(self.window))
        save = self._save
        self._run(lambda: save(snapshot))
