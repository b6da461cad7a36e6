"""app.views.dashboard_page: the pickers, the QOF worklist, cards and charts, the claims panels, the what-if,
and no money anywhere for users without Finance View. Records come from tests/qof_records.py, built by the
central service's own builders."""

from __future__ import annotations

import re
from datetime import date, timedelta
from fractions import Fraction

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QTabWidget,
    QWidget,
)
from qof_records import (
    COUNTS,
    FEBRUARY,
    GROUPS,
    JANUARY,
    LD_REGISTER,
    MARCH,
    change,
    claim,
    feed_changes,
    qof,
)

from app import settings
from app.services import cache_store, outbox, tasks
from app.services import format as fmt
from app.services.dashboard import IndicatorRow
from app.services.profile import FINANCE_VIEW, SERVICE_MANAGEMENT, PracticeAccess, Profile
from app.signals import changed, hub
from app.views.chart_view import ChartView
from app.views.dashboard_page import DashboardPage
from app.views.indicator_detail import IndicatorDetail
from app.views.main_window import MainWindow
from app.views.qof_panel import WORKLIST_ROWS
from app.views.record_table import RecordTable, RecordTableModel

ODS = "Z99001"
PRACTICE = "Riverside Medical Practice"
FINANCE_ROLES = ("View", FINANCE_VIEW)
VIEW_ONLY = ("View",)
TODAY = date(2026, 4, 8)  # the demo service's "today": every 2025/26 month-end extract is in
LD_CHECKS = "Learning disabilities health checks"
WEIGHT_MANAGEMENT = "Weight management referrals"
VACCINATIONS = "Vaccinations and immunisations"
BAND_WORDS = {"Below lower threshold", "Between thresholds", "At maximum"}


# --- fixtures and helpers -------------------------------------------------------------------------------

@pytest.fixture
def filled(fresh_hub) -> None:
    cache_store.apply_feed_page(ODS, feed_changes(ODS), 100)


def access(roles: tuple[str, ...]) -> PracticeAccess:
    return PracticeAccess(ODS, PRACTICE, roles)


def settle() -> None:
    assert tasks.wait_for_idle()
    QApplication.processEvents()


@pytest.fixture
def open_page(filled, qtbot):
    """A shown DashboardPage for ``roles``, waited on until its first view is on screen."""
    def open_(roles: tuple[str, ...] = FINANCE_ROLES) -> DashboardPage:
        page = DashboardPage()
        page.today = lambda: TODAY
        qtbot.addWidget(page)
        page.resize(1280, 800)
        page.show()
        qtbot.waitExposed(page)
        with qtbot.waitSignal(page.loaded, timeout=5000):
            page.show_practice(access(roles))
        settle()
        return page
    return open_


def choose(qtbot, page: DashboardPage, picker: QComboBox, text: str) -> None:
    """Pick ``text`` (exactly) in one of the page's pickers and wait until the view is shown again."""
    index = picker.findText(text)
    assert index >= 0, f"{text!r} is not among {items(picker)}"
    with qtbot.waitSignal(page.loaded, timeout=5000):
        picker.setCurrentIndex(index)
    settle()


def items(combo: QComboBox) -> list[str]:
    return [combo.itemText(index) for index in range(combo.count())]


def titles(table: RecordTable) -> list[str]:
    model = table.model
    return [model.headerData(section, Qt.Orientation.Horizontal) for section in range(model.columnCount())]


def shown_rows(table: RecordTable) -> list[dict | IndicatorRow]:
    """The rows the user sees, in the order shown (after the sort and every filter)."""
    proxy = table.proxy
    return [table.model.row(proxy.mapToSource(proxy.index(row, 0)).row()) for row in range(proxy.rowCount())]


def shown_column(table: RecordTable, title: str, role: int = Qt.ItemDataRole.DisplayRole) -> list:
    proxy, column = table.proxy, titles(table).index(title)
    return [proxy.index(row, column).data(role) for row in range(proxy.rowCount())]


def row_texts(table: RecordTable, first_cell: str) -> list[str]:
    """The texts of the (only) row whose first column shows ``first_cell``."""
    model = table.model
    found = [[model.index(row, column).data() for column in range(model.columnCount())]
             for row in range(model.rowCount()) if model.index(row, 0).data() == first_cell]
    assert len(found) == 1, f"{len(found)} rows start with {first_cell!r}"
    return found[0]


