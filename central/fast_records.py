"""QOF result records (``central.results.qof_record``) for many practices at once, from exact arrays.

The records are the ones the sync feed carries: exact quantities as fraction strings ("41/3"), pounds
to the penny as strings. Here the fractions come from ``central.fast_calc``'s whole numbers, reduced
with vectorised greatest common divisors (Python integers where the values outgrow 64 bits), so a
national month needs no ``Fraction`` per value. ``tests/unit/test_fast_records.py`` checks every record
against ``qof_record``.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import numpy as np

from app.services.rules import QOF_SERVICE, RuleSet
from central.extract_columns import Columns
from central.fast_calc import BANDS, QofArrays


def qof_records(columns: Columns, rules: RuleSet,
                year_ends: Mapping[str, Mapping[str, Mapping[str, Fraction]]] | None = None
                ) -> list[dict[str, Any]]:
    """One QOF record per group of ``columns``, equal to ``qof_record`` of the same counts; ``year_ends``
    gives, per practice code, the improvement route's baselines (``qof_record``'s ``year_ends``)."""
    a = QofArrays.of(columns, rules, year_ends)
    layout, k = columns.layout, a.constants
    g_index, i_index = np.nonzero(a.present)
    num, den = a.num[g_index, i_index], a.den[g_index, i_index]
    achievement = _fractions(num, np.where(den > 0, den, 1))
    for n in np.flatnonzero(den == 0).tolist():
        achievement[n] = None
    pn, pd = a.points_n[g_index, i_index], a.points_d[g_index, i_index]
    points = _fractions(pn, pd)
    x = a.x[g_index, i_index].astype(object)
    per_point_n = np.array([p.numerator for p in k.per_point], object)[i_index] * x
    per_point_d = np.array([p.denominator for p in k.per_point], object)[i_index]
    per_point = _fractions(per_point_n, per_point_d)
    payment = _fractions(pn.astype(object) * per_point_n, pd.astype(object) * per_point_d)
    gbp = {name: _pence_strings(a.pence(whole)[g_index, i_index]) for name, whole in
           (("payment", a.points_n), ("next", a.next_n - a.points_n), ("unclaimed", a.full_n - a.points_n))}
    to_upper = a.to_upper[g_index, i_index].tolist()
    bands = np.array(BANDS, object)[a.band[g_index, i_index]].tolist()
    constant = [(i, rules.indicators[i].group, str(rules.indicators[i].max_points),
                 _exact(rules.indicators[i].lower_threshold), _exact(rules.indicators[i].upper_threshold))
                for i in layout.indicators]
    indicators = []
    pca = a.pca[g_index, i_index].tolist()
    for n, (i, nu, de) in enumerate(zip(i_index.tolist(), num.tolist(), den.tolist(), strict=True)):
        indicator_id, group, max_points, lower, upper = constant[i]
        indicators.append({
            "indicator_id": indicator_id, "group": group, "numerator": nu, "denominator": de, "pca": pca[n],
            "achievement": achievement[n], "points": points[n], "max_points": max_points,
            "lower_threshold": lower, "upper_threshold": upper, "payment": payment[n],
            "payment_gbp": gbp["payment"][n], "pounds_per_point": per_point[n],
            "patients_to_upper_threshold": None if to_upper[n] < 0 else to_upper[n],
            "gbp_next_patient": gbp["next"][n], "gbp_unclaimed": gbp["unclaimed"][n], "band": bands[n],
        })
    starts = np.searchsorted(g_index, np.arange(len(columns.codes) + 1)).tolist()
    total_points, total_max = a.points_total(), a.max_points_total()
    total_payment = _payment_totals(pn, pd, per_point_n, per_point_d, starts)
    pay_pence = _pence_strings(a.total_pence(a.points_n))
    unclaimed_pence = _pence_strings(a.total_pence(a.full_n - a.points_n))
    register_columns = [(r, layout.register_column(r)) for r in layout.registers]
    records = []
    for g, day in enumerate(columns.dates):
        has = columns.present[g]
        records.append({
            "service": QOF_SERVICE, "year": rules.year, "achievement_date": day.isoformat(),
            "list_size": int(columns.list_size[g]),
            "registers": {r: int(columns.numerator[g, c]) for r, c in register_columns if has[c]},
            "points": str(total_points[g]), "max_points": str(total_max[g]), "payment": str(total_payment[g]),
            "payment_gbp": pay_pence[g], "gbp_unclaimed": unclaimed_pence[g],
            "not_in_extract": sorted(i for n, i in enumerate(layout.indicators) if not has[n]),
            "indicators": indicators[starts[g]:starts[g + 1]],
        })
    return records


def _fractions(numerators: np.ndarray, denominators: np.ndarray) -> list[str]:
    """``str(Fraction(n, d))`` for each pair (d > 0, n ≥ 0), reduced with vectorised gcds."""
    common = np.gcd(numerators, denominators)
    n, d = (numerators // common).tolist(), (denominators // common).tolist()
    return [f"{a}" if b == 1 else f"{a}/{b}" for a, b in zip(n, d, strict=True)]


def _payment_totals(pn: np.ndarray, pd: np.ndarray, per_n: np.ndarray, per_d: np.ndarray,
                    starts: list[int]) -> list[Fraction]:
    """Each group's exact sum of points × £ per point."""
    numerators = (pn.astype(object) * per_n).tolist()
    denominators = (pd.astype(object) * per_d).tolist()
    totals = []
    for g in range(len(starts) - 1):
        n, d = 0, 1
        for a, b in zip(numerators[starts[g]:starts[g + 1]], denominators[starts[g]:starts[g + 1]],
                        strict=True):
            if a:
                n, d = n * b + a * d, d * b
        totals.append(Fraction(n, d))
    return totals


def _pence_strings(pence: np.ndarray) -> list[str]:
    """Pence as ``str(to_pounds(...))`` writes them: pounds, a point and two digits."""
    return [f"{p // 100}.{p % 100:02d}" for p in pence.tolist()]


def _exact(value: Fraction | None) -> str | None:
    return None if value is None else str(value)
