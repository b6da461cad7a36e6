"""Sharing a wrapping table's width: when the columns' fitted widths do not fit the view, the columns whose
text wraps give up width in proportion (never below a few characters), so nothing is cut off at 1024 px;
when even that does not fit (large text), rows go to one line each and the table scrolls sideways."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QTimer

from app.views.record_table import RecordTable

MIN_CHARS = 12  # the narrowest a wrapping column gets, in average characters


def share_width(table: RecordTable, natural: Sequence[int], wrapping: Sequence[str]) -> None:
    """Size ``table``'s columns titled in ``wrapping`` from the ``natural`` (fitted) widths of all."""
    view, header = table.view, table.view.horizontalHeader()
    titles = [column.title for column in table.model.columns]
    sections = [section for section, title in enumerate(titles) if title in wrapping]
    others = sum(width for section, width in enumerate(natural) if section not in sections)
    room = view.viewport().width() - others
    wanted = sum(natural[section] for section in sections)
    scale = min(1.0, room / wanted) if wanted > 0 else 1.0
    least = MIN_CHARS * view.fontMetrics().averageCharWidth()
    # Too narrow even to wrap: one line a row at the fitted widths; each cell's tooltip has the whole text.
    one_line = room < least * len(sections)
    if view.wordWrap() == one_line:
        view.setWordWrap(not one_line)
        QTimer.singleShot(0, table.fit_visible_rows)  # rows already fitted change height
    # The last column still stretches into any room left over; sizing it too lets it shrink.
    for section in sections:
        header.resizeSection(section, natural[section] if one_line
                             else max(least, int(natural[section] * scale)))
