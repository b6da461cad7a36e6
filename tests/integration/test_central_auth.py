"""Sign-in, throttling, token refresh with rotation and reuse detection, sign-out, activation."""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from central.db import begin_write
from central.directory import issue_activation, user_by_email
from central.models import ActivationToken, AuditEntry, SignInThrottle, User
from central.security import FAILURES_BEFORE_WAIT
from central.server import RunningServer
from central.tokens import GRACE_WINDOW

from .accounts_helpers import user_id as id_of
from .conftest import PASSWORD, START, Api, FakeClock, World
from .mail_outbox import activation_token_from_mail
from .sources import Sources, forget_failed_sign_ins


@pytest.fixture(autouse=True)
def _forget_failures(world: World) -> Iterator[None]:
    """Failed sign-ins here must not make later tests' sign-ins from 127.0.0.1 wait."""
    yield
    forget_failed_sign_ins(world)


@pytest.fixture
def sources(server: RunningServer) -> Iterator[Sources]:
    made = Sources(server)
    yield made
    made.close()


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
    assert {p["ods"] for p in by_ods["Q1X"]["practices"]} >= {"Z91001", "Z91002"}  # others add more


def test_wrong_password_and_unknown_user_get_the_same_answer(api: Api, world: World) -> None:
    email = world.viewer()
    wrong = api.post("/auth/token", json={"email": email, "password": "Not-the-pass-1"})
    unknown = api.post("/auth/token", json={"email": "nobody.here@nhs.net", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


def test_five_failures_make_that_email_wait_at_that_source(sources: Sources, world: World,
                                                           clock: FakeClock) -> None:
    email = world.viewer()
    desk = sources.new()
    for _ in range(FAILURES_BEFORE_WAIT - 1):
        assert desk.post("/auth/token", json={"email": email, "password": "Wrong-pass-1"}).status_code == 401
    fifth = desk.post("/auth/token", json={"email": email, "password": "Wrong-pass-1"})
    assert fifth.status_code == 429
    assert fifth.json()["error"] == {
        "code": "sign_in_throttled",
        "message": "Too many failed sign-in attempts. Please wait 1 second and try again."}
    assert fifth.headers["Retry-After"] == "1"
    waiting = desk.post("/auth/token", json={"email": email, "password": PASSWORD})
    assert waiting.status_code == 429  # even the right password waits, from this source
    assert sources.new().post("/auth/token", json={"email": email, "password": PASSWORD}).status_code == 200
    clock.advance(seconds=1)
    assert desk.post("/auth/token", json={"email": email, "password": PASSWORD}).status_code == 200


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


def test_reuse_in_one_sign_in_leaves_other_sign_ins_alone(api: Api, world: World, clock: FakeClock) -> None:
    email = world.viewer()
    laptop, desktop = api.sign_in(email), api.sign_in(email)
    api.post("/auth/refresh", json={"refresh_token": laptop["refresh_token"]})
    clock.advance(seconds=GRACE_WINDOW.total_seconds() + 1)
    reused = api.post("/auth/refresh", json={"refresh_token": laptop["refresh_token"]})
    assert reused.json()["error"]["code"] == "refresh_token_reused"
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
    assert "activation_token" not in response.text
    return response.json()


def _mailed_code(world: World, email: str) -> str:
    return activation_token_from_mail(world.server.app.state.settings.data_dir, email)


def test_activation_sets_the_password_once(api: Api, world: World) -> None:
    admin = api.token(world.manager())
    _new_user(api, world, admin, "ada.lovelace@nhs.net")
    token = _mailed_code(world, "ada.lovelace@nhs.net")
    early = api.post("/auth/token", json={"email": "ada.lovelace@nhs.net", "password": PASSWORD})
    assert early.status_code == 401  # no password yet: the same answer as a wrong one
    assert early.json()["error"]["code"] == "invalid_credentials"

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
    _new_user(api, world, admin, "late.starter@nhs.net")
    first_code = _mailed_code(world, "late.starter@nhs.net")
    clock.advance(days=14, seconds=1)
    expired = api.post("/auth/activate", json={"token": first_code, "password": PASSWORD})
    assert expired.status_code == 400
    assert expired.json()["error"]["code"] == "activation_expired"

    admin = api.token(world.manager())  # the clock moved: a fresh sign-in
    user_id = id_of(world, "late.starter@nhs.net")
    resent = api.post(f"/practices/{world.practice.ods_code}/users/{user_id}/resend-activation", admin).json()
    assert resent["expires_in_days"] == 14 and "activation_token" not in resent
    new_code = _mailed_code(world, "late.starter@nhs.net")
    assert new_code != first_code
    clock.advance(days=13)
    assert api.post("/auth/activate", json={"token": new_code, "password": PASSWORD}).ok
    admin = api.token(world.manager())
    again = api.post(f"/practices/{world.practice.ods_code}/users/{user_id}/resend-activation", admin)
    assert again.status_code == 409


def test_resending_activation_cancels_the_earlier_link(api: Api, world: World) -> None:
    admin = api.token(world.manager())
    _new_user(api, world, admin, "twice.sent@nhs.net")
    first_code = _mailed_code(world, "twice.sent@nhs.net")
    twice = id_of(world, "twice.sent@nhs.net")
    api.post(f"/practices/{world.practice.ods_code}/users/{twice}/resend-activation", admin)
    old = api.post("/auth/activate", json={"token": first_code, "password": PASSWORD})
    assert old.status_code == 400


def test_me_tells_the_service_time(api: Api, world: World, clock: FakeClock) -> None:
    token = api.token(world.viewer())
    assert datetime.fromisoformat(api.get("/me", token).json()["server_time"]) == START
    clock.advance(minutes=5)
    assert datetime.fromisoformat(api.get("/me", token).json()["server_time"]) == clock.now


def _sign_in_error(api: Api, email: str, password: str = PASSWORD) -> tuple[int, dict]:
    response = api.post("/auth/token", json={"email": email, "password": password})
    return response.status_code, response.json()["error"]


def _not_activated(world: World, link: str) -> str:
    """A user who never set a password, whose activation link is ``live``, ``expired``, ``cancelled``,
    ``used`` (by someone, somehow) or ``none``."""
    email = world.user({world.practice: ("View",)}, f"not-activated-{link}", activated=False)
    with world.session() as session:
        begin_write(session)
        user = user_by_email(session, email)
        assert user is not None
        if link != "none":
            issue_activation(session, user, START - timedelta(days=15) if link == "expired" else START)
        row = session.scalars(select(ActivationToken).where(ActivationToken.user_id == user.id)).first()
        if link == "cancelled":
            assert row is not None
            row.revoked_at = START
        if link == "used":
            assert row is not None
            row.used_at = START
        session.commit()
    return email


def test_an_account_not_yet_activated_gets_the_same_answer_as_an_unknown_email(api: Api,
                                                                               world: World) -> None:
    unknown = api.post("/auth/token", json={"email": "no.such.person@nhs.net", "password": PASSWORD})
    assert unknown.status_code == 401
    assert unknown.json() == {"error": {
        "code": "invalid_credentials",
        "message": "The email or password is not right. If you have not activated your account yet, use "
                   "the link in your email first."}}
    for link in ("live", "expired", "cancelled", "used", "none"):
        email = _not_activated(world, link)
        for password in (PASSWORD, "Any-guess-123"):
            answer = api.post("/auth/token", json={"email": email, "password": password})
            assert (answer.status_code, answer.json()) == (401, unknown.json()), link
            assert answer.headers.keys() == unknown.headers.keys()


def test_an_unknown_email_costs_as_much_time_as_a_known_one(api: Api, world: World) -> None:
    """Both check a password with argon2 (an unknown one against a dummy hash), so timing tells nothing."""
    known, waiting = world.viewer(), _not_activated(world, "live")

    def median_seconds(email: str) -> float:
        times = []
        for _ in range(3):
            started = time.perf_counter()
            answer = api.post("/auth/token", json={"email": email, "password": "Wrong-pass-9"})
            assert answer.status_code == 401
            times.append(time.perf_counter() - started)
        forget_failed_sign_ins(world)
        return statistics.median(times)

    wrong_password = median_seconds(known)
    for email in ("no.such.person.either@nhs.net", waiting):
        assert median_seconds(email) > wrong_password / 2, email


def test_not_activated_attempts_are_throttled_and_audited(sources: Sources, world: World) -> None:
    email = _not_activated(world, "live")
    desk = sources.new()
    for _ in range(FAILURES_BEFORE_WAIT - 1):
        answer = desk.post("/auth/token", json={"email": email, "password": "Guess-pass-1"})
        assert answer.json()["error"]["code"] == "invalid_credentials"
    fifth = desk.post("/auth/token", json={"email": email, "password": "Guess-pass-1"})
    assert fifth.status_code == 429
    assert fifth.json()["error"]["code"] == "sign_in_throttled"
    assert desk.post("/auth/token", json={"email": email, "password": PASSWORD}).status_code == 429
    # No lock on the account: from another address it is the usual answer.
    assert sources.new().post("/auth/token", json={"email": email, "password": PASSWORD}).status_code == 401
    with world.session() as session:
        user_id = session.scalars(select(User.id).where(User.email == email)).one()
        failures = session.scalars(select(AuditEntry).where(AuditEntry.action == "sign-in failed",
                                                            AuditEntry.target_id == str(user_id))).all()
        assert len(failures) == FAILURES_BEFORE_WAIT + 1
        assert session.get(SignInThrottle, email) is None  # nothing is kept per email alone
        pair = session.get_one(SignInThrottle, f"email|{email}|{desk.address}")
        assert (pair.failures, pair.blocked_until) == (FAILURES_BEFORE_WAIT, START + timedelta(seconds=1))


def test_a_disabled_account_is_named_only_to_someone_with_its_password(api: Api, world: World) -> None:
    email = world.viewer()
    with world.session() as session:
        begin_write(session)
        user = user_by_email(session, email)
        assert user is not None
        user.active = False
        session.commit()
    wrong = api.post("/auth/token", json={"email": email, "password": "Wrong-pass-1"})
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (401, "invalid_credentials")
    right = api.post("/auth/token", json={"email": email, "password": PASSWORD})
    assert (right.status_code, right.json()["error"]["code"]) == (403, "account_disabled")


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
