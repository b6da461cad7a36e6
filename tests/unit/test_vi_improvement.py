"""The VI001-VI003 improvement route of 2026/27, worked by hand, and the fast arithmetic agreeing with it.

Figures (resources/rules/2026-27/constants.toml): 18 points each; standard thresholds VI001 89-96%,
VI002 86-96%, VI003 81-96%; improvement from B + 5 (no points) to B + W (full points) with W = 18, 23, 30
percentage points. A list of exactly the national average (10,349) makes CPI 1 (no register), so a point
is worth £227.95.
"""

from __future__ import annotations

import shutil
from fractions import Fraction

import pytest

from app.services.calculation import (
    AT_MAXIMUM,
    BELOW_LOWER,
    BETWEEN,
    IMPROVEMENT_ROUTE,
    STANDARD_ROUTE,
    IndicatorCounts,
    calculate_qof,
    pounds_per_point,
    to_pounds,
)
from app.services.rules import RULES_ROOT, load_rules
from central.extract import parse_columns
from central.fast_calc import BANDS, QofArrays

RULES = load_rules("2026-27")
LAST, BEFORE = "2025-26", "2024-25"  # the two QOF years before 2026/27
LIST = 10_349
HEADER = "practice_code,service,indicator_id,achievement_date,numerator,denominator,pca\n"


def vi(indicator_id: str, numerator: int, denominator: int = 100, **year_ends: Fraction):
    """The result of one indicator; ``year_ends`` by year with '_' for '-', e.g. y2025_26=Fraction(74)."""
    ends = {key[1:].replace("_", "-"): value for key, value in year_ends.items()}
    result = calculate_qof(RULES, LIST, {}, [IndicatorCounts(indicator_id, numerator, denominator)],
                           {indicator_id: ends})
    return result.indicators[0]


def test_the_improvement_route_wins_when_the_practice_improved_on_a_low_baseline() -> None:
    # B = (70 + 74) / 2 = 72. VI001 improvement band: 72 + 5 = 77% to 72 + 18 = 90%.
    # A = 85/100 = 85%. Standard: 85 <= 89, so 0 points.
    # Improvement: 18 x (85 - 77) / (18 - 5) = 18 x 8/13 = 144/13 = 11.0769... points.
    # £: 144/13 x 227.95 = 2,524.9846... -> £2,524.98.
    # Next patient (86%): 18 x 9/13 = 162/13, +18/13 points x 227.95 = £315.623... -> £315.62.
    # Patients to each route's top: 90% of 100 - 85 = 5; the standard 96% of 100 - 85 = 11.
    r = vi("VI001", 85, y2024_25=Fraction(70), y2025_26=Fraction(74))
    routes = r.improvement
    assert routes.baseline_pct == 72 and (routes.lower_pct, routes.upper_pct) == (77, 90)
    assert routes.standard_points == 0 and routes.improvement_points == Fraction(144, 13)
    assert routes.route == IMPROVEMENT_ROUTE and r.points == Fraction(144, 13)
    assert str(to_pounds(r.payment)) == "2524.98"
    assert str(to_pounds(r.gbp_next_patient)) == "315.62"
    assert (routes.patients_to_improvement_upper, routes.patients_to_standard_upper) == (5, 11)
    assert r.patients_to_upper_threshold == 11 and r.band == BETWEEN


def test_the_standard_route_wins_when_the_practice_was_already_high() -> None:
    # B = (88 + 90) / 2 = 89; improvement band 94% to 107% (above 100%: its top is out of reach).
    # A = 95%. Standard: 18 x (95 - 89) / (96 - 89) = 108/7 = 15.43 points.
    # Improvement: 18 x (95 - 94) / 13 = 18/13 = 1.38 points. The higher, 108/7, pays.
    r = vi("VI001", 95, y2024_25=Fraction(88), y2025_26=Fraction(90))
    routes = r.improvement
    assert routes.improvement_points == Fraction(18, 13) and routes.standard_points == Fraction(108, 7)
    assert routes.route == STANDARD_ROUTE and r.points == Fraction(108, 7)
    assert routes.upper_pct == 107 and routes.patients_to_improvement_upper is None
    assert routes.patients_to_standard_upper == 1  # 96 - 95


def test_no_baseline_means_the_standard_route_alone() -> None:
    # No year-end results at all: VI002 at 84% is below its 86% lower threshold, 0 points.
    r = calculate_qof(RULES, LIST, {}, [IndicatorCounts("VI002", 84, 100)]).indicators[0]
    assert r.improvement.baseline_pct is None and r.improvement.route == STANDARD_ROUTE
    assert r.points == 0 and r.improvement.improvement_points == 0 and r.band == BELOW_LOWER
    assert r.improvement.patients_to_improvement_upper is None and r.gbp_next_patient == 0


