"""If-Match on a manual-entry amendment is a version written with the digits 0-9: any other text, such as
a superscript digit that Python's str.isdigit() accepts but int() refuses, is a 422 naming If-Match, never
a 500, and the entry is unchanged."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import Api, World

ENTRIES = "/practices/Z91001/manual-entries"
CHANGE = {"values": {"REFERRALS": 14}, "notes": "Recounted"}
# Any text a client can send in a header (Latin-1, no control characters), weighted towards digits and
# the superscripts and quotes of a version.
LATIN_1 = st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f")
VERSION_LIKE = st.text(st.sampled_from('0123456789¹²³"W/'), min_size=1, max_size=6)
HEADER_TEXT = st.one_of(VERSION_LIKE, st.text(LATIN_1, max_size=12)).map(str.lstrip)


@pytest.fixture(scope="module")
def entry(api: Api, world: World) -> tuple[str, str]:
    """(a manager's token, the address of one of their entries at version 1)."""
    token = api.token(world.manager())
    created = api.post(ENTRIES, token, headers={"Idempotency-Key": uuid.uuid4().hex},
                       json={"service": "WM", "achievement_date": "2025-10-31", "values": {"REFERRALS": 12}})
    assert created.status_code == 201, created.text
    return token, f"{ENTRIES}/{created.json()['id']}"


@pytest.mark.parametrize("if_match", ["²", '"²"', "W/\"³\"", "¹2", "1²", "½", "٣".encode(), "３".encode(),
                                      "1 2", "+1", "-1", "0x1", "1.0", ""])
def test_a_version_not_written_in_ascii_digits_is_refused_naming_if_match(api: Api, entry: tuple[str, str],
                                                                          if_match: str | bytes) -> None:
    token, url = entry
    before = api.get(url, token).json()
    answer = api.call("PUT", url, token, json=CHANGE, headers={"If-Match": if_match})
    assert answer.status_code == 422, answer.text
    fields = answer.json()["error"]["fields"]
    assert list(fields) == ["If-Match"] and "digits 0-9" in fields["If-Match"]
    assert api.get(url, token).json() == before  # a refused write changes nothing


def test_a_version_in_ascii_digits_is_still_applied(api: Api, world: World) -> None:
    token = api.token(world.manager())
    created = api.post(ENTRIES, token, headers={"Idempotency-Key": uuid.uuid4().hex},
                       json={"service": "WM", "achievement_date": "2025-10-31", "values": {"REFERRALS": 12}})
    url = f"{ENTRIES}/{created.json()['id']}"
    amended = api.call("PUT", url, token, json=CHANGE, headers={"If-Match": 'W/"1"'})
    assert amended.status_code == 200, amended.text
    assert amended.json()["version"] == 2
    stale = api.call("PUT", url, token, json=CHANGE, headers={"If-Match": "01"})
    assert stale.status_code == 409 and stale.json()["current"]["version"] == 2


@settings(database=None, deadline=None, max_examples=80,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(if_match=HEADER_TEXT)
def test_no_if_match_text_is_ever_a_server_error(api: Api, entry: tuple[str, str], if_match: str) -> None:
    token, url = entry
    answer = api.call("PUT", url, token, json=CHANGE, headers={"If-Match": if_match})
    assert answer.status_code in (200, 409, 422), (if_match, answer.status_code, answer.text)
    if answer.status_code == 422:
        assert set(answer.json()["error"]["fields"]) == {"If-Match"}
