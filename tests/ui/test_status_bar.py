"""app.views.status_bar: what waits to be sent and what needs the user are counted apart, from the real
outbox (SQLite in a temp folder), and the items that need the user are named by the page that shows them."""

from __future__ import annotations

import pytest
import text_size_checks as checks
from PySide6.QtWidgets import QApplication, QMainWindow, QWidget

from app.services import outbox, tasks
from app.signals import hub
from app.views.main_window import MINIMUM_SIZE, SECTIONS
from app.views.status_bar import PAGES, StatusBar

ODS, OWNER = "Z99001", "practice.manager@nhs.net"


def _refused(kind: str, conflict: bool = False) -> str:
    item = outbox.enqueue(ODS, kind, "POST", f"/practices/{ODS}/{kind}", {"n": 1}, owner=OWNER)
    outbox.next_batch(OWNER)
    if conflict:
        outbox.mark_conflict(item.key, {"id": 1, "version": 2}, "Someone changed it first.")
    else:
        outbox.mark_failed(item.key, "The entry window closed on 12 Nov 2025.")
    return item.key


def _shown(qtbot, bar: StatusBar) -> None:
    bar.set_who("Sarah Okafor", "Riverside Medical Practice", ODS)
    assert tasks.wait_for_idle()
    QApplication.processEvents()


def test_a_conflict_is_counted_apart_from_what_waits_and_named_by_its_page(fresh_hub, qtbot) -> None:
    _refused("manual_entry", conflict=True)
    bar = StatusBar()
    qtbot.addWidget(bar)
    bar.show()
    _shown(qtbot, bar)
    assert bar.waiting.text() == "Nothing waiting to be sent"
    assert bar.attention.isVisible()
    assert bar.attention.text() == "⚠ 1 needs your attention: Manual entry"
    assert bar.attention.accessibleName() == "Items that need your attention"

    with qtbot.waitSignal(bar.attention_clicked, timeout=1000) as clicked:
        bar.attention.click()
    assert clicked.args == ["manual-entry"]


def test_the_count_follows_the_outbox_as_items_are_settled(fresh_hub, qtbot) -> None:
    key = _refused("manual_entry")
    _refused("offer_response")
    bar = StatusBar()
    qtbot.addWidget(bar)
    bar.show()
    _shown(qtbot, bar)
    assert bar.attention.text() == "⚠ 2 need your attention: Manual entry, Offers"

    outbox.resubmit(key, owner=OWNER)  # e.g. the user corrected it and queued it again
    hub().outbox_changed.emit(outbox.waiting_count())  # as the services announce it
    qtbot.waitUntil(lambda: bar.attention.text() == "⚠ 1 needs your attention: Offers", timeout=3000)
    assert bar.waiting.text() == "1 item waiting to be sent"
    with qtbot.waitSignal(bar.attention_clicked, timeout=1000) as clicked:
        bar.attention.click()
    assert clicked.args == ["offers"]


def test_nothing_needing_the_user_shows_nothing(fresh_hub, qtbot) -> None:
    outbox.enqueue(ODS, "manual_entry", "POST", f"/practices/{ODS}/manual-entries", {}, owner=OWNER)
    bar = StatusBar()
    qtbot.addWidget(bar)
    bar.show()
    _shown(qtbot, bar)
    assert bar.waiting.text() == "1 item waiting to be sent" and not bar.attention.isVisible()


def test_every_page_named_is_a_section_of_the_window() -> None:
    sections = dict(SECTIONS)
    assert all(sections.get(key) == title for key, title in PAGES.values())


@pytest.mark.parametrize("text_scale", [2.0], indirect=True, ids=["200%"])
def test_at_200_percent_text_on_1024_px_the_bar_stays_inside_the_window(fresh_hub, qtbot, text_scale) -> None:
    # Sized as the main window is on a 1024×768 screen: its minimum size is set, so the bar cannot widen it.
    window = QMainWindow()
    window.setMinimumSize(*MINIMUM_SIZE)
    window.setCentralWidget(QWidget())
    bar = StatusBar()
    window.setStatusBar(bar)
    qtbot.addWidget(window)
    window.resize(1024, 768)
    window.show()
    _shown(qtbot, bar)
    # A first sync that fails, then word that the service cannot be reached: the texts change after the
    # person was shown, and "Offline: showing saved data" is longer than "Not connected yet".
    hub().sync_started.emit()
    hub().sync_finished.emit(False, "The CQRS service could not be reached.")
    assert tasks.wait_for_idle()
    QApplication.processEvents()
    hub().online_changed.emit(False)
    QApplication.processEvents()

    assert bar.width() <= window.width()
    assert checks.everything(bar) == []
    assert bar.who.isHidden() or bar.who.geometry().right() < window.width()


def _parts(bar: StatusBar) -> list:
    return [w for w in (bar.online, bar.last_sync, bar.waiting, bar.attention, bar.who) if w.isVisible()]


@pytest.mark.parametrize(("text_scale", "whole"), [(1.0, True), (1.5, True), (2.0, False)],
                         indirect=["text_scale"], ids=["100%", "150%", "200%"])
def test_at_1024_px_each_part_is_shown_whole_or_shortened_with_its_full_text_in_the_tooltip(
        fresh_hub, qtbot, text_scale, whole) -> None:
    window = QMainWindow()
    window.setMinimumSize(*MINIMUM_SIZE)
    window.setCentralWidget(QWidget())
    bar = StatusBar()
    window.setStatusBar(bar)
    qtbot.addWidget(window)
    window.resize(1024, 768)
    window.show()
    _shown(qtbot, bar)
    hub().online_changed.emit(True)
    QApplication.processEvents()

    # The connection state and what waits are never shortened; the person and practice give way first,
    # and are still there, shortened with "…", their full text on hover.
    assert bar.online.text() == "● Online" and bar.waiting.text() == "Nothing waiting to be sent"
    full = "Sarah Okafor · Riverside Medical Practice"
    assert bar.who.isVisible() and bar.who.toolTip() == full
    assert bar.who.text() == full or (bar.who.text().endswith("…")
                                      and full.startswith(bar.who.text()[:-1]))
    if whole:  # up to 150% there is room for all of it
        assert bar.who.text() == full
    assert checks.everything(bar) == []
    for part in _parts(bar):
        assert part.mapTo(window, part.rect().topRight()).x() < window.width(), part.text()
    # Each part stands apart from the next by at least a letter's width, at any text size.
    shown = _parts(bar)
    for left, right in zip(shown, shown[1:], strict=False):
        gap = (right.x() + right.contentsMargins().left()) - (left.x() + left.width()
                                                                - left.contentsMargins().right())
        assert gap >= left.fontMetrics().averageCharWidth(), (left.text(), right.text(), gap)