def table_texts(table: RecordTable) -> list[str]:
    model, texts = table.model, list(titles(table))
    for row in range(model.rowCount()):
        for column in range(model.columnCount()):
            index = model.index(row, column)
            texts += [index.data(Qt.ItemDataRole.DisplayRole) or "",
                      index.data(Qt.ItemDataRole.ToolTipRole) or ""]
    return texts


def widget_texts(root: QWidget) -> list[str]:
    """Every text under ``root``, shown or not: labels, buttons, tabs, combo items, tooltips, accessible
    names and descriptions, and every header, cell and cell tooltip of every table."""
    texts: list[str] = []
    for widget in [root, *root.findChildren(QWidget)]:
        texts += [widget.toolTip(), widget.accessibleName(), widget.accessibleDescription()]
        if isinstance(widget, QLabel | QAbstractButton | QLineEdit):
            texts.append(widget.text())
        if isinstance(widget, QComboBox):
            texts += items(widget)
        if isinstance(widget, QTabWidget):
            texts += [widget.tabText(index) for index in range(widget.count())]
            texts += [widget.tabToolTip(index) for index in range(widget.count())]
    for table in root.findChildren(RecordTable):
        texts += table_texts(table)
    return texts


def chart_texts(root: QWidget) -> list[str]:
    """Every text matplotlib draws in the charts under ``root`` (titles, ticks, legends, labels)."""
    from matplotlib.text import Text

    texts = []
    for chart in root.findChildren(ChartView):
        if chart.figure is not None:
            texts += [text.get_text() for text in chart.figure.findobj(Text)]
    return texts


def money(texts: list[str]) -> list[str]:
    return [text for text in texts if "£" in text or "GBP" in text]


def drawn_charts(qtbot, root: QWidget, expected: int) -> list[ChartView]:
    """Wait until ``expected`` charts under ``root`` show a picture of their latest painter (drawn on a
    worker), at their current size."""
    def drawn() -> int:
        return sum(chart.figure is not None and chart.up_to_date for chart in root.findChildren(ChartView))

    qtbot.waitUntil(lambda: drawn() >= expected, timeout=5000)
    QApplication.processEvents()
    return [chart for chart in root.findChildren(ChartView) if chart.figure is not None]


def is_flat(image: QImage) -> bool:
    """True when every pixel of ``image`` is the colour of its top-left pixel."""
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    flat = QImage(image.size(), QImage.Format.Format_RGB32)
    flat.fill(image.pixel(0, 0))
    return image == flat


# --- pickers and the worklist ---------------------------------------------------------------------------

def test_finance_users_get_the_pickers_and_a_worklist_ranked_by_pounds_unclaimed(open_page, qtmodeltester,
                                                                                  capfd) -> None:
    page = open_page(FINANCE_ROLES)

    assert items(page.year) == ["2025/26"]  # the one year held
    assert items(page.service) == ["QOF", VACCINATIONS, LD_CHECKS, WEIGHT_MANAGEMENT]
    assert items(page.when) == ["31 Mar 2026 (latest)", "28 Feb 2026", "31 Jan 2026"]
    assert page.when.currentData() == MARCH
    qof_panel = page.qof
    assert page.stack.currentWidget() is qof_panel
    assert items(qof_panel.group) == ["All clinical groups", *GROUPS]

    table = qof_panel.table
    assert table.model.rowCount() == len(COUNTS[MARCH])
    header = table.view.horizontalHeader()
    assert titles(table)[header.sortIndicatorSection()] == "£ unclaimed"
    assert header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
    unclaimed = shown_column(table, "£ unclaimed", RecordTableModel.SORT_ROLE)
    assert unclaimed == sorted(unclaimed, reverse=True) and unclaimed[0] > unclaimed[-1] == 0
    # HYP008 (71% of 1,160, 38 points, weighted by a large register) has the most £ left; AF008 (97%, above
    # its 95% upper threshold) has none.
    ids = [row.indicator_id for row in shown_rows(table)]
    assert ids[0] == "HYP008" and ids[-1] == "AF008"
    assert all(text.startswith("£") for text in shown_column(table, "£ unclaimed"))
    assert {"£ next patient", "£ earned"} <= set(titles(table))

    bands = dict(zip(ids, shown_column(table, "Band"), strict=True))
    assert (bands["DM014"], bands["AF008"], bands["AF006"]) == (
        "Below lower threshold", "At maximum", "Between thresholds")
    assert set(bands.values()) == BAND_WORDS
    colours = {band: colour.name() for band, colour in
               zip(shown_column(table, "Band"), shown_column(table, "Band", Qt.ItemDataRole.BackgroundRole),
                   strict=True)}
    assert len(set(colours.values())) == 3  # one colour per band, and each band also in words
    white = table.view.palette().base().color().name()
    assert white not in colours.values()

    qtmodeltester.check(table.model)  # Qt's own tester: it reports problems as "FAIL!" warnings on stderr
    assert "FAIL" not in capfd.readouterr().err
    qtmodeltester.check(table.proxy, force_py=True)


