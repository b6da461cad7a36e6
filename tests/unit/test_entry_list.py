"""app.services.entry_list (through app.services.manual_entry): a sent change stays shown until the pull
brings it back, names in the history, and which forms can still be started, on a real SQLite cache."""

from datetime import date
from pathlib import Path

import pytest

from app.services import cache_store, outbox
from app.services import manual_entry as me

ODS = "A81001"
OCTOBER, NOVEMBER = date(2025, 10, 31), date(2025, 11, 30)
IN_WINDOW = date(2025, 11, 5)
ME = "sarah.okafor@nhs.net"


def _window(event_id: int, when: date, starts: str, ends: str) -> dict:
    return {"type": "timetable_event", "id": str(event_id), "deleted": False,
            "data": {"id": event_id, "kind": "entry window", "service": None,
                     "achievement_date": when.isoformat(), "starts": starts, "ends": ends, "title": "Window"}}


WINDOWS = [_window(7, OCTOBER, "2025-11-01", "2025-11-12"), _window(8, NOVEMBER, "2025-12-01", "2025-12-12")]


def _record(version: int, ld_reg: int, history: list | None = None) -> dict:
    return {"type": "manual_entry", "id": "12", "deleted": False, "data": {
        "id": 12, "service": "LDHC", "achievement_date": OCTOBER.isoformat(), "values": {"LD_REG": ld_reg},
        "status": "submitted", "version": version, "history": history or []}}


def test_a_sent_amendment_shows_our_values_until_the_pull_brings_the_new_version(cache_db: Path) -> None:
    cache_store.apply_feed_page(ODS, [*WINDOWS, _record(1, 58)], 1)
    item = me.amend(ODS, 12, {"LD_REG": "61"}, "", 1, IN_WINDOW, owner=ME)
    (row,) = me.entries(ODS, IN_WINDOW)
    assert (row.key, row.values) == ("entry:12", {"LD_REG": 61})  # stands in for the entry, same key
    assert row.status_text == "Queued, waiting to be sent"

    outbox.next_batch(ME)
    outbox.mark_sent(item.key)  # pushed; the pull has not run yet
    (row,) = me.entries(ODS, IN_WINDOW)
    assert row.values == {"LD_REG": 61} and row.status_text == "Sent to CQRS, not synced back yet"
    with pytest.raises(me.EntryRefused, match="waiting to be sent"):
        me.amend(ODS, 12, {"LD_REG": "62"}, "", 1, IN_WINDOW, owner=ME)  # would only conflict

    cache_store.apply_feed_page(ODS, [_record(2, 61)], 2)
    (row,) = me.entries(ODS, IN_WINDOW)
    assert (row.values, row.status, row.version) == ({"LD_REG": 61}, me.SUBMITTED, 2)


def test_history_names_people_the_cache_knows(cache_db: Path) -> None:
    user = {"type": "user", "id": "3", "deleted": False,
            "data": {"id": 3, "email": ME, "first_name": "Sarah", "last_name": "Okafor"}}
    steps = [{"action": "manual entry created", "at": "2025-11-04T10:00:00+00:00", "by": ME.upper()},
             {"action": "manual entry approved", "at": "2025-11-06T10:00:00+00:00", "by": "icb@nhs.net"}]
    cache_store.apply_feed_page(ODS, [user, _record(1, 58, steps)], 1)
    (row,) = me.entries(ODS)
    assert [(step.who, step.what) for step in row.history] == [("Sarah Okafor", "Submitted"),
                                                              ("icb@nhs.net", "Approved")]
    assert row.history[0].by == ME.upper()  # as CQRS recorded it


def test_only_forms_whose_window_is_open_or_about_to_open_are_offered(cache_db: Path) -> None:
    cache_store.apply_feed_page(ODS, WINDOWS, 1)
    offered = {(c.service, c.achievement_date) for c in me.choices(ODS, date(2025, 11, 13))}
    assert offered and {when for _service, when in offered} == {NOVEMBER}  # October closed on 12 Nov
    last = me.last_closed(ODS, date(2025, 11, 13))
    assert last is not None and last.achievement_date == OCTOBER and last.window.closed
    assert last.window.message == "The entry window closed on 12 Nov 2025."
    assert me.last_closed(ODS, IN_WINDOW) is None


def test_no_draft_is_kept_once_the_window_has_closed_but_one_is_before_it_opens(cache_db: Path) -> None:
    cache_store.apply_feed_page(ODS, WINDOWS, 1)
    after = date(2026, 11, 20)  # a year on
    with pytest.raises(me.EntryRefused) as refused:
        me.save_draft(ODS, me.form_for("LDHC", OCTOBER), {"LD_REG": "58"}, "", after)
    assert refused.value.user_message == ("The entry window closed on 12 Nov 2025. A draft can no longer be "
                                          "kept for it. If figures are missing, contact your commissioner.")
    assert outbox.load_draft(ODS, "LDHC", OCTOBER) is None
    me.save_draft(ODS, me.form_for("LDHC", NOVEMBER), {"LD_REG": "58"}, "", IN_WINDOW)  # opens 1 Dec
    assert outbox.load_draft(ODS, "LDHC", NOVEMBER).values == {"LD_REG": 58}
    assert me.window_for(ODS, "LDHC", NOVEMBER, IN_WINDOW).closed is False