def test_one_baseline_year_is_not_enough() -> None:
    # Only 2025/26 is known (70%): with a baseline of 70 alone VI002 would earn 18 x (84 - 75) / 18 = 9
    # points, but the baseline needs both years, so the standard route alone pays: 84% < 86%, 0 points.
    assert vi("VI002", 84, y2025_26=Fraction(70)).points == 0
    # Two years, but not the two before 2026/27.
    assert vi("VI002", 84, y2023_24=Fraction(70), y2025_26=Fraction(70)).points == 0
    # With both: B = 70, band 75% to 93%: 18 x (84 - 75) / (23 - 5) = 9 points.
    assert vi("VI002", 84, y2024_25=Fraction(70), y2025_26=Fraction(70)).points == 9


def test_at_or_below_b_plus_5_earns_no_improvement_points() -> None:
    # B = 72: 77% exactly earns 0 (the clamp's lower end); 76% likewise, and the standard route is 0 too.
    for numerator in (76, 77):
        r = vi("VI001", numerator, y2024_25=Fraction(70), y2025_26=Fraction(74))
        assert r.improvement.improvement_points == 0 and r.points == 0 and r.band == BELOW_LOWER
    # One patient above: 78% -> 18 x 1/13 points.
    assert vi("VI001", 78, y2024_25=Fraction(70), y2025_26=Fraction(74)).points == Fraction(18, 13)


def test_at_or_beyond_b_plus_w_earns_full_points() -> None:
    # B = 72, B + 18 = 90%: 90/100 earns all 18 points by improvement (standard: 18 x 1/7 = 2.57).
    at = vi("VI001", 90, y2024_25=Fraction(70), y2025_26=Fraction(74))
    assert at.points == 18 and at.improvement.route == IMPROVEMENT_ROUTE and at.band == AT_MAXIMUM
    assert at.improvement.patients_to_improvement_upper == 0 and at.gbp_next_patient == 0
    # 93%: clamped at 18, no more; the standard route would give 18 x 4/7 = 10.29.
    beyond = vi("VI001", 93, y2024_25=Fraction(70), y2025_26=Fraction(74))
    assert beyond.points == 18 and beyond.improvement.standard_points == Fraction(72, 7)


def test_vi003_uses_its_wider_band() -> None:
    # B = (58 + 62) / 2 = 60; VI003 band 65% to 90% (W = 30). A = 80%: 18 x 15/25 = 10.8 points.
    # Standard: 80% <= 81%, 0 points. A baseline mean of odd percentages stays exact: (58.5 + 61) / 2.
    assert vi("VI003", 80, y2024_25=Fraction(58), y2025_26=Fraction(62)).points == Fraction(54, 5)
    odd = vi("VI003", 80, y2024_25=Fraction(117, 2), y2025_26=Fraction(61))
    assert odd.improvement.baseline_pct == Fraction(239, 4)  # 59.75; band from 64.75%
    assert odd.points == 18 * (80 - Fraction(259, 4)) / 25


def test_other_indicators_and_years_have_no_improvement_route() -> None:
    r = calculate_qof(RULES, LIST, {}, [IndicatorCounts("VI004", 55, 100)],
                      {"VI004": {LAST: Fraction(10), BEFORE: Fraction(10)}}).indicators[0]
    assert r.improvement is None and r.points == 5  # 10 x (55 - 50) / 10
    earlier = load_rules("2025-26")
    r = calculate_qof(earlier, LIST, {}, [IndicatorCounts("VI001", 85, 100)],
                      {"VI001": {"2023-24": Fraction(70), BEFORE: Fraction(74)}}).indicators[0]
    assert r.improvement is None and r.points == 0


# --- the fast arithmetic agrees -----------------------------------------------------------------------

def _extract(rows: list[str]) -> str:
    return HEADER + "\n".join(rows) + "\n"


def test_the_fast_path_matches_the_reference_with_and_without_baselines() -> None:
    counts = {"A99001": (85, 100), "A99002": (95, 100), "A99003": (77, 103), "A99004": (40, 41),
              "A99005": (0, 0), "A99006": (84, 100)}
    ends = {"A99001": {LAST: Fraction(74), BEFORE: Fraction(70)},
            "A99002": {LAST: Fraction(90), BEFORE: Fraction(88)},
            "A99003": {LAST: Fraction(2300, 31), BEFORE: Fraction(6400, 97)},
            "A99004": {LAST: Fraction(80), BEFORE: Fraction(81)},
            "A99005": {LAST: Fraction(80), BEFORE: Fraction(81)},
            "A99006": {LAST: Fraction(70)}}  # one year: standard only
    rows = []
    for code, (num, den) in counts.items():
        rows += [f"{code},QOF,LIST_SIZE,2026-10-31,{LIST + int(code[-1]) * 37},,"]
        rows += [f"{code},QOF,{i},2026-10-31,{num},{den},0" for i in ("VI001", "VI002", "VI003", "VI004")]
    columns = parse_columns(_extract(rows), RULES)
    year_ends = {code: {i: value for i in ("VI001", "VI002", "VI003")} for code, value in ends.items()}
    arrays = QofArrays.of(columns, RULES, year_ends)
    plain = QofArrays.of(columns, RULES)
    pay, after = arrays.pence(arrays.points_n), arrays.pence(arrays.next_n - arrays.points_n)
    totals = arrays.points_total()
    improved = 0
    for g, code in enumerate(columns.codes):
        list_size = int(columns.list_size[g])
        qof = [IndicatorCounts(i, *counts[code]) for i in ("VI001", "VI002", "VI003", "VI004")]
        with_b = calculate_qof(RULES, list_size, {}, qof, year_ends[code])
        without = calculate_qof(RULES, list_size, {}, qof)
        assert totals[g] == with_b.points
        for r, r0 in zip(with_b.indicators, without.indicators, strict=True):
            i = columns.layout.indicators.index(r.indicator_id)
            assert Fraction(int(arrays.points_n[g, i]), int(arrays.points_d[g, i])) == r.points
            assert Fraction(int(plain.points_n[g, i]), int(plain.points_d[g, i])) == r0.points
            assert arrays.exact(arrays.points_n, g, i) == r.payment
            assert pay[g, i] == int(to_pounds(r.payment) * 100)
            assert after[g, i] == int(to_pounds(r.gbp_next_patient) * 100)
            assert BANDS[arrays.band[g, i]] == r.band
            improved += r.improvement is not None and r.improvement.route == IMPROVEMENT_ROUTE
    assert improved >= 3  # the cases above include practices the improvement route pays


