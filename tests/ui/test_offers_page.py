"""app.views.offers_page: offers from the cache, Accept / Reject for Service Management only, a
confirmation that states what the answer means for payment, and the answer queued in the outbox."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QMessageBox, QPushButton, QTableView, QWidget

from app.models.outbox import OutboxStatus
from app.services import cache_store, outbox, tasks
from app.services.profile import SERVICE_MANAGEMENT, VIEW, PracticeAccess
from app.services.rules import service_name
from app.signals import changed, hub
from app.views.offers_page import OffersPage

ODS = "Z99001"
TODAY = date(2026, 4, 8)
PERIOD = {"start_date": "2025-04-01", "end_date": "2026-03-31"}
WM = {"id": 24, "service": "WM", "status": "pending", **PERIOD, "response_deadline": "2026-04-30",
      "participation_only": False, "responded_at": None}
NCD = {"id": 25, "service": "NCD", "status": "accepted", **PERIOD, "response_deadline": None,
       "participation_only": True, "responded_at": "2025-04-02T08:00:00+00:00"}
FLU = {"id": 26, "service": "FLU", "status": "rejected", **PERIOD, "response_deadline": "2025-08-29",
       "participation_only": False, "responded_at": "2025-08-01T12:00:00+00:00"}
LATE = {"id": 27, "service": "CFLU", "status": "pending", **PERIOD, "response_deadline": "2026-04-01",
        "participation_only": False, "responded_at": None}
MANAGER = PracticeAccess(ODS, "Riverside Medical Practice", (VIEW, SERVICE_MANAGEMENT))
VIEWER = PracticeAccess(ODS, "Riverside Medical Practice", (VIEW,))
OWNER = "practice.manager@nhs.net"  # the signed-in person


def fill_cache(*records: dict[str, Any]) -> None:
    cache_store.apply_feed_page(ODS, [{"type": "offer", "id": str(r["id"]), "deleted": False, "data": r}
                                      for r in records], 10)


@pytest.fixture
def page(qtbot, fresh_hub) -> OffersPage:
    widget = OffersPage()
    widget.today = lambda: TODAY
    widget.owner = OWNER
    qtbot.addWidget(widget)
    widget.resize(1000, 600)
    widget.show()
    return widget


def open_on(qtbot, page: OffersPage, access: PracticeAccess | None) -> None:
    with qtbot.waitSignal(page.loaded, timeout=3000):
        page.show_practice(access)


def headers(page: OffersPage) -> list[str]:
    model = page.table.model
    return [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]


def cell(page: OffersPage, offer_id: int, title: str) -> str:
    model = page.table.model
    rows = [r for r in range(model.rowCount()) if model.row(r).id == offer_id]
    assert len(rows) == 1
    return model.index(rows[0], headers(page).index(title)).data()


def select(page: OffersPage, offer_id: int) -> None:
    assert page.select(offer_id)
    offer = page.selected_offer()
    assert offer is not None and offer.id == offer_id


def confirm_with(monkeypatch, answer: QMessageBox.StandardButton) -> list[tuple[str, str]]:
    """Answer Qt's confirmation box with ``answer``; returns the (title, text) of each one asked."""
    asked: list[tuple[str, str]] = []

    def question(_parent: QWidget, title: str, text: str, *_args: Any) -> QMessageBox.StandardButton:
        asked.append((title, text))
        return answer

    monkeypatch.setattr(QMessageBox, "question", question)
    return asked


# --- what the page shows ---------------------------------------------------------------------------

def test_offers_are_listed_in_words_with_participation_only_said_plainly(qtbot, page) -> None:
    fill_cache(WM, NCD, FLU, LATE)
    open_on(qtbot, page, MANAGER)

    assert page.findChild(QLabel, "pageHeading").text() == "Offers"
    assert page.table.model.rowCount() == 4
    assert [page.table.model.row(r).id for r in range(4)] == [27, 24, 26, 25]  # pending first
    assert cell(page, 24, "Service") == "Weight management referrals"
    assert cell(page, 25, "Service") == "Network Contract DES"
    assert cell(page, 24, "Status") == "Pending"
    assert cell(page, 26, "Status") == "Rejected"
    assert cell(page, 27, "Status") == "Deadline passed"
    assert cell(page, 25, "Payment claim") == "No — participation only"
    assert cell(page, 24, "Payment claim") == "Yes"
    assert cell(page, 24, "Respond by") == "30 Apr 2026"
    assert cell(page, 25, "Respond by") == "No deadline"
    assert cell(page, 26, "Responded") == "1 Aug 2025"
    assert cell(page, 24, "From") == "1 Apr 2025" and cell(page, 24, "To") == "31 Mar 2026"
    assert cell(page, 24, "Waiting to be sent") == ""


