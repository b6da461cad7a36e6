"""Sign-in, throttling, token refresh with rotation and reuse detection, sign-out, activation."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from central.directory import issue_activation, user_by_email
from central.models import ActivationToken, AuditEntry, SignInThrottle, User

from .conftest import PASSWORD, START, Api, FakeClock, World


def test_sign_in_and_me_lists_organisations_and_roles(api: Api, world: World) -> None:
    email = world.user({world.practice: ("View", "Finance View"), world.icb: ("Approval Management",)})
    tokens = api.sign_in(email)
    assert tokens["expires_in"] == 15 * 60
    me = api.get("/me", tokens["access_token"]).json()
    assert me["user"]["email"] == email
    by_ods = {o["ods"]: o for o in me["organisations"]}
    assert by_ods["Z91001"]["roles"] == ["Finance View", "View"]
    assert by_ods["Z91001"]["commissioner"]["ods"] == "Q1X"
    assert by_ods["Q1X"]["roles"] == ["Approval Management"]
    assert {p["ods"] for p in by_ods["Q1X"]["practices"]} == {"Z91001", "Z91002"}


def test_wrong_password_and_unknown_user_get_the_same_answer(api: Api, world: World) -> None:
    email = world.viewer()
    wrong = api.post("/auth/token", json={"email": email, "password": "Not-the-pass-1"})
    unknown = api.post("/auth/token", json={"email": "nobody.here@nhs.net", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


def test_five_failures_lock_sign_in_for_fifteen_minutes(api: Api, world: World, clock: FakeClock) -> None:
    email = world.viewer()
    for _ in range(4):
        assert api.post("/auth/token", json={"email": email, "password": "Wrong-pass-1"}).status_code == 401
    fifth = api.post("/auth/token", json={"email": email, "password": "Wrong-pass-1"})
    assert fifth.status_code == 429
    assert fifth.json()["error"]["code"] == "sign_in_locked"
    assert "Try again after" in fifth.json()["error"]["message"]
    assert int(fifth.headers["Retry-After"]) == 15 * 60
    locked = api.post("/auth/token", json={"email": email, "password": PASSWORD})
    assert locked.status_code == 429  # even the right password waits
    clock.advance(minutes=15, seconds=1)
    assert api.post("/auth/token", json={"email": email, "password": PASSWORD}).status_code == 200


def test_access_token_expires_after_fifteen_minutes(api: Api, world: World, clock: FakeClock) -> None:
    token = api.token(world.viewer())
    assert api.get("/me", token).status_code == 200
    clock.advance(minutes=15, seconds=1)
    expired = api.get("/me", token)
    assert expired.status_code == 401
    assert expired.json()["error"]["code"] == "token_expired"
    assert expired.headers["WWW-Authenticate"] == "Bearer"


def test_refresh_rotates_and_reuse_revokes_the_whole_family(api: Api, world: World) -> None:
    first = api.sign_in(world.viewer())
    second = api.post("/auth/refresh", json={"refresh_token": first["refresh_token"]}).json()
    assert second["refresh_token"] != first["refresh_token"]
    assert api.get("/me", second["access_token"]).status_code == 200
    third = api.post("/auth/refresh", json={"refresh_token": second["refresh_token"]}).json()

    reused = api.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reused.status_code == 401
    assert reused.json()["error"]["code"] == "refresh_token_reused"
    # The whole family is gone: the newest refresh token and every access token of the family.
    assert api.post("/auth/refresh", json={"refresh_token": third["refresh_token"]}).status_code == 401
    assert api.get("/me", third["access_token"]).status_code == 401
    assert api.get("/me", first["access_token"]).status_code == 401


def test_reuse_in_one_sign_in_leaves_other_sign_ins_alone(api: Api, world: World) -> None:
    email = world.viewer()
    laptop, desktop = api.sign_in(email), api.sign_in(email)
    api.post("/auth/refresh", json={"refresh_token": laptop["refresh_token"]})
    api.post("/auth/refresh", json={"refresh_token": laptop["refresh_token"]})
    assert api.get("/me", desktop["access_token"]).status_code == 200


def test_unknown_refresh_token_is_401(api: Api) -> None:
    response = api.post("/auth/refresh", json={"refresh_token": "made-up"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "refresh_token_invalid"


def test_logout_ends_the_sign_in(api: Api, world: World) -> None:
    tokens = api.sign_in(world.viewer())
    assert api.post("/auth/logout", tokens["access_token"]).status_code == 204
    assert api.get("/me", tokens["access_token"]).status_code == 401
    assert api.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).status_code == 401


def _new_user(api: Api, world: World, admin_token: str, email: str) -> dict:
    response = api.post(f"/practices/{world.practice.ods_code}/users", admin_token, json={
        "email": email, "first_name": "Ada", "last_name": "Lovelace", "work_phone": "01632 960001",
        "roles": ["View"]})
    assert response.status_code == 201, response.text
    return response.json()


def test_activation_sets_the_password_once(api: Api, world: World) -> None:
    admin = api.token(world.manager())
    created = _new_user(api, world, admin, "ada.lovelace@nhs.net")
    token = created["activation_token"]
    assert created["activation_expires_in_days"] == 14
    early = api.post("/auth/token", json={"email": "ada.lovelace@nhs.net", "password": PASSWORD})
    assert early.status_code == 403
    assert early.json()["error"]["code"] == "account_not_activated"

    for weak, reason in (("short1A", "8 to 32"), ("alllowercase", "three of"), ("Ada.Lovelace-99", "user id"),
                         ("A" * 20 + "a1!" + "x" * 10, "8 to 32")):
        refused = api.post("/auth/activate", json={"token": token, "password": weak})
        assert refused.status_code == 422, weak
        assert reason in refused.json()["error"]["fields"]["password"]

    assert api.post("/auth/activate", json={"token": token, "password": PASSWORD}).status_code == 200
    assert api.sign_in("ada.lovelace@nhs.net")["access_token"]
    again = api.post("/auth/activate", json={"token": token, "password": "Another-pass-9"})
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "activation_invalid"


def test_activation_expires_after_fourteen_days_and_can_be_resent(api: Api, world: World,
                                                                   clock: FakeClock) -> None:
    admin = api.token(world.manager())
    created = _new_user(api, world, admin, "late.starter@nhs.net")
    clock.advance(days=14, seconds=1)
    expired = api.post("/auth/activate", json={"token": created["activation_token"], "password": PASSWORD})
    assert expired.status_code == 400
    assert expired.json()["error"]["code"] == "activation_expired"

    admin = api.token(world.manager())  # the clock moved: a fresh sign-in
    user_id = created["user"]["id"]
    resent = api.post(f"/practices/{world.practice.ods_code}/users/{user_id}/resend-activation", admin).json()
    clock.advance(days=13)
    assert api.post("/auth/activate", json={"token": resent["activation_token"], "password": PASSWORD}).ok
    admin = api.token(world.manager())
    again = api.post(f"/practices/{world.practice.ods_code}/users/{user_id}/resend-activation", admin)
    assert again.status_code == 409


def test_resending_activation_cancels_the_earlier_link(api: Api, world: World) -> None:
    admin = api.token(world.manager())
    created = _new_user(api, world, admin, "twice.sent@nhs.net")
    api.post(f"/practices/{world.practice.ods_code}/users/{created['user']['id']}/resend-activation", admin)
    old = api.post("/auth/activate", json={"token": created["activation_token"], "password": PASSWORD})
    assert old.status_code == 400


def test_me_tells_the_service_time(api: Api, world: World, clock: FakeClock) -> None:
    token = api.token(world.viewer())
    assert datetime.fromisoformat(api.get("/me", token).json()["server_time"]) == START
    clock.advance(minutes=5)
    assert datetime.fromisoformat(api.get("/me", token).json()["server_time"]) == clock.now


def _sign_in_error(api: Api, email: str, password: str = PASSWORD) -> tuple[int, dict]:
    response = api.post("/auth/token", json={"email": email, "password": password})
    return response.status_code, response.json()["error"]


def test_not_yet_activated_sign_in_says_why(api: Api, world: World, clock: FakeClock) -> None:
    admin = api.token(world.manager())
    created = _new_user(api, world, admin, "not.yet@nhs.net")
    status, error = _sign_in_error(api, "not.yet@nhs.net")
    assert (status, error["code"]) == (403, "account_not_activated")
    assert error["message"] == ("Your account is not activated yet. Use the activation link in your email "
                                "to set a password.")

    clock.advance(days=15)
    status, error = _sign_in_error(api, "not.yet@nhs.net", "Any-guess-123")  # the password does not matter
    assert (status, error["code"]) == (403, "activation_expired")
    assert error["message"] == ("Your account has not been activated and its activation link has expired "
                                "(links last 14 days). Ask your User Administrator to send a new one.")

    admin = api.token(world.manager())  # the clock moved: a fresh sign-in
    api.post(f"/practices/{world.practice.ods_code}/users/{created['user']['id']}/resend-activation", admin)
    status, error = _sign_in_error(api, "not.yet@nhs.net")
    assert (status, error["code"]) == (403, "account_not_activated")


def test_no_activation_link_at_all_counts_as_expired(api: Api, world: World) -> None:
    email = world.user({world.practice: ("View",)}, "unlinked", activated=False)
    status, error = _sign_in_error(api, email)
    assert (status, error["code"]) == (403, "activation_expired")


def test_only_a_live_link_counts_as_waiting(api: Api, world: World) -> None:
    email = world.user({world.practice: ("View",)}, "cancelled", activated=False)
    with world.session() as session:
        user = user_by_email(session, email)
        assert user is not None
        issue_activation(session, user, START)
        session.commit()
    assert _sign_in_error(api, email)[1]["code"] == "account_not_activated"
    with world.session() as session:  # the link is cancelled, and another one is used: none still works
        links = session.scalars(select(ActivationToken).where(ActivationToken.user_id == user.id)).all()
        links[0].revoked_at = START
        session.add(ActivationToken(user_id=user.id, token_hash="0" * 64, issued_at=START,
                                    expires_at=START + timedelta(days=14), used_at=START))
        session.commit()
    assert _sign_in_error(api, email)[1]["code"] == "activation_expired"


def test_not_activated_attempts_are_throttled_and_audited(api: Api, world: World) -> None:
    email = world.user({world.practice: ("View",)}, "throttled", activated=False)
    for _ in range(4):
        assert _sign_in_error(api, email, "Guess-pass-1")[0] == 403
    fifth = api.post("/auth/token", json={"email": email, "password": "Guess-pass-1"})
    assert fifth.status_code == 429
    assert fifth.json()["error"]["code"] == "sign_in_locked"
    assert _sign_in_error(api, email)[0] == 429  # still locked, whatever is sent
    with world.session() as session:
        user_id = session.scalars(select(User.id).where(User.email == email)).one()
        failures = session.scalars(select(AuditEntry).where(AuditEntry.action == "sign-in failed",
                                                            AuditEntry.target_id == str(user_id))).all()
        assert len(failures) == 5
        assert session.get_one(SignInThrottle, email).blocked_until is not None


def test_disabled_account_without_password_gets_the_plain_answer(api: Api, world: World) -> None:
    email = world.user({world.practice: ("View",)}, "gone", activated=False)
    with world.session() as session:
        user = user_by_email(session, email)
        assert user is not None
        issue_activation(session, user, START)
        user.active = False
        session.commit()
    status, error = _sign_in_error(api, email)
    assert (status, error["code"]) == (401, "invalid_credentials")
