"""The calculation core against examples worked by hand (arithmetic in the comment beside each).

Constants used (resources/rules/2025-26/constants.toml): £225.49 per point, national average list
10,184, national prevalence DM 0.064440152443, HYP 0.152297287089, CHD 0.029790374348,
PAD 0.005549733026, STIA 0.018887907760, CKD 0.037294843258; aspiration 80%.
"""

from decimal import Decimal
from fractions import Fraction

import pytest

from app.services.calculation import (
    AT_MAXIMUM,
    BELOW_LOWER,
    BETWEEN,
    CalculationError,
    IndicatorCounts,
    aspiration_plan,
    calculate_qof,
    item_claim,
    points_for,
    to_pounds,
    year_end_balance,
)
from app.services.rules import load_rules

RULES = load_rules("2025-26")


def one(indicator_id, numerator, denominator, pca=0, list_size=10_000, **registers):
    result = calculate_qof(
        RULES, list_size, registers, [IndicatorCounts(indicator_id, numerator, denominator, pca)]
    )
    return result.indicators[0]


def test_dm020_between_thresholds():
    # DM020: 17 points, thresholds 35%-75%, register DM. List 10,000; DM register 650.
    # Achievement 330/600 = 55%  ->  points = 17 x (55 - 35) / (75 - 35) = 17 x 20/40 = 8.5
    # CPI = 10,000 / 10,184 = 0.981932...; APDF = (650 / 10,000) / 0.064440152443 = 1.008688...
    # £ per point = 225.49 x 0.981932 x 1.008688 = 223.33958 ; £ = 8.5 x 223.33958 = £1,898.39
    # £ at 17 points = 3,796.77 ; unclaimed = 1,898.39
    # Upper threshold: ceil(0.75 x 600) = 450 achieving -> 120 more patients.
    # Next patient: 331/600 = 55.1667% -> 17 x 20.1667/40 = 8.570833 points; +0.070833 x 223.33958 = £15.82
    r = one("DM020", 330, 600, pca=20, DM=650)
    assert r.achievement_pct == 55
    assert r.points == Fraction(17, 2)
    assert to_pounds(r.payment) == Decimal("1898.39")
    assert to_pounds(r.payment_at_max) == Decimal("3796.77")
    assert to_pounds(r.gbp_unclaimed) == Decimal("1898.39")
    assert r.patients_to_upper_threshold == 120
    assert to_pounds(r.gbp_next_patient) == Decimal("15.82")
    assert r.band == BETWEEN
    assert r.pca == 20


def test_bp002_has_no_register_and_is_paid_on_cpi_alone():
    # BP002: 15 points, 50%-90%, no register. List 8,000.
    # 700/1,000 = 70% -> 15 x 20/40 = 7.5 points
    # £ per point = 225.49 x 8,000/10,184 = 177.13276 ; £ = 7.5 x 177.13276 = £1,328.50
    r = one("BP002", 700, 1000, list_size=8_000)
    assert r.points == Fraction(15, 2)
    assert to_pounds(r.pounds_per_point) == Decimal("177.13")
    assert to_pounds(r.payment) == Decimal("1328.50")


def test_chol003_uses_summed_registers_and_summed_national_prevalence():
    # CHOL003: 38 points, 70%-95%, register CHD+PAD+STIA+CKD.
    # Registers 300 + 50 + 190 + 360 = 900 on a list of 10,000.
    # National: 0.029790374348 + 0.005549733026 + 0.018887907760 + 0.037294843258 = 0.091522858392
    # 850/1,000 = 85% -> 38 x 15/25 = 22.8 points
    # £ per point = 225.49 x (10,000/10,184) x (0.09 / 0.091522858392) = 217.73178
    # £ = 22.8 x 217.73178 = £4,964.28
    r = one("CHOL003", 850, 1000, CHD=300, PAD=50, STIA=190, CKD=360)
    assert r.points == Fraction(114, 5)
    assert to_pounds(r.pounds_per_point) == Decimal("217.73")
    assert to_pounds(r.payment) == Decimal("4964.28")


def test_exactly_at_lower_threshold_earns_nothing_but_the_next_patient_does():
    # HYP008: 38 points, 40%-85%. 400/1,000 = 40% exactly -> 0 points (at or below the lower threshold).
    # To the upper threshold: ceil(0.85 x 1,000) = 850 -> 450 more.
    # Next patient: 40.1% -> 38 x 0.1/45 = 0.084444 points.
    # £ per point = 225.49 x (10,000/10,184) x ((1,500/10,000) / 0.152297287089) = 218.07606
    # £ next patient = 0.084444 x 218.07606 = £18.42
    r = one("HYP008", 400, 1000, HYP=1500)
    assert r.points == 0
    assert r.band == BELOW_LOWER
    assert r.patients_to_upper_threshold == 450
    assert to_pounds(r.gbp_next_patient) == Decimal("18.42")


def test_at_and_above_upper_threshold_earns_full_points():
    # AF008: 12 points, 70%-95%. 57/60 = 95% exactly -> 12 points; 0 more patients needed.
    r = one("AF008", 57, 60, AF=220)
    assert r.points == 12
    assert r.band == AT_MAXIMUM
    assert r.patients_to_upper_threshold == 0
    assert r.gbp_unclaimed == 0
    assert r.gbp_next_patient == 0
    # 60/60: still 12 points, no "next patient" possible.
    assert one("AF008", 60, 60, AF=220).points == 12