def test_nothing_to_show_still_reports_loaded(qtbot, page) -> None:
    open_on(qtbot, page, None)
    assert page.table.model.rowCount() == 0
    assert not page.accept_button.isVisible()
    open_on(qtbot, page, MANAGER)  # signed in, but nothing offered yet
    message = page.table.findChild(QLabel, "emptyMessage")
    assert message.isVisible() and "not offered any services" in message.text()


# --- who may answer, and when ----------------------------------------------------------------------

def test_without_service_management_the_buttons_are_hidden_and_the_page_says_who_can(qtbot, page) -> None:
    fill_cache(WM, NCD)
    open_on(qtbot, page, VIEWER)
    select(page, 24)
    assert not page.accept_button.isVisible() and not page.reject_button.isVisible()
    assert not page.accept_button.isEnabled()
    assert page.hint.isVisible()
    assert "Only people with the Service Management role for Riverside Medical Practice" in page.hint.text()


def test_buttons_are_enabled_only_for_a_pending_offer_still_open(qtbot, page) -> None:
    fill_cache(WM, NCD, FLU, LATE)
    open_on(qtbot, page, MANAGER)
    assert page.accept_button.isVisible() and page.reject_button.isVisible()
    assert not page.accept_button.isEnabled()  # nothing selected yet
    assert "Select a pending offer" in page.hint.text()

    select(page, 24)
    assert page.accept_button.isEnabled() and page.reject_button.isEnabled()
    assert page.hint.text() == ("Weight management referrals (1 Apr 2025 to 31 Mar 2026): "
                                "answer by 30 Apr 2026.")
    select(page, 25)
    assert not page.accept_button.isEnabled() and not page.reject_button.isEnabled()
    assert "already accepted on 2 Apr 2025" in page.hint.text()
    select(page, 27)
    assert not page.accept_button.isEnabled()
    assert "The deadline to answer this offer was 1 Apr 2026" in page.hint.text()


# --- answering -------------------------------------------------------------------------------------

def test_the_confirmation_states_what_accepting_means_and_cancel_queues_nothing(qtbot, page,
                                                                              monkeypatch) -> None:
    fill_cache(WM)
    open_on(qtbot, page, MANAGER)
    select(page, 24)
    asked = confirm_with(monkeypatch, QMessageBox.StandardButton.Cancel)
    qtbot.mouseClick(page.accept_button, Qt.MouseButton.LeftButton)

    assert len(asked) == 1
    title, text = asked[0]
    assert title == "Accept this offer?"
    assert "Weight management referrals (1 Apr 2025 to 31 Mar 2026) for Riverside Medical Practice" in text
    assert "commits the practice to deliver this service as specified" in text
    assert "paid" in text and "no payment without acceptance" in text
    assert "cannot be changed" in text
    assert tasks.wait_for_idle()
    assert outbox.items(ODS) == []
    assert page.accept_button.isEnabled()


def test_the_confirmation_of_a_rejection_says_the_practice_will_not_be_paid(qtbot, page, monkeypatch) -> None:
    fill_cache(WM)
    open_on(qtbot, page, MANAGER)
    select(page, 24)
    asked = confirm_with(monkeypatch, QMessageBox.StandardButton.Cancel)
    qtbot.mouseClick(page.reject_button, Qt.MouseButton.LeftButton)
    title, text = asked[0]
    assert title == "Reject this offer?"
    assert "will not be paid for this service this year" in text
    assert "cannot be changed" in text


