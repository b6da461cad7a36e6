"""QOF points and £ for a whole extract at once: the arithmetic of ``app.services.calculation`` on arrays.

A second implementation of the money arithmetic, kept exact. Every quantity of one indicator at one
practice is a whole number over a whole number held in int64: achievement N/D; points
``m·(100·t·N − a·D) / (m_d·(b − a)·D)`` (thresholds a/t and b/t, max points m/m_d), so the thresholds
are compared by cross-multiplying; £ per point ``C·X`` with C a per-indicator constant and X the register
(or list) size, since CPI × APDF = register ÷ (national list × national prevalence). Pence are rounded
half up from a float estimate whose error bound (a few units in the last place) is checked: any value
within a safety margin of a half penny is computed again with Python integers. Sums over a practice
(points, £) are exact too. ``tests/unit/test_fast_calc.py`` compares every value with the reference.

The improvement route (VI001-VI003 in 2026/27) is not vectorised: for a practice with a baseline those
cells take the reference arithmetic, cell by cell (three per practice). A combined register (CD001/CD002
on CD_REG), once its national prevalence is in the rules, is chosen per cell where the extract carries it,
with its own £ per point per patient (``IndicatorConstants.combined``).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from app.services.calculation import (
    AT_MAXIMUM,
    BELOW_LOWER,
    BETWEEN,
    NOT_SCORED,
    improvement_baseline,
    improvement_points,
    points_for,
)
from app.services.rules import PERCENTAGE, REGISTER, RuleSet
from central.extract_columns import Columns

BANDS = (NOT_SCORED, BELOW_LOWER, BETWEEN, AT_MAXIMUM)
# Relative to the estimate, far above its float error: one value takes at most 8 roundings (1e-15), a
# practice's sum of 44 non-negative values at most 52 (6e-15). A value this close to a half penny is
# rounded again exactly.
MARGIN = 1e-12


@dataclass(frozen=True)
class IndicatorConstants:
    """Per indicator (in rules order): the whole numbers its arithmetic needs."""

    kind: np.ndarray  # 0 unscored, 1 percentage, 2 register
    max_n: np.ndarray  # max points = max_n / max_d
    max_d: np.ndarray
    lower: np.ndarray  # lower threshold = lower / scale percent
    upper: np.ndarray
    scale: np.ndarray
    per_point: tuple[Fraction, ...]  # £ per point = per_point × X
    per_point_float: np.ndarray
    register_columns: tuple[tuple[int, ...], ...]  # empty: X is the list size
    # Per indicator whose combined register's prevalence is known: its column and £ per point per patient.
    combined: Mapping[int, tuple[int, Fraction]] = dataclasses.field(default_factory=dict)

    @classmethod
    def of(cls, columns: Columns, rules: RuleSet) -> IndicatorConstants:
        layout, constants = columns.layout, rules.constants
        rows = []
        for indicator_id in layout.indicators:
            ind = rules.indicators[indicator_id]
            kind = 1 if ind.kind == PERCENTAGE else 2 if ind.kind == REGISTER else 0
            lower, upper = ((ind.lower_threshold, ind.upper_threshold) if kind == 1
                            else (Fraction(0), Fraction(1)))
            scale = lower.denominator * upper.denominator
            if ind.registers:
                national = sum(constants.national_prevalence[r] for r in ind.registers)
                per_point = constants.value_per_point_gbp / (constants.national_average_list_size * national)
            else:
                per_point = constants.value_per_point_gbp / constants.national_average_list_size
            rows.append((kind, ind.max_points.numerator, ind.max_points.denominator, int(lower * scale),
                         int(upper * scale), scale, per_point,
                         tuple(layout.register_column(r) for r in ind.registers)))
        kind, max_n, max_d, lo, up, scale, per_point, registers = zip(*rows, strict=True)
        ints = [np.array(v, np.int64) for v in (kind, max_n, max_d, lo, up, scale)]
        combined = {}
        for i, indicator_id in enumerate(layout.indicators):
            register = rules.indicators[indicator_id].combined_register
            if register is not None and register in constants.national_prevalence:
                combined[i] = (layout.register_column(register), constants.value_per_point_gbp / (
                    constants.national_average_list_size * constants.national_prevalence[register]))
        return cls(*ints, per_point=per_point, per_point_float=np.array([float(p) for p in per_point]),
                   register_columns=registers, combined=combined)


@dataclass(frozen=True)
class QofArrays:
    """Everything per (group, indicator); where ``present`` is False the values mean nothing."""

    constants: IndicatorConstants
    present: np.ndarray
    num: np.ndarray
    den: np.ndarray
    pca: np.ndarray
    x: np.ndarray  # register (or list) size: £ per point = constants.per_point × x
    points_n: np.ndarray  # points = points_n / points_d
    points_d: np.ndarray
    next_n: np.ndarray  # points with one more achieving patient, over points_d
    full_n: np.ndarray  # max points over points_d; 0 when the cohort is empty (nothing to claim)
    to_upper: np.ndarray  # patients to the upper threshold; -1 for none
    band: np.ndarray  # index into BANDS
    # Cells paid on a combined register (see IndicatorConstants.combined): £ per point is theirs × x.
    on_combined: np.ndarray | None = None

    @classmethod
    def of(cls, columns: Columns, rules: RuleSet,
           year_ends: Mapping[str, Mapping[str, Mapping[str, Fraction]]] | None = None) -> QofArrays:
        """The arrays of ``columns``; ``year_ends`` gives, per practice code, what ``calculate_qof`` takes
        as ``year_ends`` (the improvement route's baselines)."""
        k = IndicatorConstants.of(columns, rules)
        width = len(columns.layout.indicators)
        present = columns.present[:, :width]
        num = np.where(present, columns.numerator[:, :width], 0)
        den = np.where(present, columns.denominator[:, :width], 0)
        pca = columns.pca[:, :width]
        list_size = columns.list_size
        x = np.empty_like(num)
        for i, registers in enumerate(k.register_columns):
            x[:, i] = (sum(columns.numerator[:, c] for c in registers) if registers else list_size)
        on_combined = None
        if k.combined:
            on_combined = np.zeros(present.shape, bool)
            for i, (column, _) in k.combined.items():
                on_combined[:, i] = columns.present[:, column]
                x[:, i] = np.where(on_combined[:, i], columns.numerator[:, column], x[:, i])
        percentage, register, some = k.kind == 1, k.kind == 2, den > 0
        span = k.upper - k.lower
        points_d = np.where(percentage & some, k.max_d * span * den, np.where(register & some, k.max_d, 1))
        full_n = np.where(percentage & some, k.max_n * span * den, np.where(register & some, k.max_n, 0))

        def points(n: np.ndarray) -> np.ndarray:
            achieved = 100 * k.scale * n  # compared with lower·D and upper·D, all whole numbers
            between = k.max_n * (achieved - k.lower * den)
            at_most = np.where(achieved >= k.upper * den, full_n, between)
            inside = np.where(achieved <= k.lower * den, 0, at_most)
            return np.where(percentage & some, inside, full_n)

        points_n = points(num)
        next_n = np.where(num < den, points(num + 1), points_n)
        needed = -((-k.upper * den) // (100 * k.scale))  # ceil(upper·D / 100), exactly
        to_upper = np.where(percentage & some, np.maximum(0, needed - num), -1)
        if year_ends and rules.constants.improvement:
            _improvement_cells(columns, rules, year_ends, present, num, den,
                               (points_n, points_d, next_n, full_n))
        band = np.where(~(percentage | register), 0,
                        np.where(points_n * k.max_d >= k.max_n * points_d, 3, np.where(points_n > 0, 2, 1)))
        return cls(k, present, num, den, pca, x, points_n, points_d, next_n, full_n, to_upper, band,
                   on_combined)

    def cell_per_point_float(self) -> np.ndarray:
        """£ per point per unit of x, per cell (as a float estimate)."""
        k = self.constants
        out = np.broadcast_to(k.per_point_float, self.present.shape)
        if self.on_combined is not None:
            out = out.copy()
            for i, (_, per_point) in k.combined.items():
                out[:, i] = np.where(self.on_combined[:, i], float(per_point), out[:, i])
        return out

    # --- money -----------------------------------------------------------------------------------

    def pence(self, whole: np.ndarray) -> np.ndarray:
        """Pence (half up) of whole/points_d × £ per point, per cell."""
        estimate = whole / self.points_d * self.cell_per_point_float() * self.x * 100
        rounded = np.floor(estimate + 0.5)
        unsure = np.abs(estimate + 0.5 - np.round(estimate + 0.5)) <= MARGIN * (estimate + 1)
        out = rounded.astype(np.int64)
        for g, i in zip(*np.nonzero(unsure & self.present), strict=True):
            out[g, i] = _half_up(self.exact(whole, g, i))
        return out

    def total_pence(self, whole: np.ndarray) -> np.ndarray:
        """Pence (half up) of each group's exact sum of whole/points_d × £ per point."""
        per_point = self.cell_per_point_float()
        terms = np.where(self.present, whole / self.points_d * per_point * self.x * 100, 0.0)
        estimate = terms.sum(axis=1)
        rounded = np.floor(estimate + 0.5).astype(np.int64)
        unsure = np.abs(estimate + 0.5 - np.round(estimate + 0.5)) <= MARGIN * (estimate + 1)
        for g in np.flatnonzero(unsure):
            rounded[g] = _half_up(sum((self.exact(whole, g, i) for i in np.flatnonzero(self.present[g])),
                                      Fraction(0)))
        return rounded

    def exact_per_point(self, g: int, i: int) -> Fraction:
        k = self.constants
        if self.on_combined is not None and self.on_combined[g, i]:
            return k.combined[i][1] * int(self.x[g, i])
        return k.per_point[i] * int(self.x[g, i])

    def exact(self, whole: np.ndarray, g: int, i: int) -> Fraction:
        """whole/points_d × £ per point of one cell, exactly."""
        return Fraction(int(whole[g, i]), int(self.points_d[g, i])) * self.exact_per_point(g, i)

    def points_total(self) -> list[Fraction]:
        """Each group's exact sum of points over the indicators it has."""
        # Whole parts and reduced remainders in int64, so that Python integers only carry what is left.
        numerators = np.where(self.present, self.points_n, 0)
        denominators = np.where(self.present, self.points_d, 1)
        whole = (numerators // denominators).sum(axis=1)
        rest = numerators % denominators
        common = np.gcd(rest, denominators)
        rest, denominators = rest // common, denominators // common
        n, d = np.zeros(len(self.present), dtype=object), np.ones(len(self.present), dtype=object)
        for i in np.flatnonzero((rest != 0).any(axis=0)):
            n, d = n * denominators[:, i] + d * rest[:, i], d * denominators[:, i]
        return [Fraction(w * b + a, b)
                for w, a, b in zip(whole.tolist(), n.tolist(), d.tolist(), strict=True)]

    def max_points_total(self) -> list[Fraction]:
        k = self.constants
        common = int(np.lcm.reduce(k.max_d)) if k.max_d.size else 1
        sums = np.where(self.present, k.max_n * (common // k.max_d), 0).sum(axis=1)
        return [Fraction(int(s), common) for s in sums]


def _improvement_cells(columns: Columns, rules: RuleSet,
                       year_ends: Mapping[str, Mapping[str, Mapping[str, Fraction]]], present: np.ndarray,
                       num: np.ndarray, den: np.ndarray, out: tuple[np.ndarray, ...]) -> None:
    """Points of improvement-route cells with a baseline, by the reference arithmetic, written into ``out``
    (points_n, points_d, next_n, full_n) over one common whole-number denominator."""
    points_n, points_d, next_n, full_n = out
    layout = columns.layout
    routes = [(layout.indicators.index(indicator_id), indicator_id, rule)
              for indicator_id, rule in rules.constants.improvement.items()
              if indicator_id in layout.indicators]
    for g, code in enumerate(columns.codes):
        practice = year_ends.get(code)
        if not practice:
            continue
        for i, indicator_id, rule in routes:
            baseline = improvement_baseline(rule, rules.year, practice.get(indicator_id, {}))
            n, d = int(num[g, i]), int(den[g, i])
            if baseline is None or not present[g, i] or d == 0:
                continue
            indicator = rules.indicators[indicator_id]

            def scored(k: int, indicator=indicator, rule=rule, baseline=baseline, d=d) -> Fraction:
                return max(points_for(indicator, k, d), improvement_points(indicator, rule, baseline, k, d))

            points = scored(n)
            after = scored(n + 1) if n < d else points
            common = math.lcm(points.denominator, after.denominator, indicator.max_points.denominator)
            if common * indicator.max_points > 2**62:  # the arrays are int64
                raise OverflowError(f"{code} {indicator_id}: the improvement route's fractions are too fine")
            points_d[g, i] = common
            points_n[g, i] = int(points * common)
            next_n[g, i] = int(after * common)
            full_n[g, i] = int(indicator.max_points * common)


def _half_up(amount: Fraction) -> int:
    """Pence of a non-negative £ amount, halves up (``to_pounds`` for the amounts here)."""
    pence = amount * 100
    return (2 * pence.numerator + pence.denominator) // (2 * pence.denominator)


def claim_pence(count: np.ndarray, unit: Fraction) -> np.ndarray:
    """Pence (half up) of count × unit value, with whole numbers only."""
    n, d = (unit * 100).numerator, (unit * 100).denominator
    return (2 * count * n + d) // (2 * d)
