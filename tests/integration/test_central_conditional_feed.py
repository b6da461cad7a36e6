"""The feed's conditional answers (ETag / If-None-Match → 304) and the 5-second token lookup cache:
a 304 only when nothing is new and nothing about what the caller may see has changed."""

from __future__ import annotations

import requests
from sqlalchemy import update

from central import feed
from central.directory import create_organisation, grant_role, revoke_role, suspend, user_by_email
from central.models import PRACTICE, AccessToken, Organisation
from central.security import APPROVAL_MANAGEMENT, FINANCE_VIEW, PRACTICE_ROLES, VIEW, token_digest

from .conftest import START, Api, FakeClock, World


def _practice(world: World, ods: str) -> Organisation:  # Z903xx: a range no other test file uses
    with world.session() as session:
        pcn = session.get_one(Organisation, world.practice.parent_id)
        practice = create_organisation(session, PRACTICE, ods, f"Practice {ods}", START, parent=pcn)
        feed.publish(session, practice.id, feed.RESULT, "QOF:DM001",
                     {"points": "12.50", "payment_gbp": "2,500.00"})
        session.commit()
        return practice


def _publish(world: World, practice: Organisation, record_id: str) -> None:
    with world.session() as session:
        feed.publish(session, practice.id, feed.RESULT, record_id,
                     {"points": "1.00", "payment_gbp": "200.00"})
        session.commit()


def _up_to_date(api: Api, token: str, ods: str) -> tuple[int, str, dict]:
    """Read the whole feed; the cursor, the ETag and the body of the last page."""
    since = 0
    while True:
        response = api.get(f"/practices/{ods}/changes?since={since}&limit=1000", token)
        assert response.status_code == 200, response.text
        page = response.json()
        since = page["next"]
        if not page["more"]:
            return since, response.headers["ETag"], page


def _again(api: Api, token: str, ods: str, since: int, etag: str) -> requests.Response:
    return api.get(f"/practices/{ods}/changes?since={since}", token, headers={"If-None-Match": etag})


def test_nothing_new_is_a_304_with_no_body_and_a_resent_request_gets_the_same(api: Api, world: World) -> None:
    token = api.token(world.manager(_practice(world, "Z90301")))
    since, etag, page = _up_to_date(api, token, "Z90301")
    assert etag.startswith('W/"') and page["you"]["roles"] == sorted(PRACTICE_ROLES)
    for _ in range(2):  # the reply to the first was lost: sending it again is harmless
        unchanged = _again(api, token, "Z90301", since, etag)
        assert unchanged.status_code == 304 and unchanged.content == b""
        assert unchanged.headers["ETag"] == etag
    assert api.get(f"/practices/Z90301/changes?since={since}", token,
                   headers={"If-None-Match": "*"}).status_code == 200  # only a shown tag earns a 304


def test_a_new_change_is_never_hidden_by_a_304(api: Api, world: World) -> None:
    practice = _practice(world, "Z90302")
    token = api.token(world.user({practice: (VIEW, FINANCE_VIEW)}, "etag"))
    since, etag, _ = _up_to_date(api, token, "Z90302")
    _publish(world, practice, "QOF:AF001")
    changed = _again(api, token, "Z90302", since, etag)
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert [c["id"] for c in changed.json()["changes"]] == ["QOF:AF001"]
    # A client that lost that answer resends the same request: it gets the change again, not a 304.
    assert _again(api, token, "Z90302", since, etag).json()["changes"] == changed.json()["changes"]


def test_another_practices_or_another_persons_etag_gets_the_full_answer(api: Api, world: World) -> None:
    first, second = _practice(world, "Z90303"), _practice(world, "Z90304")
    both = api.token(world.user({first: (VIEW,), second: (VIEW,)}, "etag"))
    since_first, etag_first, _ = _up_to_date(api, both, "Z90303")
    since_second, etag_second, _ = _up_to_date(api, both, "Z90304")
    assert etag_first != etag_second
    replayed = _again(api, both, "Z90304", since_second, etag_first)
    assert replayed.status_code == 200 and replayed.headers["ETag"] == etag_second
    colleague = api.token(world.user({first: (VIEW,)}, "etag"))  # the same roles at the same practice
    borrowed = _again(api, colleague, "Z90303", since_first, etag_first)
    assert borrowed.status_code == 200 and borrowed.headers["ETag"] != etag_first


