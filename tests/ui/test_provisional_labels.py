"""Figures the rules mark provisional say so, with their source, beside where they are shown: the £ of a
2026/27 indicator (the £ per point and the national list size rest on one source) in its detail, and the
fees of 2026/27 claims carried over from 2025/26 above the vaccination and enhanced-service panels."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest
from PySide6.QtWidgets import QApplication, QComboBox
from year_records import OCT_2025, TODAY, feed_changes

from app.services import cache_store, tasks
from app.services.calculation import IndicatorCounts
from app.services.dashboard import QofDashboard, QofSummary, indicator_rows
from app.services.profile import FINANCE_VIEW, PracticeAccess
from app.services.rules import load_rules
from app.views.dashboard_page import DashboardPage
from app.views.indicator_detail import IndicatorDetail
from app.views.provisional_note import linked
from central.results import qof_record

ODS = "Z99001"
WHEN = date(2026, 10, 31)
LD_CHECKS = "Learning disabilities health checks"
VACCINATIONS = "Vaccinations and immunisations"


def detail(year: str, indicator_id: str, finance: bool) -> IndicatorDetail:
    rules = load_rules(year)
    when = WHEN if year == "2026-27" else OCT_2025
    rule = rules.indicators[indicator_id]
    registers = {r: 150 for r in rule.registers}
    record = qof_record(rules, when, 8_000, registers, [IndicatorCounts(indicator_id, 80, 100, 2)])
    row = indicator_rows(record, rules, finance)[0]
    summary = QofSummary(year, when, 8_000, row.points, rules.qof_max_points, None, None, None, None, None,
                         None, 0)
    dashboard = QofDashboard(summary, (row,), (rule.group,), {indicator_id: ((when, Fraction(4, 5)),)}, (),
                             None, {}, finance, registers)
    return IndicatorDetail(row, dashboard, record, rules)


def test_the_pounds_of_a_2026_27_indicator_are_provisional_with_their_source(qtbot) -> None:
    box = detail("2026-27", "AF008", finance=True)  # AF008's own figures are firm
    qtbot.addWidget(box)
    words = box.provisional.accessibleDescription()
    assert words.startswith("£227.95 per point: haresign.net QOF income tool only")
    assert "national average list size 10,349" in words
    assert 'href="https://haresign.net/tools/qof-income"' in box.provisional.text()
    # AF006's threshold rests on one source as well: both reasons, the indicator's first.
    both = detail("2026-27", "AF006", finance=True)
    qtbot.addWidget(both)
    assert both.provisional.accessibleDescription().startswith("upper threshold 95%")
    assert "haresign.net" in both.provisional.accessibleDescription()


@pytest.mark.parametrize(("year", "finance"), [("2026-27", False), ("2025-26", True)])
def test_no_provisional_line_without_pounds_shown_or_in_a_firm_year(qtbot, year, finance) -> None:
    box = detail(year, "AF008", finance)
    qtbot.addWidget(box)
    assert not hasattr(box, "provisional")


def test_addresses_show_as_their_site_and_link_to_the_whole_address() -> None:
    text = linked("Fee carried over. Source: BMA, fees: https://www.bma.org.uk/advice/fees. <again>")
    assert text == ('Fee carried over. Source: BMA, fees: <a href="https://www.bma.org.uk/advice/fees">'
                    'bma.org.uk</a>. &lt;again&gt;')


def settle() -> None:
    assert tasks.wait_for_idle()
    QApplication.processEvents()


def open_page(qtbot, roles: tuple[str, ...]) -> DashboardPage:
    cache_store.apply_feed_page(ODS, feed_changes(), 100)
    page = DashboardPage()
    page.today = lambda: TODAY
    qtbot.addWidget(page)
    page.resize(1024, 768)
    page.show()
    qtbot.waitExposed(page)
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.show_practice(PracticeAccess(ODS, "Riverside Medical Practice", roles))
    settle()
    return page


def choose(qtbot, page: DashboardPage, picker: QComboBox, text: str) -> None:
    index = picker.findText(text)
    assert index >= 0, text
    with qtbot.waitSignal(page.loaded, timeout=5000):
        picker.setCurrentIndex(index)
    settle()


@pytest.mark.parametrize("text_scale", [1.0, 2.0], indirect=True, ids=["100%", "200%"])
def test_carried_over_fees_are_marked_provisional_above_the_claims(qtbot, fresh_hub, text_scale,
                                                                  tmp_path) -> None:
    page = open_page(qtbot, ("View", FINANCE_VIEW))
    assert page.provisional.isHidden()  # QOF: its £ per point is explained in each indicator's detail
    choose(qtbot, page, page.service, LD_CHECKS)
    note = page.provisional
    assert note.isVisible()
    assert note.accessibleDescription().startswith(
        "Provisional: Learning disabilities health checks: £140 per check is the 2025/26 figure")
    assert 'href="https://digital.nhs.uk/services/' in note.text() and ">digital.nhs.uk</a>" in note.text()
    assert note.height() >= note.heightForWidth(note.width())  # nothing cut at this text size
    assert note.geometry().right() <= page.width()
    page.grab().save(str(tmp_path / f"ldhc_provisional_{int(text_scale * 100)}.png"))
    # Vaccinations: shingles' fee is carried over, the combined COVID-19 and flu fee is 2026/27's.
    choose(qtbot, page, page.service, VACCINATIONS)
    assert note.reasons == (page.provisional.reasons[0],) and note.reasons[0].startswith("Shingles: £10.06")
    # 2025/26's fees are firm.
    choose(qtbot, page, page.year, "2025/26")
    assert page.service.currentText() == VACCINATIONS and note.isHidden()


def test_without_finance_view_no_fee_is_shown_so_no_note(qtbot, fresh_hub) -> None:
    page = open_page(qtbot, ("View",))
    choose(qtbot, page, page.service, LD_CHECKS)
    assert page.provisional.isHidden() and page.provisional.reasons == ()
