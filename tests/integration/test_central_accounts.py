"""Accounts across practices: adding an email that already has an account takes nothing over and
tells nothing, invitations belong to the practice that sent them, activation codes travel only by
mail, and names may not carry an NHS number."""

from __future__ import annotations

import logging
import stat

import pytest
from sqlalchemy import select

from central.directory import user_by_email
from central.mail import outbox
from central.models import ActivationToken, AuditEntry

from .accounts_helpers import add, data_dir, listed, new_practice, region, user_id, users_path
from .conftest import PASSWORD, Api, World
from .mail_outbox import activation_token_from_mail, body_of, mails_to


def test_another_practices_invited_user_cannot_be_taken_over(api: Api, world: World) -> None:
    home, other = new_practice(world, "Home"), new_practice(world, "Attacker")
    home_admin, attacker = api.token(world.manager(home)), api.token(world.manager(other))
    invited = add(api, home_admin, home, email="victim.one@nhs.net", first_name="Vera",
                  last_name="Stored", work_phone="01632 960777")
    assert invited.status_code == 201
    home_code = activation_token_from_mail(data_dir(world), "victim.one@nhs.net")

    taken = add(api, attacker, other, email="victim.one@nhs.net", first_name="Mal", last_name="Lory",
                work_phone="01632 960999", roles=["User Administrator"])
    assert taken.status_code == 201
    assert "activation" not in taken.text and home_code not in taken.text
    assert "Vera" not in taken.text and "Stored" not in taken.text and "960777" not in taken.text
    assert taken.json()["user"]["first_name"] == "Mal"  # only what the attacker sent comes back

    # No new code was made and none went anywhere but the person's own inbox.
    assert activation_token_from_mail(data_dir(world), "victim.one@nhs.net") == home_code
    with world.session() as session:
        victim = user_by_email(session, "victim.one@nhs.net")
        assert victim is not None and victim.first_name == "Vera" and victim.work_phone == "01632 960777"
        links = session.scalars(select(ActivationToken).where(ActivationToken.user_id == victim.id)).all()
        assert len(links) == 1 and links[0].revoked_at is None
    last = mails_to(data_dir(world), "victim.one@nhs.net")[-1]
    assert "Attacker" in str(last["Subject"]) and "Activation code" not in body_of(last)

    # The home practice's link still works, and only the person's own password signs them in.
    activated = api.post("/auth/activate", json={"token": home_code, "password": "Vera-Owns-This-9"})
    assert activated.status_code == 200
    assert api.post("/auth/token", json={"email": "victim.one@nhs.net", "password": PASSWORD}).status_code \
        == 401
    victim_token = api.sign_in("victim.one@nhs.net", "Vera-Owns-This-9")["access_token"]
    assert api.get(f"/practices/{home.ods_code}", victim_token).json()["your_roles"] == ["View"]


def test_new_and_existing_emails_get_the_same_answer(api: Api, world: World) -> None:
    practice, elsewhere = new_practice(world), new_practice(world)
    admin = api.token(world.manager(practice))
    existing = world.user({elsewhere: ("View",)}, "known")
    fresh = add(api, admin, practice, email="never.seen@nhs.net")
    known = add(api, admin, practice, email=existing)
    assert fresh.status_code == known.status_code == 201
    assert fresh.json().keys() == known.json().keys()
    assert fresh.json()["user"].keys() == known.json()["user"].keys()
    assert "id" not in fresh.json()["user"]  # ids are sequential: an old one would tell
    assert {**fresh.json()["user"], "email": existing} == known.json()["user"]
    for response, email in ((fresh, "never.seen@nhs.net"), (known, existing)):
        sent = response.json()["user"]
        assert (sent["email"], sent["first_name"], sent["roles"]) == (email, "Sam", ["View"])
        assert response.json()["message"] == (f"We have emailed {email} to say they can now use CQRS for "
                                              f"{practice.name}.")
    with world.session() as session:
        actions = session.scalars(select(AuditEntry.action).where(
            AuditEntry.organisation_id == practice.id, AuditEntry.target_type == "user")).all()
    assert actions == ["user added", "user added"]
    # Now a user here, the person is listed with what was typed, never what their account holds.
    shown = listed(api, admin, practice, user_id(world, existing))
    assert shown["last_name"] == "Jones" and shown["roles"] == ["View"]
    again = add(api, admin, practice, email=existing)
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_a_user"


