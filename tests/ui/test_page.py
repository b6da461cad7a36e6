"""app.views.page: the page frame's contract — loads through the task runner with a stale-result guard,
one error path with "Try again", the empty state, select by key, and reloads from the hub at most once
per announcement (a hidden page when it is next shown)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from app.services import tasks
from app.services.api_client import Unreachable
from app.services.profile import PracticeAccess
from app.signals import changed, hub
from app.views.page import Page, TablePage
from app.views.record_table import Column, field

RIVERSIDE = PracticeAccess("Z99001", "Riverside Medical Practice", ("View",))
CASTLE = PracticeAccess("Z99002", "Castle Street Surgery", ("View",))
ROWS = {"Z99001": [{"id": 1, "name": "Riverside row"}, {"id": 2, "name": "Another Riverside row"}],
        "Z99002": [{"id": 3, "name": "Castle row"}]}


class Source:
    """What the test page's loader reads: rows per practice, an error to raise, or a gate to wait at."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = {ods: list(rows) for ods, rows in ROWS.items()}
        self.error: BaseException | None = None
        self.gates: dict[str, threading.Event] = {}
        self.reads: list[str] = []

    def read(self, ods: str) -> list[dict[str, Any]]:
        gate = self.gates.get(ods)
        if gate is not None:
            assert gate.wait(5), "the test never opened the gate"
        self.reads.append(ods)
        if self.error is not None:
            raise self.error
        return self.rows[ods]


class ThingsPage(TablePage):
    """A record page as a new screen would be written: its columns and its loader, nothing else."""

    key = "things"
    title = "Things"
    intro = "Things the practice has."
    kinds = ("thing",)
    empty_text = "No things yet."
    descending = False
    source = Source()

    def columns(self, access: PracticeAccess | None) -> Sequence[Column[dict[str, Any]]]:
        return [Column("Name", field("name")), Column("Number", field("id"), numeric=True)]

    @staticmethod
    def load(ods: str, today: date) -> list[dict[str, Any]]:
        return ThingsPage.source.read(ods)  # a plain object, never the widget: this runs on the worker

    def row_key(self, row: dict[str, Any]) -> Any:
        return row["id"]


class NotesPage(Page):
    """A page without a table: its empty state replaces the body."""

    key = "notes"
    title = "Notes"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.text = QLabel()
        self.body_layout.addWidget(self.text)

    def loader(self, access: PracticeAccess | None, today: date) -> Callable[[], str]:
        return lambda: ""

    def show_result(self, result: str) -> None:
        if not result:
            self.show_empty("Nothing noted yet.")
        self.text.setText(result)


@pytest.fixture
def page(fresh_hub, qtbot) -> ThingsPage:
    ThingsPage.source = Source()
    widget = ThingsPage()
    qtbot.addWidget(widget)
    widget.resize(700, 400)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def names(page: ThingsPage) -> list[str]:
    assert page.table is not None
    return [row["name"] for row in page.table.shown_rows()]


def open_on(qtbot, page: Page, access: PracticeAccess | None) -> None:
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.show_practice(access)


def test_the_heading_intro_and_rows_come_from_the_declarations(qtbot, page) -> None:
    open_on(qtbot, page, RIVERSIDE)
    assert page.findChild(QLabel, "pageHeading").text() == "Things"
    assert page.intro_label.isVisible() and page.intro_label.text() == "Things the practice has."
    assert names(page) == ["Another Riverside row", "Riverside row"]  # sorted by the first column
    assert not page.message.isVisible() and not page.try_again.isVisible()


def test_a_result_for_a_practice_no_longer_shown_is_dropped(qtbot, page) -> None:
    gate = page.source.gates["Z99001"] = threading.Event()
    shown: list[str] = []
    page.loaded.connect(lambda: shown.append(",".join(names(page))))
    page.show_practice(RIVERSIDE)  # waits at the gate on the database worker
    page.show_practice(CASTLE)  # the practice changes before the first read has answered
    gate.set()
    qtbot.waitUntil(lambda: shown != [], timeout=5000)
    assert tasks.wait_for_idle()
    assert page.source.reads == ["Z99001", "Z99002"]  # both were read...
    assert shown == ["Castle row"]  # ...but only the current practice's answer reached the screen
    assert names(page) == ["Castle row"]


def test_a_reload_overtakes_an_older_one_for_the_same_practice(qtbot, page) -> None:
    open_on(qtbot, page, RIVERSIDE)
    gate = page.source.gates["Z99001"] = threading.Event()
    page.reload()
    page.source.rows["Z99001"] = [{"id": 9, "name": "Newer row"}]
    gate.set()
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.reload()
    assert tasks.wait_for_idle()
    assert names(page) == ["Newer row"]


def test_a_failed_load_says_why_in_plain_english_and_try_again_reloads(qtbot, page) -> None:
    page.source.error = Unreachable()
    open_on(qtbot, page, RIVERSIDE)
    assert page.message.isVisible() and page.message.property("kind") == "error"
    assert page.message.text() == Unreachable.default_message
    assert page.try_again.isVisible() and page.try_again.accessibleName() == "Try again"
    assert not page.body.isVisible()  # never an empty table that looks like "nothing there"

    page.source.error = RuntimeError("sqlite3.OperationalError: database is locked at 0x7f")
    with qtbot.waitSignal(page.loaded, timeout=5000):
        qtbot.mouseClick(page.try_again, Qt.MouseButton.LeftButton)
    assert page.message.text() == tasks.GENERIC_MESSAGE  # never the raw exception text
    assert "sqlite3" not in page.message.text()

    page.source.error = None
    with qtbot.waitSignal(page.loaded, timeout=5000):
        qtbot.mouseClick(page.try_again, Qt.MouseButton.LeftButton)
    assert names(page) == ["Another Riverside row", "Riverside row"]
    assert page.body.isVisible() and not page.message.isVisible() and not page.try_again.isVisible()


