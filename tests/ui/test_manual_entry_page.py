"""app.views.manual_entry_page and manual_entry_form: messages beside the fields as the user types, Save
draft with no server at all, closed windows, the second person's confirmation (when the practice's CQRS
setting asks for it), the conflict view, role gating, rejected reasons and history, and a name for every
control.

The cache is real (SQLite in a temp folder) and holds the 2025/26 national timetable; there is no server.
The second person's check is the one boundary replaced: a callable the page is given."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QStyle,
    QTableView,
    QWidget,
)

from app import settings
from app.services import cache_store, outbox, tasks
from app.services import manual_entry as me
from app.services.profile import ACHIEVEMENT_ENTRY, VIEW, PracticeAccess, Profile
from app.signals import hub
from app.views.main_window import MainWindow
from app.views.manual_entry_form import ROLE_NEEDED, CheckDialog, ConflictDialog, EntryForm
from app.views.manual_entry_page import ManualEntryPage, NewEntryDialog
from central.timetable_plan import national_timetable

ODS = "Z99001"
PRACTICE = "Riverside Medical Practice"
OCTOBER, NOVEMBER = date(2025, 10, 31), date(2025, 11, 30)
IN_WINDOW, AFTER_WINDOW = date(2025, 11, 5), date(2025, 11, 13)  # October's window is 1-12 Nov 2025
MANAGER, ICB = "helen.marsh@nhs.net", "approvals@riverside-icb.nhs.net"

OWNER = "practice.manager@nhs.net"  # the signed-in person

def _timetable() -> list[dict]:
    return [{"type": "timetable_event", "id": number, "data": {
        "id": number, "year": "2025-26", "kind": event.kind, "title": event.title,
        "starts": event.starts.isoformat(), "ends": event.ends.isoformat(), "service": event.service,
        "achievement_date": event.achievement_date.isoformat() if event.achievement_date else None}}
        for number, event in enumerate(national_timetable("2025-26"), start=1)]


def _entry(entry_id: int, service: str, when: date, values: dict, status: str = "submitted", version: int = 1,
           reason: str | None = None, history: tuple = ()) -> dict:
    return {"type": "manual_entry", "id": entry_id, "data": {
        "id": entry_id, "service": service, "achievement_date": when.isoformat(), "values": values,
        "notes": None, "status": status, "version": version, "rejection_reason": reason,
        "updated_at": "2025-11-04T16:40:00+00:00",
        "history": [{"action": action, "at": at, "by": by} for action, at, by in history]}}


def _practice(second_person_required: bool) -> dict:
    """The practice record as CQRS publishes it: its second-person rule is a practice setting."""
    return {"type": "practice", "id": ODS, "data": {"ods": ODS, "name": PRACTICE,
                                                     "second_person_required": second_person_required}}


def _claim(service: str, when: date, items: dict, list_size: int | None = None) -> list[dict]:
    """A synced claim result holding the counts CQRS has (e.g. the allocation), and the QOF list size."""
    changes = [{"type": "result", "id": f"{service}:{when.isoformat()}", "data": {
        "service": service, "achievement_date": when.isoformat(), "items": items}}]
    if list_size is not None:
        changes.append({"type": "result", "id": f"QOF:{when.isoformat()}", "data": {
            "service": "QOF", "achievement_date": when.isoformat(), "list_size": list_size}})
    return changes


@pytest.fixture
def cache(fresh_hub) -> Callable[..., None]:
    """The timetable in the cache, plus any entries given."""
    def fill(*entries: dict) -> None:
        cache_store.apply_feed_page(ODS, [*_timetable(), *entries], 100)
    fill()
    return fill


@pytest.fixture
def open_page(cache, qtbot) -> Callable[..., ManualEntryPage]:
    def open_(roles: tuple[str, ...] = (VIEW, ACHIEVEMENT_ENTRY), today: date = IN_WINDOW) -> ManualEntryPage:
        page = ManualEntryPage()
        page.today = lambda: today
        page.owner = OWNER
        qtbot.addWidget(page)
        page.resize(834, 648)
        page.show()
        qtbot.waitExposed(page)
        with qtbot.waitSignal(page.loaded, timeout=5000):
            page.show_practice(PracticeAccess(ODS, PRACTICE, roles))
        return page
    return open_


def settle() -> None:
    assert tasks.wait_for_idle()
    QApplication.processEvents()


def _new_form(page: ManualEntryPage, service: str, when: date) -> EntryForm:
    page.new_button.click()
    chooser = page.dialog
    assert isinstance(chooser, NewEntryDialog)
    chooser.when.setCurrentIndex(chooser.when.findData(when.isoformat()))
    chooser.service.setCurrentIndex(chooser.service.findData(service))
    chooser.open_button.click()
    form = page.dialog
    assert isinstance(form, EntryForm) and form.isVisible()
    return form


def _reload(page: ManualEntryPage, qtbot) -> None:
    settle()
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.reload()


def _row(page: ManualEntryPage, service: str, when: date = OCTOBER) -> me.EntryRow:
    [row] = [r for r in page.rows if r.service == service and r.achievement_date == when]
    return row


def _table_text(page: ManualEntryPage, row_number: int, title: str) -> str:
    model = page.table.proxy
    titles = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    column = titles.index(title)
    return model.index(row_number, column).data()


# --- as the user types ----------------------------------------------------------------------------------

def test_messages_appear_beside_the_fields_as_the_user_types(open_page, qtbot) -> None:
    page = open_page()
    form = _new_form(page, "LDHC", OCTOBER)
    register, message = form.inputs["LD_REG"], form.messages["LD_REG"]
    assert form.window_line.text() == "Entry window: open until 12 Nov 2025."
    assert not message.isVisible()  # nothing to say before anything is typed

    qtbot.keyClicks(register, "5x")
    assert message.isVisible() and message.text() == "Enter a whole number using digits only, such as 58."
    register.clear()
    qtbot.keyClicks(register, "58.5")
    assert message.text() == "Enter a whole number, without decimals."
    qtbot.keyClick(register, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(register, Qt.Key.Key_Backspace)
    assert message.text() == "Enter a whole number (0 if there were none)."  # required
    qtbot.keyClicks(register, "58")
    assert not message.isVisible()
    form.reject()

    wm = _new_form(page, "WM", OCTOBER)
    assert list(wm.inputs) == ["REFERRALS"] and wm.inputs["REFERRALS"].accessibleName() == "Referrals made"
    qtbot.keyClicks(wm.inputs["REFERRALS"], "2001")
    assert wm.messages["REFERRALS"].text().startswith("Must be no more than 2,000: ")


def test_the_allocation_is_shown_from_cqrs_and_referrals_above_it_are_a_warning(cache, open_page,
                                                                                 qtbot) -> None:
    cache(*_claim("WM", OCTOBER, {"ALLOCATION": 134}, list_size=1200))
    wm = _new_form(open_page(), "WM", OCTOBER)
    assert "ALLOCATION" not in wm.inputs  # the commissioner sets it, the practice never enters it
    assert wm.set_by_commissioner.text() == ("Set by your commissioner (not entered here): "
                                             "Referral allocation: 134.")
    qtbot.keyClicks(wm.inputs["REFERRALS"], "150")
    warning = wm.messages["REFERRALS"]
    assert warning.isVisible() and "only up to the allocation is paid" in warning.text()
    assert "#8a5300" in warning.styleSheet()  # a warning, not an error: it can still be sent
    qtbot.keyClicks(wm.inputs["REFERRALS"], "0")  # 1,500: above the practice's list of 1,200
    assert wm.messages["REFERRALS"].text() == ("Must be no more than the practice's list size of 1,200 "
                                               "patients.")


def test_check_before_sending_stops_at_problems_and_says_where_they_are(open_page, qtbot) -> None:
    form = _new_form(open_page(), "LDHC", OCTOBER)
    qtbot.keyClicks(form.notes, "Patient NHS 943 476 5919")
    assert "looks like an NHS number" in form.notes_message.text() and "5919" not in form.notes_message.text()
    form.check_button.click()
    assert form.check_dialog is None
    assert form.messages["LD_REG"].text() == "Enter a whole number (0 if there were none)."
    assert "need correcting" in form.form_message.text()
    assert outbox.items(ODS) == []


# --- drafts ---------------------------------------------------------------------------------------------

def test_save_draft_works_with_no_server_at_all_and_the_draft_opens_again(open_page, qtbot) -> None:
    page = open_page()
    form = _new_form(page, "WM", OCTOBER)
    qtbot.keyClicks(form.inputs["REFERRALS"], "1x")  # half typed: kept as it is
    qtbot.keyClicks(form.notes, "From the referral log")
    form.save_button.click()
    settle()
    assert "Draft saved on this PC" in form.form_message.text()
    draft = outbox.load_draft(ODS, "WM", OCTOBER)
    assert (draft.values, draft.notes) == ({"REFERRALS": "1x"}, "From the referral log")
    assert outbox.items(ODS) == []  # nothing queued, nothing sent
    form.reject()

    _reload(page, qtbot)
    row = _row(page, "WM")
    assert row.status == me.DRAFT and _table_text(page, 0, "Status") == "Draft, kept on this PC"
    assert _table_text(page, 0, "Values") == "Referrals 1x"
    page.open_entry(row)
    again = page.dialog
    assert again.inputs["REFERRALS"].text() == "1x"
    assert again.messages["REFERRALS"].text() == "Enter a whole number using digits only, such as 58."
    assert again.notes.toPlainText() == "From the referral log" and again.delete_button.isVisible()


def test_closing_the_form_with_esc_keeps_what_was_typed_as_a_draft(open_page, qtbot) -> None:
    page = open_page()
    form = _new_form(page, "LDHC", OCTOBER)
    qtbot.keyClicks(form.inputs["LD_REG"], "58")
    qtbot.keyClicks(form.notes, "From the LD register search")
    qtbot.keyClick(form, Qt.Key.Key_Escape)
    settle()
    draft = outbox.load_draft(ODS, "LDHC", OCTOBER)
    assert draft is not None
    assert (draft.values, draft.notes) == ({"LD_REG": 58}, "From the LD register search")

    untouched = _new_form(page, "WM", OCTOBER)
    untouched.reject()  # nothing typed: nothing saved
    settle()
    assert outbox.load_draft(ODS, "WM", OCTOBER) is None


# --- entry windows --------------------------------------------------------------------------------------

def test_a_closed_window_says_when_it_closed_and_offers_no_draft(open_page, qtbot) -> None:
    """Once October's window has closed, October is not offered; a draft kept before it closed opens
    read-only, says when the window closed and what to do, and can only be deleted."""
    outbox.save_draft(ODS, "LDHC", OCTOBER, {"LD_REG": 58})  # typed while the window was open
    page = open_page(today=AFTER_WINDOW)
    page.new_button.click()
    chooser = page.dialog
    assert isinstance(chooser, NewEntryDialog)
    offered = [chooser.when.itemData(i) for i in range(chooser.when.count())]
    assert OCTOBER.isoformat() not in offered and NOVEMBER.isoformat() in offered
    chooser.reject()

    page.open_entry(_row(page, "LDHC"))
    form = page.dialog
    assert isinstance(form, EntryForm)
    assert form.window_line.text() == ("The entry window closed on 12 Nov 2025: nothing more can be "
                                       "entered, sent or kept as a draft for it. If figures are missing or "
                                       "wrong, contact your commissioner.")
    assert not form.save_button.isVisible() and not form.check_button.isEnabled()
    assert not form.inputs["LD_REG"].isEnabled() and not form.notes.isEnabled()
    assert form.delete_button.isVisible() and form.delete_button.isEnabled()
    form.check_before_sending()  # e.g. by its shortcut: refused all the same
    assert form.check_dialog is None
    assert form.form_message.text() == ("This entry cannot be sent now. "
                                        "The entry window closed on 12 Nov 2025.")
    with pytest.raises(me.EntryRefused, match="closed on 12 Nov 2025. A draft can no longer be kept"):
        me.save_draft(ODS, me.form_for("LDHC", OCTOBER), {"LD_REG": "60"}, "", AFTER_WINDOW)
    form.reject()
    settle()
    assert outbox.load_draft(ODS, "LDHC", OCTOBER).values == {"LD_REG": 58} and outbox.items(ODS) == []

    later = _new_form(page, "WM", NOVEMBER)  # not open yet: a draft can be kept until it opens
    assert later.window_line.text() == "The entry window opens on 1 Dec 2025 and closes on 12 Dec 2025."
    assert not later.check_button.isEnabled() and later.save_button.isEnabled()
    assert later.save_button.isVisible()


def test_with_every_window_closed_the_chooser_says_when_the_last_one_closed(open_page) -> None:
    page = open_page(today=date(2026, 12, 1))  # the 2025/26 timetable is all in the past
    page.new_button.click()
    chooser = page.dialog
    assert chooser.when.count() == 0 and not chooser.open_button.isEnabled()
    assert chooser.window_line.text() == (
        "No entry window is open now or opens within a month. The last one was for 31 Mar 2026: The entry "
        "window closed on 12 Apr 2026. If figures are missing or wrong, contact your commissioner.")
    assert "keep a draft" not in chooser.window_line.text()


# --- check before sending and the second person ---------------------------------------------------------

def _filled_ld_form(page: ManualEntryPage, qtbot) -> EntryForm:
    form = _new_form(page, "LDHC", OCTOBER)
    qtbot.keyClicks(form.inputs["LD_REG"], "58")
    qtbot.keyClicks(form.notes, "From the LD register report")
    return form


def test_check_before_sending_summarises_warns_and_queues(open_page, qtbot) -> None:
    page = open_page()
    form = _filled_ld_form(page, qtbot)
    sent: list[tuple[str, object]] = []
    hub().queued.connect(lambda kind: sent.append(("queued", kind)))
    hub().data_changed.connect(lambda kinds: sent.append(("changed", kinds)))
    form.check_button.click()
    check = form.check_dialog
    assert isinstance(check, CheckDialog) and check.isVisible()
    texts = [label.text() for label in check.findChildren(type(check.irreversible))]
    assert "58" in texts and "From the LD register report" in texts
    assert "cannot be changed or withdrawn" in check.irreversible.text()
    assert not check.email.isVisible()  # no second person unless the practice asks for one
    check.send_button.click()
    settle()
    [item] = outbox.items(ODS)
    assert (item.method, item.body["values"], item.body["notes"]) == ("POST", {"LD_REG": 58},
                                                                      "From the LD register report")
    assert ("queued", "manual_entry") in sent and ("changed", frozenset({"manual_entry", "outbox"})) in sent
    assert item.owner == OWNER
    assert not form.isVisible()
    _reload(page, qtbot)
    assert _row(page, "LDHC").status_text == "Queued, waiting to be sent"


def test_a_second_person_must_confirm_when_the_practice_requires_it(cache, open_page, qtbot) -> None:
    cache(_practice(True))  # the practice's setting, as synced from CQRS
    page = open_page()
    note = page.second_person_note
    assert note.isVisible() and "requires a second person" in note.text()
    asked: list[tuple] = []

    def confirm(ods: str, email: str, password: str, **checked) -> me.SecondPersonConfirmation:
        asked.append((ods, email, password, checked))
        if password != "Right-Password-1":
            raise me.SecondPersonRefused("The email address or password is not right.")
        return me.SecondPersonConfirmation("Sam Patel", "check-token-1")

    page.confirm_second_person = confirm
    form = _filled_ld_form(page, qtbot)
    form.check_button.click()
    check = form.check_dialog
    assert check.email.isVisible() and check.password.echoMode() == QLineEdit.EchoMode.Password
    check.send_button.click()
    assert check.message.text() == "Enter the second person's email address and password." and asked == []

    qtbot.keyClicks(check.email, "sam.patel@nhs.net")
    qtbot.keyClicks(check.password, "wrong")
    check.send_button.click()
    settle()
    shown = {"service": "LDHC", "achievement_date": OCTOBER, "values": {"LD_REG": 58},
             "notes": "From the LD register report"}
    assert asked == [(ODS, "sam.patel@nhs.net", "wrong", shown)]  # exactly the values shown are checked
    assert "not right" in check.message.text() and check.isVisible() and check.password.text() == ""
    assert outbox.items(ODS) == []  # not queued without the confirmation

    qtbot.keyClicks(check.password, "Right-Password-1")
    check.send_button.click()
    settle()
    assert check.confirmed_by == "Sam Patel" and not check.isVisible()
    [item] = outbox.items(ODS)
    assert item.body["values"] == {"LD_REG": 58} and item.body["second_person_check"] == "check-token-1"


def test_without_the_practices_rule_no_second_person_is_asked_for(cache, open_page, qtbot) -> None:
    cache(_practice(False))
    page = open_page()
    assert "does not require a second person" in page.second_person_note.text()
    form = _filled_ld_form(page, qtbot)
    form.check_button.click()
    assert not form.check_dialog.email.isVisible()
    form.check_dialog.send_button.click()
    settle()
    [item] = outbox.items(ODS)
    assert "second_person_check" not in item.body


# --- conflicts ------------------------------------------------------------------------------------------

def _conflict(cache) -> str:
    theirs = _entry(202, "WM", OCTOBER, {"REFERRALS": 9}, version=2)
    cache(theirs)
    item = outbox.enqueue(ODS, me.KIND, "PUT", f"/practices/{ODS}/manual-entries/202",
                          {"values": {"REFERRALS": 11}, "notes": "From the referral log",
                           "status": "submitted"}, if_match=1, owner=OWNER)
    outbox.next_batch(OWNER)
    outbox.mark_conflict(item.key, theirs["data"], "Someone changed this entry since you opened it.")
    return item.key


def test_the_conflict_view_shows_both_versions_and_keep_mine_sends_ours(cache, open_page, qtbot) -> None:
    key = _conflict(cache)
    page = open_page()
    row = _row(page, "WM")
    assert row.status == me.CONFLICT and _table_text(page, 0, "Status").startswith("Conflict:")
    page.open_entry(row)
    view = page.dialog
    assert isinstance(view, ConflictDialog)
    table = view.table
    cells = [[table.item(r, c).text() for c in range(3)] for r in range(table.rowCount())]
    assert cells[0] == ["Referrals made", "11", "9"]
    assert cells[1] == ["Notes", "From the referral log", "—"]
    assert table.horizontalHeaderItem(2).text() == "On CQRS (version 2)"
    assert table.item(0, 1).font().bold() and not table.item(1, 1).font().bold()  # what differs stands out

    with qtbot.waitSignal(hub().queued, timeout=5000):
        view.mine_button.click()
        settle()
    item = outbox.get(key)
    assert item.status.value == "queued" and item.if_match == "2" and item.body["values"]["REFERRALS"] == 11


def test_use_theirs_keeps_ours_as_a_draft(cache, open_page, qtbot) -> None:
    key = _conflict(cache)
    page = open_page()
    page.open_entry(_row(page, "WM"))
    page.dialog.theirs_button.click()
    settle()
    assert outbox.get(key) is None
    assert outbox.load_draft(ODS, "WM", OCTOBER).values == {"REFERRALS": 11}
    _reload(page, qtbot)
    assert sorted(r.status for r in page.rows) == [me.DRAFT, me.SUBMITTED]


# --- roles, reasons, history ----------------------------------------------------------------------------

def test_without_achievement_entry_the_page_says_why_and_nothing_can_be_changed(cache, open_page) -> None:
    cache(_entry(201, "LDHC", OCTOBER, {"LD_REG": 58}))
    page = open_page(roles=(VIEW,))
    assert page.role_note.isVisible() and "Achievement Entry role" in page.role_note.text()
    assert not page.new_button.isEnabled()
    page.select("entry:201")
    page.open_button.click()
    form = page.dialog
    assert form.locked_line.text() == ROLE_NEEDED
    assert not any(w.isEnabled() for w in (form.inputs["LD_REG"], form.notes, form.save_button,
                                           form.check_button))


def test_a_rejected_entry_shows_the_reason_and_its_history(cache, open_page) -> None:
    cache(_entry(188, "RSVP", date(2025, 9, 30), {"DOSES": 42}, "rejected", 2,
                 "42 doses is more than the 31 we supplied; please check the clinic list.",
                 (("manual entry created", "2025-10-07T10:02:00+00:00", MANAGER),
                  ("manual entry rejected", "2025-10-16T11:00:00+00:00", ICB))),
          _entry(201, "LDHC", OCTOBER, {"LD_REG": 58}, "approved", 2))
    page = open_page()
    assert _table_text(page, 1, "Status") == "Rejected: the reason is below"
    assert page.table.proxy.index(1, 3).data(Qt.ItemDataRole.ToolTipRole) == (
        "Rejected: 42 doses is more than the 31 we supplied; please check the clinic list.")
    assert _table_text(page, 0, "Status") == "Approved"
    assert page.select("entry:188")
    history = page.history
    rows = [[history.item(r, c).text() for c in range(3)] for r in range(history.rowCount())]
    assert rows == [["16 Oct 2025, 12:00", ICB, "Rejected"], ["7 Oct 2025, 11:02", MANAGER, "Submitted"]]
    assert "please check the clinic list" in page.detail.text()

    page.select("entry:201")
    page.open_button.click()
    assert page.dialog.locked_line.text() == ("This entry has been approved, so it can no longer be amended. "
                                              "If the approved figures are wrong, contact your commissioner.")


def test_no_practice_or_no_entries_still_reports_loaded(fresh_hub, qtbot) -> None:
    page = ManualEntryPage()
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.show_practice(None)
    assert page.rows == [] and not page.new_button.isEnabled()
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.show_practice(PracticeAccess(ODS, PRACTICE, (ACHIEVEMENT_ENTRY,)))
    assert page.rows == [] and page.choices == []  # nothing synced yet, not even the timetable
    assert set(page.kinds) == {"manual_entry", "timetable_event", "outbox"}


# --- accessibility --------------------------------------------------------------------------------------

CONTROLS = (QAbstractButton, QComboBox, QLineEdit, QPlainTextEdit, QTableView)


def _unnamed(top: QWidget) -> list[str]:
    def spoken(widget: QWidget) -> str:
        interface = QAccessible.queryAccessibleInterface(widget)
        derived = interface.text(QAccessible.Text.Name) if interface else ""
        return (widget.accessibleName() or derived).strip()

    return [f"{type(w).__name__} {w.objectName()!r}" for kind in CONTROLS for w in top.findChildren(kind)
            if w.isVisible() and not spoken(w)]


def test_every_control_has_an_accessible_name(cache, open_page, qtbot) -> None:
    cache(_practice(True))
    key = _conflict(cache)
    page = open_page()
    page.table.findChild(QLineEdit).setText("W")  # shows the filter's clear button
    assert _unnamed(page) == []
    form = _filled_ld_form(page, qtbot)
    assert _unnamed(form) == []
    form.check_button.click()
    assert _unnamed(form.check_dialog) == []
    form.check_dialog.reject()
    form.reject()
    page.open_entry(next(r for r in page.rows if r.outbox_key == key))
    assert _unnamed(page.dialog) == []


def test_a_draft_for_a_year_without_rules_is_listed_and_says_why_it_cannot_open(open_page, qtbot) -> None:
    outbox.save_draft(ODS, "LDHC", date(2027, 4, 30), {"LD_REG": 60})
    page = open_page()
    row = page.rows[0]
    assert (row.service_name, _table_text(page, 0, "Values")) == ("Learning disabilities health checks",
                                                                  "LD register 60")
    page.open_entry(row)
    assert page.dialog is None and page.message.isVisible()
    assert page.message.text() == "This version of the app has no rules for 2027-28."


# --- one consistent state, the queued value at once, names in the history ------------------------------

def test_an_approved_entry_says_only_that_it_is_approved_and_who_to_contact(cache, open_page) -> None:
    cache(_entry(201, "LDHC", OCTOBER, {"LD_REG": 58}, "approved", 1))  # its window is still open
    page = open_page()
    assert page.select("entry:201")
    approved = ("This entry has been approved, so it can no longer be amended. If the approved figures are "
                "wrong, contact your commissioner.")
    assert page.detail.text() == f"Learning disabilities health checks, 31 Oct 2025: {approved}"
    page.open_button.click()
    form = page.dialog
    said = [label.text() for label in (form.window_line, form.status_line, form.locked_line)
            if label.isVisibleTo(form)]
    assert said == [approved]  # no "Entry window open", no "Sending amends version 1"
    assert not any(w.isEnabled() for w in (form.inputs["LD_REG"], form.save_button, form.check_button))


def test_a_submitted_entry_in_its_window_says_what_sending_replaces(cache, open_page) -> None:
    cache(_entry(201, "LDHC", OCTOBER, {"LD_REG": 58}, "submitted", 3))
    page = open_page()
    page.open_entry(_row(page, "LDHC"))
    form = page.dialog
    assert form.window_line.text() == "Entry window: open until 12 Nov 2025."
    assert form.status_line.text() == ("Submitted, awaiting approval. Sending replaces version 3 held on "
                                       "CQRS.")
    assert not form.locked_line.isVisibleTo(form) and form.check_button.isEnabled()


def test_after_queuing_a_change_the_list_shows_the_queued_value_at_once(cache, open_page, qtbot) -> None:
    cache(_entry(201, "LDHC", OCTOBER, {"LD_REG": 58}))
    page = open_page()
    assert page.select("entry:201")
    page.open_button.click()
    form = page.dialog
    form.inputs["LD_REG"].setText("61")
    form.check_button.click()
    with qtbot.waitSignal(page.loaded, timeout=5000):  # the page reloads from the hub, nothing else
        form.check_dialog.send_button.click()
    selected = page.selected()
    assert selected is not None and selected.values == {"LD_REG": 61}  # still the selected row
    assert _table_text(page, 0, "Values") == "LD register 61"
    assert _table_text(page, 0, "Status") == "Queued, waiting to be sent"
    assert "waiting to be sent" in page.detail.text()

    [item] = outbox.items(ODS)
    outbox.next_batch(OWNER)
    outbox.mark_sent(item.key)  # pushed; the pull that brings version 2 back has not happened yet
    _reload(page, qtbot)
    assert _table_text(page, 0, "Values") == "LD register 61"  # never back to 58 in between
    assert _table_text(page, 0, "Status") == "Sent to CQRS, not synced back yet"
    cache(_entry(201, "LDHC", OCTOBER, {"LD_REG": 61}, version=2))
    _reload(page, qtbot)
    assert _table_text(page, 0, "Values") == "LD register 61"
    assert _table_text(page, 0, "Status") == "Submitted, awaiting approval"


def _user(user_id: int, email: str, first: str, last: str) -> dict:
    return {"type": "user", "id": user_id, "data": {"id": user_id, "email": email, "first_name": first,
                                                     "last_name": last, "roles": ["View"]}}


def test_history_shows_names_the_cache_knows_and_emails_otherwise(cache, open_page) -> None:
    cache(_user(5, "Helen.Marsh@nhs.net", "Helen", "Marsh"),
          _entry(188, "RSVP", date(2025, 9, 30), {"DOSES": 42}, "rejected", 2, "Too many doses.",
                 (("manual entry created", "2025-10-07T10:02:00+00:00", MANAGER),
                  ("manual entry rejected", "2025-10-16T11:00:00+00:00", ICB))))
    page = open_page()
    assert page.select("entry:188")
    history = page.history
    assert [history.item(r, 1).text() for r in range(history.rowCount())] == [ICB, "Helen Marsh"]
    assert history.item(1, 1).toolTip() == MANAGER  # the address CQRS recorded, on hover


# --- the Status column at 1024×768 ------------------------------------------------------------------------

LONG_REASON = ("42 doses is more than the 31 we supplied; please check the clinic list against the "
               "vaccine stock record and send it again")


def _status_cells(view: QTableView) -> dict[str, bool]:
    """Each Status text on screen, and whether it fits its cell (wrapped to the cell's width)."""
    model = view.model()
    titles = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    column = titles.index("Status")
    margin = 2 * (view.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, view) + 1)
    metrics, viewport = view.fontMetrics(), view.viewport().rect()
    fits = {}
    for row in range(model.rowCount()):
        index = model.index(row, column)
        rect = view.visualRect(index)
        if rect.bottom() > viewport.bottom():
            break  # off screen: fitted when scrolled to
        text = index.data()
        needed = metrics.boundingRect(QRect(0, 0, rect.width() - margin, 10_000),
                                      int(Qt.TextFlag.TextWordWrap), text)
        fits[text] = (needed.width() <= rect.width() - margin and needed.height() <= rect.height()
                      and rect.right() <= viewport.right())
    return fits


