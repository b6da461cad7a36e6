"""The seeded demo's history happened by the demo's today: no declaration, approval, payment, status step,
manual entry or audit entry is dated after it (issue 12, point 15)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.services.rules import DECLARATION_STATUSES, PAID
from central.db import make_engine, make_sessionmaker
from central.models import APPROVED, Base, Declaration, ManualEntry
from central.seed import DEMO_TODAY

# The seed's clock starts at DEMO_TODAY and runs on for the seconds seeding takes.
LATEST = DEMO_TODAY + timedelta(minutes=10)
MARCH, OCTOBER, NOVEMBER = date(2026, 3, 31), date(2026, 10, 31), date(2026, 11, 30)

# Columns that may lie after today, and why: deadlines, expiries and the planned timetable are the
# future by nature; the feed's write time is the server's real time and is never shown as an event date.
NOT_EVENTS = {
    "offers.response_deadline", "offers.end_date", "timetable_events.starts", "timetable_events.ends",
    "timetable_events.achievement_date",
    "activation_tokens.expires_at", "access_tokens.expires_at", "refresh_tokens.expires_at",
    "second_person_checks.expires_at", "sign_in_throttle.blocked_until", "change_log.created_at",
}
STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")


@pytest.fixture(scope="module")
def session(demo_seed: Path) -> Iterator[Session]:
    engine = make_engine(f"sqlite:///{demo_seed / 'central.db'}")
    with make_sessionmaker(engine)() as opened:
        yield opened
    engine.dispose()


def stamps(value: Any, where: str) -> Iterator[tuple[str, datetime]]:
    """Every date-and-time written as text inside a JSON value (histories, feed records)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from stamps(item, f"{where}.{key}")
    elif isinstance(value, list):
        for item in value:
            yield from stamps(item, f"{where}[]")
    elif isinstance(value, str) and STAMP.match(value):
        yield where, datetime.fromisoformat(value.replace("Z", "+00:00"))


def python_type(column: Any) -> type | None:
    kind = getattr(column.type, "impl", column.type)  # the service's own UTC type wraps DateTime
    try:
        return kind.python_type
    except NotImplementedError:
        return None


def test_nothing_in_the_demo_is_dated_after_its_today(session: Session) -> None:
    late: dict[str, Any] = {}
    checked = 0
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            where = f"{table.name}.{column.name}"
            if where in NOT_EVENTS:
                continue
            values = session.execute(select(column)).scalars().all()
            kind = python_type(column)
            if kind in (datetime, date):
                limit = LATEST if kind is datetime else DEMO_TODAY.date()
                found = [value for value in values if value is not None]
                checked += len(found)
                if found and max(found) > limit:
                    late[where] = max(found)
            elif table.name != "change_log" or column.name == "data":
                for value in values:
                    for inner, at in stamps(value, where):
                        checked += 1
                        if at > LATEST:
                            late[inner] = max(at, late.get(inner, at))
    assert checked > 1000  # the scan did read the demo's history
    assert late == {}, f"dated after the demo's today ({DEMO_TODAY:%d %b %Y}): {late}"


def test_the_demo_history_still_runs_up_to_today(session: Session) -> None:
    """Nothing was dropped to get there: 2025/26 is declared and paid to its QOF year end, 2026/27's
    claims stand at every step up to October's, and October's manual entries were made and approved in
    early November; November's are still to make (its entry window is open)."""
    statuses = {(row.service, row.achievement_date, row.status)
                for row in session.scalars(select(Declaration))}
    last_year = {status for _, when, status in statuses if when <= MARCH}
    assert last_year == {PAID} and ("QOF", MARCH, PAID) in statuses
    assert {status for _, when, status in statuses if when == date(2026, 9, 30)} == {PAID}
    assert {status for _, when, status in statuses if when == OCTOBER} == set(DECLARATION_STATUSES) - {PAID}
    assert not any(when > OCTOBER for _, when, _ in statuses)
    october = list(session.scalars(select(ManualEntry).where(ManualEntry.achievement_date == OCTOBER)))
    assert october and {entry.status for entry in october} == {APPROVED}
    assert all(OCTOBER < entry.created_at.date() <= date(2026, 11, 12) for entry in october)
    assert not list(session.scalars(select(ManualEntry).where(ManualEntry.achievement_date == NOVEMBER)))
