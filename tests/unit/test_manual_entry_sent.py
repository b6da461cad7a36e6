"""A new manual entry that reached CQRS before the pull failed: still shown, and not sent twice."""

from datetime import date
from pathlib import Path

import pytest

from app.services import cache_store, outbox
from app.services import manual_entry as me

ODS = "A81001"
OCTOBER = date(2025, 10, 31)
ME = "sarah.okafor@nhs.net"
WINDOW = {"type": "timetable_event", "id": "7", "deleted": False,
          "data": {"id": 7, "kind": "entry window", "service": None, "achievement_date": "2025-10-31",
                   "starts": "2025-11-01", "ends": "2025-11-12", "title": "Manual entry window"}}


def test_a_sent_entry_not_yet_pulled_stays_listed_and_blocks_a_second_one(cache_db: Path) -> None:
    cache_store.apply_feed_page(ODS, [WINDOW], 1)
    form = me.form_for("LDHC", OCTOBER)
    item = me.queue(ODS, form, {"LD_REG": "58"}, "", date(2025, 11, 5), owner=ME)
    outbox.next_batch(ME)
    outbox.mark_sent(item.key)  # the push succeeded; then the connection dropped before the pull

    (row,) = me.entries(ODS, date(2025, 11, 5))
    assert row.values == {"LD_REG": 58} and row.held.startswith("Sent")
    with pytest.raises(me.EntryRefused):
        me.queue(ODS, form, {"LD_REG": "59"}, "", date(2025, 11, 5), owner=ME)  # would create a second entry

    record = {"id": 12, "service": "LDHC", "achievement_date": "2025-10-31", "values": {"LD_REG": 58},
              "status": "submitted", "version": 1, "history": []}
    pulled = {"type": "manual_entry", "id": "12", "deleted": False, "data": record}
    cache_store.apply_feed_page(ODS, [pulled], 2)
    (row,) = me.entries(ODS, date(2025, 11, 5))  # the synced record now stands for it
    assert row.entry_id == 12 and row.status == "submitted"
