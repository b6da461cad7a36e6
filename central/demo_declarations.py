"""When the demo practices declared their claims, and how far each has gone through the CQRS cycle.

Pure. Monthly service claims follow the cycle in central.demo_data (declared 20 days after the month
ends, approved, finance-approved, paid) as far as it has gone by the demo's today. The latest month of
the current year is where claims are caught mid-way, so the Declarations page shows every status: one
claim on the usual cycle, one the ICB has approved but finance has not, one declared late and waiting
for the ICB, and one the ICB approved before a re-extract changed its month (which sends it back to
the practice, with a week to declare it again). The QOF year end is declared in June and paid at the
end of June.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from app.services.format import month_name_year
from app.services.rules import APPROVED, FINANCE_APPROVED, PAID
from app.services.windows import DECLARATION_DEADLINE
from central.demo_data import DECLARED_AFTER_DAYS, REVIEW_AFTER_DAYS
from central.timetable_plan import PlannedEvent

# The latest month's claims that are off the usual cycle, per service: days after the month end it was
# declared, and the commissioner's steps so far (status, days after the month end).
LATEST_MONTH_CYCLES = {
    "6IN1": (DECLARED_AFTER_DAYS, ((APPROVED, 27),)),  # finance approval still to come
    "LDHC": (28, ()),  # declared late: waiting for the ICB
    "COVFLU": (DECLARED_AFTER_DAYS, ((APPROVED, 27),)),  # approved, then re-extracted: sent back
}
# The service whose latest month GPES re-extracted after the ICB approved it, the day it did (days after
# the month end) and the doses recorded late that the re-extract found.
RE_EXTRACTED = ("COVFLU", 30, {"FLU_DOSES": 6, "COVID_DOSES": 3})
# After the re-extract the commissioner gives the practices until this many days after the month end
# to declare the changed claim again (the month's own deadline having passed).
RE_DECLARE_BY_DAYS = 38
# QOF year end (31 March): declared, approved, finance-approved and paid in the June after.
QOF_YEAR_END_CYCLE = ((10, None), (17, APPROVED), (22, FINANCE_APPROVED), (30, PAID))


@dataclass(frozen=True)
class PlannedDeclaration:
    service: str
    month: date
    declared: datetime
    steps: tuple[tuple[str, datetime], ...]  # the commissioner's steps, in order


def at(month: date, days: int, hour: int = 0) -> datetime:
    """``days`` after ``month`` ends, at ``hour`` UTC."""
    return datetime.combine(month + timedelta(days=days), time(hour), UTC)


def monthly_declarations(services: tuple[str, ...], months: list[date], today: datetime,
                         latest_varies: bool = False) -> list[PlannedDeclaration]:
    """Each service's claim for each month, as far as it has gone by ``today``; with ``latest_varies``
    the last declared month follows :data:`LATEST_MONTH_CYCLES`."""
    declared_months = [m for m in months if at(m, DECLARED_AFTER_DAYS) <= today]
    latest = declared_months[-1] if declared_months and latest_varies else None
    planned = []
    for service in services:
        for month in declared_months:
            after, reviews = (LATEST_MONTH_CYCLES.get(service, (DECLARED_AFTER_DAYS, REVIEW_AFTER_DAYS))
                              if month == latest else (DECLARED_AFTER_DAYS, REVIEW_AFTER_DAYS))
            if at(month, after) > today:
                continue
            steps = tuple((status, at(month, days)) for status, days in reviews if at(month, days) <= today)
            planned.append(PlannedDeclaration(service, month, at(month, after), steps))
    return planned


def re_extract_time(month: date) -> datetime:
    """When GPES re-extracted the latest month (after the ICB approved the claim RE_EXTRACTED names)."""
    return at(month, RE_EXTRACTED[1], hour=10)


def re_declare_deadline(month: date) -> PlannedEvent:
    """The timetable's own deadline for declaring the re-extracted claim again."""
    service = RE_EXTRACTED[0]
    day = month + timedelta(days=RE_DECLARE_BY_DAYS)
    return PlannedEvent(DECLARATION_DEADLINE, f"Re-extracted: declare {month_name_year(month)} achievement "
                        "again by", day, day, service, month)


def year_end_declaration(service: str, year_end: date, today: datetime) -> PlannedDeclaration | None:
    """The QOF year-end claim for ``year_end``, as far as it has gone by ``today`` (None: not declared)."""
    june = [(datetime(year_end.year, 6, day, 9, tzinfo=UTC), status) for day, status in QOF_YEAR_END_CYCLE]
    declared = june[0][0]
    if declared > today:
        return None
    steps = tuple((status, when) for when, status in june[1:] if status and when <= today)
    return PlannedDeclaration(service, year_end, declared, steps)
