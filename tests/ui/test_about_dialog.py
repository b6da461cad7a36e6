"""app.views.about_dialog: the licences listed are those of what ships, with Python and Qt among them."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import qVersion

from app.views.about_dialog import DEFAULT_SIZE, AboutDialog


def test_about_lists_what_ships_and_not_the_test_tools(qtbot: Any, fresh_hub: None) -> None:
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.table.rowCount() > 0, timeout=5000)
    table = dialog.table
    rows = {table.item(row, 0).text(): (table.item(row, 1).text(), table.item(row, 2).text())
            for row in range(table.rowCount())}
    assert rows["Qt"] == (qVersion(), "LGPL-3.0-only")
    assert rows["Python"][1] == "PSF-2.0" and "SQLAlchemy" in rows
    assert not {"pytest", "ruff", "hypothesis", "pytest-qt"} & {name.lower() for name in rows}
    assert dialog.status.text() == f"{len(rows)} components."


@pytest.mark.parametrize("text_scale", [2.0], indirect=True, ids=["200%"])
def test_it_grows_with_the_text_within_the_screen(qtbot: Any, fresh_hub: None, text_scale: float) -> None:
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    screen = dialog.screen().availableGeometry()
    assert dialog.width() > DEFAULT_SIZE[0] or dialog.width() == screen.width() - 40
    assert dialog.height() > DEFAULT_SIZE[1] or dialog.height() == screen.height() - 60
    assert dialog.width() <= screen.width() and dialog.height() <= screen.height()