def test_the_finance_cards_show_pounds(open_page) -> None:
    page = open_page(FINANCE_ROLES)
    qof_panel = page.qof

    assert qof_panel.points_card.value.text() == "79.19 of 123.00"
    assert qof_panel.payment_card.isVisible() and qof_panel.payment_card.value.text() == "£17,012.62"
    assert qof_panel.payment_card.detail.text().startswith("of £")
    assert qof_panel.aspiration_card.isVisible()
    assert qof_panel.aspiration_card.value.text() == "Not known"  # no 2024/25 result in the cache
    assert "£" in qof_panel.projection_card.detail.text()


def test_without_finance_view_no_pound_sign_appears_anywhere_on_the_page(qtbot, open_page) -> None:
    page = open_page(VIEW_ONLY)
    qof_panel = page.qof
    table = qof_panel.table
    header = table.view.horizontalHeader()
    assert titles(table)[header.sortIndicatorSection()] == "Points unclaimed"
    assert header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
    points_left = shown_column(table, "Points unclaimed", RecordTableModel.SORT_ROLE)
    assert points_left == sorted(points_left, reverse=True)
    assert not qof_panel.payment_card.isVisible() and not qof_panel.aspiration_card.isVisible()
    assert qof_panel.points_card.value.text() == "79.19 of 123.00"  # points are still shown
    assert money(widget_texts(page)) == []

    qof_panel.tabs.setCurrentIndex(1)
    charts = drawn_charts(qtbot, qof_panel, 2)
    assert all(chart.accessibleDescription() for chart in charts)
    drawn = chart_texts(qof_panel)
    # With no group chosen the chart shows every indicator, under a heading per clinical group.
    assert "Achievement (%)" in drawn
    assert {row.indicator_id for row in shown_rows(table)} <= set(drawn)
    assert "All clinical groups: achievement against thresholds" in drawn and set(GROUPS) <= set(drawn)
    assert money(drawn) == []
    assert money(widget_texts(page)) == []

    for service in (VACCINATIONS, LD_CHECKS, WEIGHT_MANAGEMENT):
        choose(qtbot, page, page.service, service)
        assert money(widget_texts(page)) == [], service
    page.vaccinations.tabs.setCurrentIndex(1)  # the doses chart
    drawn_charts(qtbot, page.vaccinations, 1)
    assert any("Seasonal influenza" in text for text in chart_texts(page.vaccinations))
    assert money(chart_texts(page)) == []
    assert money(widget_texts(page)) == []


def test_money_goes_when_the_next_practice_is_seen_without_finance_view(qtbot, open_page) -> None:
    """One user, two practices, Finance View at one: nothing shown keeps the £ of the first."""
    page = open_page(FINANCE_ROLES)
    page.qof.tabs.setCurrentIndex(1)
    drawn_charts(qtbot, page.qof, 2)
    assert money(widget_texts(page)) != []

    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.show_practice(access(VIEW_ONLY))
    settle()
    visible = [text for widget in page.findChildren(QWidget) if widget.isVisible()
               for text in (widget.toolTip(), widget.accessibleDescription(),
                            widget.text() if isinstance(widget, QLabel | QAbstractButton) else "")]
    assert money(visible) == []
    assert money(table_texts(page.qof.table)) == []
    assert money(chart_texts(page.qof)) == []
    assert not page.qof.payment_card.isVisible()