def test_a_caller_whose_roles_changed_gets_the_new_answer_without_money(api: Api, world: World) -> None:
    practice = _practice(world, "Z90305")
    email = world.user({practice: (VIEW, FINANCE_VIEW)}, "etag")
    token = api.token(email)
    since, etag, page = _up_to_date(api, token, "Z90305")
    assert page["you"]["roles"] == [FINANCE_VIEW, VIEW]
    with world.session() as session:
        revoke_role(session, user_by_email(session, email), session.get_one(Organisation, practice.id),
                    FINANCE_VIEW, START)
        session.commit()
    after = _again(api, token, "Z90305", since, etag)
    assert after.status_code == 200 and after.headers["ETag"] != etag  # no change in the feed itself
    assert after.json()["you"]["roles"] == [VIEW]
    full = api.get("/practices/Z90305/changes?since=0", token).json()["changes"]
    results = [c["data"] for c in full if c["type"] == "result"]
    assert results == [{"points": "12.50"}]  # £ gone with the role: the page is stripped for them


def test_a_profile_change_elsewhere_changes_the_tag_within_five_seconds(api: Api, world: World,
                                                                       clock: FakeClock) -> None:
    practice = _practice(world, "Z90306")
    email = world.user({practice: (VIEW,)}, "etag")
    token = api.token(email)
    since, etag, page = _up_to_date(api, token, "Z90306")
    assert page["you"]["profile_tag"] == api.get("/me", token).json()["profile_tag"]
    with world.session() as session:  # a role at another practice: this feed's view is the same
        grant_role(session, user_by_email(session, email), session.get_one(Organisation, world.neighbour.id),
                   VIEW, START)
        session.commit()
    clock.advance(seconds=5)
    moved = _again(api, token, "Z90306", since, etag)
    assert moved.status_code == 200
    tag = moved.json()["you"]["profile_tag"]
    assert tag != page["you"]["profile_tag"] and tag == api.get("/me", token).json()["profile_tag"]
    assert _again(api, token, "Z90306", since, moved.headers["ETag"]).status_code == 304


def test_a_token_revoked_by_another_worker_is_refused_within_five_seconds(api: Api, world: World,
                                                                         clock: FakeClock) -> None:
    token = api.token(world.viewer())
    assert api.get("/me", token).status_code == 200  # read once: now remembered by this worker
    with world.session() as session:  # as another worker revoking it would: this one is not told
        session.execute(update(AccessToken).where(AccessToken.token_hash == token_digest(token))
                        .values(revoked_at=START))
        session.commit()
    clock.advance(seconds=4.9)
    assert api.get("/me", token).status_code == 200  # still trusted: read from the row 4.9 s ago
    clock.advance(seconds=0.1)
    refused = api.get("/me", token)
    assert (refused.status_code, refused.json()["error"]["code"]) == (401, "token_invalid")


def test_sign_out_and_a_disabled_account_are_refused_at_once(api: Api, world: World) -> None:
    token = api.token(world.viewer())
    assert api.get("/me", token).status_code == 200
    assert api.post("/auth/logout", token).status_code == 204  # this worker forgets it as it revokes
    assert api.get("/me", token).status_code == 401
    email = world.viewer()
    token = api.token(email)
    assert api.get("/me", token).status_code == 200
    with world.session() as session:
        user_by_email(session, email).active = False  # type: ignore[union-attr]
        session.commit()
    disabled = api.get("/me", token)
    assert (disabled.status_code, disabled.json()["error"]["code"]) == (401, "account_disabled")



def test_me_leaves_out_pending_roles_and_suspended_practices_and_its_tag_follows(api: Api,
                                                                                 world: World) -> None:
    email = world.user({world.practice: (VIEW,), world.neighbour: (VIEW,), world.icb: (APPROVAL_MANAGEMENT,)},
                       "tagged")
    token = api.token(email)
    before = api.get("/me", token).json()
    by_ods = {org["ods"]: org for org in before["organisations"]}
    assert sorted(by_ods) == ["Q1X", "Z91001", "Z91002"]
    assert by_ods["Z91001"]["pcn"] == {"ods": "U91001", "name": "Test PCN", "kind": "pcn"}
    assert by_ods["Z91001"]["commissioner"] == {"ods": "Q1X", "name": "NHS Test ICB", "kind": "commissioner"}
    listed = [p["ods"] for p in by_ods["Q1X"]["practices"]]
    assert listed == sorted(listed) and {"Z91001", "Z91002"} <= set(listed) and "Z92001" not in listed
    admin = world.manager(world.neighbour)
    with world.session() as session:
        user = user_by_email(session, email)
        grant_role(session, user, session.get_one(Organisation, world.practice.id), FINANCE_VIEW, START,
                   pending=True)  # waits for a second administrator: not held yet
        suspend(session, user, session.get_one(Organisation, world.neighbour.id), START,
                user_by_email(session, admin))
        session.commit()
    after = api.get("/me", token).json()
    by_ods = {org["ods"]: org for org in after["organisations"]}
    assert sorted(by_ods) == ["Q1X", "Z91001"] and by_ods["Z91001"]["roles"] == [VIEW]
    assert after["profile_tag"] != before["profile_tag"]