# --- the combined CD register ---------------------------------------------------------------------------

def test_cd_indicators_sum_chd_and_stroke_until_cd_prevalence_is_published(tmp_path) -> None:
    # CD001 on CHD (300) + STIA (200) at a practice of 10,349: APDF = (500 / 10,349) / (pCHD + pSTIA).
    c = RULES.constants
    summed = pounds_per_point(RULES.indicators["CD001"], LIST, {"CHD": 300, "STIA": 200, "CD": 450}, c)
    expected = c.value_per_point_gbp * (Fraction(500, LIST) / (c.national_prevalence["CHD"]
                                                                + c.national_prevalence["STIA"]))
    assert summed == expected  # CD_REG carried, but no national CD prevalence yet: it is not used
    # An extract may carry CD_REG already; it is stored, and the fast path sums CHD and STIA too.
    rows = [f"A99001,QOF,LIST_SIZE,2026-10-31,{LIST},,", "A99001,QOF,CHD_REG,2026-10-31,300,,",
            "A99001,QOF,STIA_REG,2026-10-31,200,,", "A99001,QOF,CD_REG,2026-10-31,450,,",
            "A99001,QOF,CD001,2026-10-31,70,100,0"]
    columns = parse_columns(_extract(rows), RULES)
    assert columns.numerator[0, columns.layout.register_column("CD")] == 450
    shipped = QofArrays.of(columns, RULES)
    assert shipped.exact_per_point(0, columns.layout.indicators.index("CD001")) == expected
    # Once a CD prevalence is in the rules, an extract carrying CD_REG is paid on it.
    shutil.copytree(RULES_ROOT / "2026-27", tmp_path / "2026-27")
    path = tmp_path / "2026-27" / "constants.toml"
    path.write_text(path.read_text(encoding="utf-8").replace("[national_prevalence]\n",
                                                             "[national_prevalence]\nCD = 0.045\n"),
                    encoding="utf-8")
    published = load_rules("2026-27", root=tmp_path)
    p = published.constants
    on_cd = pounds_per_point(published.indicators["CD001"], LIST, {"CHD": 300, "STIA": 200, "CD": 450}, p)
    assert on_cd == p.value_per_point_gbp * Fraction(450, LIST) / Fraction("0.045")
    assert pounds_per_point(published.indicators["CD001"], LIST, {"CHD": 300, "STIA": 200}, p) == expected
    # The fast path agrees for a practice with CD_REG and one without.
    rows = []
    for code, cd in (("A99001", "A99001,QOF,CD_REG,2026-10-31,450,,"), ("A99002", None)):
        rows += [f"{code},QOF,LIST_SIZE,2026-10-31,{LIST},,", f"{code},QOF,CHD_REG,2026-10-31,300,,",
                 f"{code},QOF,STIA_REG,2026-10-31,200,,", f"{code},QOF,CD001,2026-10-31,70,100,0"]
        rows += [cd] if cd else []
    columns = parse_columns(_extract(rows), published)
    arrays = QofArrays.of(columns, published)
    i = columns.layout.indicators.index("CD001")
    assert arrays.exact_per_point(0, i) == on_cd and arrays.exact_per_point(1, i) == expected
    pay = arrays.pence(arrays.points_n)
    for g, per_point in enumerate((on_cd, expected)):
        # 70% between 40% and 90%: 41 x 30/50 = 24.6 points.
        assert pay[g, i] == int(to_pounds(Fraction(123, 5) * per_point) * 100)


@pytest.mark.parametrize("indicator_id", ["VI001", "VI002", "VI003"])
def test_every_route_is_capped_at_the_indicators_points(indicator_id: str) -> None:
    # From a baseline of 0 (no child vaccinated two years running) to 100%: all 18 points, never more.
    r = vi(indicator_id, 100, y2024_25=Fraction(0), y2025_26=Fraction(0))
    assert r.points == 18 == r.improvement.improvement_points
