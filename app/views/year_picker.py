"""The QOF year pickers of the Dashboard, Income and Timetable pages: one way to fill them."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtWidgets import QComboBox


def fill_years(picker: QComboBox, years: Iterable[str], chosen: str | None) -> None:
    """Show ``years`` ("2026-27", shown 2026/27) with ``chosen`` selected, without signalling a change."""
    picker.blockSignals(True)
    picker.clear()
    for year in years:
        picker.addItem(year.replace("-", "/"), year)
    picker.setCurrentIndex(max(0, picker.findData(chosen)))
    picker.blockSignals(False)
