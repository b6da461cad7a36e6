"""The "Export CSV…" of every record table: the columns the role sees (no £ column without Finance View),
the rows as on screen, raw values (the dashboard's own numbers, to the penny, without £ or separators)."""

from __future__ import annotations

import csv
from datetime import date
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication, QFileDialog
from qof_records import MARCH, feed_changes

from app.services import cache_store, tasks
from app.services.dashboard import qof_dashboard
from app.services.format import round_half_away
from app.services.profile import FINANCE_VIEW, PracticeAccess
from app.services.rules import load_rules
from app.views.dashboard_page import DashboardPage
from app.views.record_table import Column, RecordTable

ODS = "Z99001"
TODAY = date(2026, 4, 8)


def _read(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads it as UTF-8
    with path.open(encoding="utf-8-sig", newline="") as file:
        return list(csv.reader(file))


def _export(qtbot: Any, table: RecordTable[Any], path: Path) -> list[list[str]]:
    written: list[Path] = []
    table.export.export(path, written.append)
    qtbot.waitUntil(lambda: bool(written), timeout=5000)
    return _read(path)


def _dashboard(qtbot: Any, roles: tuple[str, ...]) -> DashboardPage:
    page = DashboardPage()
    page.today = lambda: TODAY
    qtbot.addWidget(page)
    page.resize(1280, 800)
    page.show()
    qtbot.waitExposed(page)
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.show_practice(PracticeAccess(ODS, "Riverside Medical Practice", roles))
    assert tasks.wait_for_idle()
    QApplication.processEvents()
    return page


@pytest.fixture
def filled(fresh_hub: None) -> None:
    cache_store.apply_feed_page(ODS, feed_changes(ODS), 100)


def test_the_dashboards_table_exports_its_own_numbers(filled: None, qtbot: Any, tmp_path: Path) -> None:
    page = _dashboard(qtbot, ("View", FINANCE_VIEW))
    rows = _export(qtbot, page.qof.table, tmp_path / "qof.csv")
    headers, body = rows[0], rows[1:]
    assert headers == [column.title for column in page.qof.table.model.columns]
    assert "£ earned" in headers and "Points" in headers
    results = cache_store.records(ODS, "result")
    dashboard = qof_dashboard(results, [], load_rules("2025-26"), MARCH, finance=True, today=TODAY)
    expected = {row.indicator_id: row for row in dashboard.indicators}
    assert len(body) == len(expected) == page.qof.table.proxy.rowCount()
    indicator, earned, points = (headers.index(name) for name in ("Indicator", "£ earned", "Points"))
    achieved, num = headers.index("Achieved"), headers.index("Num")
    for line in body:
        row = expected[line[indicator]]
        assert line[earned] == format(round_half_away(row.payment or Fraction(0), 2), "f")  # to the penny
        assert "£" not in line[earned] and "," not in line[earned]
        assert Fraction(line[points]) == round_half_away(row.points, 6)
        assert int(line[num]) == row.numerator  # a plain number, no thousands separator
        if row.achievement is not None:
            assert Fraction(line[achieved]) == round_half_away(row.achievement, 6)


def test_view_only_exports_no_money_column(filled: None, qtbot: Any, tmp_path: Path) -> None:
    page = _dashboard(qtbot, ("View",))
    rows = _export(qtbot, page.qof.table, tmp_path / "qof.csv")
    assert rows[0] == [column.title for column in page.qof.table.model.columns]
    assert not any("£" in title or title in ("Payment", "Calculated") for title in rows[0])
    assert "£" not in (tmp_path / "qof.csv").read_text(encoding="utf-8-sig")
    assert len(rows) - 1 == page.qof.table.proxy.rowCount()


def test_rows_as_filtered_dates_and_formula_escaping(qtbot: Any, tmp_path: Path, fresh_hub: None) -> None:
    table: RecordTable[dict[str, Any]] = RecordTable(
        [Column("Note", lambda row: row["note"]), Column("When", lambda row: row["when"])], name="notes",
        empty_message="None")
    qtbot.addWidget(table)
    table.show()
    table.set_rows([{"note": "=cmd|' /C calc'!A0", "when": date(2026, 12, 1)},
                    {"note": "Called the ICB", "when": "2026-11-27"}])
    table.proxy.setFilterFixedString("cmd")
    assert _export(qtbot, table, tmp_path / "notes.csv") == [["Note", "When"],
                                                              ["'=cmd|' /C calc'!A0", "01/12/2026"]]
    table.proxy.setFilterFixedString("")
    assert _export(qtbot, table, tmp_path / "notes.csv")[2] == ["Called the ICB", "27/11/2026"]


def test_the_button_and_menu_action_ask_where_then_save(qtbot: Any, tmp_path: Path, fresh_hub: None,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    table: RecordTable[dict[str, Any]] = RecordTable([Column("Name", lambda row: row["name"])], name="people",
                                                     empty_message="Nobody yet.")
    qtbot.addWidget(table)
    table.show()
    assert not table.export.button.isVisible()  # nothing to export yet
    table.set_rows([{"name": "Robin Lee"}])
    assert table.export.button.isVisible() and table.export.button.text() == "Export CSV…"
    assert table.export.action in table.view.actions()
    asked: list[str] = []
    target = tmp_path / "people"

    def ask(_parent: Any, _title: str, suggested: str, _filter: str) -> tuple[str, str]:
        asked.append(suggested)
        return str(target), "CSV files (*.csv)"

    monkeypatch.setattr(QFileDialog, "getSaveFileName", ask)  # the modal dialog, at the Qt boundary
    table.export.button.click()
    qtbot.waitUntil(lambda: table.export.note.isVisible(), timeout=5000)
    assert asked and asked[0].endswith(".csv") and "people" in asked[0]
    assert _read(tmp_path / "people.csv") == [["Name"], ["Robin Lee"]]
    assert table.export.note.text().startswith("Saved 1 row to ")


def test_a_folder_that_cannot_be_written_is_said_in_words(qtbot: Any, tmp_path: Path,
                                                          fresh_hub: None) -> None:
    table: RecordTable[dict[str, Any]] = RecordTable([Column("Name", lambda row: row["name"])], name="people",
                                                     empty_message="Nobody yet.")
    qtbot.addWidget(table)
    table.show()
    table.set_rows([{"name": "Robin Lee"}])
    table.export.export(tmp_path / "missing" / "people.csv")
    qtbot.waitUntil(lambda: table.export.note.isVisible(), timeout=5000)
    assert table.export.note.text().startswith("The CSV file was not saved (")
    assert "choosing another folder" in table.export.note.text()
