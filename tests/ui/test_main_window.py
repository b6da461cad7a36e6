"""app.views.main_window: sections, record pages filled from the cache, the status bar, and the signals."""

from __future__ import annotations

import sys
from datetime import date
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible, QImage
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QTableView,
    QTextBrowser,
    QToolButton,
    QWidget,
)
from qof_records import COUNTS, MARCH, feed_changes

from app import settings
from app.services import cache_store, outbox, tasks
from app.services.profile import FINANCE_VIEW, USER_ADMINISTRATOR, PracticeAccess, Profile
from app.signals import Hub, changed, hub
from app.views.main_window import SECTIONS, MainWindow
from app.views.page import Page, TablePage
from app.views.record_table import RecordTable

ODS = "Z99001"
OTHER_ODS = "Z99002"
ALL_ROLES = (USER_ADMINISTRATOR, FINANCE_VIEW, "View", "Achievement Entry", "Service Management",
             "Declaration Management", "Supervisor")

PRACTICE = {"ods": ODS, "name": "Riverside Medical Practice",
            "pcn": {"ods": "U99001", "name": "Riverside PCN"},
            "commissioner": {"ods": "99Z", "name": "NHS Riverside ICB"}}
DECLARATION = {"id": 176, "service": "LDHC", "achievement_date": "2026-02-28", "status": "Paid",
               "points": "0", "payment": "420", "declared_at": "2026-03-20T00:00:00+00:00",
               "updated_at": "2026-04-24T00:00:00+00:00"}
OFFER = {"id": 24, "service": "WM", "status": "pending", "start_date": "2025-04-01", "end_date": "2026-03-31",
         "response_deadline": "2026-04-30", "participation_only": False, "responded_at": None}
EVENT = {"id": 52, "year": "2025-26", "kind": "payment", "title": "QOF achievement payment",
         "starts": "2026-06-30", "ends": "2026-06-30", "service": "QOF", "achievement_date": "2026-03-31"}
MANUAL_ENTRY = {"id": 96, "service": "WM", "achievement_date": "2026-03-31",
                "values": {"REFERRALS": 6, "ALLOCATION": 56}, "notes": None, "status": "approved",
                "version": 1, "rejection_reason": None, "updated_at": "2026-04-08T00:00:00+00:00"}
USER = {"id": 5, "email": "castle.manager@nhs.net", "first_name": "Helen", "last_name": "Marsh",
        "work_phone": "01632 960 401", "mobile": None, "active": True, "activated": True,
        "roles": ["User Administrator", "View"], "pending_roles": ["Finance View"], "status": "disabled here"}


def change(kind: str, record_id: str | int, data: dict[str, Any]) -> dict[str, Any]:
    return {"type": kind, "id": str(record_id), "deleted": False, "data": data}


def fill_cache() -> None:
    """The practice, results and a benchmark as the service builds them (tests/qof_records.py), and one
    record of every other kind."""
    cache_store.apply_feed_page(ODS, [
        change("practice", ODS, PRACTICE),
        *feed_changes(ODS),
        change("declaration", 176, DECLARATION),
        change("offer", 24, OFFER),
        change("timetable_event", 52, EVENT),
        change("manual_entry", 96, MANUAL_ENTRY),
        change("user", 5, USER),
    ], 100)


def profile(roles: tuple[str, ...] = ALL_ROLES, *, second_practice: bool = False) -> Profile:
    practices = [PracticeAccess(ODS, "Riverside Medical Practice", roles)]
    if second_practice:
        practices.append(PracticeAccess(OTHER_ODS, "Castle Street Surgery", roles))
    return Profile("https://cqrs.example.nhs.uk", "castle.manager@nhs.net", "Helen", "Marsh",
                   tuple(practices))


@pytest.fixture
def make_window(fresh_hub, qtbot):
    def make() -> MainWindow:
        window = MainWindow(settings.load())
        qtbot.addWidget(window)
        return window
    return make


@pytest.fixture
def window(make_window) -> MainWindow:
    return make_window()


