"""app.views.declarations_page: the table of services and periods with their status and next step, the
history of the selected row, Declare… for Declaration Management only, the confirmation that says exactly
what is declared, sent-back rows marked in words and colour, and no money for users without Finance View.

The cache is filled as a sync fills it: results built by the central service's own builders
(tests/qof_records.py), declarations with their history, and the 2025/26 timetable.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QWidget,
)
from qof_records import FEBRUARY, JANUARY, MARCH, change, feed_changes, qof, results

from app.models.outbox import OutboxStatus
from app.services import cache_store, declarations, outbox, tasks
from app.services import format as fmt
from app.services.profile import DECLARATION_MANAGEMENT, FINANCE_VIEW, PracticeAccess
from app.signals import hub
from app.views.declarations_page import SENT_BACK, DeclarationsPage
from central.timetable_plan import national_timetable

ODS = "Z99001"
PRACTICE = "Riverside Medical Practice"
TODAY = date(2026, 4, 8)  # March can be declared until 24 Apr 2026
MANAGER = ("View", FINANCE_VIEW, DECLARATION_MANAGEMENT)
VIEW_ONLY = ("View",)
DECLARER_WITHOUT_MONEY = ("View", DECLARATION_MANAGEMENT)
QOF_NAME = "Quality and Outcomes Framework"
LDHC_NAME = "Learning disabilities health checks"
AWAITING_PROVIDER = "Awaiting Service Provider Approval"
AWAITING_COMMISSIONER = "Awaiting Commissioning Organisation Approval"
PRACTICE_MANAGER = "helen.marsh@nhs.net"
APPROVER, FINANCE = "a.okafor@nhs.net", "j.whitfield@nhs.net"


def _step(status: str, at: str, by: str) -> dict[str, str]:
    return {"status": status, "at": at, "by": by}


def _declaration(number: int, service: str, when: date, status: str, history: list[dict[str, str]]
                 ) -> dict[str, Any]:
    result = next(r for r in results()
                  if r["service"] == service and r["achievement_date"] == when.isoformat())
    return {"id": number, "service": service, "achievement_date": when.isoformat(), "status": status,
            "points": result.get("points", "0"), "payment": result["payment"], "snapshot": {},
            "history": history, "declared_at": history[0]["at"], "updated_at": history[-1]["at"]}


# February's QOF (declared before QOF was declared for its year end only: old data, shown as it is) and LD
# health checks are paid; March's QOF was declared, then sent back by a recalculation (in British Summer
# Time, so the history shows 11:02 for 10:02 UTC); March's flu is with the commissioner; the rest are not
# declared. January's QOF result tracks progress and is not a claim, so it is not listed.
PAID_HISTORY = [_step(AWAITING_COMMISSIONER, "2026-03-10T10:12:00+00:00", PRACTICE_MANAGER),
                _step("Approved", "2026-03-16T14:30:00+00:00", APPROVER),
                _step("Finance Approved", "2026-03-20T16:05:00+00:00", FINANCE),
                _step("Paid", "2026-03-31T09:00:00+00:00", FINANCE)]
DECLARATIONS = [
    _declaration(201, "QOF", FEBRUARY, "Paid", PAID_HISTORY),
    _declaration(202, "LDHC", FEBRUARY, "Paid", PAID_HISTORY),
    _declaration(203, "QOF", MARCH, AWAITING_PROVIDER,
                 [_step(AWAITING_COMMISSIONER, "2026-04-03T10:02:00+00:00", PRACTICE_MANAGER),
                  _step(AWAITING_PROVIDER, "2026-04-06T07:15:00+00:00", "system")]),
    _declaration(204, "FLU", MARCH, AWAITING_COMMISSIONER,
                 [_step(AWAITING_COMMISSIONER, "2026-04-03T10:05:00+00:00", PRACTICE_MANAGER)]),
]


def _events() -> list[dict[str, Any]]:
    return [change("timetable_event", number, {
        "id": number, "year": "2025-26", "kind": event.kind, "title": event.title,
        "starts": event.starts.isoformat(), "ends": event.ends.isoformat(), "service": event.service,
        "achievement_date": event.achievement_date.isoformat() if event.achievement_date else None})
        for number, event in enumerate(national_timetable("2025-26"), start=1)]


@pytest.fixture
def filled(fresh_hub: None) -> None:
    # The sent-back QOF declaration was made before March was recalculated, and February's LD health
    # checks were paid before a later extract changed them: the declared figures differ from the results.
    older = {203: {"points": "70", "payment": "15000"}, 202: {"payment": "7000"}}
    cache_store.apply_feed_page(ODS, [
        *feed_changes(ODS), *_events(),
        *(change("declaration", d["id"], {**d, **older.get(d["id"], {})}) for d in DECLARATIONS)], 100)


@pytest.fixture
def open_page(filled: None, qtbot: Any) -> Callable[..., DeclarationsPage]:
    def open_(roles: tuple[str, ...] = MANAGER) -> DeclarationsPage:
        page = DeclarationsPage()
        page.today = lambda: TODAY
        page.owner = "practice.manager@nhs.net"
        qtbot.addWidget(page)
        page.resize(1024, 768)
        page.show()
        qtbot.waitExposed(page)
        with qtbot.waitSignal(page.loaded, timeout=5000):
            page.show_practice(PracticeAccess(ODS, PRACTICE, roles))
        QApplication.processEvents()
        return page
    return open_


class Confirmations:
    """The confirmation boxes the page opened, and the answer each gets (Declare unless told otherwise)."""

    def __init__(self) -> None:
        self.shown: list[QMessageBox] = []
        self.answer = QMessageBox.StandardButton.Yes

    def exec_(self, box: QMessageBox) -> int:
        self.shown.append(box)
        return self.answer


@pytest.fixture
def confirm(monkeypatch: pytest.MonkeyPatch) -> Confirmations:
    """Stands in for the modal loop at the Qt boundary: the box is built exactly as users see it."""
    confirmations = Confirmations()
    monkeypatch.setattr(QMessageBox, "exec", lambda box: confirmations.exec_(box))
    return confirmations


def headers(page: DeclarationsPage) -> list[str]:
    model = page.table.model
    return [model.headerData(section, Qt.Orientation.Horizontal) for section in range(model.columnCount())]


def shown_rows(page: DeclarationsPage) -> list[declarations.DeclarationRow]:
    return page.table.shown_rows()


def select(page: DeclarationsPage, service: str, when: date) -> declarations.DeclarationRow:
    for position, row in enumerate(shown_rows(page)):
        if row.service == service and row.achievement_date == when:
            page.table.view.selectRow(position)
            QApplication.processEvents()
            assert page.selected() == row
            return row
    raise AssertionError(f"{service} {when} is not shown")


def cell(page: DeclarationsPage, row: declarations.DeclarationRow, title: str,
         role: Qt.ItemDataRole = Qt.ItemDataRole.DisplayRole) -> Any:
    position = shown_rows(page).index(row)
    return page.table.proxy.index(position, headers(page).index(title)).data(role)


def history_texts(page: DeclarationsPage) -> list[tuple[str, ...]]:
    table = page.history
    return [tuple(table.item(row, column).text() for column in range(table.columnCount()))
            for row in range(table.rowCount())]


def every_text(page: DeclarationsPage) -> list[str]:
    """Everything the page can show: labels, buttons, choices, and every cell, tooltip and header, and the
    history of every row in turn."""
    texts = [label.text() for label in page.findChildren(QLabel)]
    texts += [text for button in page.findChildren(QAbstractButton)
              for text in (button.text(), button.toolTip())]
    texts += [combo.itemText(i) for combo in page.findChildren(QComboBox) for i in range(combo.count())]
    texts += [widget.toolTip() for widget in page.findChildren(QWidget)]
    texts += headers(page)
    proxy = page.table.proxy
    for position, row in enumerate(shown_rows(page)):
        for column in range(proxy.columnCount()):
            index = proxy.index(position, column)
            texts += [str(index.data(Qt.ItemDataRole.DisplayRole) or ""),
                      str(index.data(Qt.ItemDataRole.ToolTipRole) or "")]
        select(page, row.service, row.achievement_date)
        texts += [page.history_title.text(), page.history_details.text()]
        texts += [text for line in history_texts(page) for text in line]
        texts += [page.history.item(r, c).toolTip() for r in range(page.history.rowCount())
                  for c in range(page.history.columnCount())]
    return texts


# --- money and roles ----------------------------------------------------------------------------------

def test_no_money_anywhere_for_a_user_without_finance_view(open_page) -> None:
    page = open_page(VIEW_ONLY)
    # Flu, shingles, LD checks, weight management x 3 months, QOF's year end and February's old declaration.
    assert len(shown_rows(page)) == 14
    texts = every_text(page)
    assert [text for text in texts if "£" in text] == []
    assert "Payment" not in headers(page)
    assert all(row.payment is None and row.declared_payment is None for row in shown_rows(page))


def test_finance_view_sees_the_payment(open_page) -> None:
    page = open_page(MANAGER)
    assert headers(page) == ["Achievement date", "Service", "Points", "Payment", "Status", "Next step"]
    february = next(row for row in shown_rows(page)
                    if row.service == "QOF" and row.achievement_date == FEBRUARY)
    assert cell(page, february, "Payment") == fmt.money(qof(FEBRUARY)["payment"])
    checks = next(row for row in shown_rows(page)
                  if row.service == "LDHC" and row.achievement_date == FEBRUARY)
    assert (cell(page, checks, "Points"), cell(page, checks, "Payment")) == ("—", "£7,000.00")  # as paid
    assert any("£" in text for text in every_text(page))


def test_declare_is_only_for_declaration_management(open_page) -> None:
    for roles in (VIEW_ONLY, ("View", FINANCE_VIEW)):
        page = open_page(roles)
        assert not page.declare_button.isVisible()
        assert page.hint.text() == ("Only people with the Declaration Management role for Riverside Medical "
                                    "Practice can declare.")
    page = open_page(DECLARER_WITHOUT_MONEY)
    assert page.declare_button.isVisible()
    select(page, "LDHC", MARCH)
    assert page.declare_button.isEnabled() and page.hint.text() == "Declare by 24 Apr 2026."
    select(page, "FLU", MARCH)
    assert not page.declare_button.isEnabled()
    assert page.hint.text() == "Declared; waiting for the commissioner to approve it."
    select(page, "QOF", FEBRUARY)
    assert not page.declare_button.isEnabled() and page.hint.text() == "Paid."


# --- declaring ----------------------------------------------------------------------------------------

def test_the_confirmation_says_exactly_what_is_declared(open_page, confirm) -> None:
    confirm.answer = QMessageBox.StandardButton.Cancel
    page = open_page(MANAGER)
    row = select(page, "QOF", MARCH)
    page.declare_button.click()

    [box] = confirm.shown
    assert box.text() == f"Declare {QOF_NAME} for 31 Mar 2026?"
    summary = box.informativeText()
    assert f"Service: {QOF_NAME}\nAchievement date: 31 Mar 2026\n" in summary
    assert f"Points: {fmt.points(row.points)}\nPayment: {fmt.money(row.payment)}" in summary
    assert "sent back after a recalculation" in summary and "recalculated ones" in summary
    assert "Your commissioner will then review it and approve it before payment." in summary
    assert box.button(QMessageBox.StandardButton.Yes).text() == "Declare"
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.Cancel)
    assert tasks.wait_for_idle()
    assert outbox.items(ODS) == []  # cancelled: nothing queued


def test_the_confirmation_has_no_money_without_finance_view(open_page, confirm) -> None:
    confirm.answer = QMessageBox.StandardButton.Cancel
    page = open_page(DECLARER_WITHOUT_MONEY)
    select(page, "LDHC", MARCH)
    page.declare_button.click()
    [box] = confirm.shown
    assert box.text() == f"Declare {LDHC_NAME} for 31 Mar 2026?"
    assert "Payment" not in box.informativeText() and "£" not in box.informativeText()
    assert "Points" not in box.informativeText()  # a claim has no points


def test_confirming_queues_exactly_one_declaration_and_tells_the_hub(open_page, confirm, qtbot) -> None:
    page = open_page(MANAGER)
    changed: list[frozenset[str]] = []
    hub().data_changed.connect(changed.append)
    select(page, "LDHC", MARCH)
    with qtbot.waitSignal(page.loaded, timeout=5000), \
            qtbot.waitSignal(hub().queued, timeout=5000) as queued:
        page.declare_button.click()  # the page reloads itself when the service announces the write
    assert queued.args == ["declaration"]
    assert changed == [frozenset({"declaration", "outbox"})]  # announced once, by the service
    [item] = outbox.items(ODS)
    assert item.status is OutboxStatus.QUEUED and item.kind == "declaration"
    assert item.owner == "practice.manager@nhs.net"
    assert (item.method, item.path, item.body) == (
        "POST", f"/practices/{ODS}/declarations", {"service": "LDHC", "achievement_date": "2026-03-31"})
    assert len(confirm.shown) == 1
    assert not page.declare_button.isEnabled()  # not twice
    assert page.message.isVisible() and "will be sent to CQRS at the next sync" in page.message.text()
    assert tasks.wait_for_idle()

    row = page.selected()
    assert row is not None and row.key == "LDHC:2026-03-31"  # still the row that was declared
    assert row.waiting is OutboxStatus.QUEUED and cell(page, row, "Next step") == "Waiting to be sent."
    assert not page.declare_button.isEnabled() and page.hint.text() == "Waiting to be sent."
    page.declare_button.click()
    assert len(confirm.shown) == 1 and len(outbox.items(ODS)) == 1


def test_a_refusal_at_the_last_moment_is_shown_and_nothing_is_queued(open_page, confirm, qtbot) -> None:
    page = open_page(MANAGER)
    select(page, "LDHC", MARCH)
    page.today = lambda: date(2026, 4, 25)  # the deadline passed while the page was open
    queued: list[str] = []
    hub().queued.connect(queued.append)
    page.declare_button.click()
    assert tasks.wait_for_idle()
    QApplication.processEvents()
    assert page.message.isVisible() and page.message.property("kind") == "error"
    assert "Declaring closed on 24 Apr 2026." in page.message.text()
    assert outbox.items(ODS) == [] and queued == []


# --- sent back, filters and history ------------------------------------------------------------------

def test_a_sent_back_row_is_marked_in_words_and_colour(open_page) -> None:
    page = open_page(MANAGER)
    sent_back = [row for row in shown_rows(page) if row.sent_back]
    assert [(row.service, row.achievement_date) for row in sent_back] == [("QOF", MARCH)]
    row = sent_back[0]
    assert cell(page, row, "Status") == AWAITING_PROVIDER
    assert cell(page, row, "Next step") == "Sent back after a recalculation. Declare again by 24 Jun 2026."
    for title in ("Status", "Next step"):
        assert cell(page, row, title, Qt.ItemDataRole.BackgroundRole) == QColor(SENT_BACK)
    assert "needs to be declared again" in cell(page, row, "Status", Qt.ItemDataRole.ToolTipRole)
    others = [other for other in shown_rows(page) if not other.sent_back]
    assert all(cell(page, other, "Status", Qt.ItemDataRole.BackgroundRole) is None for other in others)
    select(page, "QOF", MARCH)
    assert page.declare_button.isEnabled()
    assert "Last declared on 3 Apr 2026: 70.00 points, £15,000.00." in page.history_details.text()
    assert f"Now calculated: {fmt.points(row.points)} points, {fmt.money(row.payment)}." in \
        page.history_details.text()


def test_the_status_filter(open_page) -> None:
    page = open_page(MANAGER)
    # March can still be declared (until 24 Apr); January's and February's windows have closed.
    assert [page.filter.itemText(i) for i in range(page.filter.count())] == [
        "Needs declaring (4)", "Missed (7)", "With the commissioner (1)", "Paid (2)", "All (14)"]

    def choose(name: str) -> list[declarations.DeclarationRow]:
        page.filter.setCurrentIndex(declarations.FILTERS.index(name))
        QApplication.processEvents()
        return shown_rows(page)

    needs = choose(declarations.NEEDS_DECLARING)
    assert len(needs) == 4 and {row.status for row in needs} == {"Not declared", AWAITING_PROVIDER}
    assert {row.achievement_date for row in needs} == {MARCH}
    assert [row.service for row in needs if row.sent_back] == ["QOF"]
    missed = choose(declarations.MISSED)
    assert len(missed) == 7 and {row.achievement_date for row in missed} == {JANUARY, FEBRUARY}
    assert "QOF" not in {row.service for row in missed}  # January's QOF result is not a claim
    assert all(row.next_step.startswith("Declaring closed on") for row in missed)
    assert [(row.service, row.status) for row in choose(declarations.WITH_COMMISSIONER)] == [
        ("FLU", AWAITING_COMMISSIONER)]
    assert {row.service for row in choose(declarations.PAID_STAGE)} == {"QOF", "LDHC"}
    assert len(choose(declarations.ALL)) == 14
    choose(declarations.NEEDS_DECLARING)  # the text filter narrows what the status filter shows
    text_filter = next(edit for edit in page.table.findChildren(QLineEdit)
                       if edit.accessibleName() == "Filter declarations")
    text_filter.setText("sent back")
    QApplication.processEvents()
    assert page.table.proxy.rowCount() == 1


def test_the_history_says_who_did_what_and_when(open_page) -> None:
    page = open_page(MANAGER)
    select(page, "QOF", FEBRUARY)
    assert page.history_title.text() == f"{QOF_NAME}, 28 Feb 2026"
    assert history_texts(page) == [
        ("10 Mar 2026, 10:12", f"Declared by the practice: {AWAITING_COMMISSIONER}", PRACTICE_MANAGER),
        ("16 Mar 2026, 14:30", "Approved", APPROVER),
        ("20 Mar 2026, 16:05", "Finance Approved", FINANCE),
        ("31 Mar 2026, 10:00", "Paid", FINANCE)]  # 09:00 UTC is 10:00 in British Summer Time
    select(page, "QOF", MARCH)
    assert history_texts(page) == [
        ("3 Apr 2026, 11:02", f"Declared by the practice: {AWAITING_COMMISSIONER}", PRACTICE_MANAGER),
        ("6 Apr 2026, 08:15", f"Sent back after a recalculation: {AWAITING_PROVIDER}", "CQRS (automatic)")]
    select(page, "WM", MARCH)
    assert history_texts(page) == [("", "Nothing has happened yet: this has not been declared.", "")]


# --- the page interface, accessibility ----------------------------------------------------------------

def test_signed_out_and_empty_practices_still_report_loaded(fresh_hub, qtbot) -> None:
    page = DeclarationsPage()
    qtbot.addWidget(page)
    assert page.kinds == ("declaration", "result", "timetable_event", "outbox", "offer")
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.show_practice(None)
    assert page.table.model.rowCount() == 0 and not page.declare_button.isVisible()
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.show_practice(PracticeAccess("Z99009", "Empty Surgery", MANAGER))
    assert page.table.model.rowCount() == 0
    message = page.table.findChild(QLabel, "emptyMessage")
    assert message is not None and message.text().startswith("Nothing to declare yet")


def test_every_control_has_a_name_and_the_keyboard_reaches_them(open_page) -> None:
    page = open_page(MANAGER)
    select(page, "LDHC", MARCH)
    focusable = [widget for widget in page.findChildren(QWidget)
                 if widget.isVisible() and widget.focusPolicy() & Qt.FocusPolicy.TabFocus]
    assert focusable
    assert [type(widget).__name__ for widget in focusable if not widget.accessibleName()] == []
    page.filter.setFocus()
    reached, widget = [], page.filter
    for _ in range(20):
        reached.append(widget)
        widget = widget.nextInFocusChain()
        while not (widget.isVisible() and widget.focusPolicy() & Qt.FocusPolicy.TabFocus):
            widget = widget.nextInFocusChain()
        if widget is page.filter:
            break
    for needed in (page.filter, page.declare_button, page.table.view, page.history):
        assert needed in reached