def test_confirming_queues_one_answer_sends_it_at_once_and_shows_it_waiting(qtbot, page, monkeypatch) -> None:
    fill_cache(WM, NCD)
    open_on(qtbot, page, MANAGER)
    select(page, 24)
    confirm_with(monkeypatch, QMessageBox.StandardButton.Yes)
    changed: list[frozenset[str]] = []
    hub().data_changed.connect(changed.append)

    with qtbot.waitSignal(hub().queued, timeout=3000) as queued:
        qtbot.mouseClick(page.accept_button, Qt.MouseButton.LeftButton)
    assert queued.args == ["offer_response"]
    assert changed == [frozenset({"offer_response", "outbox"})]  # announced once, by the service

    items = outbox.items(ODS)
    assert len(items) == 1 and items[0].owner == OWNER
    assert (items[0].kind, items[0].method, items[0].path, items[0].body) == (
        "offer_response", "POST", f"/practices/{ODS}/offers/24/accept", None)
    assert items[0].status is OutboxStatus.QUEUED
    assert not page.accept_button.isEnabled()  # straight away, before the reload
    qtbot.waitUntil(lambda: "saved on this PC" in page.message.text(), timeout=3000)

    qtbot.waitUntil(lambda: cell(page, 24, "Waiting to be sent") == "Accept waiting to be sent", timeout=3000)
    assert page.selected_offer().id == 24  # the same offer stays selected after the reload
    assert not page.accept_button.isEnabled() and not page.reject_button.isEnabled()
    assert "already waiting to be sent" in page.hint.text()
    assert tasks.wait_for_idle()
    assert len(outbox.items(ODS)) == 1


def test_an_answer_the_service_layer_refuses_is_shown_and_nothing_more_is_queued(qtbot, page,
                                                                               monkeypatch) -> None:
    fill_cache(WM)
    open_on(qtbot, page, MANAGER)
    select(page, 24)
    # Another window on this PC answered meanwhile: the page has not reloaded yet.
    outbox.enqueue(ODS, "offer_response", "POST", f"/practices/{ODS}/offers/24/reject", None, owner=OWNER)
    confirm_with(monkeypatch, QMessageBox.StandardButton.Yes)
    queued: list[str] = []
    hub().queued.connect(queued.append)

    qtbot.mouseClick(page.accept_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "already waiting to be sent" in page.message.text(), timeout=3000)
    assert page.message.isVisible() and page.message.property("kind") == "error"
    assert queued == []
    assert len(outbox.items(ODS)) == 1
    qtbot.waitUntil(lambda: cell(page, 24, "Waiting to be sent") == "Reject waiting to be sent", timeout=3000)


def test_a_refused_answer_shows_the_services_reason(qtbot, page) -> None:
    fill_cache(WM)
    item = outbox.enqueue(ODS, "offer_response", "POST", f"/practices/{ODS}/offers/24/accept", None,
                          owner=OWNER)
    outbox.mark_failed(item.key, "You need the Service Management role for this practice to do this.")
    open_on(qtbot, page, MANAGER)
    assert cell(page, 24, "Waiting to be sent") == (
        "Accept refused: You need the Service Management role for this practice to do this.")
    select(page, 24)
    assert page.accept_button.isEnabled()  # a refused answer may be given again


def test_a_sync_that_sent_answers_reloads_the_page(qtbot, page) -> None:
    fill_cache(WM)
    open_on(qtbot, page, MANAGER)
    item = outbox.enqueue(ODS, "offer_response", "POST", f"/practices/{ODS}/offers/24/reject", None,
                          owner=OWNER)
    outbox.mark_conflict(item.key, WM, "The deadline to answer this offer was 30 Apr 2026.")
    with qtbot.waitSignal(page.loaded, timeout=3000):
        hub().data_changed.emit(changed("offer_response"))  # what the sync reports after pushing it
    assert cell(page, 24, "Waiting to be sent") == (
        "Reject refused: The deadline to answer this offer was 30 Apr 2026.")


# --- accessibility ---------------------------------------------------------------------------------

def test_every_control_has_an_accessible_name_and_takes_the_keyboard(qtbot, page) -> None:
    fill_cache(WM)
    open_on(qtbot, page, MANAGER)
    kinds = (QPushButton, QLineEdit, QTableView)
    controls = [control for kind in kinds for control in page.findChildren(kind)]
    assert {"Accept offer", "Reject offer", "offers table", "Filter offers"} <= {
        c.accessibleName() for c in controls}
    for control in controls:
        assert control.accessibleName(), control
        if control.isVisible():
            assert control.focusPolicy() & Qt.FocusPolicy.TabFocus, control.accessibleName()
    assert page.accept_button.text().startswith("&")  # Alt+A and Alt+R
    assert page.reject_button.text().startswith("&")