def open_on(qtbot, window: MainWindow, shown: Profile | None, ods: str | None = ODS) -> None:
    """Show ``shown``'s practice and the window, wait until it says it is ready (the page on screen
    is painted), then until the pages behind it have loaded too."""
    with qtbot.waitSignal(window.ready, timeout=5000):
        window.show_profile(shown, ods)
        window.show()
    qtbot.waitExposed(window)
    assert tasks.wait_for_idle(10.0)


def visit(qtbot, window: MainWindow, key: str) -> Page:
    """Show section ``key`` (its page is built and loaded the first time) and wait until it has loaded."""
    window.show_section(key)
    page = window.pages[key]
    qtbot.waitUntil(page.isVisible, timeout=1000)
    assert tasks.wait_for_idle(10.0)
    return page


def visit_all(qtbot, window: MainWindow) -> dict[str, Page]:
    """Every section in turn (each page built and loaded), then back to the first."""
    pages = {key: visit(qtbot, window, key) for key, _title in SECTIONS if key not in window.hidden}
    window.show_section(SECTIONS[0][0])
    return pages


def value_of(row: Any, key: str) -> Any:
    """A row's value, whether the table holds dicts or dataclasses."""
    return row.get(key) if isinstance(row, dict) else getattr(row, key, None)


def table_headers(table: RecordTable) -> list[str]:
    model = table.model
    return [model.headerData(section, Qt.Orientation.Horizontal) for section in range(model.columnCount())]


def headers(page: Page) -> list[str]:
    return table_headers(page.table)


def column_texts(page: Page, title: str) -> list[str]:
    model = page.table.model
    column = headers(page).index(title)
    return [model.index(row, column).data() for row in range(model.rowCount())]


def cell(page: Page, match: dict[str, Any], title: str) -> str:
    """The text shown in column ``title`` of the (only) row whose record has every item of ``match``."""
    model = page.table.model
    rows = [row for row in range(model.rowCount())
            if all(value_of(model.row(row), key) == value for key, value in match.items())]
    assert len(rows) == 1, f"{len(rows)} rows match {match} on {page.key}"
    return model.index(rows[0], headers(page).index(title)).data()


def empty_message(page: Page) -> QLabel:
    label = page.table.findChild(QLabel, "emptyMessage")
    assert label is not None
    return label


def visible_texts(root: QWidget) -> list[str]:
    """Every text on screen under ``root``: labels, buttons, and the headers and cells of visible tables."""
    texts = [widget.text() for kind in (QLabel, QAbstractButton) for widget in root.findChildren(kind)
             if widget.isVisible()]
    for table in root.findChildren(RecordTable):
        if table.isVisible():
            model = table.model
            texts += table_headers(table)
            texts += [model.index(row, column).data() for row in range(model.rowCount())
                      for column in range(model.columnCount())]
    return texts


def is_flat(image: QImage) -> bool:
    """True when every pixel of ``image`` is the colour of its top-left pixel."""
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    flat = QImage(image.size(), QImage.Format.Format_RGB32)
    flat.fill(image.pixel(0, 0))
    return image == flat


# --- what the pages show ------------------------------------------------------------------------------

