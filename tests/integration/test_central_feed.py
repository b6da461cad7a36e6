"""The sync feed: paging, resuming from any cursor with nothing skipped, and who sees what."""

from __future__ import annotations

import time

from central import feed
from central.directory import create_organisation
from central.models import PRACTICE, Organisation
from central.security import PRACTICE_ROLES

from .conftest import START, Api, World


def _fresh_practice(world: World, ods: str, changes: int) -> Organisation:
    with world.session() as session:
        pcn = session.get_one(Organisation, world.practice.parent_id)
        practice = create_organisation(session, PRACTICE, ods, f"Practice {ods}", START, parent=pcn)
        for n in range(changes):
            feed.publish(session, practice.id, feed.RESULT, f"QOF:DM{n:03d}", {"n": n})
            feed.publish(session, world.neighbour.id, feed.RESULT, f"other:{n}", {"n": n})  # not theirs
        session.commit()
        return practice


def _all_pages(api: Api, token: str, ods: str, since: int, limit: int) -> list[dict]:
    changes: list[dict] = []
    while True:
        page = api.get(f"/practices/{ods}/changes?since={since}&limit={limit}", token).json()
        changes += page["changes"]
        assert page["next"] >= since
        since = page["next"]
        if not page["more"]:
            return changes


def test_paging_and_resuming_from_any_cursor_skips_nothing(api: Api, world: World) -> None:
    practice = _fresh_practice(world, "Z91201", changes=23)
    token = api.token(world.user({practice: ("View",)}, "reader"))
    everything = _all_pages(api, token, "Z91201", 0, 1000)
    ours = [c for c in everything if c["type"] == "result"]
    assert [c["data"]["n"] for c in ours] == list(range(23))
    assert not any(c["id"].startswith("other:") for c in everything)
    assert any(c["type"] == "timetable_event" for c in everything)  # shared with every practice
    seqs = [c["seq"] for c in everything]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)

    for limit in (1, 4, 7):
        assert _all_pages(api, token, "Z91201", 0, limit) == everything
    for index in range(0, len(everything), 5):
        cursor = everything[index]["seq"]
        assert _all_pages(api, token, "Z91201", cursor, 6) == everything[index + 1:]


def test_no_change_call_is_empty_and_quick(api: Api, world: World) -> None:
    practice = _fresh_practice(world, "Z91202", changes=3)
    token = api.token(world.manager(practice))
    last = _all_pages(api, token, "Z91202", 0, 1000)[-1]["seq"]
    started = time.perf_counter()
    page = api.get(f"/practices/Z91202/changes?since={last}", token).json()
    assert time.perf_counter() - started < 0.5
    you = page.pop("you")  # the caller's roles here and their profile's tag travel with every page
    assert page == {"changes": [], "next": last, "more": False}
    assert you["roles"] == sorted(PRACTICE_ROLES) and len(you["profile_tag"]) == 32


def test_bad_cursor_or_limit_is_422(api: Api, world: World) -> None:
    token = api.token(world.viewer())
    assert api.get("/practices/Z91001/changes?since=-1", token).status_code == 422
    assert api.get("/practices/Z91001/changes?limit=0", token).status_code == 422
    assert api.get("/practices/Z91001/changes?since=abc", token).json()["error"]["fields"] == {
        "since": "Must be a whole number."}

