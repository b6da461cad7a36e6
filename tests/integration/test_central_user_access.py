"""Who may turn whose access off: a practice's administrator acts at that practice only, a whole
account is the Advanced User Administrator's of the commissioner above the person's home organisation,
no practice loses its last (activated) administrator, nobody disables or enables themselves, and roles
given to oneself wait for a second administrator."""

from __future__ import annotations

from sqlalchemy import select

from central.directory import effective_roles, user_by_email
from central.models import AuditEntry, Organisation, RoleGrant

from .accounts_helpers import add, listed, new_practice, region, user_id, users_path
from .conftest import PASSWORD, Api, World

ACCOUNT = {"scope": "account"}


def _aua(world: World) -> str:
    icb, _pcn = region(world)
    return world.user({icb: ("Advanced User Administrator",)}, "aua")


def _can_see(api: Api, token: str, practice: Organisation) -> bool:
    return api.get(f"/practices/{practice.ods_code}", token).status_code == 200


def test_disabling_here_leaves_the_persons_other_practices_alone(api: Api, world: World) -> None:
    home, other = new_practice(world, "Home"), new_practice(world, "Other")
    other_admin = api.token(world.manager(other))
    staff = world.user({home: ("View",)}, "staff")
    staff_tokens = api.sign_in(staff)
    assert add(api, other_admin, other, email=staff).status_code == 201  # linked by email
    staff_id = user_id(world, staff)
    disabled = api.post(users_path(other, staff_id) + "/disable", other_admin)
    assert disabled.status_code == 200 and disabled.json()["status"] == "disabled here"
    assert not _can_see(api, staff_tokens["access_token"], other)
    assert _can_see(api, staff_tokens["access_token"], home)  # the same sign-in still works at home
    assert api.post("/auth/refresh", json={"refresh_token": staff_tokens["refresh_token"]}).ok
    assert api.sign_in(staff)["access_token"]
    with world.session() as session:
        action = session.scalars(select(AuditEntry.action).where(
            AuditEntry.organisation_id == other.id, AuditEntry.target_id == str(staff_id))
            .order_by(AuditEntry.id.desc())).first()
    assert action == "access disabled here"


def test_enabling_here_does_not_undo_another_practices_disable(api: Api, world: World) -> None:
    home, other = new_practice(world), new_practice(world)
    home_admin, other_admin = api.token(world.manager(home)), api.token(world.manager(other))
    staff = world.user({home: ("View",), other: ("View",)}, "both")
    staff_token, staff_id = api.token(staff), user_id(world, staff)
    assert api.post(users_path(home, staff_id) + "/disable", home_admin).ok
    enabled = api.post(users_path(other, staff_id) + "/enable", other_admin).json()
    assert enabled["status"] == "active"
    assert not _can_see(api, staff_token, home) and _can_see(api, staff_token, other)
    assert listed(api, home_admin, home, staff_id)["status"] == "disabled here"
    # A practice administrator cannot reach the whole account either way.
    assert api.post(users_path(other, staff_id) + "/enable", other_admin, json=ACCOUNT).status_code == 403
    assert not _can_see(api, staff_token, home)


def test_disabling_commissioner_staff_here_keeps_their_commissioner_roles(api: Api, world: World) -> None:
    practice, neighbour = new_practice(world), new_practice(world)
    admin = api.token(world.manager(practice))
    icb, _pcn = region(world)
    approver = world.user({icb: ("Approval Management",)}, "approver")
    assert add(api, admin, practice, email=approver).status_code == 201
    assert api.post(users_path(practice, user_id(world, approver)) + "/disable", admin).ok
    approver_token = api.token(approver)
    assert api.get(f"/practices/{practice.ods_code}", approver_token).json()["your_roles"] == \
        ["Approval Management"]
    assert _can_see(api, approver_token, neighbour)


def test_each_practice_keeps_its_last_administrator(api: Api, world: World) -> None:
    first, second = new_practice(world), new_practice(world)
    lead = world.manager(first)
    lead_id = user_id(world, lead)
    with world.session() as session:  # also the only administrator of the second practice
        session.add(RoleGrant(user_id=lead_id, organisation_id=second.id, role="User Administrator",
                              granted_at=first.created_at))
        session.commit()
    lead_token, aua = api.token(lead), api.token(_aua(world))
    for practice in (first, second):
        refused = api.post(users_path(practice, lead_id) + "/disable", aua)
        assert refused.status_code == 409 and refused.json()["error"]["code"] == "last_user_administrator"
        assert "at least one active User Administrator" in refused.json()["error"]["message"]
    own = api.post(users_path(first, lead_id) + "/disable", lead_token)  # never oneself, last or not
    assert own.status_code == 403 and "your own" in own.json()["error"]["message"]
    # A second administrator at the first practice: the second practice still blocks the whole account.
    deputy = world.user({first: ("User Administrator",)}, "deputy")
    assert api.post(users_path(first, lead_id) + "/disable", api.token(deputy)).ok
    whole = api.post(users_path(first, lead_id) + "/disable", aua, json=ACCOUNT)
    assert whole.status_code == 409 and second.name in whole.json()["error"]["message"]
    assert api.sign_in(lead)["access_token"]  # nothing changed
    # A suspended or pending administrator does not count as the one that is left.
    assert api.call("DELETE", users_path(first, user_id(world, deputy)) + "/roles/User Administrator",
                    api.token(deputy)).status_code == 409


