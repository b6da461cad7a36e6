"""Properties that must hold for every 2025/26 indicator and any counts."""

import math
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from app.services.calculation import IndicatorCounts, calculate_qof, patients_to_upper_threshold, points_for
from app.services.rules import load_rules

RULES = load_rules("2025-26")
INDICATORS = sorted(RULES.indicators.values(), key=lambda i: i.indicator_id)
REGISTERS = sorted(RULES.registers)

indicators = st.sampled_from(INDICATORS)
counts = st.integers(min_value=0, max_value=5_000).flatmap(
    lambda den: st.tuples(st.integers(min_value=0, max_value=den), st.just(den))
)


@settings(max_examples=300, deadline=None)
@given(indicator=indicators, nd=counts)
def test_points_lie_between_zero_and_max(indicator, nd):
    numerator, denominator = nd
    assert 0 <= points_for(indicator, numerator, denominator) <= indicator.max_points


@settings(max_examples=300, deadline=None)
@given(indicator=indicators, nd=counts)
def test_points_never_fall_as_the_numerator_rises(indicator, nd):
    numerator, denominator = nd
    if numerator < denominator:
        assert points_for(indicator, numerator + 1, denominator) >= points_for(
            indicator, numerator, denominator
        )


@settings(max_examples=300, deadline=None)
@given(indicator=indicators, nd=counts)
def test_patients_to_upper_threshold_is_the_exact_minimum(indicator, nd):
    numerator, denominator = nd
    k = patients_to_upper_threshold(indicator, numerator, denominator)
    if denominator == 0:
        assert k is None
        return
    upper = indicator.upper_threshold / 100
    assert numerator + k <= denominator
    assert Fraction(numerator + k, denominator) >= upper
    if k > 0:
        assert Fraction(numerator + k - 1, denominator) < upper
    # With k more patients the indicator earns full points.
    assert points_for(indicator, numerator + k, denominator) == indicator.max_points


@settings(max_examples=200, deadline=None)
@given(
    indicator=indicators,
    nd=counts,
    list_size=st.integers(min_value=500, max_value=60_000),
    shares=st.lists(
        st.integers(min_value=0, max_value=400), min_size=len(REGISTERS), max_size=len(REGISTERS)
    ),
)
def test_money_is_never_negative_and_unclaimed_plus_earned_is_the_maximum(indicator, nd, list_size, shares):
    registers = {r: math.floor(list_size * s / 1000) for r, s in zip(REGISTERS, shares, strict=True)}
    result = calculate_qof(RULES, list_size, registers, [IndicatorCounts(indicator.indicator_id, *nd)])
    r = result.indicators[0]
    assert r.payment >= 0
    assert r.gbp_next_patient >= 0
    assert r.gbp_unclaimed >= 0
    assert r.payment + r.gbp_unclaimed == r.payment_at_max