def test_every_page_shows_the_cached_records_with_money_for_finance_users(qtbot, window) -> None:
    fill_cache()
    open_on(qtbot, window, profile())
    assert set(window.pages.built()) == {"dashboard"}  # the others are built when first shown
    pages = visit_all(qtbot, window)

    records_pages = {key: page for key, page in pages.items()
                     if isinstance(page, TablePage) or key == "users"}
    assert set(records_pages) == {"timetable", "users"}
    empty = [key for key, page in records_pages.items() if page.table.model.rowCount() == 0]
    assert empty == []
    assert set(window.pages) == {key for key, _title in SECTIONS}
    assert window.pages["dashboard"] is window.dashboard
    qof = window.dashboard.qof
    assert window.dashboard.stack.currentWidget() is qof  # the newest QOF year is shown first
    assert qof.table.model.rowCount() == len(COUNTS[MARCH])
    assert "£ unclaimed" in table_headers(qof.table)
    assert qof.payment_card.isVisible() and qof.aspiration_card.isVisible()
    assert qof.payment_card.value.text() == "£17,012.62"  # what the service calculated for March
    assert qof.points_card.value.text() == "79.19 of 123.00"
    assert cell(window.pages["declarations"], {"declaration_id": 176}, "Payment") == "£420.00"
    assert cell(window.pages["users"], {"user_id": 5}, "Name") == "Helen Marsh"
    assert cell(window.pages["users"], {"user_id": 5}, "Status") == "Disabled here"
    assert cell(window.pages["users"], {"user_id": 5}, "Roles") == \
        "User Administrator, View, Finance View (waiting for a second administrator)"
    assert cell(window.pages["offers"], {"id": 24}, "Respond by") == "30 Apr 2026"
    assert "Using CQRS Desktop" in window.help_page.browser.toPlainText()
    assert window.practice_name.text() == "Riverside Medical Practice (Z99001)"
    assert window.account.text() == "Helen Marsh"


def test_view_only_users_see_no_money_and_only_their_own_user_record_and_why(qtbot, window) -> None:
    fill_cache()
    open_on(qtbot, window, profile(("View",)))
    visit_all(qtbot, window)

    qof = window.dashboard.qof
    assert qof.table.model.rowCount() == len(COUNTS[MARCH])  # the rows are there, the money is not
    assert not qof.payment_card.isVisible() and not qof.aspiration_card.isVisible()
    assert qof.points_card.value.text() == "79.19 of 123.00"
    shown = visible_texts(window.dashboard)
    assert any("Points unclaimed" in text for text in shown)
    assert [text for text in shown if "£" in text] == []
    assert "Payment" not in headers(window.pages["declarations"])
    users = window.pages["users"]
    window.show_section("users")
    model = users.table.model
    assert [model.row(row).email for row in range(model.rowCount())] == [profile().email]  # only their own
    message = users.intro_label
    assert message.isVisible() and "only your own record" in message.text()
    assert "User Administrator" in message.text() and "Riverside Medical Practice" in message.text()
    assert not any(button.isVisible() for button in users.buttons.values())


def test_a_draft_shows_on_the_manual_entry_page_as_kept_on_this_pc(qtbot, window) -> None:
    fill_cache()
    outbox.save_draft(ODS, "LDHC", date(2026, 4, 30), {"LD_REG": 60})
    open_on(qtbot, window, profile())

    page = visit(qtbot, window, "manual-entry")
    assert page.table.model.rowCount() == 2
    assert cell(page, {"status": "draft"}, "Status") == "Draft, kept on this PC"
    assert cell(page, {"status": "draft"}, "Values") == "LD register 60"
    assert cell(page, {"status": "draft"}, "Achievement date") == "30 Apr 2026"
    assert cell(page, {"entry_id": 96}, "Status") == "Approved"


# --- ready ----------------------------------------------------------------------------------------------

def test_ready_comes_once_after_the_profile_is_shown_and_the_window_painted(qtbot, window) -> None:
    fill_cache()
    emitted: list[bool] = []
    window.ready.connect(lambda: emitted.append(window.dashboard.qof.table.model.rowCount() > 0))

    window.show_profile(profile(), ODS)
    assert tasks.wait_for_idle()  # every page has loaded, but the window is not on screen yet
    qtbot.wait(20)
    assert emitted == []

    with qtbot.waitSignal(window.ready, timeout=5000):
        window.show()
    assert emitted == [True]  # the rows were there when it was announced
    assert not is_flat(window.grab().toImage())

    hub().data_changed.emit(changed("*"))  # pages reload: not a second "ready"
    window.show_profile(profile(), ODS)
    assert tasks.wait_for_idle()
    qtbot.wait(20)
    assert emitted == [True]


