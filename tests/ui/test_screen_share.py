"""Screen-share mode in the window: every page, dialog and tooltip masks emails and phone numbers, £ are
hidden unless "Show £" is chosen, the text grows to its setting, and the banner gives a support reference."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QTextEdit,
    QWidget,
)
from qof_records import feed_changes

from app import settings
from app.services import cache_store, masking, screen_share, tasks
from app.services.profile import FINANCE_VIEW, USER_ADMINISTRATOR, PracticeAccess, Profile
from app.views.main_window import SECTIONS, MainWindow
from app.views.sign_out_dialog import SignOutDialog
from app.views.user_dialogs import AddUserDialog

ODS = "Z99001"
ME = "castle.manager@nhs.net"
SAM, SAM_PHONE, SAM_MOBILE = "sam.jones@nhs.net", "01632 960001", "07700 900123"
KIM = "kim.oduya@nhs.net"  # a person with no name on CQRS yet: shown by their email
PERSONAL = (ME, SAM, SAM_PHONE, KIM, "01632 960 401")  # what the pages show of them
ALL_ROLES = (USER_ADMINISTRATOR, FINANCE_VIEW, "View", "Achievement Entry", "Service Management",
             "Declaration Management", "Supervisor")
PRACTICE = {"ods": ODS, "name": "Riverside Medical Practice",
            "pcn": {"ods": "U99001", "name": "Riverside PCN"},
            "commissioner": {"ods": "99Z", "name": "NHS Riverside ICB"}}
DECLARATION = {"id": 176, "service": "LDHC", "achievement_date": "2026-02-28", "status": "Paid",
               "points": "0", "payment": "420", "declared_at": "2026-03-20T00:00:00+00:00",
               "updated_at": "2026-04-24T00:00:00+00:00",
               "history": [{"status": "Awaiting Service Provider Approval", "at": "2026-03-20T09:00:00+00:00",
                            "by": SAM}, {"status": "Paid", "at": "2026-04-24T09:00:00+00:00", "by": KIM}]}
MANUAL_ENTRY = {"id": 96, "service": "WM", "achievement_date": "2026-03-31",
                "values": {"REFERRALS": 6, "ALLOCATION": 56}, "notes": None, "status": "approved",
                "version": 1, "rejection_reason": None, "updated_at": "2026-04-08T00:00:00+00:00",
                "history": [{"action": "submitted", "at": "2026-04-01T09:00:00+00:00", "by": KIM},
                            {"action": "approved", "at": "2026-04-08T09:00:00+00:00", "by": SAM}]}
USERS = [
    {"id": 5, "email": ME, "first_name": "Helen", "last_name": "Marsh", "work_phone": "01632 960 401",
     "mobile": None, "status": "active", "roles": list(ALL_ROLES), "pending_roles": []},
    {"id": 6, "email": SAM, "first_name": "Sam", "last_name": "Jones", "work_phone": SAM_PHONE,
     "mobile": SAM_MOBILE, "status": "invited", "roles": ["View"], "pending_roles": []},
    {"id": 7, "email": KIM, "first_name": "", "last_name": "", "work_phone": "01632 960002",
     "mobile": None, "status": "active", "roles": ["View"], "pending_roles": []},
]
REFERENCE = re.compile(rf"^Support reference: {ODS} · \S+ · [{masking.REFERENCE_ALPHABET}]{{6}}$")


def change(kind: str, record_id: str | int, data: dict[str, Any]) -> dict[str, Any]:
    return {"type": kind, "id": str(record_id), "deleted": False, "data": data}


def fill_cache() -> None:
    cache_store.apply_feed_page(ODS, [
        change("practice", ODS, PRACTICE), *feed_changes(ODS), change("declaration", 176, DECLARATION),
        change("manual_entry", 96, MANUAL_ENTRY), *(change("user", user["id"], user) for user in USERS),
    ], 100)


def profile(roles: tuple[str, ...] = ALL_ROLES, first_name: str = "Helen") -> Profile:
    return Profile("https://cqrs.example.nhs.uk", ME, first_name, "Marsh" if first_name else "",
                   (PracticeAccess(ODS, "Riverside Medical Practice", roles),))


@pytest.fixture
def window(fresh_hub: None, qtbot: Any) -> Iterator[MainWindow]:
    shown = MainWindow(settings.load())
    qtbot.addWidget(shown)
    yield shown
    if screen_share.active():  # the window puts the text size back while it is still there
        screen_share.turn_off()
    screen_share.reset()


def open_on(qtbot: Any, window: MainWindow, shown: Profile) -> None:
    fill_cache()
    with qtbot.waitSignal(window.ready, timeout=5000):
        window.show_profile(shown, ODS)
        window.show()
    assert tasks.wait_for_idle(10.0)
    for key, _title in SECTIONS:  # every page listed built and loaded, then back to the first
        if key in window.hidden:
            continue
        window.show_section(key)
        qtbot.waitUntil(window.pages[key].isVisible, timeout=2000)
        assert tasks.wait_for_idle(10.0)
    select_first_rows(qtbot, window)


def select_first_rows(qtbot: Any, window: MainWindow) -> None:
    """Select the declaration and the entry, so their histories (who did what) are on screen."""
    window.declarations.table.view.selectRow(0)
    window.manual_entry.table.view.selectRow(0)
    qtbot.wait(50)


def settle(qtbot: Any) -> None:
    """Let the pages read again and the text-size batches reach every widget."""
    assert tasks.wait_for_idle(10.0)
    qtbot.wait(100)
    assert tasks.wait_for_idle(10.0)


def model_texts(view: QAbstractItemView) -> Iterator[str]:
    model = view.model()
    if model is None:
        return
    root = QModelIndex()
    columns = 1 if isinstance(view, QListWidget) else model.columnCount(root)  # a list's is private
    for row in range(model.rowCount(root)):
        for column in range(columns):
            for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                value = model.index(row, column).data(role)
                if isinstance(value, str):
                    yield value


def texts(roots: Iterable[QWidget], *, visible_only: bool = False) -> list[str]:
    """Every text in the widget trees under ``roots`` (shown or not, unless ``visible_only``): labels,
    buttons, text boxes (as they show), titles, tooltips, list items, menus, and the cells and tooltips
    of every table."""
    found: list[str] = []
    for root in roots:
        for widget in [root, *root.findChildren(QWidget)]:
            if visible_only and not widget.isVisible():
                continue
            found += [widget.toolTip(), widget.windowTitle()]
            found += [action.text() for action in widget.actions()]
            if isinstance(widget, QLabel | QAbstractButton):
                found.append(widget.text())
            if isinstance(widget, QLineEdit):
                found.append(widget.displayText())
            if isinstance(widget, QGroupBox):
                found.append(widget.title())
            if isinstance(widget, QTextEdit):
                found.append(widget.toPlainText())
            if isinstance(widget, QComboBox):
                found += [widget.itemText(index) for index in range(widget.count())]
            if isinstance(widget, QAbstractItemView):
                found += list(model_texts(widget))
    return found


def money_texts(window: MainWindow) -> list[str]:
    """The texts on screen with £ in them, but for the words about screen-share mode itself (a hidden
    card may keep its last figures: it is not on screen)."""
    about_mode = {*texts([window.screen_share_banner]), window.screen_share_action.toolTip()}
    return [text for text in texts([window], visible_only=True) if "£" in text and text not in about_mode]


def personal_data_in(roots: Iterable[QWidget]) -> set[str]:
    shown = "\n".join(texts(roots))
    return {value for value in PERSONAL if value in shown}


def open_windows() -> list[QWidget]:
    return [widget for widget in QApplication.topLevelWidgets() if widget.isVisible()]


def test_masking_covers_every_page_and_switching_off_restores_it(qtbot: Any, window: MainWindow) -> None:
    open_on(qtbot, window, profile())
    assert personal_data_in([window]) == set(PERSONAL)  # the test data is on screen to begin with

    window.toggle_screen_share()
    settle(qtbot)
    select_first_rows(qtbot, window)
    assert personal_data_in([window]) == set()
    users = window.pages["users"].table.model
    emails = {users.index(row, 1).data() for row in range(users.rowCount())}
    assert emails == {"c•••••@nhs.net", "s•••••@nhs.net", "k•••••@nhs.net"}
    assert "••••• •••001" in {users.index(row, 2).data() for row in range(users.rowCount())}
    for key, _title in SECTIONS:  # walked on screen too, page by page
        window.show_section(key)
        settle(qtbot)
        assert personal_data_in([window]) == set(), key

    window.toggle_screen_share()
    settle(qtbot)
    select_first_rows(qtbot, window)
    assert personal_data_in([window]) == set(PERSONAL)


def test_the_signed_in_persons_email_is_masked_in_the_account_menu_status_bar_and_help(
        qtbot: Any, window: MainWindow) -> None:
    open_on(qtbot, window, profile(first_name=""))  # no name on CQRS: the email names them
    assert window.account.text() == ME and ME in window.status.who.toolTip()
    window.toggle_screen_share()
    settle(qtbot)
    assert window.account.text() == "c•••••@nhs.net"
    assert ME not in window.status.who.toolTip() and "c•••••@nhs.net" in window.status.who.toolTip()
    assert [action.text() for action in window.account_menu.actions()][0] == "c•••••@nhs.net"


def test_dialogs_opened_while_sharing_mask_emails_and_phones(qtbot: Any, window: MainWindow) -> None:
    open_on(qtbot, window, profile())
    window.show_section("users")
    window.toggle_screen_share()
    settle(qtbot)
    page = window.pages["users"]
    page.table.view.selectRow([page.table.model.row(row).email
                               for row in range(page.table.model.rowCount())].index(KIM))
    roles = page.edit_roles()
    assert roles is not None and KIM not in roles.windowTitle() and "k•••••@nhs.net" in roles.windowTitle()
    roles.reject()
    page.table.view.selectRow(0)
    add = page.add_user()
    assert add is not None
    add.inputs["email"].setText(SAM)
    add.inputs["mobile"].setText(SAM_MOBILE)
    sign_out = SignOutDialog(ME, 0, window)
    sign_out.show()
    assert personal_data_in(open_windows()) == set()
    assert SAM_MOBILE not in texts([add])
    assert add.form().email == SAM  # what was typed is kept, only hidden
    screen_share.turn_off()  # sharing stops while the dialog is open: the boxes show their text again
    settle(qtbot)
    assert add.inputs["email"].displayText() == SAM
    add.reject()
    sign_out.reject()


def test_money_is_hidden_while_sharing_unless_show_money_is_chosen(qtbot: Any, window: MainWindow) -> None:
    open_on(qtbot, window, profile())
    window.show_section("declarations")
    settle(qtbot)
    assert money_texts(window)
    window.toggle_screen_share()
    settle(qtbot)
    banner = window.screen_share_banner
    assert banner.money.isVisible() and not banner.money.isChecked()
    for key, _title in SECTIONS:
        window.show_section(key)
        settle(qtbot)
        assert money_texts(window) == [], key
    window.show_section("declarations")
    settle(qtbot)
    banner.money.click()
    settle(qtbot)
    assert screen_share.state().show_money
    assert "Payment" in [window.declarations.table.model.headerData(column, Qt.Orientation.Horizontal)
                         for column in range(window.declarations.table.model.columnCount())]
    assert money_texts(window)
    banner.stop.click()
    settle(qtbot)
    assert not screen_share.active() and not banner.isVisible()


def test_show_money_is_offered_only_to_people_who_may_see_money(qtbot: Any, window: MainWindow) -> None:
    open_on(qtbot, window, profile(("View",)))
    window.toggle_screen_share()
    settle(qtbot)
    assert window.screen_share_banner.isVisible() and not window.screen_share_banner.money.isVisible()
    screen_share.show_money(True)  # even if asked for, £ stay hidden from someone without Finance View
    settle(qtbot)
    assert money_texts(window) == []


def test_the_text_grows_to_its_setting_and_comes_back(qtbot: Any, window: MainWindow) -> None:
    open_on(qtbot, window, profile())
    before = QApplication.font().pointSizeF()
    window.toggle_screen_share()
    assert QApplication.font().pointSizeF() == pytest.approx(before * 1.25)
    window.store.set(settings.SCREEN_SHARE_TEXT_SCALE, 1.5)  # changed while sharing: applied at once
    assert QApplication.font().pointSizeF() == pytest.approx(before * 1.5)
    window.toggle_screen_share()
    assert QApplication.font().pointSizeF() == pytest.approx(before)
    settle(qtbot)


def test_the_banner_gives_a_new_support_reference_each_time(qtbot: Any, window: MainWindow) -> None:
    open_on(qtbot, window, profile())
    references = []
    for _time in range(3):
        window.toggle_screen_share()
        assert window.screen_share_banner.isVisible()
        references.append(window.screen_share_banner.reference.text())
        window.toggle_screen_share()
        assert not window.screen_share_banner.isVisible()
    assert all(REFERENCE.match(reference) for reference in references), references
    assert len(set(references)) == 3
    settle(qtbot)


def test_ctrl_shift_s_and_the_toolbar_button_toggle_it(qtbot: Any, window: MainWindow) -> None:
    open_on(qtbot, window, profile())
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    both = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(window, Qt.Key.Key_S, both)
    assert screen_share.active() and window.screen_share_action.isChecked()
    window.screen_share_button.click()
    assert not screen_share.active() and not window.screen_share_action.isChecked()
    settle(qtbot)


def test_add_user_fields_are_masked_when_sharing_starts_with_the_dialog_open(qtbot: Any,
                                                                           fresh_hub: None) -> None:
    dialog = AddUserDialog([(ODS, "Riverside Medical Practice")])
    qtbot.addWidget(dialog)
    dialog.inputs["work_phone"].setText(SAM_PHONE)
    assert dialog.inputs["work_phone"].displayText() == SAM_PHONE
    try:
        screen_share.turn_on(ODS)
        assert SAM_PHONE not in dialog.inputs["work_phone"].displayText()
    finally:
        screen_share.turn_off()
        screen_share.reset()
    assert dialog.inputs["work_phone"].displayText() == SAM_PHONE


@pytest.mark.parametrize("text_scale", [1.0], indirect=True, ids=["own 100%"])
@pytest.mark.parametrize("share_scale", [1.25, 2.0], ids=["125%", "200%"])
def test_users_page_banner_and_dialogs_fit_1024_by_768_while_sharing(
        qtbot: Any, text_scale: float, window: MainWindow, share_scale: float, tmp_path: Any) -> None:
    # text_scale before window: the window puts its text size back before the fixture restores the font
    import text_size_checks as checks
    from PySide6.QtCore import QRect

    window.store.set(settings.SCREEN_SHARE_TEXT_SCALE, share_scale)
    window.resize(1024, 768)
    open_on(qtbot, window, profile())
    window.show_section("users")
    window.toggle_screen_share()
    settle(qtbot)
    qtbot.wait(300)  # the pages' layout timers at the new text size
    size = round(share_scale * 100)
    window.grab().save(str(tmp_path / f"users-sharing-{size}.png"))
    problems = (checks.everything(window.stack.currentWidget())
                + checks.everything(window.screen_share_banner)
                + checks.everything(window.findChild(QWidget, "topBar"))
                + checks.everything(window.statusBar()))
    page = window.pages["users"]
    page.table.view.selectRow(1)
    for dialog in (page.add_user(), page.edit_roles()):
        assert dialog is not None
        settle(qtbot)
        dialog.grab().save(str(tmp_path / f"{type(dialog).__name__}-sharing-{size}.png"))
        problems += checks.dialog(dialog, QRect(0, 0, 1024, 768))
        dialog.reject()
    assert problems == []
