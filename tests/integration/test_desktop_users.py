"""Administering users from the desktop client against the real central service over TLS: a user added
on this PC is queued, sent by the sync and mailed an activation link; the service's refusals (non-NHS
domain, shared mailbox, not permitted, last administrator) come back beside the right field; an
activation link expires on the service's clock, a resent one works, and the activation dialog sets the
password."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.models.outbox import OutboxStatus
from app.services import activation, outbox, user_admin, user_list
from app.services.api_client import ValidationFailed
from app.services.auth import Auth
from app.services.rules import USER_ADMINISTRATOR, VIEW
from app.services.secrets import TokenStore
from app.services.sync import SyncEngine
from app.services.user_admin import NewUser
from app.views.activation_dialog import ActivationDialog
from app.views.sign_in_dialog import SignInDialog
from central.directory import create_organisation
from central.models import PRACTICE, Organisation
from central.server import RunningServer

from .accounts_helpers import data_dir
from .conftest import PASSWORD, START, FakeClock, World
from .mail_outbox import activation_token_from_mail

_codes = (f"Z88{n:03d}" for n in itertools.count(1))  # a range no other test file uses
NEW_PASSWORD = "Kettle-Blue-42"


class Desk:
    """One practice on the service, its administrator, and the desktop client's cache and outbox."""

    def __init__(self, world: World, server: RunningServer) -> None:
        self.world, self.server = world, server
        self.ods = next(_codes)
        with world.session() as session:
            pcn = session.get_one(Organisation, world.practice.parent_id)
            practice = create_organisation(session, PRACTICE, self.ods, f"Practice {self.ods}", START,
                                           parent=pcn)
            session.commit()
            self.practice = practice
        self.admin = world.user({practice: (USER_ADMINISTRATOR, VIEW)}, "admin")
        self._auths: list[Auth] = []

    def engine(self, email: str | None = None) -> SyncEngine:
        auth = Auth(self.server.base_url, TokenStore(), ca_file=self.server.ca_path)
        auth.sign_in(email or self.admin, PASSWORD)
        self._auths.append(auth)
        return SyncEngine(auth, sleep=lambda _seconds: None)

    def rows(self) -> dict[str, user_list.UserRow]:
        return {row.email: row for row in user_list.load(self.ods, owner=self.admin, administrator=True).rows}

    def close(self) -> None:
        for auth in self._auths:
            auth.close()


@pytest.fixture
def desk(world: World, server: RunningServer, cache_db: Path, memory_keyring: object) -> Iterator[Desk]:
    practice = Desk(world, server)
    yield practice
    practice.close()


def _person(email: str, **changes: Any) -> NewUser:
    values = {"email": email, "confirm_email": email, "first_name": "Robin", "last_name": "Lee",
              "work_phone": "01632 960002", "roles": (VIEW,)}
    return NewUser(**{**values, **changes})


def test_a_user_added_on_this_pc_is_sent_by_the_sync_and_mailed_a_link(desk: Desk, fresh_hub: None) -> None:
    engine = desk.engine()
    engine.run([desk.ods])
    email = f"robin.lee.{desk.ods.lower()}@nhs.net"
    entry = user_admin.add_user(desk.ods, _person(email), owner=desk.admin)
    assert desk.rows()[email].status == "Waiting to be sent"  # queued on this PC only
    report = engine.run([desk.ods])
    assert report.pushed == 1 and outbox.get(entry.key).status is OutboxStatus.SENT
    row = desk.rows()[email]
    assert (row.status, row.roles, row.work_phone) == ("Invited", (VIEW,), "01632 960002")
    assert activation_token_from_mail(data_dir(desk.world), email)  # mailed, never in the response


def test_the_service_s_refusals_come_back_beside_their_field(desk: Desk, world: World,
                                                             fresh_hub: None) -> None:
    engine = desk.engine()
    engine.run([desk.ods])
    path = f"/practices/{desk.ods}/users"
    body = _person("x@nhs.net").body()
    # Queued past the desktop's own checks, as an older client might have: the service is the guard.
    gmail = outbox.enqueue(desk.ods, "user", "POST", path, {**body, "email": "robin@gmail.com"},
                           owner=desk.admin)
    shared = outbox.enqueue(desk.ods, "user", "POST", path, {**body, "email": "reception@nhs.net"},
                            owner=desk.admin)
    engine.run([desk.ods])
    rows = desk.rows()
    assert "@nhs.net or @nhs.uk" in rows["robin@gmail.com"].problems["email"]
    assert "shared mailbox" in rows["reception@nhs.net"].problems["email"]
    assert rows["reception@nhs.net"].status == "Refused" and rows["reception@nhs.net"].item_key == shared.key
    assert outbox.get(gmail.key).status is OutboxStatus.FAILED

    [me] = [row for row in rows.values() if row.email == desk.admin]
    # Both halves guard the last administrator: the desktop first, from the cached users...
    with pytest.raises(user_admin.UserAdminRefused, match="only active User Administrator"):
        user_admin.change_roles(desk.ods, me.record, [VIEW], owner=desk.admin, practice_name="P",
                                others=[r.record for r in rows.values() if r.record])
    # ...and the service, when a removal arrives anyway.
    outbox.enqueue(desk.ods, "user", "DELETE", f"{path}/{me.user_id}/roles/User%20Administrator",
                   owner=desk.admin)
    engine.run([desk.ods])
    assert "User Administrator" in desk.rows()[desk.admin].problems["roles"]

    viewer = world.user({desk.practice: (VIEW,)}, "viewer")
    viewer_engine = desk.engine(viewer)
    denied = outbox.enqueue(desk.ods, "user", "POST", path, _person("pat.kim@nhs.net").body(), owner=viewer)
    viewer_engine.run([desk.ods])
    failed = outbox.get(denied.key)
    assert failed.status is OutboxStatus.FAILED and failed.server_message  # not permitted, in plain English