def test_ready_waits_for_the_profile_when_the_window_is_shown_first(qtbot, window) -> None:
    fill_cache()
    emitted: list[int] = []
    window.ready.connect(lambda: emitted.append(window.dashboard.qof.table.model.rowCount()))

    window.show()
    qtbot.waitExposed(window)
    qtbot.wait(50)
    assert emitted == []  # nothing to announce: no practice has been shown yet

    with qtbot.waitSignal(window.ready, timeout=5000):
        window.show_profile(profile(), ODS)
    assert emitted == [len(COUNTS[MARCH])]


# --- signals to the shell -------------------------------------------------------------------------------

def test_f5_and_the_sync_button_ask_for_a_sync(qtbot, window) -> None:
    fill_cache()
    open_on(qtbot, window, profile())
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)

    with qtbot.waitSignal(window.sync_requested, timeout=1000):
        qtbot.keyClick(window, Qt.Key.Key_F5)
    with qtbot.waitSignal(window.sync_requested, timeout=1000):
        qtbot.mouseClick(window.sync_button, Qt.MouseButton.LeftButton)


def test_the_sync_button_is_disabled_while_a_sync_runs(qtbot, window) -> None:
    fill_cache()
    open_on(qtbot, window, profile())
    hub().sync_started.emit()
    assert not window.sync_button.isEnabled()
    hub().sync_finished.emit(True, "Synced.")
    assert window.sync_button.isEnabled()


def test_the_practice_picker_shows_only_with_more_than_one_practice(qtbot, window) -> None:
    fill_cache()
    open_on(qtbot, window, profile())
    assert not window.practice_picker.isVisible()

    window.show_profile(profile(second_practice=True), ODS)
    assert window.practice_picker.isVisible()
    assert window.practice_picker.count() == 2
    assert window.practice_picker.currentData() == ODS

    with qtbot.waitSignal(window.practice_chosen, timeout=1000) as chosen:
        window.practice_picker.setFocus()
        qtbot.keyClick(window.practice_picker, Qt.Key.Key_Down)
    assert chosen.args == [OTHER_ODS]
    with qtbot.waitSignal(window.practice_chosen, timeout=1000) as chosen:
        window.practice_picker.activated.emit(0)
    assert chosen.args == [ODS]

    window.show_profile(profile(), ODS)
    assert not window.practice_picker.isVisible()


def test_a_data_change_reloads_the_pages_showing_that_kind(qtbot, window) -> None:
    fill_cache()
    open_on(qtbot, window, profile())
    pages = visit_all(qtbot, window)
    offers, declarations = pages["offers"], pages["declarations"]
    window.show_section("offers")
    assert offers.table.model.rowCount() == 1

    new_offer = dict(OFFER, id=25, service="LDHC", response_deadline="2026-05-31")
    new_declaration = dict(DECLARATION, id=177, achievement_date="2026-01-31")
    cache_store.apply_feed_page(ODS, [change("offer", 25, new_offer),
                                      change("declaration", 177, new_declaration)], 101)

    def declared() -> int:  # the page also lists periods not declared yet
        model = declarations.table.model
        return sum(1 for row in range(model.rowCount()) if model.row(row).declaration_id is not None)

    reloads = {key: 0 for key in pages}
    for key, page in pages.items():
        page.loaded.connect(lambda key=key: reloads.__setitem__(key, reloads[key] + 1))
    hub().data_changed.emit(changed("offer"))
    qtbot.waitUntil(lambda: offers.table.model.rowCount() == 2, timeout=3000)
    assert cell(offers, {"id": 25}, "Respond by") == "31 May 2026"
    assert tasks.wait_for_idle()
    assert declared() == 1  # not an offer: left alone
    assert reloads == {**dict.fromkeys(pages, 0), "offers": 1}  # once, and only the page that shows offers

    hub().data_changed.emit(changed("*", "offer", "declaration"))  # one announcement: each page reloads once
    assert tasks.wait_for_idle()
    assert declared() == 1  # declarations is not on screen: it reloads when it is next shown
    window.show_section("declarations")
    qtbot.waitUntil(lambda: declared() == 2, timeout=3000)
    assert tasks.wait_for_idle()
    assert reloads["offers"] == 2 and reloads["declarations"] == 1


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="True is immortal from Python 3.12")
def test_emit_leaves_true_its_references(qapp) -> None:
    signals = Hub()
    before = sys.getrefcount(True)
    for _ in range(1000):
        signals.outbox_changed.emit(0)
    assert sys.getrefcount(True) > before - 100, "each emit() dropped a reference to True"


