"""Points against an indicator's lower and upper thresholds (the standard route), and the counts' checks.

Pure: no Qt, no database, no network; shared by the desktop client and the central service (through
app.services.calculation, which re-exports it). Every quantity is an exact ``Fraction``.
"""

from __future__ import annotations

import math
from fractions import Fraction

from app.services.rules import PERCENTAGE, REGISTER, Indicator

ZERO = Fraction(0)
HUNDRED = Fraction(100)


class CalculationError(ValueError):
    """Counts that cannot be calculated (the message says which and why)."""


# --- QOF -------------------------------------------------------------------------------------


def points_for(indicator: Indicator, numerator: int, denominator: int) -> Fraction:
    """Points earned: 0 at or below the lower threshold, full at or above the upper, linear between.

    A denominator of 0 earns 0 points. Register indicators earn full points when the register
    exists (``denominator`` > 0 carries the register size for them).
    """
    _check_counts(indicator.indicator_id, numerator, denominator)
    if denominator == 0:
        return ZERO
    if indicator.kind == REGISTER:
        return indicator.max_points
    if indicator.kind != PERCENTAGE:
        return ZERO
    achieved = Fraction(numerator, denominator) * HUNDRED
    lower, upper = indicator.lower_threshold, indicator.upper_threshold
    if achieved <= lower:
        return ZERO
    if achieved >= upper:
        return indicator.max_points
    return indicator.max_points * (achieved - lower) / (upper - lower)


def patients_to_upper_threshold(indicator: Indicator, numerator: int, denominator: int) -> int | None:
    """Fewest extra achieving patients (already in the denominator) that reach the upper threshold.

    Exact: the smallest whole k with (numerator + k) / denominator ≥ upper / 100.
    """
    _check_counts(indicator.indicator_id, numerator, denominator)
    if denominator == 0 or indicator.kind != PERCENTAGE:
        return None
    needed = math.ceil(indicator.upper_threshold * denominator / HUNDRED)
    return max(0, needed - numerator)


def _check_counts(indicator_id: str, numerator: int, denominator: int) -> None:
    if numerator < 0 or denominator < 0:
        raise CalculationError(f"{indicator_id}: counts cannot be negative")
    if numerator > denominator:
        raise CalculationError(
            f"{indicator_id}: numerator {numerator} is more than denominator {denominator}"
        )
