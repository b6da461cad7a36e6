"""app.services.declarations and app.services.offer_rules: what can still be declared and what was missed,
no declaring a service whose offer is not accepted, declarations that pay nothing, and declaring several
at once (one outbox item each; a refused one stops none of the others; the hub hears once)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from qof_records import FEBRUARY, JANUARY, MARCH, change, claim, feed_changes

from app.models.outbox import OutboxStatus
from app.services import cache_store, declarations, outbox
from app.services.offer_rules import declaring_block
from app.signals import hub
from central.timetable_plan import national_timetable

ODS = "Z99001"
TODAY = date(2026, 4, 8)  # March can be declared until 24 Apr 2026; January's and February's have closed
OWNER = "practice.manager@nhs.net"
YEAR = {"start_date": "2025-04-01", "end_date": "2026-03-31"}


def _offer(number: int, service: str, status: str, participation_only: bool = False) -> dict[str, Any]:
    return {"id": number, "service": service, "status": status, **YEAR, "response_deadline": "2026-04-30",
            "participation_only": participation_only, "responded_at": None}


def _timetable() -> list[dict[str, Any]]:
    return [change("timetable_event", number, {
        "id": number, "kind": event.kind, "title": event.title, "service": event.service,
        "starts": event.starts.isoformat(), "ends": event.ends.isoformat(),
        "achievement_date": event.achievement_date.isoformat() if event.achievement_date else None})
        for number, event in enumerate(national_timetable("2025-26"), start=1)]


def _fill(*extra: dict[str, Any]) -> None:
    cache_store.apply_feed_page(ODS, [*feed_changes(ODS), *_timetable(), *extra], 100)


def _row(service: str, when: date, *, finance: bool = True) -> declarations.DeclarationRow:
    return next(row for row in declarations.load(ODS, finance=finance, today=TODAY)
                if row.service == service and row.achievement_date == when)


# --- the offer rule ---------------------------------------------------------------------------------

def test_only_an_accepted_offer_lets_a_service_be_declared() -> None:
    day = MARCH
    assert declaring_block([], "QOF", day) is None  # not offered: not affected
    assert declaring_block([_offer(1, "WM", "accepted")], "WM", day) is None
    pending = declaring_block([_offer(1, "WM", "pending")], "WM", day, "Weight management referrals")
    assert pending is not None and not pending.final
    assert pending.message.startswith("Not paid until the offer of Weight management referrals is accepted")
    assert "Service Management" in pending.message and "Offers page" in pending.message
    rejected = declaring_block([_offer(1, "WM", "rejected")], "WM", day)
    assert rejected is not None and rejected.final and "1 Apr 2025 to 31 Mar 2026" in rejected.message
    participation = declaring_block([_offer(1, "NCD", "accepted", participation_only=True)], "NCD", day)
    assert participation is not None and participation.final
    assert declaring_block([_offer(1, "WM", "pending")], "WM", date(2026, 4, 30)) is None  # not covered


# --- what can still be declared, and what was missed --------------------------------------------------

def test_needs_declaring_is_only_what_is_open_today_and_closed_ones_are_missed(cache_db: Path) -> None:
    _fill()
    rows = declarations.load(ODS, finance=True, today=TODAY)
    needs = [row for row in rows if row.stage == declarations.NEEDS_DECLARING]
    missed = [row for row in rows if row.stage == declarations.MISSED]
    assert {row.achievement_date for row in needs} == {MARCH} and len(needs) == 5
    assert all(row.window_open and row.can_declare for row in needs)
    # January's and February's claims (four services each; their QOF results are not claims) were missed.
    assert {row.achievement_date for row in missed} == {JANUARY, FEBRUARY} and len(missed) == 8
    assert all(not row.window_open and row.missed and not row.can_declare for row in missed)
    assert _row("LDHC", FEBRUARY).why_not == "Declaring closed on 24 Mar 2026."
    # Before March's window opens, March is neither: it is listed under "All" only.
    early = declarations.load(ODS, finance=True, today=MARCH)
    assert {row.stage for row in early if row.achievement_date == MARCH} == {declarations.OTHER_STAGE}


def test_a_pending_offer_blocks_declaring_with_the_reason_until_it_is_accepted(cache_db: Path) -> None:
    _fill(change("offer", 24, _offer(24, "WM", "pending")))
    row = _row("WM", MARCH)
    assert row.payment is not None and row.payment > 0  # the claim is still shown
    assert not row.can_declare and row.stage == declarations.NEEDS_DECLARING
    assert row.why_not.startswith("Not paid until the offer of Weight management referrals is accepted")
    assert row.next_step == ("Cannot be paid until its offer is accepted (Offers page). Declare by 24 Apr "
                             "2026.")
    with pytest.raises(declarations.DeclarationRefused, match="Not paid until the offer"):
        declarations.declare(ODS, "WM", MARCH, TODAY, owner=OWNER)
    assert outbox.items(ODS) == []

    cache_store.apply_feed_page(ODS, [change("offer", 24, {**_offer(24, "WM", "accepted")})], 101)
    assert _row("WM", MARCH).can_declare
    declarations.declare(ODS, "WM", MARCH, TODAY, owner=OWNER)
    assert len(outbox.items(ODS)) == 1


def test_a_rejected_offer_is_never_declarable_nor_missed(cache_db: Path) -> None:
    _fill(change("offer", 24, _offer(24, "WM", "rejected")))
    for when in (JANUARY, MARCH):
        row = _row("WM", when)
        assert not row.can_declare and row.offer_final and not row.missed
        assert row.stage == declarations.OTHER_STAGE
        assert row.next_step == "Its offer was rejected: nothing to declare."


def test_nothing_to_pay_is_known_without_money(cache_db: Path) -> None:
    zero = claim("SHING", MARCH, {"DOSES": 0})
    _fill(change("result", f"SHING:{MARCH.isoformat()}", zero))
    assert _row("SHING", MARCH).nothing_to_pay and _row("SHING", MARCH).payment == 0
    without_money = {key: value for key, value in zero.items()
                     if not key.startswith(("payment", "gbp_", "unit_value"))}  # as the feed strips it
    cache_store.apply_feed_page(ODS, [change("result", f"SHING:{MARCH.isoformat()}", without_money)], 101)
    row = _row("SHING", MARCH, finance=False)
    assert row.payment is None and row.nothing_to_pay
    assert not _row("FLU", MARCH, finance=False).nothing_to_pay


# --- declaring several --------------------------------------------------------------------------------

def test_declaring_several_queues_one_item_each_and_a_refused_one_stops_none(cache_db: Path,
                                                                            fresh_hub: None) -> None:
    _fill(change("offer", 24, _offer(24, "WM", "pending")))
    outbox.enqueue(ODS, "declaration", "POST", f"/practices/{ODS}/declarations",
                   {"service": "FLU", "achievement_date": MARCH.isoformat()}, owner=OWNER)  # another window
    heard: list[frozenset[str]] = []
    hub().data_changed.connect(heard.append)
    keys = [f"QOF:{MARCH}", f"WM:{MARCH}", f"FLU:{MARCH}", f"LDHC:{FEBRUARY}", "LDHC:not-a-date",
            f"LDHC:{MARCH}", f"QOF:{FEBRUARY}"]
    outcomes = declarations.declare_many(ODS, keys, TODAY, owner=OWNER)

    assert [outcome.key for outcome in outcomes] == keys
    assert [outcome.entry is not None for outcome in outcomes] == [True, False, False, False, False, True,
                                                                    False]
    refused = {outcome.key: outcome.refused for outcome in outcomes if outcome.refused}
    assert "Not paid until the offer" in refused[f"WM:{MARCH}"]
    assert "already declared on this PC and waiting to be sent" in refused[f"FLU:{MARCH}"]
    assert "Declaring closed on 24 Mar 2026." in refused[f"LDHC:{FEBRUARY}"]
    assert refused[f"QOF:{FEBRUARY}"].startswith("QOF is declared once a year, for the year end (31 Mar")
    assert "LDHC:not-a-date" in refused
    queued = [item for item in outbox.items(ODS) if item.body["service"] in ("QOF", "LDHC")]
    assert [(item.body["service"], item.body["achievement_date"], item.owner, item.status)
            for item in queued] == [("QOF", "2026-03-31", OWNER, OutboxStatus.QUEUED),
                                    ("LDHC", "2026-03-31", OWNER, OutboxStatus.QUEUED)]
    assert heard == [frozenset({"declaration", "outbox"})]  # once, after the last


def test_declaring_several_that_are_all_refused_announces_nothing(cache_db: Path, fresh_hub: None) -> None:
    _fill()
    heard: list[frozenset[str]] = []
    hub().data_changed.connect(heard.append)
    outcomes = declarations.declare_many(ODS, [f"QOF:{JANUARY}"], TODAY, owner=OWNER)
    assert outcomes[0].entry is None and outcomes[0].refused
    assert heard == [] and outbox.items(ODS) == []


def test_a_declaration_sent_but_not_yet_pulled_is_not_declared_twice(cache_db: Path) -> None:
    _fill()
    item = declarations.declare(ODS, "LDHC", MARCH, TODAY, owner=OWNER)
    outbox.next_batch(OWNER)
    outbox.mark_sent(item.key)  # the push succeeded; the connection dropped before the pull
    row = _row("LDHC", MARCH)
    assert not row.can_declare and row.next_step == declarations.SENT_NOT_PULLED
    assert row.item_key == item.key and row.item_status is OutboxStatus.SENT
    with pytest.raises(declarations.DeclarationRefused, match="already been sent"):
        declarations.declare(ODS, "LDHC", MARCH, TODAY, owner=OWNER)
    assert len(outbox.items(ODS)) == 1


def test_the_commissioner_is_read_from_the_practice_record(cache_db: Path) -> None:
    assert declarations.commissioner(ODS) is None
    cache_store.apply_feed_page(ODS, [change("practice", ODS, {
        "ods": ODS, "name": "Riverside Medical Practice",
        "commissioner": {"ods": "Z9X", "name": "NHS Example ICB", "kind": "commissioner"}})], 1)
    assert declarations.commissioner(ODS) == "NHS Example ICB"
