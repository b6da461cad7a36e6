"""The Declarations page after issue 12: declaring several at once in one confirmation, the selection kept
on the row declared and the message worded from where each declaration has got to, "Missed" apart from
what can still be declared, no declaring while the offer is pending, and a warning before declaring £0.00.

The cache is filled as in test_declarations_page.py, plus the demo's pending weight-management offer, the
practice record naming its commissioner and, where said, a month of shingles that pays nothing.
"""

from __future__ import annotations

from typing import Any

import pytest
import test_declarations_page as base
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QComboBox, QLabel, QMessageBox, QTableWidget
from qof_records import FEBRUARY, MARCH, change, claim
from test_declarations_page import DECLARER_WITHOUT_MONEY, MANAGER, ODS, PRACTICE, select, shown_rows

from app.services import cache_store, declarations, outbox, tasks
from app.services import format as fmt
from app.signals import changed, hub
from app.views.declarations_page import DeclarationsPage
from app.views.declare_many_dialog import DeclareManyDialog

# The page's fixtures, shared with the page's first tests.
filled, open_page, confirm = base.filled, base.open_page, base.confirm
OWNER = "practice.manager@nhs.net"
WM_OFFER = {"id": 24, "service": "WM", "status": "pending", "start_date": "2025-04-01",
            "end_date": "2026-03-31", "response_deadline": "2026-04-30", "participation_only": False,
            "responded_at": None}
ICB = "NHS Example ICB"


@pytest.fixture
def demo_like(filled: None) -> None:
    cache_store.apply_feed_page(ODS, [
        change("offer", 24, WM_OFFER),
        change("practice", ODS, {"ods": ODS, "name": PRACTICE,
                                 "commissioner": {"ods": "Z9X", "name": ICB, "kind": "commissioner"}})], 200)


def _zero_shingles() -> None:
    cache_store.apply_feed_page(ODS, [change("result", f"SHING:{MARCH.isoformat()}",
                                             claim("SHING", MARCH, {"DOSES": 0}))], 201)


def _choose(page: DeclarationsPage, name: str) -> None:
    page.filter.setCurrentIndex(declarations.FILTERS.index(name))
    QApplication.processEvents()


def _reloaded(qtbot: Any, page: DeclarationsPage, *kinds: str) -> None:
    """What a sync does once it has pushed and pulled: one announcement; the page reloads."""
    assert tasks.wait_for_idle()
    QApplication.processEvents()
    with qtbot.waitSignal(page.loaded, timeout=5000):
        hub().data_changed.emit(changed(*kinds))


def _sent(key: str, service: str, status: str = declarations.AWAITING_COMMISSIONER,
          number: int = 300) -> None:
    """The push succeeded, and the pull brought back the declaration as CQRS now has it."""
    outbox.mark_sent(key)
    record = {"id": number, "service": service, "achievement_date": MARCH.isoformat(), "status": status,
              "points": "0", "snapshot": {}, "declared_at": "2026-04-08T09:05:00+00:00",
              "history": [{"status": status, "at": "2026-04-08T09:05:00+00:00", "by": OWNER}]}
    cache_store.apply_feed_page(ODS, [change("declaration", number, record)], 300 + number)


class Dialogs:
    """Stands in for the dialog's modal loop at the Qt boundary: the dialog is built as users see it."""

    def __init__(self) -> None:
        self.shown: list[DeclareManyDialog] = []
        self.before_answer = lambda dialog: None
        self.answer = DeclareManyDialog.DialogCode.Accepted

    def exec_(self, dialog: DeclareManyDialog) -> int:
        self.shown.append(dialog)
        self.before_answer(dialog)
        return self.answer


@pytest.fixture
def dialogs(monkeypatch: pytest.MonkeyPatch) -> Dialogs:
    stand_in = Dialogs()
    monkeypatch.setattr(DeclareManyDialog, "exec", lambda dialog: stand_in.exec_(dialog))
    return stand_in


def _lines(dialog: DeclareManyDialog) -> list[tuple[str, ...]]:
    table = dialog.table
    return [tuple(table.item(row, column).text() for column in range(table.columnCount()))
            for row in range(table.rowCount())]


