"""The Dashboard with three QOF years in the cache (tests/year_records.py): it opens on the year of the
service's today, its year picker lists every year held, switching year keeps the service, the worklist
shows last year's achievement at the same month, and 2026/27's aspiration card has figures. On screen at
1280×800 and 1024×768, with 100% and 200% text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QComboBox, QLabel
from year_records import OCT_2026, TODAY, YEAR_END_2026, feed_changes, results

from app import settings
from app.services import cache_store, tasks
from app.services import format as fmt
from app.services.profile import FINANCE_VIEW, PracticeAccess, Profile
from app.views.dashboard_page import DashboardPage
from app.views.main_window import MainWindow
from app.views.record_table import RecordTable

ODS = "Z99001"
ACCESS = PracticeAccess(ODS, "Riverside Medical Practice", ("View", FINANCE_VIEW))
LD_CHECKS = "Learning disabilities health checks"


def settle() -> None:
    assert tasks.wait_for_idle()
    QApplication.processEvents()


def items(combo: QComboBox) -> list[str]:
    return [combo.itemText(index) for index in range(combo.count())]


def cell(table: RecordTable, indicator: str, title: str, role: int = Qt.ItemDataRole.DisplayRole):
    model = table.model
    titles = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    row = next(r for r in range(model.rowCount()) if model.index(r, 0).data() == indicator)
    return model.index(row, titles.index(title)).data(role)


def open_page(qtbot, years: tuple[str, ...] = ("2024-25", "2025-26", "2026-27")) -> DashboardPage:
    cache_store.apply_feed_page(ODS, feed_changes(years), 100)
    page = DashboardPage()
    page.today = lambda: TODAY
    qtbot.addWidget(page)
    page.resize(1280, 800)
    page.show()
    qtbot.waitExposed(page)
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.show_practice(ACCESS)
    settle()
    return page


def choose(qtbot, page: DashboardPage, picker: QComboBox, text: str) -> None:
    index = picker.findText(text)
    assert index >= 0, f"{text!r} is not among {items(picker)}"
    with qtbot.waitSignal(page.loaded, timeout=5000):
        picker.setCurrentIndex(index)
    settle()


def test_it_opens_on_the_year_of_today_and_lists_every_year_held(qtbot, fresh_hub) -> None:
    page = open_page(qtbot)
    assert items(page.year) == ["2026/27", "2025/26", "2024/25"]
    assert page.year.currentText() == "2026/27"
    assert items(page.service) == ["QOF", "Vaccinations and immunisations", LD_CHECKS]
    assert items(page.when) == ["31 Oct 2026 (latest)", "30 Sep 2026"]
    assert page.qof.dashboard.summary.achievement_date == OCT_2026


def test_without_the_year_of_today_it_opens_on_the_newest_year_held(qtbot, fresh_hub) -> None:
    page = open_page(qtbot, ("2024-25", "2025-26"))
    assert items(page.year) == ["2025/26", "2024/25"]
    assert page.year.currentText() == "2025/26"
    assert items(page.when) == ["31 Mar 2026 (latest)", "31 Oct 2025"]


def test_switching_year_keeps_the_service(qtbot, fresh_hub) -> None:
    page = open_page(qtbot)
    choose(qtbot, page, page.service, LD_CHECKS)
    assert page.enhanced.summary.text().startswith("31 Oct 2026: 25 checks")
    choose(qtbot, page, page.year, "2025/26")
    assert page.service.currentText() == LD_CHECKS
    assert items(page.when) == ["31 Oct 2025 (latest)"]
    assert page.enhanced.summary.text().startswith("31 Oct 2025: 21 checks")
    assert page.enhanced.table.model.rowCount() == 1  # that year's months only
    # 2024/25 has no LD health checks: QOF, the only service that year, is shown.
    choose(qtbot, page, page.year, "2024/25")
    assert items(page.service) == ["QOF"] and page.stack.currentWidget() is page.qof
    assert page.qof.dashboard.summary.year == "2024-25"
    # A reload (a sync) keeps the year chosen.
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.reload()
    settle()
    assert page.year.currentText() == "2024/25"


def test_the_worklist_shows_last_years_achievement_at_the_same_month(qtbot, fresh_hub) -> None:
    table = open_page(qtbot).qof.table
    # At 31 Oct 2025: AF006 100 of 200, AF008 150 of 160 (93.75%, 93.8% to one place).
    assert cell(table, "AF006", "Last year") == "50.0%"
    assert cell(table, "AF008", "Last year") == "93.8%"
    assert cell(table, "AF006", "Achieved") == "65.0%"  # this year's, beside it: 130 of 200
    assert cell(table, "AF006", "Last year", Qt.ItemDataRole.ToolTipRole) == \
        "At 31 Oct 2025, the same month last year: 100 of 200."
    assert cell(table, "HYP010", "Last year") == ""
    assert cell(table, "HYP010", "Last year", Qt.ItemDataRole.ToolTipRole) == \
        "New this year: HYP010 was not part of QOF at 31 Oct 2025."
    assert cell(table, "DM014", "Last year", Qt.ItemDataRole.ToolTipRole) == \
        "No patients counted for DM014 at 31 Oct 2025."


def test_the_2026_27_aspiration_card_is_paid_from_2025_26s_year_end(qtbot, fresh_hub) -> None:
    card = open_page(qtbot).qof.aspiration_card
    stored = next(r for r in results() if r["achievement_date"] == YEAR_END_2026.isoformat())
    total = Fraction(stored["payment"]) * Fraction(4, 5)  # 2026/27's aspiration fraction, 0.80
    assert card.value.text() == fmt.money(total * 8 / 12)  # April to November paid by 1 Dec 2026
    assert card.detail.text() == f"8 of 12 payments, of {fmt.money(total)}"
    assert "Not known" not in card.value.text()


def open_window(qtbot, size: tuple[int, int]) -> MainWindow:
    cache_store.apply_feed_page(ODS, feed_changes(), 100)
    window = MainWindow(settings.load())
    qtbot.addWidget(window)
    window.resize(*size)
    noon = datetime(TODAY.year, TODAY.month, TODAY.day, 12, tzinfo=UTC)
    offset = (noon - datetime.now(UTC)) / timedelta(seconds=1)  # the service lives on 1 Dec 2026
    profile = Profile("https://cqrs.example.nhs.uk", "castle.manager@nhs.net", "Helen", "Marsh", (ACCESS,),
                      server_clock_offset_seconds=offset)
    with qtbot.waitSignal(window.ready, timeout=5000):
        window.show_profile(profile, ODS)
        window.show()
    qtbot.waitExposed(window)
    settle()
    return window


@pytest.mark.parametrize(("text_scale", "size"), [
    (1.0, (1280, 800)), (1.0, (1024, 768)), (2.0, (1024, 768)),
], indirect=["text_scale"], ids=["1280x800-100%", "1024x768-100%", "1024x768-200%"])
def test_the_pickers_fit_the_window(qtbot, fresh_hub, text_scale, size, tmp_path) -> None:
    window = open_window(qtbot, size)
    dashboard = window.dashboard
    assert dashboard.year.currentText() == "2026/27"
    inside = window.rect()
    problems = []
    for combo in (dashboard.year, dashboard.service, dashboard.when):
        top_left = combo.mapTo(window, combo.rect().topLeft())
        bottom_right = combo.mapTo(window, combo.rect().bottomRight())
        if not (inside.contains(top_left) and inside.contains(bottom_right)):
            problems.append(f"{combo.accessibleName()} is outside the window")
    for combo in (dashboard.year, dashboard.when):  # the year and the date are never shortened
        if combo.width() < combo.sizeHint().width():
            problems.append(f"{combo.accessibleName()}: {combo.width()} px of {combo.sizeHint().width()}")
    for label in dashboard.findChildren(QLabel):
        if label.isVisible() and label.buddy() is not None and label.width() < label.sizeHint().width():
            problems.append(f"{label.text()!r} cut: {label.width()} px of {label.sizeHint().width()}")
    geometries = [combo.geometry().translated(combo.parentWidget().mapTo(window, combo.pos()) - combo.pos())
                  for combo in (dashboard.year, dashboard.service, dashboard.when)]
    for first, second in ((0, 1), (1, 2), (0, 2)):
        if geometries[first].intersects(geometries[second]):
            problems.append(f"pickers {first} and {second} overlap")
    assert window.grab().save(str(tmp_path / f"years_{size[0]}x{size[1]}.png"))
    assert problems == []


@pytest.mark.parametrize("text_scale", [2.0], indirect=True, ids=["200%"])
def test_the_pickers_come_back_onto_one_line_when_the_window_widens(qtbot, fresh_hub, text_scale) -> None:
    window = open_window(qtbot, (1024, 768))
    dashboard = window.dashboard
    assert dashboard.when.y() > dashboard.year.y()  # narrow: the date goes under the year and service
    window.resize(1920, 1080)
    QApplication.processEvents()
    assert dashboard.when.y() == dashboard.year.y()
    assert dashboard.when.x() > dashboard.service.x() > dashboard.year.x()