def test_the_advanced_user_administrator_disables_a_whole_account(api: Api, world: World) -> None:
    home, other = new_practice(world), new_practice(world)
    admin = api.token(world.manager(home))
    staff = world.user({home: ("View",), other: ("Achievement Entry",)}, "whole")
    staff_tokens, staff_id = api.sign_in(staff), user_id(world, staff)
    aua = api.token(_aua(world))
    disabled = api.post(users_path(home, staff_id) + "/disable", aua, json=ACCOUNT)
    assert disabled.status_code == 200 and disabled.json()["status"] == "account disabled"
    assert disabled.json()["account_active"] is False
    assert api.get("/me", staff_tokens["access_token"]).status_code == 401
    assert api.post("/auth/refresh", json={"refresh_token": staff_tokens["refresh_token"]}).status_code == 401
    refused = api.post("/auth/token", json={"email": staff, "password": PASSWORD})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "account_disabled"
    other_feed = api.get(f"/practices/{other.ods_code}/changes?limit=1000", aua).json()["changes"]
    mine = [c for c in other_feed if c["type"] == "user" and c["id"] == str(staff_id)]
    assert mine[-1]["data"]["status"] == "account disabled"
    assert listed(api, admin, home, staff_id)["active"] is False
    assert api.post(users_path(home, staff_id) + "/enable", admin, json=ACCOUNT).status_code == 403
    assert api.post(users_path(other, staff_id) + "/enable", aua, json=ACCOUNT).json()["status"] == "active"
    assert api.sign_in(staff)["access_token"]


def test_whole_account_changes_stay_within_the_commissioner(api: Api, world: World) -> None:
    practice = new_practice(world)
    admin = api.token(world.manager(practice))
    staff = world.user({world.elsewhere: ("View",), practice: ("View",)}, "twoicbs")  # at home elsewhere
    staff_id = user_id(world, staff)
    refused = api.post(users_path(practice, staff_id) + "/disable", admin, json=ACCOUNT)
    assert refused.status_code == 403 and "Advanced User Administrator" in refused.json()["error"]["message"]
    outside = api.post(users_path(practice, staff_id) + "/disable", api.token(_aua(world)), json=ACCOUNT)
    assert outside.status_code == 403 and "outside your commissioner" in outside.json()["error"]["message"]
    assert "home organisation" in outside.json()["error"]["message"]
    assert api.sign_in(staff)["access_token"]
    bad = api.post(users_path(practice, staff_id) + "/disable", admin, json={"scope": "everywhere"})
    assert bad.status_code == 422 and "scope" in bad.json()["error"]["fields"]


def test_a_role_given_to_oneself_waits_for_another_administrator(api: Api, world: World) -> None:
    practice = new_practice(world)
    me = world.user({practice: ("User Administrator",)}, "selfgrant")
    me_token, me_id = api.token(me), user_id(world, me)
    asked = api.post(users_path(practice, me_id) + "/roles", me_token, json={"role": "Finance View"}).json()
    assert asked["roles"] == ["User Administrator"] and asked["pending_roles"] == ["Finance View"]
    assert "Finance View" not in api.get(f"/practices/{practice.ods_code}", me_token).json()["your_roles"]
    with world.session() as session:
        user = user_by_email(session, me)
        assert user is not None
        assert effective_roles(session, user, session.get_one(Organisation, practice.id)) == \
            {"User Administrator"}
    own = api.post(users_path(practice, me_id) + "/roles/Finance View/confirm", me_token)
    assert own.status_code == 403 and "another user administrator" in own.json()["error"]["message"].lower()

    colleague = world.user({practice: ("User Administrator",)}, "colleague")
    confirmed = api.post(users_path(practice, me_id) + "/roles/Finance View/confirm", api.token(colleague))
    assert confirmed.json()["roles"] == ["Finance View", "User Administrator"]
    assert confirmed.json()["pending_roles"] == []
    assert "Finance View" in api.get(f"/practices/{practice.ods_code}", me_token).json()["your_roles"]
    with world.session() as session:
        grant = session.scalars(select(RoleGrant).where(RoleGrant.user_id == me_id,
                                                        RoleGrant.role == "Finance View")).one()
        assert grant.confirmed_by_id == user_id(world, colleague) and grant.granted_by_id == me_id
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.target_id == str(me_id),
                                                                  AuditEntry.organisation_id == practice.id))
        assert {"role requested", "role confirmed"} <= set(actions)
    again = api.post(users_path(practice, me_id) + "/roles/Finance View/confirm", api.token(colleague))
    assert again.status_code == 404


def test_adding_oneself_by_email_gives_pending_roles(api: Api, world: World) -> None:
    practice = new_practice(world)
    aua_email = _aua(world)
    aua = api.token(aua_email)
    added = add(api, aua, practice, email=aua_email, roles=["Finance View", "View"])
    assert added.status_code == 201
    assert added.json()["user"]["roles"] == [] and added.json()["user"]["pending_roles"] == \
        ["Finance View", "View"]
    aua_id = user_id(world, aua_email)
    assert "Finance View" not in api.get(f"/practices/{practice.ods_code}", aua).json()["your_roles"]
    assert api.post(users_path(practice, aua_id) + "/roles/View/confirm", aua).status_code == 403
    admin = api.token(world.manager(practice))
    assert api.post(users_path(practice, aua_id) + "/roles/View/confirm", admin).json()["roles"] == ["View"]
    assert listed(api, admin, practice, aua_id)["pending_roles"] == ["Finance View"]
