"""Year-end projection of a monthly series: linear on the last three months, kept between 0 and a cap.

Pure and exact (Fractions). The method is stated in ``METHOD`` so charts and cards can say how the
projection was made.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

METHOD = "Projection: straight line through the last three months, capped at the maximum"
WINDOW = 3


@dataclass(frozen=True)
class Projection:
    points: tuple[tuple[date, Fraction], ...]  # from the last actual month to the year end, inclusive
    year_end_value: Fraction
    method: str = METHOD


def months_between(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month


def month_ends_after(start: date, end: date) -> list[date]:
    """Month-end dates after ``start`` up to and including ``end``."""
    dates = []
    year, month = start.year, start.month
    while True:
        month += 1
        if month > 12:
            year, month = year + 1, 1
        following = date(year + (month == 12), month % 12 + 1, 1)
        month_end = date.fromordinal(following.toordinal() - 1)
        if month_end > end:
            return dates
        dates.append(month_end)


def project(history: Sequence[tuple[date, Fraction]], year_end: date, cap: Fraction) -> Projection | None:
    """Extend ``history`` (oldest first, one value per month end) to ``year_end``.

    The slope is the average monthly change over the last three months (the change from the third-last
    to the last value, divided by the months between them). With one month only, the value is held.
    Values are kept within 0 and ``cap``. None when there is no history.
    """
    if not history:
        return None
    last_date, last_value = history[-1]
    first_date, first_value = history[-WINDOW:][0]
    span = months_between(first_date, last_date)
    slope = (Fraction(last_value) - Fraction(first_value)) / span if span else Fraction(0)
    points = [(last_date, Fraction(last_value))]
    for month_end in month_ends_after(last_date, year_end):
        value = Fraction(last_value) + slope * months_between(last_date, month_end)
        points.append((month_end, min(max(value, Fraction(0)), Fraction(cap))))
    return Projection(tuple(points), points[-1][1])