def test_an_expired_link_is_refused_on_the_service_s_clock_and_a_resent_one_works(
        desk: Desk, clock: FakeClock, fresh_hub: None, qtbot: Any) -> None:
    engine = desk.engine()
    engine.run([desk.ods])
    email = f"sam.kaur.{desk.ods.lower()}@nhs.net"
    user_admin.add_user(desk.ods, _person(email, first_name="Sam", last_name="Kaur"), owner=desk.admin)
    engine.run([desk.ods])
    first_code = activation_token_from_mail(data_dir(desk.world), email)
    clock.advance(days=15)  # links last 14 days
    with pytest.raises(ValidationFailed, match="expired"):
        activation.activate(desk.server.base_url, first_code, NEW_PASSWORD, ca_file=desk.server.ca_path)

    engine = desk.engine()  # signed in again on the later clock
    user_admin.resend_activation(desk.ods, desk.rows()[email].record, owner=desk.admin)
    assert engine.run([desk.ods]).pushed == 1
    new_code = activation_token_from_mail(data_dir(desk.world), email)
    assert new_code != first_code

    def activate(server: str, code: str, password: str) -> str:
        return activation.activate(server, code, password, ca_file=desk.server.ca_path)

    dialog = ActivationDialog(activate, server_url=desk.server.base_url, email=email)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.code, new_code)
    qtbot.keyClicks(dialog.password, "short")
    assert "✗ 8 to 32 characters long" in dialog.rules.text()  # the rules, ticked off as typed
    dialog.password.setText(NEW_PASSWORD)
    assert "✗" not in dialog.rules.text()
    dialog.again.setText(NEW_PASSWORD)
    with qtbot.waitSignal(dialog.accepted, timeout=5000):
        dialog.submit()
    assert dialog.activated_email == email
    engine.run([desk.ods])
    assert desk.rows()[email].status == "Active"
    signed_in = Auth(desk.server.base_url, TokenStore(), ca_file=desk.server.ca_path)
    try:
        assert signed_in.sign_in(email, NEW_PASSWORD).email == email
    finally:
        signed_in.close()


def test_i_have_an_activation_link_in_the_sign_in_form_sets_the_password(desk: Desk, fresh_hub: None,
                                                                         qtbot: Any) -> None:
    engine = desk.engine()
    engine.run([desk.ods])
    email = f"jo.bell.{desk.ods.lower()}@nhs.net"
    user_admin.add_user(desk.ods, _person(email, first_name="Jo", last_name="Bell"), owner=desk.admin)
    engine.run([desk.ods])
    code = activation_token_from_mail(data_dir(desk.world), email)

    def activate(server: str, typed_code: str, password: str) -> str:
        return activation.activate(server, typed_code, password, ca_file=desk.server.ca_path)

    hidden = SignInDialog(lambda *_args: None, server_url=desk.server.base_url)
    qtbot.addWidget(hidden)
    assert hidden.activation_button.isHidden()  # only offered when the app can activate
    sign_in = SignInDialog(lambda *_args: None, server_url=desk.server.base_url, activate=activate)
    qtbot.addWidget(sign_in)
    sign_in.show()
    assert not sign_in.activation_button.isHidden()
    sign_in.activation_button.click()
    dialog = sign_in.findChild(ActivationDialog)
    assert dialog is not None
    qtbot.keyClicks(dialog.code, "not-the-code")
    qtbot.keyClicks(dialog.email, email)
    dialog.password.setText(NEW_PASSWORD)
    dialog.again.setText(NEW_PASSWORD)
    dialog.submit()
    qtbot.waitUntil(lambda: "not valid" in dialog.message.text(), timeout=5000)  # the service's reason
    dialog.code.setText(code)
    with qtbot.waitSignal(dialog.accepted, timeout=5000):
        dialog.submit()
    assert sign_in.email.text() == email and "password is set" in sign_in.error.text()
