"""Columns of a wrapping RecordTable that share what the other columns leave of its width, each in
proportion to its longest text and never narrower than its longest word or its header.

Sharing equally (QHeaderView's Stretch) made a long service name wrap to four lines beside a one-word
status at large text sizes; in proportion the columns wrap about as much as each other, so rows stay as
low as the width allows, and no word is cut.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QHeaderView, QStyle

from app.views.record_table import RecordTable

MEASURED = 20  # the longest texts of a column, measured to find its need


def proportional(needs: Sequence[int], floors: Sequence[int], room: int) -> list[int]:
    """Widths summing to ``room`` in proportion to ``needs``, none below its floor (all at their floors
    when even those do not fit: the table then scrolls sideways)."""
    widths: dict[int, int] = {}
    free = list(range(len(needs)))
    while free:
        total = sum(needs[i] for i in free) or 1
        low = [i for i in free if room * needs[i] / total < floors[i]]
        if not low:
            break
        for i in low:
            widths[i] = floors[i]
            room -= floors[i]
            free.remove(i)
    if free:
        total = sum(needs[i] for i in free) or 1
        shares = {i: max(floors[i], int(room * needs[i] / total)) for i in free}
        shares[free[-1]] += max(0, room - sum(shares.values()))  # what rounding left, to the last
        widths.update(shares)
    return [widths[i] for i in range(len(needs))]


class WidthByNeed(QObject):
    """Keeps ``columns`` of ``table`` sharing its width by need, and ``fitted`` columns exactly as wide as
    their header or texts; refits when the table's width, rows or text size change."""

    def __init__(self, table: RecordTable[Any], columns: Sequence[int], fitted: Sequence[int] = ()) -> None:
        super().__init__(table)
        self._table, self._columns, self._fitted = table, tuple(columns), tuple(fitted)
        header = table.view.horizontalHeader()
        header.setStretchLastSection(False)  # the last is one of those that share the room
        for column in self._columns:
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.share)
        table.view.viewport().installEventFilter(self)
        table.installEventFilter(self)
        table.model.modelReset.connect(lambda: self._timer.start(0))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.Resize, QEvent.Type.FontChange, QEvent.Type.Show):
            self._timer.start(0)  # after the table has fitted its own columns to the change
        return False

    def share(self) -> None:
        table = self._table
        view, prepared = table.view, table.model.prepared
        if not prepared.rows or not view.isVisible():
            return
        header = view.horizontalHeader()
        metrics = view.fontMetrics()
        # The delegate's margins around the text, as QStyledItemDelegate draws them, and the grid line.
        margin = 2 * (view.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, view) + 1) + 2
        for column in self._fitted:
            # Qt's header size already holds room for the sort arrow: nothing is added on top of it.
            longest = [prepared.texts[row][column] for row in prepared.longest(column, MEASURED)]
            width = max([header.sectionSizeFromContents(column).width(),
                         *(metrics.horizontalAdvance(text) + margin for text in longest)])
            if view.columnWidth(column) != width:
                header.resizeSection(column, width)
        others = sum(view.columnWidth(c) for c in range(header.count())
                     if c not in self._columns and not view.isColumnHidden(c))
        needs, floors = [], []
        for column in self._columns:
            longest = [prepared.texts[row][column] for row in prepared.longest(column, MEASURED)]
            words = {word for text in {row[column] for row in prepared.texts} for word in text.split()}
            floor = max([header.sectionSizeFromContents(column).width(),
                         *(metrics.horizontalAdvance(word) + margin for word in words)])
            floors.append(floor)
            needs.append(max([floor, *(metrics.horizontalAdvance(text) + margin for text in longest)]))
        widths = proportional(needs, floors, view.viewport().width() - others)
        for column, width in zip(self._columns, widths, strict=True):
            if view.columnWidth(column) != width:
                header.resizeSection(column, width)