def test_an_action_message_is_kept_through_a_reload_but_not_a_change_of_practice(qtbot, page) -> None:
    open_on(qtbot, page, RIVERSIDE)
    page.show_message("Your answer is saved on this PC.", "info")
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.reload()
    assert page.message.isVisible() and page.message.text() == "Your answer is saved on this PC."
    assert not page.try_again.isVisible()  # only a failed load offers to try again
    open_on(qtbot, page, CASTLE)
    assert not page.message.isVisible()


def test_the_empty_states(qtbot, page) -> None:
    message = page.table.findChild(QLabel, "emptyMessage")
    open_on(qtbot, page, None)
    assert message.isVisible() and message.text() == "Sign in to see your practice's records."
    page.source.rows["Z99001"] = []
    open_on(qtbot, page, RIVERSIDE)
    assert message.isVisible() and message.text() == "No things yet."
    assert page.source.reads == ["Z99001"]  # signed out, nothing was read


def test_a_page_needing_a_role_says_who_can_see_it_and_reads_nothing(qtbot, page) -> None:
    page.needs_role = "User Administrator"
    open_on(qtbot, page, RIVERSIDE)
    message = page.table.findChild(QLabel, "emptyMessage")
    assert message.isVisible()
    assert message.text() == ("Only people with the User Administrator role for Riverside Medical Practice "
                              "can see this page.")
    assert page.source.reads == [] and page.table.model.rowCount() == 0


def test_a_page_without_a_table_shows_its_empty_state_instead_of_the_body(qtbot, fresh_hub) -> None:
    notes = NotesPage()
    qtbot.addWidget(notes)
    notes.show()
    open_on(qtbot, notes, RIVERSIDE)
    assert notes.empty_label.isVisible() and notes.empty_label.text() == "Nothing noted yet."
    assert not notes.body.isVisible()


def test_select_by_key_and_the_selection_is_kept_through_a_reload(qtbot, page) -> None:
    open_on(qtbot, page, RIVERSIDE)
    assert page.select(1) and page.selected_key() == 1
    assert not page.select(99) and page.selected_key() == 1
    page.source.rows["Z99001"] = [{"id": 0, "name": "A first row"}, *ROWS["Z99001"]]
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.reload()
    assert names(page)[0] == "A first row"
    assert page.selected_key() == 1  # the same record, though it moved down a row


def test_the_hub_reloads_a_page_once_per_announcement_and_a_hidden_one_when_shown(qtbot, page) -> None:
    open_on(qtbot, page, RIVERSIDE)
    loads: list[int] = []
    page.loaded.connect(lambda: loads.append(1))
    hub().data_changed.emit(changed("offer"))  # not a kind this page shows
    assert tasks.wait_for_idle()
    assert loads == []
    hub().data_changed.emit(changed("thing", "outbox", "*"))
    assert tasks.wait_for_idle()
    assert len(loads) == 1 and page.source.reads == ["Z99001", "Z99001"]

    page.hide()
    hub().data_changed.emit(changed("thing"))
    hub().data_changed.emit(changed("*"))
    assert tasks.wait_for_idle()
    assert len(loads) == 1  # nobody is looking: nothing read yet
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.show()
    assert tasks.wait_for_idle()
    assert len(loads) == 2  # once for both announcements


def test_today_is_what_the_window_passes_in(qtbot, page) -> None:
    seen: list[date] = []

    def loader(access: PracticeAccess | None, today: date) -> Callable[[], list[Any]]:
        seen.append(today)
        return lambda: page.columns(access) and []

    page.today = lambda: date(2026, 4, 8)  # the service's date, as Profile.server_today gives it
    page.loader = loader  # type: ignore[method-assign]
    page.show_result = lambda _rows: None  # type: ignore[method-assign]
    open_on(qtbot, page, RIVERSIDE)
    assert seen == [date(2026, 4, 8)]


def test_help_opts_out_of_per_practice_loading_but_has_the_frame(qtbot, fresh_hub) -> None:
    from app.views.help_page import HelpPage, InstallationFacts

    help_page = HelpPage()
    qtbot.addWidget(help_page)
    help_page.show()
    help_page.show_facts(InstallationFacts("1.0", "https://cqrs.example", "nobody", "data", "log", "here"))
    assert help_page.browser.toPlainText() == ""  # the guide is read on the worker, not in the constructor
    open_on(qtbot, help_page, None)  # the same whoever is signed in
    assert "Using CQRS Desktop" in help_page.browser.toPlainText()
    assert "https://cqrs.example" in help_page.browser.toPlainText()
    assert help_page.findChild(QLabel, "pageHeading").text() == "Help"
    loads: list[int] = []
    help_page.loaded.connect(lambda: loads.append(1))
    help_page.show_practice(RIVERSIDE)
    assert tasks.wait_for_idle()
    assert loads == []  # another practice changes nothing: nothing is read again
