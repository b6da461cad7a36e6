"""Calculated results as feed records: exact values as strings, nothing rounded.

Pure (no database). Exact quantities travel as fraction strings ("41/3"), so the client can show
them rounded and recalculate what-ifs with the same arithmetic; `*_gbp` fields are pounds to the
penny for convenience.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from fractions import Fraction
from typing import Any

from app.services.calculation import IndicatorCounts, calculate_qof, item_claim, to_pounds
from app.services.rules import QOF_SERVICE, RuleSet


def exact(value: Fraction | None) -> str | None:
    return None if value is None else str(value)


def gbp(value: Fraction) -> str:
    return str(to_pounds(value))


def qof_record(
    rules: RuleSet,
    achievement_date: date,
    list_size: int,
    registers: Mapping[str, int],
    counts: list[IndicatorCounts],
    year_ends: Mapping[str, Mapping[str, Fraction]] | None = None,
    pca_reasons: Mapping[str, Mapping[str, int]] | None = None,
) -> dict[str, Any]:
    """The QOF result of one practice at one achievement date; ``year_ends``: the practice's
    improvement-route baselines, as ``calculate_qof`` takes them; ``pca_reasons``: per indicator, the PCA
    counts by reason, when the extract gave them (see :func:`with_pca_reasons`)."""
    result = calculate_qof(rules, list_size, registers, counts, year_ends)
    indicators = []
    for r in result.indicators:
        indicator = rules.indicators[r.indicator_id]
        indicators.append(
            {
                "indicator_id": r.indicator_id,
                "group": r.group,
                "numerator": r.numerator,
                "denominator": r.denominator,
                "pca": r.pca,
                "achievement": exact(r.achievement),
                "points": exact(r.points),
                "max_points": exact(r.max_points),
                "lower_threshold": exact(indicator.lower_threshold),
                "upper_threshold": exact(indicator.upper_threshold),
                "payment": exact(r.payment),
                "payment_gbp": gbp(r.payment),
                "pounds_per_point": exact(r.pounds_per_point),
                "patients_to_upper_threshold": r.patients_to_upper_threshold,
                "gbp_next_patient": gbp(r.gbp_next_patient),
                "gbp_unclaimed": gbp(r.gbp_unclaimed),
                "band": r.band,
            }
        )
    with_pca_reasons(indicators, pca_reasons)
    return {
        "service": QOF_SERVICE,
        "year": rules.year,
        "achievement_date": achievement_date.isoformat(),
        "list_size": list_size,
        "registers": dict(sorted(registers.items())),
        "points": exact(result.points),
        "max_points": exact(result.max_points),
        "payment": exact(result.payment),
        "payment_gbp": gbp(result.payment),
        "gbp_unclaimed": gbp(result.gbp_unclaimed),
        "not_in_extract": sorted(set(rules.indicators) - {c.indicator_id for c in counts}),
        "indicators": indicators,
    }


def with_pca_reasons(indicators: list[dict[str, Any]], pca_reasons: Mapping[str, Mapping[str, int]] | None
                     ) -> None:
    """Add ``"pca_reasons": {code: count}`` to each indicator record whose extract gave its PCAs by reason
    (NHS England's INDICATOR_VALUES layout); others stay exactly as they were."""
    for indicator in indicators if pca_reasons else ():
        found = pca_reasons.get(indicator["indicator_id"])
        if found:
            indicator["pca_reasons"] = dict(sorted(found.items()))


def claim_record(
    rules: RuleSet, service_code: str, achievement_date: date, items: Mapping[str, int]
) -> dict[str, Any]:
    """A V&I or enhanced-service claim for one month; a capped claim without its cap pays nothing yet."""
    service = rules.services[service_code]
    count = items.get(service.item, 0)
    cap = items.get(service.cap_item) if service.cap_item else None
    waiting_for = None
    if service.cap_item and cap is None:
        # e.g. LD health checks before the LD register has been entered: nothing can be paid yet.
        waiting_for, cap = service.cap_item, 0
    claim = item_claim(service, count, cap)
    headroom = claim.gbp_headroom
    return {
        "service": service.code,
        "name": service.name,
        "kind": service.kind,
        "year": rules.year,
        "achievement_date": achievement_date.isoformat(),
        "item": service.item,
        "count": claim.count,
        "cap_item": service.cap_item,
        "cap": None if waiting_for else claim.cap,
        "waiting_for": waiting_for,
        "paid_count": claim.paid_count,
        "unit_value": exact(claim.unit_value),
        "unit_value_gbp": gbp(claim.unit_value),
        "payment": exact(claim.payment),
        "payment_gbp": gbp(claim.payment),
        "gbp_headroom": None if headroom is None or waiting_for else gbp(headroom),
        "items": dict(sorted(items.items())),
    }
