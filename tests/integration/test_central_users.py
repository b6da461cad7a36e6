"""User administration: NHS email and required fields, roles, disabling (never deleting), and the
rule that a practice always keeps an active User Administrator."""

from __future__ import annotations

from sqlalchemy import select

from app.services.account_rules import generic_mailbox_problem
from central.models import AuditEntry

from .accounts_helpers import user_id
from .conftest import Api, World
from .mail_outbox import activation_token_from_mail

USERS = "/practices/Z91002/users"


def _body(**changes: object) -> dict:
    body = {"email": "new.person@nhs.net", "first_name": "New", "last_name": "Person",
            "work_phone": "01632 960002", "roles": ["View"]}
    return {**body, **changes}


def _only_admin(api: Api, world: World) -> tuple[str, int]:
    """A fresh practice-next-door administrator and their user id."""
    email = world.manager(world.neighbour)
    token = api.token(email)
    users = api.get(USERS, token).json()["users"]
    return token, next(u["id"] for u in users if u["email"] == email)


def test_new_users_need_an_nhs_email_and_the_required_fields(api: Api, world: World) -> None:
    token = api.token(world.manager(world.neighbour))
    gmail = api.post(USERS, token, json=_body(email="someone@gmail.com"))
    assert gmail.status_code == 422
    assert "@nhs.net or @nhs.uk" in gmail.json()["error"]["fields"]["email"]
    blank = api.post(USERS, token, json=_body(first_name=" ", work_phone=""))
    assert set(blank.json()["error"]["fields"]) == {"first_name", "work_phone"}
    missing = api.post(USERS, token, json={"email": "x@nhs.uk"})
    assert set(missing.json()["error"]["fields"]) == {"first_name", "last_name", "work_phone"}
    bad_role = api.post(USERS, token, json=_body(roles=["Approval Management"]))
    assert "roles" in bad_role.json()["error"]["fields"]


def test_shared_mailboxes_are_refused_with_the_rule_the_desktop_uses(api: Api, world: World) -> None:
    token = api.token(world.manager(world.neighbour))
    for email in ("reception@nhs.net", "Admin@nhs.uk", "enquiries@nhs.net", "info2@nhs.net",
                  "office+cqrs@nhs.net", "practice@nhs.net"):
        refused = api.post(USERS, token, json=_body(email=email))
        assert refused.status_code == 422, email
        assert refused.json()["error"]["fields"]["email"] == generic_mailbox_problem(email)
    assert api.post(USERS, token, json=_body(email="reception.lead@nhs.net")).status_code == 201


def test_add_user_with_optional_mobile_then_grant_and_remove_roles(api: Api, world: World) -> None:
    token = api.token(world.manager(world.neighbour))
    created = api.post(USERS, token, json=_body(email="Mobile.Person@NHS.uk", mobile="07700 900123"))
    assert created.status_code == 201
    user = created.json()["user"]
    assert user["email"] == "mobile.person@nhs.uk" and user["mobile"] == "07700 900123"
    assert user["roles"] == ["View"] and "activation_token" not in created.json() and "id" not in user
    user["id"] = user_id(world, "mobile.person@nhs.uk")
    listed = next(u for u in api.get(USERS, token).json()["users"] if u["id"] == user["id"])
    assert listed["activated"] is False and listed["status"] == "invited"
    granted = api.post(f"{USERS}/{user['id']}/roles", token, json={"role": "Achievement Entry"}).json()
    assert granted["roles"] == ["Achievement Entry", "View"]
    assert api.post(f"{USERS}/{user['id']}/roles", token, json={"role": "Boss"}).status_code == 422
    removed = api.call("DELETE", f"{USERS}/{user['id']}/roles/View", token).json()
    assert removed["roles"] == ["Achievement Entry"]
    assert api.post(USERS, token, json=_body(email="mobile.person@nhs.uk")).status_code == 409


