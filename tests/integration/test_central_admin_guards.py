"""Guards on user administration found by the second security probe: an invitee who never activated is
not the administrator a practice keeps, a whole account belongs to the commissioner of the person's home
organisation whatever links others made, and nobody disables or enables themselves."""

from __future__ import annotations

from .accounts_helpers import add, data_dir, listed, new_practice, region, user_id, users_path
from .conftest import PASSWORD, Api, World
from .mail_outbox import activation_token_from_mail

ACCOUNT = {"scope": "account"}
UA = "User Administrator"


def _aua(api: Api, world: World) -> str:
    icb, _pcn = region(world)
    return api.token(world.user({icb: ("Advanced User Administrator",)}, "aua"))


def test_an_invitee_who_never_activated_is_not_the_administrator_left(api: Api, world: World) -> None:
    practice = new_practice(world, "Castle")
    lead = world.user({practice: (UA, "View")}, "castle")
    lead_token, lead_id = api.token(lead), user_id(world, lead)
    assert add(api, lead_token, practice, email="nobody.reads.this@nhs.net", first_name="No",
               last_name="Body", roles=[UA]).status_code == 201
    invitee = user_id(world, "nobody.reads.this@nhs.net")
    assert listed(api, lead_token, practice, invitee)["status"] == "invited"

    removal = api.call("DELETE", users_path(practice, lead_id) + f"/roles/{UA}", lead_token)
    assert removal.status_code == 409 and removal.json()["error"]["code"] == "last_user_administrator"
    aua = _aua(api, world)
    assert api.post(users_path(practice, lead_id) + "/disable", aua).status_code == 409
    whole = api.post(users_path(practice, lead_id) + "/disable", aua, json=ACCOUNT)
    assert whole.status_code == 409 and practice.name in whole.json()["error"]["message"]
    assert listed(api, lead_token, practice, lead_id)["roles"] == [UA, "View"]  # nothing changed

    code = activation_token_from_mail(data_dir(world), "nobody.reads.this@nhs.net")
    assert api.post("/auth/activate", json={"token": code, "password": "Reads-This-2026"}).ok
    assert api.call("DELETE", users_path(practice, lead_id) + f"/roles/{UA}", lead_token).status_code == 200


def test_a_link_from_another_commissioner_does_not_block_the_home_commissioner(api: Api,
                                                                              world: World) -> None:
    home = new_practice(world, "Bridge")
    manager = world.manager(home)
    world.user({home: (UA,)}, "deputy")  # the home practice keeps an administrator
    outsider = api.token(world.manager(world.elsewhere))  # a practice under another commissioner
    assert add(api, outsider, world.elsewhere, email=manager, roles=["View"]).status_code == 201
    manager_id, aua = user_id(world, manager), _aua(api, world)

    disabled = api.post(users_path(home, manager_id) + "/disable", aua, json=ACCOUNT)
    assert disabled.status_code == 200, disabled.text
    assert disabled.json()["status"] == "account disabled"
    assert api.post("/auth/token", json={"email": manager, "password": PASSWORD}).status_code == 403
    enabled = api.post(users_path(home, manager_id) + "/enable", aua, json=ACCOUNT)
    assert enabled.status_code == 200 and enabled.json()["status"] == "active"
    assert api.sign_in(manager)["access_token"]

    # The other commissioner's practice cannot reach the whole account, even where it linked them.
    refused = api.post(users_path(world.elsewhere, manager_id) + "/disable", outsider, json=ACCOUNT)
    assert refused.status_code == 403


def test_nobody_enables_or_disables_themselves(api: Api, world: World) -> None:
    practice = new_practice(world, "Millbrook")
    manager = api.token(world.manager(practice))
    icb, _pcn = region(world)
    dual = world.user({icb: ("Advanced User Administrator", "Approval Management"),
                       practice: ("User Administrator", "View")}, "dual")
    dual_token, dual_id = api.token(dual), user_id(world, dual)
    suspended = api.post(users_path(practice, dual_id) + "/disable", manager)
    assert suspended.json()["status"] == "disabled here"
    # Their commissioner roles are still theirs...
    assert api.get(f"/practices/{practice.ods_code}", dual_token).json()["your_roles"] == \
        ["Advanced User Administrator", "Approval Management"]
    # ...but they cannot use them to undo their own suspension, or switch their own account.
    for body in (None, {"scope": "practice"}, ACCOUNT):
        for action in ("enable", "disable"):
            refused = api.post(users_path(practice, dual_id) + f"/{action}", dual_token, json=body)
            assert refused.status_code == 403, (action, body)
            assert f"cannot {action} your own access" in refused.json()["error"]["message"]
    assert listed(api, manager, practice, dual_id)["status"] == "disabled here"
    assert api.post(users_path(practice, dual_id) + "/enable", manager).json()["status"] == "active"