def _dialog_texts(dialog: DeclareManyDialog) -> list[str]:
    texts = [label.text() for label in dialog.findChildren(QLabel)]
    texts += [button.text() for button in dialog.findChildren(QAbstractButton)]
    texts += [combo.itemText(i) for combo in dialog.findChildren(QComboBox) for i in range(combo.count())]
    for table in dialog.findChildren(QTableWidget):
        texts += [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
        cells = [table.item(r, c) for r in range(table.rowCount()) for c in range(table.columnCount())]
        texts += [item.text() for item in cells] + [item.toolTip() for item in cells]
    return texts


# --- point 9: no declaring while the offer is pending; a warning before declaring £0.00 ---------------

def test_a_service_whose_offer_is_pending_shows_why_and_cannot_be_declared_until_accepted(
        demo_like, open_page, qtbot) -> None:
    page = open_page(MANAGER)
    row = select(page, "WM", MARCH)
    assert row.payment is not None and row.payment > 0  # the claim is shown ...
    assert not page.declare_button.isEnabled()  # ... but cannot be declared
    assert page.hint.text().startswith("Not paid until the offer of Weight management referrals is accepted")
    assert "Service Management" in page.hint.text() and "Offers page" in page.hint.text()
    assert ("Cannot be paid until its offer is accepted (Offers page). Declare by 24 Apr 2026."
            in page.history_details.text())
    assert row.next_step.startswith("Cannot be paid until its offer is accepted")

    cache_store.apply_feed_page(ODS, [change("offer", 24, {**WM_OFFER, "status": "accepted"})], 250)
    _reloaded(qtbot, page, "offer")  # a sync pulled the acceptance
    assert page.selected().key == row.key and page.declare_button.isEnabled()
    assert page.hint.text() == "Declare by 24 Apr 2026."


@pytest.mark.parametrize(("roles", "expected"), [
    (MANAGER, "This declaration is for £0.00: nothing will be paid for it."),
    (DECLARER_WITHOUT_MONEY, "There is nothing to be paid for this declaration.")])
def test_a_declaration_that_pays_nothing_is_warned_about_before_declaring(demo_like, open_page, confirm,
                                                                          roles, expected) -> None:
    _zero_shingles()
    confirm.answer = QMessageBox.StandardButton.Cancel
    page = open_page(roles)
    select(page, "SHING", MARCH)
    page.declare_button.click()
    [box] = confirm.shown
    assert f"Warning: {expected}" in box.informativeText()
    assert box.icon() == QMessageBox.Icon.Warning
    if roles == DECLARER_WITHOUT_MONEY:
        assert "£" not in box.informativeText() + box.text()
    select(page, "LDHC", MARCH)
    page.declare_button.click()
    assert "Warning" not in confirm.shown[-1].informativeText()  # only where nothing is paid


# --- point 6: several at once ---------------------------------------------------------------------

def test_declare_several_lists_each_with_its_figures_and_queues_one_item_each(demo_like, open_page, dialogs,
                                                                               qtbot) -> None:
    _zero_shingles()
    page = open_page(MANAGER)
    select(page, "LDHC", MARCH)
    heard: list[frozenset[str]] = []
    hub().data_changed.connect(heard.append)
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.declare_many_button.click()
    [dialog] = dialogs.shown
    assert dialog.scope.currentText() == "Everything due for March 2026 (3)"  # the selected row's month
    rows = {row.key: row for row in shown_rows(page)}
    qof_row = rows[f"QOF:{MARCH}"]
    assert sorted(_lines(dialog)) == sorted([
        ("Learning disabilities health checks", "31 Mar 2026", "—", fmt.money(rows[f"LDHC:{MARCH}"].payment),
         ""),
        ("Quality and Outcomes Framework", "31 Mar 2026", fmt.points(qof_row.points),
         fmt.money(qof_row.payment), "Declared again after a recalculation"),
        ("Shingles", "31 Mar 2026", "—", "£0.00", "£0.00: nothing will be paid")])
    assert dialog.warning.text().startswith("Warning: 1 of these is for £0.00")
    assert dialog.held.text() == ("Not included, because they cannot be declared yet:\n• Weight management "
                                  "referrals for 31 Mar 2026: Cannot be paid until its offer is accepted "
                                  "(Offers page).")
    assert [dialog.scope.itemText(i) for i in range(dialog.scope.count())] == [
        "Everything due for March 2026 (3)", "Everything that can be declared in “All” (3)"]

    assert tasks.wait_for_idle()
    items = outbox.items(ODS)
    assert sorted(item.body["service"] for item in items) == ["LDHC", "QOF", "SHING"]
    assert {(item.kind, item.method, item.owner) for item in items} == {("declaration", "POST", OWNER)}
    assert heard == [frozenset({"declaration", "outbox"})]  # one announcement: one sync sends them all
    assert page.message.text() == "Of 3 declarations: 3 waiting on this PC, to be sent at the next sync."
    assert page.selected().key == f"LDHC:{MARCH}"
    assert not page.declare_button.isEnabled() and not page.declare_many_button.isEnabled()


def test_unticked_lines_are_not_declared_and_cancel_declares_nothing(demo_like, open_page, dialogs) -> None:
    page = open_page(MANAGER)
    dialogs.answer = DeclareManyDialog.DialogCode.Rejected
    page.declare_many_button.click()
    assert tasks.wait_for_idle() and outbox.items(ODS) == []

    dialogs.answer = DeclareManyDialog.DialogCode.Accepted
    dialogs.before_answer = lambda dialog: dialog.table.item(0, 0).setCheckState(Qt.CheckState.Unchecked)
    page.declare_many_button.click()
    dialog = dialogs.shown[-1]
    assert dialog.declare_button.text() == "&Declare 2"
    assert tasks.wait_for_idle()
    assert len(outbox.items(ODS)) == 2


def test_a_refused_one_stops_none_of_the_others_and_the_message_says_which(demo_like, open_page, dialogs,
                                                                            qtbot) -> None:
    page = open_page(MANAGER)

    def meanwhile(_dialog: DeclareManyDialog) -> None:  # another window declares shingles first
        outbox.enqueue(ODS, "declaration", "POST", f"/practices/{ODS}/declarations",
                       {"service": "SHING", "achievement_date": MARCH.isoformat()}, owner=OWNER)
    dialogs.before_answer = meanwhile
    page.declare_many_button.click()
    assert tasks.wait_for_idle()
    QApplication.processEvents()
    qtbot.waitUntil(lambda: "not declared" in page.message.text(), timeout=5000)
    assert page.message.property("kind") == "error"
    assert page.message.text() == (
        "Of 3 declarations: 2 waiting on this PC, to be sent at the next sync; 1 not declared (the others "
        "are not affected).\n"
        "• Shingles for 31 Mar 2026: Shingles for 31 Mar 2026 is already declared on this PC and waiting to "
        "be sent.")
    assert len(outbox.items(ODS)) == 3

    # CQRS then refuses one of those sent; the other goes through.
    by_service = {item.body["service"]: item for item in outbox.items(ODS)}
    outbox.mark_failed(by_service["LDHC"].key, "Accept the offer for LDHC first: CQRS pays nothing until it "
                                                "is accepted.")
    _sent(by_service["QOF"].key, "QOF")
    _reloaded(qtbot, page, "declaration", "outbox")
    text = page.message.text()
    assert text.startswith("Of 3 declarations: 1 sent to CQRS (now with your commissioner for approval); "
                           "2 not declared (the others are not affected).\n")
    assert "\n• Learning disabilities health checks for 31 Mar 2026: Accept the offer for LDHC first" in text
    assert "\n• Shingles for 31 Mar 2026: " in text and text.count("•") == 2
    assert "waiting" not in text.split("\n")[0]


def test_declare_several_shows_no_money_to_a_role_without_it(demo_like, open_page, dialogs) -> None:
    _zero_shingles()
    page = open_page(DECLARER_WITHOUT_MONEY)
    dialogs.answer = DeclareManyDialog.DialogCode.Rejected
    page.declare_many_button.click()
    [dialog] = dialogs.shown
    texts = _dialog_texts(dialog)
    assert [text for text in texts if "£" in text] == []
    assert "Payment" not in texts
    assert dialog.warning.text().startswith("Warning: 1 of these has nothing to be paid.")
    assert ("Shingles", "31 Mar 2026", "—", "Nothing to be paid") in _lines(dialog)


def test_declare_several_is_only_for_declaration_management(demo_like, open_page) -> None:
    page = open_page(("View",))
    assert not page.declare_many_button.isVisible()


# --- point 7: the selection stays; the message follows the declaration ---------------------------------

def test_after_declaring_the_selection_stays_and_the_message_says_sent_once_sent(demo_like, open_page,
                                                                                 confirm, qtbot) -> None:
    page = open_page(MANAGER)
    _choose(page, declarations.NEEDS_DECLARING)
    select(page, "LDHC", MARCH)
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.declare_button.click()
    assert tasks.wait_for_idle()
    QApplication.processEvents()
    assert page.selected().key == f"LDHC:{MARCH}"
    assert page.message.text() == ("Learning disabilities health checks for 31 Mar 2026 is declared on this "
                                   "PC and will be sent to CQRS at the next sync.")
    [item] = outbox.items(ODS)

    _sent(item.key, "LDHC")
    _reloaded(qtbot, page, "declaration", "outbox")
    row = page.selected()
    assert row is not None and row.key == f"LDHC:{MARCH}"  # still the row declared, though now with the ICB
    assert row.stage == declarations.WITH_COMMISSIONER and not page.declare_button.isEnabled()
    assert page.message.text() == ("Learning disabilities health checks for 31 Mar 2026 has been sent to "
                                   "CQRS. It is now with your commissioner for approval.")
    _choose(page, declarations.ALL)
    _choose(page, declarations.NEEDS_DECLARING)  # chosen afresh, the list shows just what it says
    assert f"LDHC:{MARCH}" not in {row.key for row in shown_rows(page)}


def test_sent_but_not_yet_pulled_says_sent_not_waiting(demo_like, open_page, confirm, qtbot) -> None:
    page = open_page(MANAGER)
    select(page, "LDHC", MARCH)
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.declare_button.click()
    assert tasks.wait_for_idle()
    [item] = outbox.items(ODS)
    outbox.mark_sent(item.key)  # pushed; the pull has not come back yet
    _reloaded(qtbot, page, "outbox")
    assert page.message.text() == ("Learning disabilities health checks for 31 Mar 2026 has been sent to "
                                   "CQRS. It shows as declared here after the next sync.")
    assert page.selected().key == f"LDHC:{MARCH}" and not page.declare_button.isEnabled()  # not twice
    assert page.hint.text() == "Sent to CQRS: it shows as declared here after the next sync."


# --- point 8: "Missed" apart from what can still be declared -----------------------------------------

def test_missed_has_its_own_list_with_a_line_saying_what_it_means_and_who_to_contact(demo_like,
                                                                                      open_page) -> None:
    page = open_page(MANAGER)
    assert not page.missed_label.isVisible()
    _choose(page, declarations.NEEDS_DECLARING)
    assert {row.achievement_date for row in shown_rows(page)} == {MARCH}
    assert not page.missed_label.isVisible()
    _choose(page, declarations.MISSED)
    assert page.filter.currentText() == "Missed (7)"  # January's QOF result is not a claim: never missed
    assert page.missed_label.isVisible()
    assert page.missed_label.text() == (
        "Missed: the deadline for declaring these passed before they were declared, so CQRS will not accept "
        f"them now and they will not be paid. If you think one should still be paid, contact your "
        f"commissioner ({ICB}) as soon as you can.")
    select(page, "FLU", FEBRUARY)
    assert not page.declare_button.isEnabled() and page.hint.text() == "Declaring closed on 24 Mar 2026."
    assert "Missed: declaring closed before this was declared" in page.history_details.text()


# --- room at large text ------------------------------------------------------------------------------

@pytest.mark.parametrize("text_scale", [2.0], indirect=True, ids=["200%"])
def test_with_200_percent_text_in_the_room_of_a_1024_by_768_window_a_few_rows_show(
        demo_like, open_page, text_scale, qtbot) -> None:
    page = open_page(MANAGER)
    page.resize(750, 600)  # what the window leaves the page at 1024×768
    select(page, "LDHC", MARCH)
    qtbot.wait(400)  # the page's and the table's layout timers
    view = page.table.view
    whole = [row for row in range(view.model().rowCount())
             if view.rowViewportPosition(row) >= 0
             and view.rowViewportPosition(row) + view.rowHeight(row) <= view.viewport().height()]
    assert len(whole) >= 3
    for button in (page.declare_button, page.declare_many_button):
        assert button.width() >= button.sizeHint().width() - 2  # not cut
    assert page.history_box.isVisible() and page.history_box.height() >= page.history_title.height()
