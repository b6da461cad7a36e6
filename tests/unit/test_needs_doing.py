"""app.services.needs_doing: each rule against a practice state held in a real cache (SQLite in a temp
folder), filled as a sync fills it: the 2025/26 timetable, results, offers, declarations, manual entries,
drafts, outbox items and users. "Today" is 8 Apr 2026: March's entry window closes on 12 Apr, its
declarations are due by 24 Apr."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from qof_records import MARCH, change, feed_changes

from app.services import cache_store, needs_doing, outbox
from app.services.rules import DECLARATION_MANAGEMENT, USER_ADMINISTRATOR, VIEW
from central.timetable_plan import national_timetable

ODS = "Z99001"
TODAY = date(2026, 4, 8)
OWNER = "practice.manager@nhs.net"
YEAR = {"start_date": "2025-04-01", "end_date": "2026-03-31"}
ADMIN = (VIEW, USER_ADMINISTRATOR)


def _timetable() -> list[dict[str, Any]]:
    return [change("timetable_event", number, {
        "id": number, "kind": event.kind, "title": event.title, "service": event.service,
        "starts": event.starts.isoformat(), "ends": event.ends.isoformat(),
        "achievement_date": event.achievement_date.isoformat() if event.achievement_date else None})
        for number, event in enumerate(national_timetable("2025-26"), start=1)]


def _offer(number: int, service: str, deadline: str, status: str = "pending") -> dict[str, Any]:
    return change("offer", number, {"id": number, "service": service, "status": status, **YEAR,
                                    "response_deadline": deadline, "participation_only": False,
                                    "responded_at": None})


def _fill(*extra: dict[str, Any], results: bool = False) -> None:
    cache_store.apply_feed_page(ODS, [*(feed_changes(ODS) if results else ()), *_timetable(), *extra], 100)


def _items(today: date = TODAY, roles: tuple[str, ...] = (VIEW,)) -> dict[str, needs_doing.Item]:
    return {item.key: item for item in needs_doing.load(ODS, today, roles)}


def test_an_offer_not_answered_counts_the_days_to_its_deadline(cache_db: Path) -> None:
    _fill(_offer(24, "WM", "2026-04-30"), _offer(27, "CFLU", "2026-04-01"),
          _offer(28, "LDHC", "2026-05-31", status="accepted"))
    items = _items()
    offer = items["offer/24"]
    assert (offer.page, offer.due, offer.days_left, offer.days_text) == ("offers", date(2026, 4, 30), 22,
                                                                         "22 days left")
    assert "Weight management" in offer.title and "Service Management" in offer.detail
    assert "offer/27" not in items and "offer/28" not in items  # past its deadline; already accepted
    outbox.enqueue(ODS, "offer_response", "POST", f"/practices/{ODS}/offers/24/accept", owner=OWNER)
    assert "offer/24" not in _items()  # answered: it waits to be sent instead
    assert "waiting" in _items()


def test_a_declaration_not_made_is_due_by_its_deadline(cache_db: Path) -> None:
    _fill(results=True)
    items = _items()
    qof = items[f"declare/QOF:{MARCH.isoformat()}"]
    assert (qof.page, qof.due, qof.days_left) == ("declarations", date(2026, 6, 24), 77)  # year-end deadline
    checks = items[f"declare/LDHC:{MARCH.isoformat()}"]
    assert (checks.due, checks.days_left, checks.days_text) == (date(2026, 4, 24), 16, "16 days left")
    assert not any(key.startswith("declare/") and "2026-02-28" in key for key in items)  # closed: missed


def test_a_declaration_sent_back_by_a_recalculation_is_to_declare_again(cache_db: Path) -> None:
    history = [{"status": "Awaiting Service Provider Approval", "at": "2026-04-02T09:00:00+00:00",
                "by": OWNER},
               {"status": "Awaiting Commissioning Organisation Approval", "at": "2026-04-02T09:00:00+00:00",
                "by": OWNER},
               {"status": "Awaiting Service Provider Approval", "at": "2026-04-06T09:00:00+00:00",
                "by": "system"}]
    _fill(change("declaration", 5, {"id": 5, "service": "QOF", "achievement_date": MARCH.isoformat(),
                                    "status": "Awaiting Service Provider Approval", "points": "10",
                                    "payment": "100", "history": history}), results=True)
    items = _items()
    back = items[f"sent-back/QOF:{MARCH.isoformat()}"]
    assert back.title.endswith("again") and "recalculation" in back.detail and back.days_left == 77
    assert f"declare/QOF:{MARCH.isoformat()}" not in items


def test_a_manual_entry_not_submitted_while_its_window_closes(cache_db: Path) -> None:
    _fill()
    entry = _items()[f"entry/WM/{MARCH.isoformat()}"]
    assert (entry.page, entry.due, entry.days_left) == ("manual-entry", date(2026, 4, 12), 4)
    assert entry.title.startswith("Enter ") and entry.title.endswith(" for March 2026")
    _fill(change("manual_entry", 9, {"id": 9, "service": "WM", "achievement_date": MARCH.isoformat(),
                                     "values": {"REFERRALS": 4}, "status": "submitted", "version": 1}))
    assert f"entry/WM/{MARCH.isoformat()}" not in _items()  # submitted
    assert not any(key.startswith("entry/") for key in _items(date(2026, 5, 20)))  # every window closed


def test_a_draft_never_sent_replaces_the_entry_reminder(cache_db: Path) -> None:
    _fill()
    outbox.save_draft(ODS, "LDHC", MARCH, {"LD_REG": 58})
    items = _items()
    draft = items[f"draft/LDHC/{MARCH.isoformat()}"]
    assert draft.page == "manual-entry" and draft.days_left == 4 and "this PC only" in draft.detail
    assert f"entry/LDHC/{MARCH.isoformat()}" not in items


def test_items_waiting_and_items_refused_by_the_service(cache_db: Path) -> None:
    _fill()
    waiting = outbox.enqueue(ODS, "declaration", "POST", f"/practices/{ODS}/declarations",
                             {"service": "QOF", "achievement_date": MARCH.isoformat()}, owner=OWNER)
    items = _items()
    assert items["waiting"].page == needs_doing.SYNC
    assert items["waiting"].title == "1 change waiting to be sent"
    outbox.mark_failed(waiting.key, "The declaration window has closed.")
    items = _items()
    assert "waiting" not in items
    refused = items["refused/declarations"]
    assert refused.title == "1 change refused by CQRS (Declarations)"
    assert refused.action == "Open Declarations"


def _user(number: int, roles: list[str], status: str = "active") -> dict[str, Any]:
    return change("user", number, {"id": number, "email": f"user{number}@nhs.net",
                                   "first_name": f"Pat{number}", "last_name": "Lee", "roles": roles,
                                   "status": status})


def test_only_one_active_person_with_a_role_means_arrange_cover(cache_db: Path) -> None:
    _fill(_user(1, [DECLARATION_MANAGEMENT, USER_ADMINISTRATOR]), _user(2, [USER_ADMINISTRATOR]),
          _user(3, [DECLARATION_MANAGEMENT], status="disabled"))
    items = _items(roles=ADMIN)
    cover = items[f"cover/{DECLARATION_MANAGEMENT}"]
    assert cover.page == "users" and "Only Pat1 Lee has" in cover.detail
    assert f"cover/{USER_ADMINISTRATOR}" not in items  # two active administrators
    assert not any(key.startswith("cover/") for key in _items(roles=(VIEW,)))  # no user list to judge by


def test_the_year_end_checklist_in_march_only(cache_db: Path) -> None:
    _fill()
    march = _items(date(2026, 3, 20))["year-end/2026"]
    assert march.days_left == 11 and march.page == "help"
    assert not any(key.startswith("year-end") for key in _items())


def test_most_urgent_first(cache_db: Path) -> None:
    _fill(_offer(24, "WM", "2026-04-30"), results=True)
    items = needs_doing.load(ODS, TODAY, (VIEW,))
    days = [item.days_left for item in items if item.days_left is not None]
    assert days == sorted(days) and days[0] == 4  # the entry windows closing on 12 Apr come first
    assert needs_doing.rules(needs_doing.PracticeState(), date(2026, 4, 8)) == []