def test_patients_to_upper_threshold_is_exact_at_the_boundary():
    # AF008 upper threshold 95%. Denominator 60: 0.95 x 60 = 57 exactly.
    # 56 achieving -> 1 more; 57 -> 0.  Denominator 61: 0.95 x 61 = 57.95 -> need 58.
    assert one("AF008", 56, 60, AF=220).patients_to_upper_threshold == 1
    assert one("AF008", 57, 60, AF=220).patients_to_upper_threshold == 0
    assert one("AF008", 57, 61, AF=220).patients_to_upper_threshold == 1
    # VI004 upper threshold 60%, denominator 7: 4.2 -> 5 achieving needed; from 3 that is 2 more.
    assert one("VI004", 3, 7).patients_to_upper_threshold == 2


def test_zero_denominator_earns_nothing_and_raises_nothing():
    r = one("DM020", 0, 0, DM=650)
    assert r.points == 0
    assert r.payment == 0
    assert r.achievement is None
    assert r.patients_to_upper_threshold is None
    assert r.gbp_next_patient == 0
    # No cohort, nothing to earn: no money is shown as unclaimed.
    assert r.gbp_unclaimed == 0


def test_zero_register_pays_nothing():
    # APDF = (0 / list) / national = 0, so no £ even at full points.
    r = one("DM020", 600, 600, DM=0)
    assert r.points == 17
    assert r.payment == 0


def test_service_totals_sum_exact_values_and_round_once():
    # BP002 7.5 points (£1,328.4957) + SMOK004 at max 12 points on a list of 8,000:
    # 12 x 177.1327573 = £2,125.5931; total £3,454.0888 -> £3,454.09; points 19.5 of 27.
    result = calculate_qof(
        RULES, 8_000, {}, [IndicatorCounts("BP002", 700, 1000), IndicatorCounts("SMOK004", 950, 1000)]
    )
    assert result.points == Fraction(39, 2)
    assert result.max_points == 27
    assert to_pounds(result.payment) == Decimal("3454.09")
    assert to_pounds(result.gbp_unclaimed) == Decimal("1328.50")


def test_bad_counts_are_refused_with_the_reason():
    with pytest.raises(CalculationError, match="more than denominator"):
        one("DM020", 11, 10, DM=650)
    with pytest.raises(CalculationError, match="negative"):
        one("DM020", -1, 10, DM=650)
    with pytest.raises(CalculationError, match="register size of DM"):
        one("DM020", 1, 10)
    with pytest.raises(CalculationError, match="not a 2025-26 QOF indicator"):
        one("DM017", 1, 10, DM=650)
    with pytest.raises(CalculationError, match="list size"):
        one("BP002", 1, 10, list_size=0)


def test_aspiration_paid_in_twelfths_and_year_end_balance():
    # Prior-year achievement £100,000 x 80% = £80,000 a year = £6,666.666... a month (£6,666.67 shown).
    plan = aspiration_plan(Fraction(100_000), RULES.constants)
    assert plan.total == 80_000
    assert to_pounds(plan.monthly) == Decimal("6666.67")
    # Seven months paid: 7 x 6,666.666... = £46,666.67; twelve months = exactly £80,000.
    assert to_pounds(plan.paid_after(7)) == Decimal("46666.67")
    assert plan.paid_after(12) == 80_000
    # Achievement £95,000.50 at year end less £80,000 aspiration = £15,000.50 due.
    assert year_end_balance(Fraction("95000.50"), plan.paid_after(12)) == Fraction("15000.50")
    # Overpaid: £70,000 achieved less £80,000 paid = -£10,000 (repaid).
    assert year_end_balance(Fraction(70_000), plan.total) == -10_000
    with pytest.raises(CalculationError):
        plan.paid_after(13)


def test_vaccination_item_of_service():
    # MMR 2025/26: 37 doses x £12.06 = £446.22 ; FLU: 412 doses x £10.06 = £4,144.72
    mmr = item_claim(RULES.services["MMR"], 37)
    assert to_pounds(mmr.payment) == Decimal("446.22")
    assert mmr.cap is None and mmr.gbp_headroom is None
    assert to_pounds(item_claim(RULES.services["FLU"], 412).payment) == Decimal("4144.72")


def test_enhanced_services_are_capped():
    # LD health checks: 60 done, LD register 52 -> 52 x £140 = £7,280; 8 unpaid; no headroom.
    ld = item_claim(RULES.services["LDHC"], 60, cap=52)
    assert (ld.paid_count, ld.unpaid_count) == (52, 8)
    assert ld.payment == 7280
    assert ld.gbp_headroom == 0
    # Weight management: 10 referrals, allocation 25 -> 10 x £11.50 = £115.00; 15 x 11.50 = £172.50 left.
    wm = item_claim(RULES.services["WM"], 10, cap=25)
    assert to_pounds(wm.payment) == Decimal("115.00")
    assert to_pounds(wm.gbp_headroom) == Decimal("172.50")
    with pytest.raises(CalculationError, match="ALLOCATION"):
        item_claim(RULES.services["WM"], 10)


def test_to_pounds_rounds_half_away_from_zero_exactly():
    # 2.675 is exactly half a penny above 2.67: a float would round it down, we round up.
    assert to_pounds(Fraction("2.675")) == Decimal("2.68")
    assert to_pounds(Fraction("0.125")) == Decimal("0.13")
    assert to_pounds(Fraction("-0.005")) == Decimal("-0.01")
    assert to_pounds(Fraction(1, 3)) == Decimal("0.33")
    assert to_pounds(Fraction(12345)) == Decimal("12345.00")


def test_register_indicators_in_2024_25_score_when_the_register_exists():
    rules = load_rules("2024-25")
    dm017 = rules.indicators["DM017"]
    assert points_for(dm017, 0, 700) == dm017.max_points
    # AF006 has no 2024/25 thresholds in our sources: it cannot score.
    assert points_for(rules.indicators["AF006"], 90, 100) == 0
