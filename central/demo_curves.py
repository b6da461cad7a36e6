"""The demo's achievement curves: one extract CSV per month-end of a QOF year, for every demo practice.

2025/26 is the anchor year: each indicator's year-end figure is drawn so that some finish below the
lower threshold, some between and some at maximum. 2024/25 finishes a little below it (practices
improve), and the current year starts from it: each practice climbs in its own way (a quick starter, a
late push, ...) and has a few indicators clearly behind, so its worklist has something to say.
Vaccination coverage (VI) hardly moves within a year, so its curve is nearly flat.
Pure: the same rules and months always give the same text.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from app.services.rules import RuleSet
from central.demo_data import (
    ANCHOR_START,
    LIST_BASED_ELIGIBLE,
    PRACTICES,
    REGISTER_ELIGIBLE,
    VACCINE_RATES,
    DemoPractice,
    register_sizes,
    to_csv,
    year_months,
)

# The current year's climb per practice: share of the year-end figure reached in April, and how the
# rest comes (below 1: early, above 1: late).
CLIMB = {"Z99001": (0.3, 0.8), "Z99002": (0.45, 0.6), "Z99003": (0.2, 1.35), "Z99004": (0.35, 1.0)}
BEHIND_PER_PRACTICE = 3  # indicators clearly behind this year
# Riverside's childhood vaccination coverage, set so that in 2026/27 the improvement route on VI001 has
# something to show: a low two-year baseline, and a clear rise this year.
ANCHOR_OVERRIDES = {("Z99001", "VI001"): 78.0}
CURRENT_OVERRIDES = {("Z99001", "VI001"): 88.0}
# Adult flu and COVID-19 doses in a year per patient on the list (2026/27's combined service).
COVID_RATE = (0.085, (0, 0, 0, 0, 0, 12, 48, 30, 6, 3, 1, 0))


@dataclass(frozen=True)
class Curve:
    """How a practice's achievement goes through a year towards ``targets`` (year-end %)."""
    targets: dict[str, float]
    start: float
    power: float

    def share(self, indicator_id: str, progress: float) -> float:
        if indicator_id.startswith("VI"):
            return 0.93 + 0.07 * progress
        return self.start + (1 - self.start) * progress**self.power


def demo_extracts(rules: RuleSet, practices: tuple[DemoPractice, ...] = PRACTICES,
                  months: list[date] | None = None) -> dict[date, str]:
    """One extract CSV per month-end (default: the whole year), each holding every practice's QOF and
    automatic service counts."""
    wanted = year_months(rules) if months is None else months
    rows: dict[date, list[tuple]] = {m: [] for m in wanted}
    for practice in practices:
        for month, month_rows in _practice_rows(rules, practice, wanted).items():
            rows[month].extend(month_rows)
    return {month: to_csv(month_rows) for month, month_rows in rows.items()}


def corrected_doses(rules: RuleSet, month: date, service: str, extra: dict[str, int],
                    practices: tuple[DemoPractice, ...] = PRACTICES) -> str:
    """A re-extract of ``month``: the first extract again, with ``extra`` more of each of ``service``'s
    items (doses recorded late) for every practice."""
    first = demo_extracts(rules, practices, [month])[month]
    rows = []
    for line in first.splitlines()[1:]:
        code, line_service, item, day, numerator, denominator, pca = line.split(",")
        count = int(numerator) + (extra.get(item, 0) if line_service == service else 0)
        rows.append((code, line_service, item, day, count, denominator, pca))
    return to_csv(rows)


# --- one practice ----------------------------------------------------------------------------


def _practice_rows(rules: RuleSet, practice: DemoPractice, months: list[date]) -> dict[date, list[tuple]]:
    start = rules.year_start()
    # The anchor year keeps its own random stream, so its figures stay as they were.
    rng = random.Random(f"extract-{practice.ods}" if start == ANCHOR_START else
                        f"extract-{practice.ods}-{start}")
    final_registers = register_sizes(practice, sorted(rules.registers | {"LD"}))
    curve = _curve(rules, practice, rng)
    pca_share = {i: rng.uniform(0.01, 0.07) for i in curve.targets}
    ld_checks_total = round(final_registers["LD"] * rng.uniform(0.55, 0.85))
    year = year_months(rules)
    out: dict[date, list[tuple]] = {}
    for index, month in enumerate(year):
        progress = (index + 1) / 12  # share of the year gone
        # Lists and registers grow a little each year, and through the year.
        growth = (0.985 + 0.015 * progress) * (1 + 0.012 * (start - ANCHOR_START))
        list_size = round(practice.list_size * growth)
        registers = {r: round(size * growth) for r, size in final_registers.items()}
        code, day = practice.ods, month.isoformat()
        rows = [(code, "QOF", "LIST_SIZE", day, list_size, "", "")]
        # The LD register is a QOF register only where QOF pays on it (2024/25); else the practice enters it.
        rows += [(code, "QOF", f"{r}_REG", day, n, "", "") for r, n in sorted(registers.items())
                 if r in rules.registers]
        for indicator_id, target in curve.targets.items():
            indicator = rules.indicators[indicator_id]
            base = (
                sum(registers[r] for r in indicator.registers) * REGISTER_ELIGIBLE.get(indicator_id, 0.88)
                if indicator.registers
                else list_size * LIST_BASED_ELIGIBLE.get(indicator_id, 0.1)
            )
            pca = round(base * pca_share[indicator_id] * progress)
            denominator = max(0, round(base) - pca)
            achieved = target * curve.share(indicator_id, progress)
            numerator = min(denominator, round(denominator * achieved / 100))
            rows.append((code, "QOF", indicator_id, day, numerator, denominator, pca))
        rows += _vaccine_rows(rules, practice, rng, index, day)
        if "LDHC" in rules.services:
            # Health checks bunch up towards the end of the year, as they do in practice.
            weights = [1, 1, 1, 2, 2, 2, 3, 3, 4, 5, 6, 8]
            done = round(ld_checks_total * sum(weights[: index + 1]) / sum(weights))
            previous = round(ld_checks_total * sum(weights[:index]) / sum(weights))
            rows.append((code, "LDHC", "CHECKS", day, done - previous, "", ""))
        if month in months:  # every month is drawn, so a month's counts do not depend on which are asked
            out[month] = rows
    return out