def test_only_the_inviting_practice_can_resend_the_invitation(api: Api, world: World) -> None:
    home, other = new_practice(world), new_practice(world)
    home_admin, other_admin = api.token(world.manager(home)), api.token(world.manager(other))
    add(api, home_admin, home, email="invited.two@nhs.net")
    home_code = activation_token_from_mail(data_dir(world), "invited.two@nhs.net")
    invited = user_id(world, "invited.two@nhs.net")
    # Unrelated practice: not their user at all.
    assert api.post(users_path(other, invited) + "/resend-activation", other_admin).status_code == 404
    # Linked to the other practice too: it is answered as for an invitation (so that it cannot tell the
    # account existed), but only the home invitation's code exists; the person is told of the access again.
    assert add(api, other_admin, other, email="invited.two@nhs.net").status_code == 201
    answered = api.post(users_path(other, invited) + "/resend-activation", other_admin)
    assert answered.status_code == 200 and answered.json()["sent"] is True
    assert activation_token_from_mail(data_dir(world), "invited.two@nhs.net") == home_code
    assert "Activation code" not in body_of(mails_to(data_dir(world), "invited.two@nhs.net")[-1])
    assert api.post("/auth/activate", json={"token": home_code, "password": "Invited-Two-77"}).ok

    # The commissioner's Advanced User Administrator may resend it, but only at the inviting practice.
    add(api, home_admin, home, email="invited.three@nhs.net")
    third = user_id(world, "invited.three@nhs.net")
    add(api, other_admin, other, email="invited.three@nhs.net")
    icb, _pcn = region(world)
    aua = api.token(world.user({icb: ("Advanced User Administrator",)}, "aua"))
    assert api.post(users_path(other, third) + "/resend-activation", aua).status_code == 200
    third_code = activation_token_from_mail(data_dir(world), "invited.three@nhs.net")
    resent = api.post(users_path(home, third) + "/resend-activation", aua)
    new_code = activation_token_from_mail(data_dir(world), "invited.three@nhs.net")
    assert resent.status_code == 200 and new_code not in resent.text and new_code != third_code
    assert api.post("/auth/activate", json={"token": new_code, "password": "Invited-Three-77"}).ok


def test_activation_mail_is_private_and_its_code_activates(api: Api, world: World) -> None:
    practice = new_practice(world, "Mail")
    admin = api.token(world.manager(practice))
    assert add(api, admin, practice, email="mailed.person@nhs.net", first_name="Mo").status_code == 201
    folder = outbox(data_dir(world))
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in folder.glob("*.eml"))
    (message,) = mails_to(data_dir(world), "mailed.person@nhs.net")
    assert practice.name in str(message["Subject"]) and "Hello Mo" in body_of(message)
    assert "19 Nov 2025" in body_of(message)  # 14 days from the service's today
    code = activation_token_from_mail(data_dir(world), "mailed.person@nhs.net")
    changes = api.get(f"/practices/{practice.ods_code}/changes?limit=1000", admin).json()["changes"]
    published = [c["data"] for c in changes if c["type"] == "user" and c["data"]["email"] ==
                 "mailed.person@nhs.net"]
    assert published[-1]["status"] == "invited" and published[-1]["roles"] == ["View"]
    assert api.post("/auth/activate", json={"token": code, "password": "Mailed-Person-1"}).ok
    assert api.sign_in("mailed.person@nhs.net", "Mailed-Person-1")["access_token"]
    assert listed(api, admin, practice, user_id(world, "mailed.person@nhs.net"))["status"] == "active"


def test_activation_codes_never_reach_a_response_or_a_log(api: Api, world: World,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    practice, other = new_practice(world), new_practice(world)
    admin, other_admin = api.token(world.manager(practice)), api.token(world.manager(other))
    responses = [add(api, admin, practice, email="secret.keeper@nhs.net")]
    first = activation_token_from_mail(data_dir(world), "secret.keeper@nhs.net")
    keeper = user_id(world, "secret.keeper@nhs.net")
    responses.append(api.post(users_path(practice, keeper) + "/resend-activation", admin))
    second = activation_token_from_mail(data_dir(world), "secret.keeper@nhs.net")
    responses += [add(api, other_admin, other, email="secret.keeper@nhs.net"),
                  api.post(users_path(other, keeper) + "/resend-activation", other_admin),
                  api.get(users_path(practice), admin), api.get(users_path(other), other_admin),
                  api.get(f"/practices/{practice.ods_code}/changes?limit=1000", admin),
                  api.get(f"/practices/{other.ods_code}/changes?limit=1000", other_admin),
                  api.post("/auth/activate", json={"token": second, "password": "Secret-Keeper-5"})]
    assert first != second and responses[-1].ok
    for response in responses:
        assert first not in response.text and second not in response.text
    for code in (first, second):
        assert code not in caplog.text
        # Nowhere in the service's files (database, logs) but the outbox.
        for path in data_dir(world).rglob("*"):
            if path.is_file() and outbox(data_dir(world)) not in path.parents:
                assert code.encode() not in path.read_bytes(), path.name


@pytest.mark.parametrize("field", ["first_name", "last_name"])
def test_a_name_holding_an_nhs_number_is_refused_without_repeating_it(api: Api, world: World,
                                                                      field: str) -> None:
    practice = new_practice(world)
    admin = api.token(world.manager(practice))
    email = f"nhs.number.{field.replace('_', '')}@nhs.net"
    refused = add(api, admin, practice, email=email, **{field: "Jo 943 476 5919"})
    assert refused.status_code == 422
    fields = refused.json()["error"]["fields"]
    assert list(fields) == [field] and "NHS number" in fields[field]
    assert "5919" not in refused.text and "9434765919" not in refused.text
    with world.session() as session:
        assert user_by_email(session, email) is None  # nothing stored
    assert mails_to(data_dir(world), email) == []
