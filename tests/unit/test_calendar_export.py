"""app.services.calendar_export: the .ics round trip, parsed back with icalendar: one event per timetable
event on England's dates, UIDs that stay the same across two exports, a reminder N days before each
deadline, and the Europe/London time zone declared."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from icalendar import Calendar

from app.services import calendar_export, timetable_events
from central.timetable_plan import national_timetable

ODS = "Z99001"
NAME = "Riverside Medical Practice"


def _records(year: str = "2025-26", first_id: int = 1) -> list[dict[str, Any]]:
    return [{"id": number, "kind": event.kind, "title": event.title, "service": event.service,
             "starts": event.starts.isoformat(), "ends": event.ends.isoformat(),
             "achievement_date": event.achievement_date.isoformat() if event.achievement_date else None}
            for number, event in enumerate(national_timetable(year), start=first_id)]


OFFER = {"id": 24, "service": "WM", "status": "pending", "start_date": "2025-04-01", "end_date": "2026-03-31",
         "response_deadline": "2026-04-30"}


def _export(tmp_path: Path, records: list[dict[str, Any]], name: str, days: int = 3) -> Calendar:
    events = timetable_events.build(records, [OFFER])
    path = calendar_export.write(tmp_path / name, events, ODS, NAME, days,
                                 now=datetime(2026, 4, 8, 10, tzinfo=UTC))
    return Calendar.from_ical(path.read_bytes())


def _events(cal: Calendar) -> dict[str, Any]:
    return {str(event["UID"]): event for event in cal.walk("VEVENT")}


def test_round_trip_one_event_each_on_englands_dates(tmp_path: Path) -> None:
    records = _records()
    cal = _export(tmp_path, records, "a.ics")
    events = _events(cal)
    assert len(events) == len(records) + 1  # the timetable and the offer's response deadline
    assert str(cal["X-WR-TIMEZONE"]) == "Europe/London"
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Europe/London"]
    deadline = next(e for e in events.values() if str(e["SUMMARY"]) == "Declare March 2026 achievement by")
    assert deadline["DTSTART"].dt == date(2026, 4, 24) and deadline["DTEND"].dt == date(2026, 4, 25)
    window = next(e for e in events.values() if str(e["SUMMARY"]) == "Manual entry window for March 2026")
    assert (window["DTSTART"].dt, window["DTEND"].dt) == (date(2026, 4, 1), date(2026, 4, 13))
    offer = events[f"{ODS}/offer-deadline/24@cqrs-desktop"]
    assert offer["DTSTART"].dt == date(2026, 4, 30) and "Weight management" in str(offer["SUMMARY"])


def test_uids_stay_the_same_across_two_exports(tmp_path: Path) -> None:
    first = _events(_export(tmp_path, _records(), "first.ics"))
    # A later sync: the same events under other record ids, one deadline moved by a day.
    later = _records(first_id=500)
    moved = next(r for r in later if r["title"] == "Declare March 2026 achievement by")
    moved["starts"] = moved["ends"] = "2026-04-27"
    second = _events(_export(tmp_path, later, "second.ics"))
    assert set(first) == set(second) and len(first) == len(second)
    assert len({uid.split("@")[0] for uid in first}) == len(first)  # unique
    same = next(uid for uid, e in first.items() if str(e["SUMMARY"]) == "Declare March 2026 achievement by")
    assert second[same]["DTSTART"].dt == date(2026, 4, 27)  # the import updates the event


def test_a_reminder_n_days_before_each_deadline_at_nine(tmp_path: Path) -> None:
    events = _events(_export(tmp_path, _records(), "alarms.ics", days=5))
    for event in events.values():
        alarms = event.walk("VALARM")
        kind = str(event["CATEGORIES"].cats[0])
        is_deadline = kind in ("Manual entry window", "Declaration deadline", "Offer response deadline")
        assert len(alarms) == (1 if is_deadline else 0), event["SUMMARY"]
    one_day = next(e for e in events.values() if str(e["SUMMARY"]) == "Declare March 2026 achievement by")
    alarm = one_day.walk("VALARM")[0]
    assert str(alarm["ACTION"]) == "DISPLAY"
    fires = datetime.combine(one_day["DTSTART"].dt, datetime.min.time()) + alarm["TRIGGER"].dt
    assert fires == datetime(2026, 4, 19, 9)  # 5 days before 24 Apr, at 09:00
    window = next(e for e in events.values() if str(e["SUMMARY"]) == "Manual entry window for March 2026")
    alarm = window.walk("VALARM")[0]
    assert alarm["TRIGGER"].params["RELATED"] == "END"
    fires = datetime.combine(window["DTEND"].dt, datetime.min.time()) + alarm["TRIGGER"].dt
    assert fires == datetime(2026, 4, 7, 9)  # 5 days before it closes on 12 Apr
    assert alarm["TRIGGER"].dt == -timedelta(days=5, hours=15)


def test_the_plan_holds_approval_dates_and_the_monthly_aspiration_payments() -> None:
    from datetime import date

    from app.services.windows import APPROVAL, ASPIRATION

    events = national_timetable("2026-27")
    approvals = [e for e in events if e.kind == APPROVAL]
    aspiration = [e for e in events if e.kind == ASPIRATION]
    assert len(approvals) == 12 and len(aspiration) == 12
    # October 2026's declarations: approval expected by the last working day of November (Mon 30 Nov).
    october = next(e for e in approvals if e.achievement_date == date(2026, 10, 31))
    assert october.starts == date(2026, 11, 30) and "expected" in october.title
    # Aspiration at the end of each month, on a working day: Sat 31 Oct 2026 -> Fri 30 Oct.
    assert {e.service for e in aspiration} == {"QOF"}
    paid = next(e for e in aspiration if e.achievement_date == date(2026, 10, 31))
    assert paid.starts == date(2026, 10, 30)