def _vaccine_rows(rules: RuleSet, practice: DemoPractice, rng: random.Random, index: int,
                  day: str) -> list[tuple]:
    def doses(rate: float, shape: tuple[int, ...]) -> int:
        expected = practice.list_size * rate * shape[index] / sum(shape)
        return max(0, round(rng.gauss(expected, expected**0.5 / 2)))

    rows = []
    code = practice.ods
    for service, (rate, shape) in VACCINE_RATES.items():
        if service in rules.services:
            rows.append((code, service, "DOSES", day, doses(rate, shape), "", ""))
    if "COVFLU" in rules.services:
        rows.append((code, "COVFLU", "FLU_DOSES", day, doses(*VACCINE_RATES["FLU"]), "", ""))
        rows.append((code, "COVFLU", "COVID_DOSES", day, doses(*COVID_RATE), "", ""))
    return rows


def _curve(rules: RuleSet, practice: DemoPractice, rng: random.Random) -> Curve:
    start = rules.year_start()
    shift = random.Random(f"shift-{practice.ods}-{start}")
    # A year published without thresholds (2024/25's points-only set) still has achievement to show.
    own = {i: _year_end_target(rng, rules.indicators[i], practice)
           if rules.indicators[i].upper_threshold is not None else shift.uniform(55, 90)
           for i in sorted(rules.indicators)}
    if start == ANCHOR_START:
        return Curve(_overridden(own, practice, ANCHOR_OVERRIDES), 0.3, 0.8)
    anchor = _anchor_targets(practice)
    if start < ANCHOR_START:  # earlier years: a little below the anchor year
        targets = {i: max(3.0, anchor.get(i, own[i]) - shift.uniform(1, 4)) for i in own}
        return Curve(targets, 0.3, 0.8)
    targets = {i: min(99.5, anchor.get(i, own[i]) + shift.uniform(-2, 3)) for i in own}
    behind = shift.sample(sorted(i for i in own if not i.startswith("VI")), BEHIND_PER_PRACTICE)
    for indicator_id in behind:
        targets[indicator_id] = float(rules.indicators[indicator_id].lower_threshold) * 0.55
    start_share, power = CLIMB.get(practice.ods, (0.3, 0.8))
    return Curve(_overridden(targets, practice, CURRENT_OVERRIDES), start_share, power)


def _anchor_targets(practice: DemoPractice) -> dict[str, float]:
    """The anchor year's year-end figures, drawn exactly as that year's extracts draw them."""
    from app.services.rules import available_years, load_rules

    year = next(y for y in available_years() if int(y[:4]) == ANCHOR_START)
    rules = load_rules(year)
    rng = random.Random(f"extract-{practice.ods}")
    own = {i: _year_end_target(rng, rules.indicators[i], practice) for i in sorted(rules.indicators)}
    return _overridden(own, practice, ANCHOR_OVERRIDES)


def _overridden(targets: dict[str, float], practice: DemoPractice,
                overrides: dict[tuple[str, str], float]) -> dict[str, float]:
    return {i: overrides.get((practice.ods, i), t) for i, t in targets.items()}


def _year_end_target(rng: random.Random, indicator, practice: DemoPractice) -> float:
    """Year-end achievement % for an indicator: below the lower threshold, between, or at maximum."""
    lower, upper = float(indicator.lower_threshold), float(indicator.upper_threshold)
    roll = rng.random() + practice.skill
    if roll < 0.12:
        return max(5.0, lower - rng.uniform(2, 12))
    if roll < 0.57:
        return lower + (upper - lower) * rng.uniform(0.2, 0.9)
    return min(99.5, upper + rng.uniform(0.5, 4))