def test_service_names_come_from_the_rules_or_stay_as_the_code() -> None:
    assert service_name("WM") == "Weight management referrals"
    assert service_name("QOF") == "Quality and Outcomes Framework"
    assert service_name("XYZ") == "XYZ"


# --- the message follows the answer's real state (issue 12, point 10) ------------------------------

def _answer(qtbot, page: OffersPage, monkeypatch, accept: bool = True) -> str:
    """Answer offer 24 through the page; returns the outbox item's key once the page has reloaded."""
    select(page, 24)
    confirm_with(monkeypatch, QMessageBox.StandardButton.Yes)
    button = page.accept_button if accept else page.reject_button
    with qtbot.waitSignal(hub().queued, timeout=3000):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: cell(page, 24, "Waiting to be sent").endswith("waiting to be sent"), timeout=3000)
    assert tasks.wait_for_idle()
    [item] = outbox.items(ODS)
    return item.key


def _synced(qtbot, page: OffersPage, *kinds: str) -> None:
    assert tasks.wait_for_idle()
    with qtbot.waitSignal(page.loaded, timeout=3000):
        hub().data_changed.emit(changed(*kinds))


def test_once_sent_and_accepted_the_page_says_accepted_on_the_date_and_never_will_be_sent(
        qtbot, page, monkeypatch) -> None:
    fill_cache(WM)
    open_on(qtbot, page, MANAGER)
    key = _answer(qtbot, page, monkeypatch)
    assert page.message.text() == ("Your acceptance of Weight management referrals is saved on this PC and "
                                   "will be sent to CQRS as soon as the app is online.")

    outbox.mark_sent(key)  # the sync pushed it; its pull has not brought the offer back yet
    _synced(qtbot, page, "outbox")
    assert "has been sent to CQRS" in page.message.text() and "will be sent" not in page.message.text()
    assert cell(page, 24, "Status") == "Pending" and cell(page, 24, "Waiting to be sent") == ""
    select(page, 24)
    assert not page.accept_button.isEnabled() and not page.reject_button.isEnabled()  # not answered twice
    assert "has been sent to CQRS" in page.hint.text()

    fill_cache({**WM, "status": "accepted", "responded_at": "2026-04-08T09:05:00+00:00"})  # the pull
    _synced(qtbot, page, "offer", "offer_response", "outbox")
    assert page.message.text() == ("Weight management referrals: accepted on 8 Apr 2026. CQRS has the "
                                   "practice's answer.")
    assert cell(page, 24, "Status") == "Accepted" and cell(page, 24, "Waiting to be sent") == ""
    select(page, 24)
    assert "accepted on 8 Apr 2026" in page.hint.text()
    shown = page.message.text() + page.hint.text()
    assert "will be sent" not in shown and "waiting to be sent" not in shown


def test_a_refused_answer_is_said_as_refused_with_the_reason_not_as_waiting(qtbot, page, monkeypatch) -> None:
    fill_cache(WM)
    open_on(qtbot, page, MANAGER)
    key = _answer(qtbot, page, monkeypatch, accept=False)
    outbox.mark_failed(key, "The deadline to answer this offer was 30 Apr 2026.")
    _synced(qtbot, page, "offer_response", "outbox")
    assert page.message.property("kind") == "error"
    assert page.message.text() == ("CQRS did not accept your rejection of Weight management referrals: "
                                   "The deadline to answer this offer was 30 Apr 2026. Check the reason, "
                                   "then answer again.")
    assert "will be sent" not in page.message.text()


def test_an_offer_answered_elsewhere_shows_its_state_not_an_old_refusal(qtbot, page) -> None:
    item = outbox.enqueue(ODS, "offer_response", "POST", f"/practices/{ODS}/offers/24/reject", None,
                          owner=OWNER)
    outbox.mark_conflict(item.key, WM, "This offer was already accepted.")
    fill_cache({**WM, "status": "accepted", "responded_at": "2026-04-08T09:05:00+00:00"})
    open_on(qtbot, page, MANAGER)
    assert cell(page, 24, "Status") == "Accepted" and cell(page, 24, "Waiting to be sent") == ""