@pytest.mark.parametrize("text_scale", [1.0, 2.0], indirect=True, ids=["100%", "200%"])
def test_the_status_column_is_never_cut_at_1024_by_768(text_scale, cache, qtbot, tmp_path) -> None:
    cache(_entry(188, "RSVP", NOVEMBER, {"DOSES": 42}, "rejected", 2, LONG_REASON),  # the first row
          _entry(201, "LDHC", OCTOBER, {"LD_REG": 58}, "approved"),
          _entry(202, "WM", OCTOBER, {"REFERRALS": 11}))
    window = MainWindow(settings.load())
    qtbot.addWidget(window)
    window.resize(1024, 768)
    with qtbot.waitSignal(window.ready, timeout=5000):
        window.show_profile(Profile("https://cqrs.example.nhs.uk", OWNER, "Sarah", "Okafor",
                                    (PracticeAccess(ODS, PRACTICE, (VIEW, ACHIEVEMENT_ENTRY)),)), ODS)
        window.show()
    qtbot.waitExposed(window)
    window.show_section("manual-entry")
    page = window.pages["manual-entry"]
    qtbot.waitUntil(lambda: len(page.rows) == 3, timeout=5000)
    settle()
    qtbot.wait(100)  # the table fits its rows to wrapped text on a timer
    assert (window.width(), window.height()) == (1024, 768)
    assert window.grab().save(str(tmp_path / "manual_entry.png"))
    cells = _status_cells(page.table.view)
    assert "Rejected: the reason is below" in cells and all(cells.values()), cells