def test_the_clinical_group_and_the_filter_narrow_the_worklist(qtbot, open_page) -> None:
    page = open_page(FINANCE_ROLES)
    qof_panel = page.qof
    assert len(shown_rows(qof_panel.table)) == 7

    qof_panel.group.setCurrentText("Atrial fibrillation")
    QApplication.processEvents()
    assert sorted(row.indicator_id for row in shown_rows(qof_panel.table)) == ["AF006", "AF008"]

    filter_box = qof_panel.table.findChild(QLineEdit)
    qtbot.keyClicks(filter_box, "008")  # HYP008 matches too, but is not in this group
    assert [row.indicator_id for row in shown_rows(qof_panel.table)] == ["AF008"]

    qof_panel.group.setCurrentText("All clinical groups")
    QApplication.processEvents()
    assert sorted(row.indicator_id for row in shown_rows(qof_panel.table)) == ["AF008", "HYP008"]


def test_an_earlier_achievement_date_shows_that_months_points(qtbot, open_page) -> None:
    page = open_page(FINANCE_ROLES)
    assert page.qof.points_card.value.text() == "79.19 of 123.00"

    choose(qtbot, page, page.when, "28 Feb 2026")
    assert page.qof.points_card.value.text() == "63.84 of 123.00"
    assert "28 Feb 2026" in page.qof.points_card.detail.text()
    af006 = next(row for row in shown_rows(page.qof.table) if row.indicator_id == "AF006")
    assert (af006.numerator, af006.denominator) == COUNTS[FEBRUARY]["AF006"][:2]


def test_a_changed_result_reloads_the_dashboard_in_the_main_window(qtbot, filled) -> None:
    window = MainWindow(settings.load())
    qtbot.addWidget(window)
    profile = Profile("https://cqrs.example.nhs.uk", "castle.manager@nhs.net", "Helen", "Marsh",
                      (access(FINANCE_ROLES),))
    with qtbot.waitSignal(window.ready, timeout=5000):
        window.show_profile(profile, ODS)
        window.show()
    settle()
    card = window.dashboard.qof.points_card.value
    assert card.text() == "79.19 of 123.00"

    # A corrected March extract: DM014 education referrals catch up from 15 to 30 of 42 (71%).
    counts = dict(COUNTS[MARCH], DM014=(30, 42, 1))
    corrected = qof(MARCH, counts)
    expected = f"{fmt.points(Fraction(corrected['points']))} of 123.00"
    assert expected != card.text()
    cache_store.apply_feed_page(ODS, [change("result", f"QOF:{MARCH.isoformat()}", corrected)], 101)
    hub().data_changed.emit(changed("result"))
    qtbot.waitUntil(lambda: card.text() == expected, timeout=5000)
    assert Fraction(corrected["points"]) > Fraction(qof(MARCH)["points"])


# --- switching service ----------------------------------------------------------------------------------

def visible_texts(root: QWidget) -> list[str]:
    return [widget.text() for widget in root.findChildren(QLabel) if widget.isVisible() and widget.text()]


def test_a_new_service_shows_its_name_and_a_loading_state_never_the_last_services_figures(qtbot,
                                                                                         open_page) -> None:
    page = open_page(FINANCE_ROLES)
    assert page.qof.isVisible() and "79.19 of 123.00" in visible_texts(page)

    page.service.setCurrentIndex(page.service.findText(VACCINATIONS))  # read on the worker: not here yet
    assert not page.qof.isVisible() and not page.vaccinations.isVisible()
    assert "79.19 of 123.00" not in visible_texts(page)  # QOF's figures are gone at once...
    shown = visible_texts(page)
    assert VACCINATIONS in shown and "Loading the figures at 31 Mar 2026…" in shown  # ...for the new name
    assert page.loading.accessibleDescription() == f"{VACCINATIONS}. Loading the figures at 31 Mar 2026…"

    # Another choice before the first arrives: only the last is ever shown.
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.service.setCurrentIndex(page.service.findText(LD_CHECKS))
    settle()
    assert page.stack.currentWidget() is page.enhanced and page.enhanced.isVisible()
    assert page.enhanced.summary.text().startswith("31 Mar 2026: 62 checks")
    assert not page.loading.isVisible()


