"""app.services.windows: entry windows and declaration deadlines from timetable events."""

from datetime import date

from app.services.windows import declaration_window, entry_window

MARCH = date(2026, 3, 31)
EVENTS = [
    {"kind": "entry window", "service": None, "achievement_date": "2026-03-31",
     "starts": "2026-04-01", "ends": "2026-04-14"},
    {"kind": "entry window", "service": "WM", "achievement_date": "2026-02-28",
     "starts": "2026-03-01", "ends": "2026-03-12"},
    {"kind": "declaration deadline", "service": None, "achievement_date": "2026-03-31",
     "starts": "2026-04-24", "ends": "2026-04-24"},
]


def test_entry_window_open_before_and_after() -> None:
    assert entry_window(EVENTS, "LDHC", MARCH, date(2026, 4, 8)).open
    assert entry_window(EVENTS, "LDHC", MARCH, date(2026, 4, 8)).message == "Open until 14 Apr 2026."
    before = entry_window(EVENTS, "LDHC", MARCH, date(2026, 3, 20))
    assert not before.open
    assert before.message == "The entry window opens on 1 Apr 2026 and closes on 14 Apr 2026."
    after = entry_window(EVENTS, "LDHC", MARCH, date(2026, 4, 15))
    assert not after.open and after.message == "The entry window closed on 14 Apr 2026."
    assert entry_window(EVENTS, "WM", date(2026, 2, 28), date(2026, 3, 12)).open  # the last day counts
    assert not entry_window(EVENTS, "LDHC", date(2026, 2, 28), date(2026, 3, 5)).open  # WM's window only
    missing = entry_window(EVENTS, "WM", date(2025, 4, 30), date(2025, 5, 3))
    assert not missing.open and "no entry window" in missing.message


def test_declaration_window() -> None:
    assert not declaration_window(EVENTS, "FLU", MARCH, MARCH).open  # not until the period has ended
    assert declaration_window(EVENTS, "FLU", MARCH, date(2026, 4, 24)).message == "Declare by 24 Apr 2026."
    closed = declaration_window(EVENTS, "FLU", MARCH, date(2026, 4, 25))
    assert not closed.open and closed.message == "Declaring closed on 24 Apr 2026."
    assert not declaration_window(EVENTS, "FLU", date(2026, 2, 28), date(2026, 3, 5)).open  # no deadline
