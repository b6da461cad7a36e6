"""The dashboard scores VI001-VI003 as the service does: by the higher of the standard thresholds and the
improvement route, from baselines taken from the cached year-end results (worked by hand)."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

from app.services.calculation import IndicatorCounts
from app.services.claims_view import vaccinations
from app.services.dashboard import qof_dashboard, what_if
from app.services.improvement import IMPROVEMENT_ROUTE, STANDARD_ROUTE, year_ends_from_records
from app.services.rules import load_rules
from central.results import qof_record

RULES = {year: load_rules(year) for year in ("2024-25", "2025-26", "2026-27")}
LIST_SIZE, REGISTERS = 9_812, {"AF": 214, "DM": 655}
TODAY, OCTOBER = date(2026, 12, 1), date(2026, 10, 31)


def record(year: str, when: date, vi001: tuple[int, int]) -> dict:
    counts = [IndicatorCounts("VI001", *vi001, 0), IndicatorCounts("AF006", 120, 200, 5)]
    rules = RULES[year]
    year_ends = year_ends_from_records(held, rules) if year == "2026-27" else None
    return qof_record(rules, when, LIST_SIZE, REGISTERS, counts, year_ends)


held: list[dict] = []


def cache(with_first_year_end: bool = True) -> list[dict]:
    held.clear()
    if with_first_year_end:
        held.append(record("2024-25", date(2025, 3, 31), (60, 100)))  # 60%
    held.append(record("2025-26", date(2026, 3, 31), (66, 100)))  # 66%: B = (60 + 66) / 2 = 63
    held.append(record("2026-27", OCTOBER, (77, 100)))  # 77%: below the standard 89% lower threshold
    return list(held)


def vi001(results: list[dict]):
    shown = qof_dashboard(results, [], RULES["2026-27"], OCTOBER, finance=True, today=TODAY)
    return next(row for row in shown.indicators if row.indicator_id == "VI001"), shown


def test_the_improvement_route_pays_when_the_practice_rose_above_its_baseline() -> None:
    results = cache()
    row, shown = vi001(results)
    # Improvement: 18 points × (77 − (63 + 5)) ÷ (18 − 5) = 18 × 9/13 = 162/13; standard: 0 below 89%.
    assert row.improvement.baseline_pct == 63
    assert (row.improvement.standard_points, row.improvement.improvement_points) == (0, Fraction(162, 13))
    assert row.points == Fraction(162, 13) and row.improvement.route == IMPROVEMENT_ROUTE
    # The next steps: 81% (B + 18) is 4 more patients; the standard upper threshold 96% is 19 more.
    assert row.improvement.patients_to_improvement_upper == 4
    assert row.improvement.patients_to_standard_upper == 19
    # The same points as the service stored for that month.
    stored = next(i for i in results[-1]["indicators"] if i["indicator_id"] == "VI001")
    assert Fraction(stored["points"]) == row.points
    assert row.payment == row.points * Fraction(stored["pounds_per_point"])
    # A what-if keeps the baselines: one more patient is 18 × 10/13.
    change = what_if(results[-1], RULES["2026-27"], "VI001", numerator=78, denominator=100, finance=True,
                     year_ends=shown.year_ends)
    assert change.after.points == Fraction(180, 13)


def test_without_both_year_ends_the_standard_route_alone_applies() -> None:
    row, _ = vi001(cache(with_first_year_end=False))
    assert row.improvement.baseline_pct is None and row.improvement.route == STANDARD_ROUTE
    assert row.points == 0


def test_the_vaccinations_panel_scores_vi001_the_same_way() -> None:
    results = cache()
    view = vaccinations(results, RULES["2026-27"], year="2026-27", finance=True)
    assert {row.indicator_id: row.points for row in view.qof_indicators}["VI001"] == Fraction(162, 13)


def test_the_indicator_detail_words_both_routes_and_the_one_that_pays() -> None:
    from app.views.indicator_detail import route_lines

    row, _ = vi001(cache())
    text = route_lines(row.improvement, row.max_points)
    assert "Standard thresholds: 0.00 of 18.00 points; 19 more patients reach the upper threshold." in text
    assert "baseline 63.0%" in text and "above 68.0%" in text and "full at 81.0%" in text
    assert "12.46 points; 4 more patients reach full improvement points." in text
    assert text.endswith("The improvement route pays, as the higher of the two.")
    alone, _ = vi001(cache(with_first_year_end=False))
    assert "no baseline" in route_lines(alone.improvement, alone.max_points)