# --- the status bar -------------------------------------------------------------------------------------

def test_the_status_bar_follows_the_hub_and_the_cache(qtbot, window) -> None:
    fill_cache()
    open_on(qtbot, window, profile())
    assert tasks.wait_for_idle()  # the status bar's own read of the cache
    status = window.status
    assert status.last_sync.text() == "Last sync: never"
    assert status.who.text() == "Helen Marsh · Riverside Medical Practice"

    hub().outbox_changed.emit(3)
    assert status.waiting.text() == "3 items waiting to be sent"
    hub().outbox_changed.emit(1)
    assert status.waiting.text() == "1 item waiting to be sent"
    hub().online_changed.emit(False)
    assert "Offline" in status.online.text()
    hub().online_changed.emit(True)
    assert "Online" in status.online.text()

    cache_store.mark_synced(ODS)
    status.refresh()
    qtbot.waitUntil(lambda: status.last_sync.text() == "Last sync: just now", timeout=3000)
    assert status.waiting.text() == "Nothing waiting to be sent"  # read from the (empty) outbox


# --- accessibility --------------------------------------------------------------------------------------

INTERACTIVE = (QPushButton, QToolButton, QComboBox, QLineEdit, QListWidget, QTableView, QTextBrowser)


def _describe(widget: QWidget) -> str:
    parent = widget.parentWidget()
    where = "nothing" if parent is None else \
        f"{type(parent).__name__} {parent.accessibleName() or parent.objectName()!r}"
    return f"{widget.metaObject().className()} {widget.objectName()!r} in {where}"


def _spoken_name(widget: QWidget) -> str:
    """What a screen reader announces: the accessible name, else what Qt derives (a button's text...)."""
    interface = QAccessible.queryAccessibleInterface(widget)
    derived = interface.text(QAccessible.Text.Name) if interface is not None else ""
    return (widget.accessibleName() or derived or "").strip()


def _unnamed(window: MainWindow) -> list[str]:
    return [_describe(widget) for kind in INTERACTIVE for widget in window.findChildren(kind)
            if widget.isVisible() and not _spoken_name(widget)]


def test_every_visible_control_has_a_name_for_screen_readers(qtbot, window) -> None:
    fill_cache()
    open_on(qtbot, window, profile(second_practice=True))
    window.dashboard.qof.table.findChild(QLineEdit).setText("AF")  # shows the filter's clear button

    unnamed: dict[str, list[str]] = {}
    checked = 0
    for key, _title in SECTIONS:
        window.show_section(key)
        qtbot.waitUntil(lambda key=key: window.stack.currentWidget().isVisible(), timeout=1000)
        checked += sum(widget.isVisible() for kind in INTERACTIVE for widget in window.findChildren(kind))
        if missing := _unnamed(window):
            unnamed[key] = missing
    assert checked > 4 * len(SECTIONS)  # sections, picker, sync, account + each page's own controls
    assert unnamed == {}


# --- large text -----------------------------------------------------------------------------------------