def test_another_practice_is_loading_not_shown_with_the_first_ones_figures(qtbot, open_page) -> None:
    page = open_page(FINANCE_ROLES)
    assert page.qof.payment_card.isVisible()
    page.show_practice(PracticeAccess(ODS, PRACTICE, VIEW_ONLY))  # the same practice, now without £
    assert not page.qof.isVisible() and money(visible_texts(page)) == []
    assert PRACTICE in visible_texts(page)
    qtbot.waitUntil(lambda: page.qof.isVisible(), timeout=5000)
    settle()
    assert money(visible_texts(page)) == [] and "79.19 of 123.00" in visible_texts(page)


# --- the indicator detail and its what-if ---------------------------------------------------------------

def open_detail(qtbot, page: DashboardPage, indicator: str) -> IndicatorDetail:
    """Double-click ``indicator`` in the worklist and wait for its detail dialog."""
    table = page.qof.table
    row = [row.indicator_id for row in shown_rows(table)].index(indicator)
    index = table.proxy.index(row, 0)
    table.view.scrollTo(index)
    rect = table.view.visualRect(index)
    qtbot.mouseClick(table.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(table.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: isinstance(getattr(page, "detail", None), IndicatorDetail)
                    and page.detail.isVisible(), timeout=5000)
    detail = page.detail
    assert detail.row.indicator_id == indicator
    return detail


WHAT_IF = re.compile(r"gives (?P<points>[\d.,]+) points \((?P<change>[+−-][\d.,]+)\)")


@pytest.mark.parametrize("roles", [FINANCE_ROLES, VIEW_ONLY], ids=["finance", "view-only"])
def test_the_what_if_recalculates_at_once_and_keeps_nothing(qtbot, open_page, roles) -> None:
    page = open_page(roles)
    finance = FINANCE_VIEW in roles
    stored_before = cache_store.counts(ODS)
    detail = open_detail(qtbot, page, "AF006")
    numerator, denominator, _pca = COUNTS[MARCH]["AF006"]
    assert (detail.numerator.value(), detail.denominator.value()) == (numerator, denominator)
    unchanged = WHAT_IF.search(detail.result.text())
    assert unchanged is not None and unchanged["change"] == "+0.00"
    before = Fraction(unchanged["points"])

    detail.numerator.setValue(numerator + 12)  # 141 of 183: 77.0%, up from 70.5%
    text = detail.result.text()
    found = WHAT_IF.search(text)
    assert found is not None, text
    assert Fraction(found["points"]) > before and found["change"].startswith("+")
    assert found["change"] != "+0.00"
    if finance:
        assert re.search(r", £[\d,]+\.\d\d \(\+£[\d,]+\.\d\d\)", text), text
    else:
        assert money([text]) == []
        assert money(widget_texts(detail)) == []
        assert money(chart_texts(detail)) == []

    detail.numerator.setValue(detail.denominator.value() + 1)
    assert detail.result.text() == "The numerator cannot be more than the denominator."
    detail.numerator.setValue(numerator)
    assert WHAT_IF.search(detail.result.text())["change"] == "+0.00"

    detail.close()
    settle()
    assert cache_store.counts(ODS) == stored_before  # a what-if is never stored...
    march = f"QOF:{MARCH.isoformat()}"
    assert cache_store.record(ODS, "result", march) == qof(MARCH) | {"id": march}
    assert outbox.items() == []  # ...or sent
    assert outbox.drafts(ODS) == []


def test_the_source_names_publisher_and_document_first_with_links_that_open(qtbot, open_page) -> None:
    from PySide6.QtGui import QTextDocument

    page = open_page(VIEW_ONLY)
    detail = open_detail(qtbot, page, "AF006")
    (source,) = [label for label in detail.findChildren(QLabel) if label.accessibleName() == "Source"]
    assert source.isVisible() and source.openExternalLinks()
    assert source.textInteractionFlags() & Qt.TextInteractionFlag.LinksAccessibleByMouse
    assert source.textInteractionFlags() & Qt.TextInteractionFlag.LinksAccessibleByKeyboard
    document = QTextDocument()
    document.setHtml(source.text())
    words = document.toPlainText()
    assert words.startswith("NHS England, QOF guidance 2025/26, transcribed by ninam-q (QOF indicator tool, "
                            "GitHub)")
    assert "NHS England (NHS Digital), QOF indicator reference data, 2023/24" in words
    assert "http" not in words  # addresses are links, not text
    assert 'href="https://github.com/ninam-q/qof-indicator-tool/' in source.text()
    assert source.accessibleDescription().startswith("NHS England, QOF guidance 2025/26, transcribed by")
    detail.close()


def test_the_row_activated_signal_opens_the_detail_of_that_row(qtbot, open_page) -> None:
    page = open_page(FINANCE_ROLES)
    dm014 = next(row for row in shown_rows(page.qof.table) if row.indicator_id == "DM014")
    page.qof.table.row_activated.emit(dm014)
    qtbot.waitUntil(lambda: getattr(page, "detail", None) is not None and page.detail.isVisible(),
                    timeout=5000)
    assert page.detail.row is dm014
    assert page.detail.windowTitle() == "DM014: indicator detail"
    assert list(page.detail.registers) == ["DM"]
    assert page.detail.registers["DM"].value() == 655
    page.detail.close()


# --- claims panels ---------------------------------------------------------------------------------------

def test_the_vaccinations_panel_has_one_row_per_programme_with_doses_per_month(qtbot, open_page) -> None:
    page = open_page(FINANCE_ROLES)
    choose(qtbot, page, page.service, VACCINATIONS)
    panel = page.vaccinations
    assert page.stack.currentWidget() is panel

    assert titles(panel.table) == ["Programme", "Jan 26", "Feb 26", "Mar 26", "Doses", "£ claimed"]
    assert panel.table.model.rowCount() == 2
    # Adult flu: 243 + 96 + 17 = 356 doses at £10.06 = £3,581.36; shingles 11 + 14 + 9 = 34, £342.04.
    assert row_texts(panel.table, "Seasonal influenza (adult)") == [
        "Seasonal influenza (adult)", "243", "96", "17", "356", "£3,581.36"]
    assert row_texts(panel.table, "Shingles") == ["Shingles", "11", "14", "9", "34", "£342.04"]
    assert [row.indicator_id for row in shown_rows(panel.indicators)] == ["VI001"]

    panel.measure.setCurrentIndex(1)  # £ claimed each month: 243, 96 and 17 doses at £10.06
    assert row_texts(panel.table, "Seasonal influenza (adult)") == [
        "Seasonal influenza (adult)", "£2,444.58", "£965.76", "£171.02", "356", "£3,581.36"]


def test_the_ld_health_checks_panel_shows_the_cap_and_what_is_over_it(qtbot, open_page) -> None:
    page = open_page(FINANCE_ROLES)
    choose(qtbot, page, page.service, LD_CHECKS)
    panel = page.enhanced
    assert page.stack.currentWidget() is panel
    assert items(page.when)[0] == "31 Mar 2026 (latest)"

    assert titles(panel.table)[:5] == ["Achievement date", "Checks done", "Cap", "Paid for", "Over the cap"]
    assert row_texts(panel.table, "31 Mar 2026")[1:5] == ["62", "58", "58", "4"]
    assert row_texts(panel.table, "28 Feb 2026")[1:5] == ["51", "58", "51", "0"]
    assert panel.summary.text() == ("31 Mar 2026: 62 checks against a cap of 58; 4 over the cap will not be "
                                    "paid; £0.00 still claimable.")

    choose(qtbot, page, page.when, "28 Feb 2026")  # the summary follows the date; £140 × 7 checks left
    assert panel.summary.text() == "28 Feb 2026: 51 checks against a cap of 58; £980.00 still claimable."


def test_one_check_is_worded_in_the_singular_and_the_date_shows_the_months_to_it(qtbot, open_page) -> None:
    """A month with a single health check reads "1 check", not "1 checks"; choosing an achievement date
    shows the service as at that date: its summary, and the months up to it with that month selected."""
    one = claim("LDHC", JANUARY, {"CHECKS": 1, "LD_REG": LD_REGISTER})
    cache_store.apply_feed_page(ODS, [change("result", f"LDHC:{JANUARY.isoformat()}", one)], 101)
    page = open_page(FINANCE_ROLES)
    choose(qtbot, page, page.service, LD_CHECKS)
    panel = page.enhanced
    assert [row.achievement_date for row in shown_rows(panel.table)] == [MARCH, FEBRUARY, JANUARY]

    choose(qtbot, page, page.when, "31 Jan 2026")
    assert panel.summary.text().startswith("31 Jan 2026: 1 check against a cap of 58;")
    assert [row.achievement_date for row in shown_rows(panel.table)] == [JANUARY]  # nothing after it
    assert panel.table.selected_row().achievement_date == JANUARY

    choose(qtbot, page, page.when, "28 Feb 2026")
    assert panel.summary.text().startswith("28 Feb 2026: 51 checks against")
    assert [row.achievement_date for row in shown_rows(panel.table)] == [FEBRUARY, JANUARY]
    assert panel.table.selected_row().achievement_date == FEBRUARY


def test_the_weight_management_summary_without_finance_view(qtbot, open_page) -> None:
    page = open_page(VIEW_ONLY)
    choose(qtbot, page, page.service, WEIGHT_MANAGEMENT)
    panel = page.enhanced
    assert panel.summary.text() == "31 Mar 2026: 6 referrals against a cap of 56."
    assert "£ claimed" not in titles(panel.table)


# --- screens ---------------------------------------------------------------------------------------------

def open_window(qtbot, size: tuple[int, int], roles: tuple[str, ...] = FINANCE_ROLES) -> MainWindow:
    window = MainWindow(settings.load())
    qtbot.addWidget(window)
    window.resize(*size)
    profile = Profile("https://cqrs.example.nhs.uk", "castle.manager@nhs.net", "Helen", "Marsh",
                      (access(roles),))
    with qtbot.waitSignal(window.ready, timeout=5000):
        window.show_profile(profile, ODS)
        window.show()
    qtbot.waitExposed(window)
    settle()
    assert (window.width(), window.height()) == size
    return window


@pytest.mark.parametrize(("text_scale", "size", "name"), [
    (1.5, (1024, 768), "dash_1024_150"),
    (1.0, (1920, 1080), "dash_1920"),
], indirect=["text_scale"], ids=["1024x768-150%", "1920x1080-100%"])
def test_the_dashboard_on_screen(qtbot, filled, text_scale, size, name, tmp_path) -> None:
    window = open_window(qtbot, size)
    assert window.font().pointSizeF() == pytest.approx(text_scale)
    qof_panel = window.dashboard.qof

    for tab, suffix in ((0, "worklist"), (1, "charts")):
        qof_panel.tabs.setCurrentIndex(tab)
        if tab == 1:
            drawn_charts(qtbot, qof_panel, 2)
        qtbot.wait(50)
        QApplication.processEvents()
        image = window.grab()
        path = tmp_path / f"{name}_{suffix}.png"
        assert image.save(str(path))
        assert not is_flat(image.toImage())

    # The pickers and every card are inside the window.
    inside = window.rect()
    dashboard = window.dashboard
    for widget in (dashboard.year, dashboard.service, dashboard.when, qof_panel.group, qof_panel.points_card,
                   qof_panel.payment_card, qof_panel.aspiration_card, qof_panel.projection_card):
        top_left = widget.mapTo(window, widget.rect().topLeft())
        bottom_right = widget.mapTo(window, widget.rect().bottomRight())
        assert inside.contains(top_left) and inside.contains(bottom_right), widget.accessibleName()


def cut_off(labels: list[QLabel]) -> list[str]:
    """Labels narrower than their text (single-line) or shorter than their wrapped text."""
    found = []
    for label in labels:
        if not label.isVisible() or not label.text():
            continue
        if label.wordWrap():
            if label.height() < label.heightForWidth(label.width()):
                found.append(f"{label.text()[:40]!r}: {label.height()} px high of "
                             f"{label.heightForWidth(label.width())}")
        elif label.width() < label.sizeHint().width():
            found.append(f"{label.text()!r}: {label.width()} px wide of {label.sizeHint().width()}")
    return found


@pytest.mark.parametrize("text_scale", [1.5], indirect=True, ids=["150%"])
def test_at_1024_by_768_with_150_percent_text_nothing_on_the_dashboard_is_squeezed(qtbot, filled,
                                                                                     text_scale) -> None:
    window = open_window(qtbot, (1024, 768))
    dashboard, qof_panel = window.dashboard, window.dashboard.qof
    qof_panel.tabs.setCurrentIndex(1)
    drawn_charts(qtbot, qof_panel, 2)

    problems = cut_off([label for card in (qof_panel.points_card, qof_panel.payment_card,
                                           qof_panel.aspiration_card, qof_panel.projection_card)
                        for label in (card.title, card.value)])
    if dashboard.when.width() < dashboard.when.sizeHint().width():
        problems.append(f"achievement date picker: {dashboard.when.width()} px wide of "
                        f"{dashboard.when.sizeHint().width()}")
    if qof_panel.thresholds_chart.geometry().intersects(qof_panel.trend_chart.geometry()):
        problems.append(f"the charts overlap: {qof_panel.thresholds_chart.geometry()} and "
                        f"{qof_panel.trend_chart.geometry()}")
    assert problems == []


def overlapping(labels: list[QLabel], root: QWidget) -> list[str]:
    """Pairs of labels drawn over each other (their rectangles on ``root`` intersect)."""
    placed = [(label, QRect(label.mapTo(root, QPoint(0, 0)), label.size())) for label in labels]
    return [f"{a.text()[:30]!r} and {b.text()[:30]!r}" for index, (a, area) in enumerate(placed)
            for b, other in placed[index + 1:] if area.intersects(other)]


@pytest.mark.parametrize("text_scale", [1.0, 1.5, 2.0], indirect=True, ids=["100%", "150%", "200%"])
def test_at_1024_by_768_the_dashboard_scrolls_rather_than_cutting_text_or_the_worklist(qtbot, filled,
                                                                                        text_scale) -> None:
    # A pending offer with a long name, so "What needs doing" has an item to summarise.
    cache_store.apply_feed_page(ODS, [change("offer", 24, {
        "id": 24, "service": "WM", "status": "pending", "start_date": "2025-04-01", "end_date": "2026-03-31",
        "response_deadline": (date.today() + timedelta(days=20)).isoformat(), "participation_only": False})],
        101)
    window = open_window(qtbot, (1024, 768), (*FINANCE_ROLES, SERVICE_MANAGEMENT))
    dashboard = window.dashboard
    needs_doing = dashboard.needs_doing
    qtbot.waitUntil(lambda: bool(needs_doing.items), timeout=3000)
    QApplication.processEvents()

    labels = [label for label in dashboard.findChildren(QLabel) if label.isVisible() and label.text()]
    assert len(labels) > 10  # the heading, the pickers' names, the cards, the worklist's hint…
    assert cut_off(labels) == []
    assert overlapping(labels, dashboard) == []
    if needs_doing.compact_row.isVisible():  # the most urgent item whole, not shortened with "…"
        assert needs_doing.summary.text() == f"{needs_doing.items[0].days_text}: {needs_doing.items[0].title}"

    # The worklist keeps its rows, and scrolled to, the whole of it is in sight at once.
    view = dashboard.qof.table.view
    assert view.isVisible() and view.model().rowCount() > 0  # room for WORKLIST_ROWS, however many are held
    assert view.viewport().height() >= WORKLIST_ROWS * view.rowHeight(0)
    tabs = dashboard.qof.tabs
    dashboard.scroll.ensureWidgetVisible(tabs, 0, 0)
    QApplication.processEvents()
    in_sight = dashboard.scroll.viewport().rect()
    assert in_sight.contains(QRect(tabs.mapTo(dashboard.scroll.viewport(), QPoint(0, 0)), tabs.size()))


def test_the_indicator_detail_has_room_for_everything(qtbot, open_page) -> None:
    page = open_page(FINANCE_ROLES)
    detail = open_detail(qtbot, page, "AF006")
    QApplication.processEvents()

    problems = cut_off(detail.findChildren(QLabel))
    what_if = detail.findChild(QGroupBox)
    if detail.chart.geometry().intersects(what_if.geometry()):
        problems.append(f"the chart {detail.chart.geometry()} overlaps the what-if box {what_if.geometry()}")
    detail.close()
    assert problems == []
