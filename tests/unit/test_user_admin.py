"""app.services.account_rules, app.services.user_admin and app.services.user_list: the checks made as
an administrator types (the same the service makes), the role catalogue, the last User Administrator,
the writes queued in the outbox, and the service's refusals placed beside their fields."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.models.outbox import OutboxStatus
from app.services import account_rules, cache_store, outbox, user_admin, user_list
from app.services.rules import FINANCE_VIEW, PRACTICE_ROLES, USER_ADMINISTRATOR, VIEW
from app.services.user_admin import NewUser, UserAdminRefused

ODS = "Z99001"
OWNER = "pat.manager@nhs.net"
PAT = {"id": 1, "email": OWNER, "first_name": "Pat", "last_name": "Manager", "status": "active",
       "active": True, "roles": [USER_ADMINISTRATOR], "pending_roles": []}
SAM = {"id": 2, "email": "sam.jones@nhs.net", "first_name": "Sam", "last_name": "Jones", "status": "invited",
       "active": True, "roles": [VIEW], "pending_roles": []}


def form(**changes: Any) -> NewUser:
    values = {"email": "robin.lee@nhs.net", "confirm_email": "robin.lee@nhs.net", "first_name": "Robin",
              "last_name": "Lee", "work_phone": "01632 960002", "mobile": "", "roles": (VIEW,)}
    return NewUser(**{**values, **changes})


@pytest.mark.parametrize(("email", "words"), [
    ("robin.lee@gmail.com", "@nhs.net or @nhs.uk"), ("robin.lee", "such as firstname.lastname"),
    ("reception@nhs.net", "shared mailbox"), ("INFO@nhs.uk", "shared mailbox"),
    ("office2@nhs.net", "shared mailbox"), ("admin+cqrs@nhs.net", "shared mailbox"),
    ("", "Enter the person's NHS email"),
])
def test_emails_are_checked_as_typed(email: str, words: str) -> None:
    assert words in (user_admin.email_problem(email) or "")


@pytest.mark.parametrize("email", ["robin.lee@nhs.net", "Robin.Lee@NHS.UK", "reception.lead@nhs.net",
                                   "practice.manager@nhs.net"])
def test_a_person_s_nhs_email_passes(email: str) -> None:
    assert user_admin.email_problem(email) is None


@pytest.mark.parametrize(("phone", "ok"), [("01632 960000", True), ("+44 1632 960000", True),
                                          ("07700 900123", True), ("12345", False), ("0800 CALLME", False)])
def test_uk_phone_numbers(phone: str, ok: bool) -> None:
    assert (account_rules.uk_phone_problem(phone) is None) is ok


def test_the_form_s_problems_are_named_by_field() -> None:
    assert user_admin.new_user_problems(form()) == {}
    problems = user_admin.new_user_problems(form(confirm_email="robin.lea@nhs.net", first_name=" ",
                                                 work_phone="", mobile="123", roles=()))
    assert set(problems) == {"confirm_email", "first_name", "work_phone", "mobile", "roles"}
    assert "Type the same address twice" in problems["confirm_email"]
    assert user_admin.JOB_HINT in problems["roles"]


def test_every_role_has_a_one_line_description_and_money_and_admin_warn() -> None:
    assert set(user_admin.ROLE_DESCRIPTIONS) == set(PRACTICE_ROLES)
    assert all("\n" not in text and text.endswith(".") for text in user_admin.ROLE_DESCRIPTIONS.values())
    assert user_admin.warnings_for([VIEW]) == []
    warned = user_admin.warnings_for([FINANCE_VIEW, USER_ADMINISTRATOR])
    assert len(warned) == 2 and "pounds" in warned[1] and "trusted" in warned[0]


def test_password_rules_are_shown_one_by_one() -> None:
    assert [check.met for check in account_rules.password_checks("short", "robin.lee@nhs.net")] == \
        [False, False, True]
    assert [check.met for check in account_rules.password_checks("Robin.Lee-2026", "robin.lee@nhs.net")] == \
        [True, True, False]
    assert all(check.met for check in account_rules.password_checks("Kettle-Blue-42", "robin.lee@nhs.net"))
    assert account_rules.password_problem("Kettle-Blue-42", "robin.lee@nhs.net") is None


def test_the_last_administrator_is_known_from_the_cached_users() -> None:
    assert user_admin.is_last_admin([PAT, SAM], 1)
    assert not user_admin.is_last_admin([PAT, SAM], 2)
    second = {**SAM, "roles": [USER_ADMINISTRATOR], "status": "active"}
    assert not user_admin.is_last_admin([PAT, second], 1)
    assert user_admin.is_last_admin([PAT, {**second, "status": "disabled here"}], 1)
    pending = {**SAM, "pending_roles": [USER_ADMINISTRATOR]}  # a self-given role counts for nothing yet
    assert user_admin.is_last_admin([PAT, pending], 1)


def test_writes_are_queued_in_the_owner_s_name(cache_db: Path) -> None:
    entry = user_admin.add_user(ODS, form(email=" Robin.Lee@nhs.net", confirm_email="robin.lee@nhs.net"),
                                owner=OWNER)
    assert (entry.method, entry.path, entry.owner) == ("POST", f"/practices/{ODS}/users", OWNER)
    assert entry.body["email"] == "robin.lee@nhs.net" and "confirm_email" not in entry.body
    with pytest.raises(UserAdminRefused) as refused:
        user_admin.add_user(ODS, form(email="reception@nhs.net", confirm_email="reception@nhs.net"),
                            owner=OWNER)
    assert refused.value.field == "email"
    second = {**SAM, "status": "active", "roles": [USER_ADMINISTRATOR]}
    queued = user_admin.change_roles(ODS, second, [FINANCE_VIEW], owner=OWNER, practice_name="Riverside",
                                     others=[PAT, second])
    assert [(q.method, q.path) for q in queued] == [
        ("POST", f"/practices/{ODS}/users/2/roles"),
        ("DELETE", f"/practices/{ODS}/users/2/roles/User%20Administrator")]
    assert user_admin.resend_activation(ODS, SAM, owner=OWNER).path.endswith("/2/resend-activation")
    assert len(outbox.items(ODS)) == 4


def test_the_last_administrator_and_oneself_are_refused_before_anything_is_queued(cache_db: Path) -> None:
    with pytest.raises(UserAdminRefused, match="only active User Administrator of Riverside"):
        user_admin.change_roles(ODS, PAT, [VIEW], owner="someone@nhs.net", practice_name="Riverside",
                                others=[PAT, SAM])
    with pytest.raises(UserAdminRefused, match="only active User Administrator"):
        user_admin.disable(ODS, PAT, owner="someone@nhs.net", practice_name="Riverside", others=[PAT, SAM])
    with pytest.raises(UserAdminRefused, match="cannot disable your own"):
        user_admin.disable(ODS, PAT, owner=OWNER, practice_name="Riverside", others=[PAT, SAM])
    with pytest.raises(UserAdminRefused, match="cannot confirm a role you gave yourself"):
        user_admin.confirm_role(ODS, {**PAT, "pending_roles": [FINANCE_VIEW]}, FINANCE_VIEW, owner=OWNER)
    with pytest.raises(UserAdminRefused, match="already activated"):
        user_admin.resend_activation(ODS, PAT, owner=OWNER)
    assert outbox.items(ODS) == []


@pytest.mark.parametrize(("message", "expected"), [
    ("The values were refused. (email: This person is already a user; roles: Not a practice role: Boss.)",
     {"email": "This person is already a user", "roles": "Not a practice role: Boss."}),
    ("This person is already a user of this practice.", {"email": "This person is already a user of this "
                                                                  "practice."}),
    ("The practice must keep at least one active User Administrator.",
     {"roles": "The practice must keep at least one active User Administrator."}),
    ("You do not have permission.", {}),
])
def test_refusals_are_placed_beside_their_field(message: str, expected: dict[str, str]) -> None:
    assert user_list.field_problems(message) == expected


def test_rows_show_what_waits_and_what_was_refused(cache_db: Path) -> None:
    cache_store.apply_feed_page(ODS, [{"type": "user", "id": str(r["id"]), "deleted": False, "data": r}
                                      for r in (PAT, SAM)], 5)
    user_admin.enable(ODS, SAM, owner=OWNER)
    refused = outbox.enqueue(ODS, "user", "POST", f"/practices/{ODS}/users/1/disable", owner=OWNER)
    outbox.mark_conflict(refused.key, None, "The practice must keep at least one active User Administrator.")
    view = user_list.load(ODS, owner=OWNER, administrator=True)
    rows = {row.email: row for row in view.rows}
    assert rows[SAM["email"]].note == "Waiting to be sent: re-enable access." and rows[SAM["email"]].waiting
    assert "Refused by CQRS (disable access)" in rows[OWNER].note
    assert "roles" in rows[OWNER].problems
    mine = user_list.load(ODS, owner=SAM["email"], administrator=False)
    assert [row.email for row in mine.rows] == [SAM["email"]] and not mine.administrator
    assert outbox.get(refused.key).status is OutboxStatus.CONFLICT


def test_an_invitation_whose_link_ran_out_before_the_services_today_shows_as_expired(cache_db: Path) -> None:
    from datetime import date

    invited = {**SAM, "activation_expires": "2026-04-22T09:00:00+00:00"}
    cache_store.apply_feed_page(ODS, [{"type": "user", "id": str(r["id"]), "deleted": False, "data": r}
                                      for r in (PAT, invited)], 5)

    def status(today: date) -> str:
        rows = user_list.load(ODS, owner=OWNER, administrator=True, today=today).rows
        return next(row for row in rows if row.email == SAM["email"]).status
    assert status(date(2026, 4, 22)) == "Invited"  # its last day
    assert status(date(2026, 4, 23)) == "Activation expired"
    assert user_list.load(ODS, owner=OWNER, administrator=True, today=date(2026, 5, 1)).rows[0].status \
        == "Active"  # an activated person is never expired