def test_the_window_at_1024_by_768_with_150_percent_text(qtbot, text_scale, make_window, tmp_path) -> None:
    fill_cache()
    window = make_window()
    window.resize(1024, 768)
    open_on(qtbot, window, profile(second_practice=True))
    QApplication.processEvents()

    assert window.font().pointSizeF() == pytest.approx(text_scale)
    assert (window.width(), window.height()) == (1024, 768)
    image = window.grab()
    path = tmp_path / "main_window_150.png"
    assert image.save(str(path))
    assert not is_flat(image.toImage())

    # Nothing the user needs is pushed out of the window or squeezed below its own size.
    inside = window.rect()
    for widget in (window.sync_button, window.account, window.practice_picker, window.nav,
                   window.status.online, window.status.last_sync, window.status.waiting, window.status.who):
        top_left = widget.mapTo(window, widget.rect().topLeft())
        bottom_right = widget.mapTo(window, widget.rect().bottomRight())
        assert inside.contains(top_left) and inside.contains(bottom_right), _describe(widget)
    for label in (window.status.online, window.status.last_sync, window.status.waiting, window.status.who):
        assert label.width() >= label.sizeHint().width(), f"{label.text()!r} is cut off"
    assert window.sync_button.width() >= window.sync_button.sizeHint().width()


@pytest.mark.parametrize("text_scale", [1.0, 1.5], indirect=True, ids=["100%", "150%"])
def test_a_status_message_is_readable_at_1024_wide(qtbot, text_scale, make_window) -> None:
    fill_cache()
    window = make_window()
    window.resize(1024, 768)
    open_on(qtbot, window, profile())
    window.show_message(tasks.GENERIC_MESSAGE)  # what every failed task shows
    QApplication.processEvents()

    banner = window.message
    assert banner.isVisible() and banner.text() == tasks.GENERIC_MESSAGE
    # The banner wraps: it is as wide as the page and tall enough for every line of the message.
    assert banner.width() >= window.width() // 2
    assert banner.height() >= banner.heightForWidth(banner.width())


# --- only the page on screen is built -------------------------------------------------------------------

def test_importing_the_window_loads_no_page_and_no_database_layer() -> None:
    import subprocess

    code = ("import sys, app.views.main_window as m; "
            "pages = {s.page.split(':')[0] for s in m.SECTION_PAGES}; "
            "print(sorted((pages | {'sqlalchemy', 'requests', 'matplotlib'}) & {n.split('.')[0] if "
            "not n.startswith('app.') else n for n in sys.modules}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_hidden_page_is_built_and_loaded_when_first_shown(qtbot, window) -> None:
    fill_cache()
    open_on(qtbot, window, profile())
    assert set(window.pages.built()) == {"dashboard"}
    window.show_section("offers")
    assert set(window.pages.built()) == {"dashboard", "offers"}
    offers = window.pages["offers"]
    qtbot.waitUntil(lambda: offers.table.model.rowCount() == 1, timeout=3000)
    assert offers.today == window.dashboard.today and offers.owner == "castle.manager@nhs.net"


def test_a_page_built_to_be_shown_is_on_screen_before_it_reads_the_cache(qtbot, window) -> None:
    fill_cache()
    open_on(qtbot, window, profile())
    qtbot.waitUntil(lambda: tasks.runner().pending == 0, timeout=3000)
    window.show_section("declarations")
    declarations = window.pages["declarations"]
    # Built, not yet shown and not yet reading: the GUI's first show never competes with the read.
    assert not declarations.isVisible() and tasks.runner().pending == 0
    qtbot.waitUntil(declarations.isVisible, timeout=3000)
    qtbot.waitUntil(lambda: declarations.table.model.rowCount() > 0, timeout=3000)


def test_a_page_left_before_its_first_read_still_reads_it(qtbot, window) -> None:
    fill_cache()
    open_on(qtbot, window, profile())
    window.show_section("offers")
    window.show_section("dashboard")  # at once, before the offers page came on screen
    offers = window.pages["offers"]
    qtbot.waitUntil(lambda: offers.table.model.rowCount() == 1, timeout=3000)
    assert not offers.isVisible()


def test_the_income_page_is_listed_only_for_finance_view(make_window) -> None:
    window = make_window()
    income = [key for key, _title in SECTIONS].index("income")
    assert window.nav.isRowHidden(income)  # signed out
    for roles, listed in ((("View",), False), (ALL_ROLES, True)):
        window.show_profile(profile(roles), ODS)
        assert window.nav.isRowHidden(income) is not listed
        window.show_section("income")
        assert window.current_section() == ("income" if listed else "dashboard")