def test_the_last_user_administrator_cannot_be_removed_or_disabled(api: Api, world: World) -> None:
    # Start from a practice whose administrators are all disabled except one.
    token, me = _only_admin(api, world)
    users = api.get(USERS, token).json()["users"]
    for other in users:
        if other["id"] != me and other["active"] and "User Administrator" in other["roles"]:
            assert api.post(f"{USERS}/{other['id']}/disable", token).status_code == 200
    removal = api.call("DELETE", f"{USERS}/{me}/roles/User Administrator", token)
    assert removal.status_code == 409
    assert removal.json()["error"]["code"] == "last_user_administrator"
    aua = api.token(world.commissioner("Advanced User Administrator"))
    assert api.post(f"{USERS}/{me}/disable", aua).status_code == 409

    api.post(USERS, token, json=_body(email="deputy.admin@nhs.net", roles=["User Administrator"]))
    deputy_id = user_id(world, "deputy.admin@nhs.net")
    deputy_code = activation_token_from_mail(world.server.app.state.settings.data_dir, "deputy.admin@nhs.net")
    api.call("POST", "/auth/activate", json={"token": deputy_code, "password": "Deputy-Pass-2026"})
    assert api.call("DELETE", f"{USERS}/{me}/roles/User Administrator", token).status_code == 200
    # Now the deputy is the only one left.
    assert api.post(f"{USERS}/{deputy_id}/disable", aua).status_code == 409


def test_disabled_users_lose_the_practice_at_once_and_are_never_deleted(api: Api, world: World) -> None:
    admin = api.token(world.manager(world.neighbour))
    staff = world.user({world.neighbour: ("View",)}, "staff")
    staff_token = api.token(staff)
    staff_id = next(u["id"] for u in api.get(USERS, admin).json()["users"] if u["email"] == staff)
    assert api.get("/practices/Z91002", staff_token).status_code == 200
    disabled = api.post(f"{USERS}/{staff_id}/disable", admin).json()
    assert disabled["active"] is False and disabled["status"] == "disabled here"
    assert disabled["account_active"] is True and disabled["roles"] == ["View"]
    assert api.get("/practices/Z91002", staff_token).status_code == 404  # at once, for this practice
    assert any(u["id"] == staff_id for u in api.get(USERS, admin).json()["users"])
    assert api.call("DELETE", f"{USERS}/{staff_id}", admin).status_code in (404, 405)
    enabled = api.post(f"{USERS}/{staff_id}/enable", admin).json()
    assert enabled["active"] is True and enabled["status"] == "active"
    assert api.get("/practices/Z91002", staff_token).status_code == 200


def test_commissioner_advanced_user_administrator_can_manage_practice_users(api: Api, world: World) -> None:
    token = api.token(world.commissioner("Advanced User Administrator"))
    assert api.get(USERS, token).status_code == 200
    created = api.post(USERS, token, json=_body(email="from.icb@nhs.net"))
    assert created.status_code == 201
    approver = api.token(world.commissioner("Approval Management"))
    assert api.get(USERS, approver).status_code == 403


def test_user_changes_are_audited_and_only_administrators_see_users(api: Api, world: World) -> None:
    admin = api.token(world.manager(world.neighbour))
    assert api.post(USERS, admin, json=_body(email="audited.person@nhs.net")).status_code == 201
    with world.session() as session:
        entry = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "user added",
            AuditEntry.target_id == str(user_id(world, "audited.person@nhs.net")))).one()
        assert entry.organisation_id == world.neighbour.id and entry.source_address == "127.0.0.1"
    admin_feed = api.get("/practices/Z91002/changes?limit=1000", admin).json()["changes"]
    assert any(c["type"] == "user" and c["data"]["email"] == "audited.person@nhs.net" for c in admin_feed)
    viewer = api.token(world.user({world.neighbour: ("View", "Finance View")}, "reader"))
    viewer_feed = api.get("/practices/Z91002/changes?limit=1000", viewer).json()["changes"]
    assert viewer_feed and not any(c["type"] == "user" for c in viewer_feed)
    assert "activation_token" not in str(admin_feed)
