"""The improvement route: points for rising above the practice's own baseline.

Pure: no Qt, no database, no network; shared by the desktop client and the central service (through
app.services.calculation, which re-exports it).

Improvement route (VI001-VI003 in 2026/27, rules in constants.toml [improvement]): besides the standard
thresholds, an indicator may earn points for rising above the practice's own baseline B, the mean
achievement % at 31 March of the previous years; it scores the higher of the two routes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from app.services.rules import ImprovementRule, Indicator, RuleSet
from app.services.thresholds import HUNDRED, ZERO, _check_counts, patients_to_upper_threshold, points_for

# Which route pays an indicator that has an improvement route.
STANDARD_ROUTE = "standard"
IMPROVEMENT_ROUTE = "improvement"


@dataclass(frozen=True)
class ImprovementResult:
    """Both routes of an indicator with an improvement route; percentages are 0-100."""

    baseline_pct: Fraction | None  # B; None without every baseline year (the standard route alone pays)
    lower_pct: Fraction | None  # B + lower margin: improvement points start above this
    upper_pct: Fraction | None  # B + upper margin: full improvement points (may be above 100: out of reach)
    standard_points: Fraction
    improvement_points: Fraction
    route: str  # STANDARD_ROUTE or IMPROVEMENT_ROUTE: the one that pays (standard on a tie)
    patients_to_standard_upper: int | None  # to the indicator's upper threshold (full standard points)
    patients_to_improvement_upper: int | None  # to B + upper margin; None without a baseline or past 100%


def improvement_baseline(
    rule: ImprovementRule, year: str, year_ends: Mapping[str, Fraction | None]
) -> Fraction | None:
    """B for ``year``: the mean achievement % (0-100) at 31 March of the rule's baseline years before it.

    ``year_ends`` maps a QOF year such as the one before ``year`` to the practice's year-end achievement %;
    None unless every baseline year is there.
    """
    start = int(year[:4])
    years = [f"{first}-{(first + 1) % 100:02d}" for first in range(start - rule.baseline_years, start)]
    if any(year_ends.get(y) is None for y in years):
        return None
    return sum((Fraction(year_ends[y]) for y in years), ZERO) / len(years)


def improvement_points(
    indicator: Indicator, rule: ImprovementRule, baseline: Fraction | None, numerator: int, denominator: int
) -> Fraction:
    """max points × clamp((A − (B + lower margin)) ÷ (upper margin − lower margin), 0, 1); 0 without B."""
    _check_counts(indicator.indicator_id, numerator, denominator)
    if baseline is None or denominator == 0:
        return ZERO
    achieved = Fraction(numerator, denominator) * HUNDRED
    share = (achieved - baseline - rule.lower_margin) / (rule.upper_margin - rule.lower_margin)
    return indicator.max_points * min(max(share, ZERO), Fraction(1))


def _patients_to(percent: Fraction, numerator: int, denominator: int) -> int | None:
    """Fewest extra achieving patients to reach ``percent``; None when even all of them would not."""
    if denominator == 0 or percent > HUNDRED:
        return None
    return max(0, math.ceil(percent * denominator / HUNDRED) - numerator)


def routes(
    indicator: Indicator, rule: ImprovementRule, baseline: Fraction | None, num: int, den: int
) -> ImprovementResult:
    """Both routes of ``indicator`` at these counts, and the one that pays."""
    standard = points_for(indicator, num, den)
    improved = improvement_points(indicator, rule, baseline, num, den)
    return ImprovementResult(
        baseline_pct=baseline,
        lower_pct=None if baseline is None else baseline + rule.lower_margin,
        upper_pct=None if baseline is None else baseline + rule.upper_margin,
        standard_points=standard,
        improvement_points=improved,
        route=IMPROVEMENT_ROUTE if improved > standard else STANDARD_ROUTE,
        patients_to_standard_upper=patients_to_upper_threshold(indicator, num, den),
        patients_to_improvement_upper=(None if baseline is None
                                       else _patients_to(baseline + rule.upper_margin, num, den)),
    )


def baseline_dates(rules: RuleSet) -> dict[date, str]:
    """The year ends whose results give ``rules.year``'s baselines: 31 March of each earlier year any
    improvement route looks back to, with the QOF year it ends; empty for a year without such a route."""
    back = max((rule.baseline_years for rule in rules.constants.improvement.values()), default=0)
    start = rules.year_start()
    return {date(first + 1, 3, 31): f"{first}-{(first + 1) % 100:02d}"
            for first in range(start - back, start)}


def year_ends_from_records(records: Iterable[Mapping], rules: RuleSet) -> dict[str, dict[str, Fraction]]:
    """``calculate_qof``'s ``year_ends`` from a practice's QOF result records (as stored and synced): per
    indicator with an improvement route, its achievement % at each baseline year end held. An empty
    cohort at a year end gives no baseline."""
    ends = baseline_dates(rules)
    found: dict[str, dict[str, Fraction]] = {}
    for record in records:
        year = ends.get(date.fromisoformat(record["achievement_date"]))
        if year is None:
            continue
        for item in record["indicators"]:
            if item["indicator_id"] in rules.constants.improvement and int(item["denominator"]):
                found.setdefault(item["indicator_id"], {})[year] = (
                    Fraction(int(item["numerator"]), int(item["denominator"])) * HUNDRED)
    return found
