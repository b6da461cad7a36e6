"""app.views.users_page and app.views.user_dialogs: users from the cache, what User Administrators can do
(add, edit roles, disable, re-enable), the last administrator kept, and changes queued in the outbox."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from app import paths
from app.models.outbox import OutboxStatus
from app.services import cache_store, outbox, tasks
from app.services.profile import USER_ADMINISTRATOR, VIEW, PracticeAccess
from app.services.rules import FINANCE_VIEW
from app.views.user_dialogs import AddUserDialog
from app.views.users_page import UsersPage

ODS = "Z99001"
NAME = "Riverside Medical Practice"
OWNER = "practice.manager@nhs.net"
ADMIN = PracticeAccess(ODS, NAME, (USER_ADMINISTRATOR, VIEW))
VIEWER = PracticeAccess(ODS, NAME, (VIEW,))
ME = {"id": 1, "email": OWNER, "first_name": "Pat", "last_name": "Manager", "work_phone": "01632 960000",
      "mobile": None, "active": True, "status": "active", "roles": [USER_ADMINISTRATOR, VIEW],
      "pending_roles": []}
SAM = {"id": 2, "email": "sam.jones@nhs.net", "first_name": "Sam", "last_name": "Jones",
       "work_phone": "01632 960001", "mobile": None, "active": True, "status": "invited", "roles": [VIEW],
       "pending_roles": []}


def fill_cache(*records: dict[str, Any]) -> None:
    cache_store.apply_feed_page(ODS, [{"type": "user", "id": str(r["id"]), "deleted": False, "data": r}
                                      for r in records], 10)


@pytest.fixture
def page(qtbot: Any, fresh_hub: None) -> UsersPage:
    widget = UsersPage()
    widget.owner = OWNER
    qtbot.addWidget(widget)
    widget.resize(1000, 600)
    widget.show()
    return widget


def open_on(qtbot: Any, page: UsersPage, access: PracticeAccess) -> None:
    with qtbot.waitSignal(page.loaded, timeout=3000):
        page.show_practice(access)


def cell(page: UsersPage, email: str, title: str) -> str:
    model = page.table.model
    titles = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    [row] = [r for r in range(model.rowCount()) if model.row(r).email == email]
    return model.index(row, titles.index(title)).data()


def reload(qtbot: Any, page: UsersPage) -> None:
    tasks.wait_for_idle(5.0)
    with qtbot.waitSignal(page.loaded, timeout=3000):
        page.reload()


def test_administrators_see_everyone_with_status_and_roles(qtbot: Any, page: UsersPage) -> None:
    fill_cache(ME, SAM)
    open_on(qtbot, page, ADMIN)
    assert page.table.model.rowCount() == 2
    assert cell(page, "sam.jones@nhs.net", "Status") == "Invited"
    assert cell(page, "sam.jones@nhs.net", "Work phone") == "01632 960001"
    assert cell(page, OWNER, "Roles") == "User Administrator, View"
    assert page.buttons["add"].isVisible() and page.buttons["add"].isEnabled()


def test_others_see_only_their_own_record_and_why(qtbot: Any, page: UsersPage) -> None:
    fill_cache({**ME, "roles": [VIEW]}, SAM)
    open_on(qtbot, page, VIEWER)
    assert page.table.model.rowCount() == 1
    assert page.table.model.row(0).email == OWNER
    assert "only your own record" in page.intro_label.text()
    assert "User Administrator role" in page.intro_label.text()
    assert not page.buttons["add"].isVisible()


def test_the_last_administrator_cannot_be_disabled_and_the_page_says_why(qtbot: Any,
                                                                         page: UsersPage) -> None:
    other_admin = {**SAM, "id": 3, "email": "alex.admin@nhs.net", "status": "active",
                   "roles": [USER_ADMINISTRATOR]}
    fill_cache(ME, other_admin)
    open_on(qtbot, page, ADMIN)
    assert page.select("3")
    assert page.buttons["disable"].isEnabled()  # two administrators: either may go
    fill_cache({**ME, "roles": [VIEW]}, other_admin)
    reload(qtbot, page)
    assert page.select("3")
    assert not page.buttons["disable"].isEnabled()
    assert "only active User Administrator" in page.hint.text()
    dialog = page.edit_roles()
    assert dialog is not None
    assert not dialog.roles.boxes[USER_ADMINISTRATOR].isEnabled()  # kept, with the reason beside it
    dialog.reject()


def test_add_user_checks_as_typed_and_queues_the_new_user(qtbot: Any, page: UsersPage) -> None:
    fill_cache(ME)
    open_on(qtbot, page, ADMIN)
    dialog = page.add_user()
    assert isinstance(dialog, AddUserDialog)
    qtbot.keyClicks(dialog.inputs["email"], "reception@nhs.net")
    assert "shared mailbox" in dialog.problems["email"].text() and not dialog.problems["email"].isHidden()
    dialog.inputs["email"].clear()
    qtbot.keyClicks(dialog.inputs["email"], "robin.lee@gmail.com")
    assert "@nhs.net or @nhs.uk" in dialog.problems["email"].text()
    dialog.inputs["email"].clear()
    qtbot.keyClicks(dialog.inputs["email"], "robin.lee@nhs.net")
    assert dialog.problems["email"].isHidden()
    qtbot.keyClicks(dialog.inputs["confirm_email"], "robin.lea@nhs.net")
    assert "different" in dialog.problems["confirm_email"].text()
    dialog.inputs["confirm_email"].setText("robin.lee@nhs.net")
    for name, text in (("first_name", "Robin"), ("last_name", "Lee"), ("work_phone", "12345")):
        qtbot.keyClicks(dialog.inputs[name], text)
    assert "UK number" in dialog.problems["work_phone"].text()
    dialog.inputs["work_phone"].setText("01632 960002")
    dialog.roles.boxes[FINANCE_VIEW].setChecked(True)
    assert "payments in pounds" in dialog.roles.warnings.text()
    dialog.roles.boxes[FINANCE_VIEW].setChecked(False)
    dialog.submit()
    assert dialog.isVisible() and "at least one role" in dialog.problems["roles"].text()
    dialog.roles.boxes[VIEW].setChecked(True)
    dialog.submit()
    qtbot.waitUntil(lambda: len(outbox.items(ODS)) == 1, timeout=3000)
    [item] = outbox.items(ODS)
    assert (item.method, item.path, item.kind) == ("POST", f"/practices/{ODS}/users", "user")
    assert item.owner == OWNER
    assert item.body == {"email": "robin.lee@nhs.net", "first_name": "Robin", "last_name": "Lee",
                         "work_phone": "01632 960002", "mobile": None, "roles": [VIEW]}
    reload(qtbot, page)
    assert cell(page, "robin.lee@nhs.net", "Status") == "Waiting to be sent"


def test_a_refused_new_user_shows_the_reason_beside_the_field_and_can_be_sent_again(
        qtbot: Any, page: UsersPage) -> None:
    fill_cache(ME)
    entry = outbox.enqueue(ODS, "user", "POST", f"/practices/{ODS}/users",
                           {"email": "robin.lee@nhs.net", "first_name": "Robin", "last_name": "Lee",
                            "work_phone": "01632 960002", "mobile": None, "roles": [VIEW]}, owner=OWNER)
    outbox.mark_failed(entry.key, "The values were refused. (email: This person is already a user of this "
                                  "practice.)")
    open_on(qtbot, page, ADMIN)
    assert cell(page, "robin.lee@nhs.net", "Status") == "Refused"
    assert page.select("new:" + entry.key) and page.buttons["fix"].isEnabled()
    page.fix()
    dialog = page.findChild(AddUserDialog)
    assert dialog is not None
    assert "already a user" in dialog.problems["email"].text()
    dialog.inputs["email"].setText("robin.lee2@nhs.net")
    dialog.inputs["confirm_email"].setText("robin.lee2@nhs.net")
    dialog.submit()
    qtbot.waitUntil(lambda: outbox.get(entry.key).status is OutboxStatus.QUEUED, timeout=3000)
    assert outbox.get(entry.key).body["email"] == "robin.lee2@nhs.net"
    assert len(outbox.items(ODS)) == 1  # the same item, corrected: nobody is added twice


def test_edit_roles_disable_and_re_enable_queue_their_writes(qtbot: Any, page: UsersPage) -> None:
    fill_cache(ME, {**SAM, "status": "active"})
    open_on(qtbot, page, ADMIN)
    assert page.select("2")
    dialog = page.edit_roles()
    assert dialog is not None
    dialog.roles.boxes[FINANCE_VIEW].setChecked(True)
    dialog.roles.boxes[VIEW].setChecked(False)
    dialog.submit()
    qtbot.waitUntil(lambda: len(outbox.items(ODS)) == 2, timeout=3000)
    paths = [(item.method, item.path, item.body) for item in outbox.items(ODS)]
    assert paths == [("POST", f"/practices/{ODS}/users/2/roles", {"role": FINANCE_VIEW}),
                     ("DELETE", f"/practices/{ODS}/users/2/roles/View", None)]
    reload(qtbot, page)
    assert "Waiting to be sent: give Finance View, remove View." in cell(page, "sam.jones@nhs.net",
                                                                        "Waiting or refused")
    for item in outbox.items(ODS):
        outbox.mark_sent(item.key)
    reload(qtbot, page)
    assert page.select("2") and page.buttons["disable"].isEnabled()
    page.disable()
    qtbot.waitUntil(lambda: len(outbox.items(ODS)) == 3, timeout=3000)
    assert outbox.items(ODS)[-1].path == f"/practices/{ODS}/users/2/disable"
    outbox.mark_sent(outbox.items(ODS)[-1].key)
    fill_cache(ME, {**SAM, "status": "disabled here", "active": False})
    reload(qtbot, page)
    assert cell(page, "sam.jones@nhs.net", "Status") == "Disabled here"
    assert page.select("2") and page.buttons["enable"].isEnabled() and not page.buttons["disable"].isEnabled()
    page.enable()
    qtbot.waitUntil(lambda: len(outbox.items(ODS)) == 4, timeout=3000)
    assert outbox.items(ODS)[-1].path == f"/practices/{ODS}/users/2/enable"


def test_a_role_given_to_oneself_shows_as_pending(qtbot: Any, page: UsersPage) -> None:
    fill_cache({**ME, "pending_roles": [FINANCE_VIEW]})
    open_on(qtbot, page, ADMIN)
    assert "Finance View (waiting for a second administrator)" in cell(page, OWNER, "Roles")
    assert page.select("1") and not page.buttons["confirm"].isEnabled()  # not by oneself


def test_the_demo_s_mail_folder_is_offered_only_where_the_demo_keeps_one(qtbot: Any, page: UsersPage) -> None:
    fill_cache(ME)
    open_on(qtbot, page, ADMIN)
    assert page.mailbox_button.isHidden()  # a real service mails people: nothing to open here
    folder = paths.data_dir() / "demo-server" / "mail-outbox"
    folder.mkdir(parents=True)
    reload(qtbot, page)
    assert not page.mailbox_button.isHidden() and page.mailbox == folder
