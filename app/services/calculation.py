"""Achievement, points and payment: the arithmetic CQRS pays on.

Pure: no Qt, no database, no network; shared by the desktop client and the central service.
Every quantity is an exact ``Fraction`` until it is presented; :func:`to_pounds` rounds to pence
(half up, as money is conventionally rounded) only for display and export.

QOF payment per indicator (see resources/rules/<year>/constants.toml for the figures):

    £ = points × value per point × CPI × APDF
    CPI  = practice list size ÷ national average list size
    APDF = (register ÷ practice list size) ÷ national prevalence of the register

Indicators with no register are paid on CPI alone. Our stated assumption for a cohort drawn from
several registers (e.g. CHOL003 on CHD+PAD+STIA+CKD): the register is the sum of those registers
and the national prevalence is the sum of their national prevalences. The true combined register
counts each patient once, so the sum slightly overstates both sides; their ratio is what matters. Where
the rules name a combined register (CD001/CD002: CD, CHD ∪ stroke/TIA) it is used instead once the extract
carries it and its national prevalence is in the rules.

The improvement route (VI001-VI003 in 2026/27) is in app.services.improvement, the standard route's
points in app.services.thresholds; their names are importable from here too.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from app.services.improvement import (  # noqa: F401  (re-exported)
    IMPROVEMENT_ROUTE,
    STANDARD_ROUTE,
    ImprovementResult,
    improvement_baseline,
    improvement_points,
    routes,
)
from app.services.rules import PERCENTAGE, REGISTER, Constants, ImprovementRule, Indicator, RuleSet, Service
from app.services.thresholds import (  # noqa: F401  (re-exported)
    HUNDRED,
    ZERO,
    CalculationError,
    patients_to_upper_threshold,
    points_for,
)

# Where an indicator's achievement sits against its thresholds.
BELOW_LOWER = "below lower threshold"
BETWEEN = "between thresholds"
AT_MAXIMUM = "at maximum"
NOT_SCORED = "not scored"


@dataclass(frozen=True)
class IndicatorCounts:
    """One indicator's counts in an extract; ``denominator`` is after PCAs, ``pca`` those removed."""

    indicator_id: str
    numerator: int
    denominator: int
    pca: int = 0


@dataclass(frozen=True)
class IndicatorResult:
    indicator_id: str
    group: str
    numerator: int
    denominator: int
    pca: int
    achievement: Fraction | None  # 0-1; None when the denominator is 0
    points: Fraction
    max_points: Fraction
    payment: Fraction  # £, exact
    payment_at_max: Fraction  # £ if full points were earned (0 for an empty cohort)
    pounds_per_point: Fraction  # value per point × CPI × APDF
    patients_to_upper_threshold: int | None  # None when the denominator is 0 or not scored
    gbp_next_patient: Fraction
    band: str
    improvement: ImprovementResult | None = None  # set for indicators with an improvement route

    @property
    def achievement_pct(self) -> Fraction | None:
        return None if self.achievement is None else self.achievement * HUNDRED

    @property
    def gbp_unclaimed(self) -> Fraction:
        return self.payment_at_max - self.payment

    @property
    def points_unclaimed(self) -> Fraction:
        return self.max_points - self.points


@dataclass(frozen=True)
class QofResult:
    """A practice's QOF result at one achievement date, over the indicators it has counts for."""

    indicators: tuple[IndicatorResult, ...]

    @property
    def points(self) -> Fraction:
        return sum((r.points for r in self.indicators), ZERO)

    @property
    def max_points(self) -> Fraction:
        return sum((r.max_points for r in self.indicators), ZERO)

    @property
    def payment(self) -> Fraction:
        return sum((r.payment for r in self.indicators), ZERO)

    @property
    def gbp_unclaimed(self) -> Fraction:
        return sum((r.gbp_unclaimed for r in self.indicators), ZERO)


@dataclass(frozen=True)
class ItemClaim:
    """A V&I or enhanced-service claim: count × unit value, capped where the service says so."""

    service: str
    item: str
    count: int
    cap: int | None
    paid_count: int
    unit_value: Fraction
    payment: Fraction

    @property
    def unpaid_count(self) -> int:
        """Items over the cap: done but not paid."""
        return self.count - self.paid_count

    @property
    def gbp_headroom(self) -> Fraction | None:
        """£ still claimable before the cap is reached (None when uncapped)."""
        return None if self.cap is None else (self.cap - self.paid_count) * self.unit_value


@dataclass(frozen=True)
class AspirationPlan:
    total: Fraction  # aspiration fraction × prior-year achievement payment
    monthly: Fraction  # one twelfth of the total

    def paid_after(self, months: int) -> Fraction:
        """Aspiration paid after ``months`` monthly instalments (0-12)."""
        if not 0 <= months <= 12:
            raise CalculationError(f"months must be 0 to 12 (got {months})")
        return self.monthly * months


# --- QOF -------------------------------------------------------------------------------------


def uses_combined_register(indicator: Indicator, registers: Mapping[str, int], constants: Constants) -> bool:
    """True when the combined register replaces the summed ones: the extract has it and its prevalence."""
    combined = indicator.combined_register
    return combined is not None and combined in registers and combined in constants.national_prevalence


def pounds_per_point(
    indicator: Indicator, list_size: int, registers: Mapping[str, int], constants: Constants
) -> Fraction:
    """value per point × CPI × APDF for this indicator at this practice."""
    if list_size <= 0:
        raise CalculationError(f"{indicator.indicator_id}: the practice list size must be above 0")
    cpi = Fraction(list_size) / constants.national_average_list_size
    if not indicator.registers:
        return constants.value_per_point_gbp * cpi
    used = ((indicator.combined_register,) if uses_combined_register(indicator, registers, constants)
            else indicator.registers)
    missing = [r for r in used if r not in registers]
    if missing:
        raise CalculationError(f"{indicator.indicator_id}: needs the register size of {', '.join(missing)}")
    register = sum(registers[r] for r in used)
    national = sum(constants.national_prevalence[r] for r in used)
    apdf = (Fraction(register) / list_size) / national
    return constants.value_per_point_gbp * cpi * apdf


def indicator_result(
    indicator: Indicator,
    counts: IndicatorCounts,
    per_point: Fraction,
    improvement: ImprovementRule | None = None,
    baseline: Fraction | None = None,
) -> IndicatorResult:
    """Everything the dashboard and the CLI show for one indicator.

    With an improvement ``rule`` the indicator scores the higher of the standard route and the improvement
    route from ``baseline`` (B, a percentage; None: the standard route alone).
    """
    num, den = counts.numerator, counts.denominator
    both = routes(indicator, improvement, baseline, num, den) if improvement is not None else None

    def scored(n: int) -> Fraction:
        standard = points_for(indicator, n, den)
        if improvement is None:
            return standard
        return max(standard, improvement_points(indicator, improvement, baseline, n, den))

    points = scored(num)
    next_points = scored(num + 1) if num < den else points
    return IndicatorResult(
        indicator_id=indicator.indicator_id,
        group=indicator.group,
        numerator=num,
        denominator=den,
        pca=counts.pca,
        achievement=Fraction(num, den) if den else None,
        points=points,
        max_points=indicator.max_points,
        payment=points * per_point,
        # An empty cohort can earn nothing, so nothing is unclaimed either.
        payment_at_max=indicator.max_points * per_point if den else ZERO,
        pounds_per_point=per_point,
        patients_to_upper_threshold=patients_to_upper_threshold(indicator, num, den),
        gbp_next_patient=(next_points - points) * per_point,
        band=_band(indicator, points),
        improvement=both,
    )


def calculate_qof(
    rules: RuleSet,
    list_size: int,
    registers: Mapping[str, int],
    counts: Iterable[IndicatorCounts],
    year_ends: Mapping[str, Mapping[str, Fraction]] | None = None,
) -> QofResult:
    """The QOF result for one practice and achievement date over the indicators in ``counts``.

    ``year_ends`` gives, per indicator, the practice's achievement % at 31 March of earlier QOF years
    (e.g. ``{"VI001": {year: Fraction(...)}}``): the baselines of the improvement route.
    """
    results = []
    for item in counts:
        indicator = rules.indicators.get(item.indicator_id)
        if indicator is None:
            raise CalculationError(f"{item.indicator_id} is not a {rules.year} QOF indicator")
        per_point = pounds_per_point(indicator, list_size, registers, rules.constants)
        rule = rules.constants.improvement.get(item.indicator_id)
        baseline = (improvement_baseline(rule, rules.year, (year_ends or {}).get(item.indicator_id, {}))
                    if rule is not None else None)
        results.append(indicator_result(indicator, item, per_point, rule, baseline))
    return QofResult(indicators=tuple(results))


def _band(indicator: Indicator, points: Fraction) -> str:
    if indicator.kind not in (PERCENTAGE, REGISTER):
        return NOT_SCORED
    if points >= indicator.max_points:
        return AT_MAXIMUM
    return BETWEEN if points > 0 else BELOW_LOWER


# --- aspiration and year end -----------------------------------------------------------------


def aspiration_plan(prior_year_payment: Fraction, constants: Constants) -> AspirationPlan:
    """Aspiration payments: a fraction of last year's achievement £, paid monthly in twelfths."""
    if prior_year_payment < 0:
        raise CalculationError("the prior-year achievement payment cannot be negative")
    total = Fraction(prior_year_payment) * constants.aspiration_fraction
    return AspirationPlan(total=total, monthly=total / 12)


def year_end_balance(achievement_payment: Fraction, aspiration_paid: Fraction) -> Fraction:
    """What is still due at year end (negative: the practice was overpaid and repays it)."""
    return Fraction(achievement_payment) - Fraction(aspiration_paid)


# --- V&I and enhanced services ---------------------------------------------------------------


def item_claim(service: Service, count: int, cap: int | None = None) -> ItemClaim:
    """Payment for ``count`` items of ``service``: item of service, or per item up to a cap."""
    if count < 0:
        raise CalculationError(f"{service.code}: {service.item} cannot be negative")
    if service.payment_basis == "per_item_capped":
        if cap is None:
            raise CalculationError(f"{service.code}: needs {service.cap_item} to cap the claim")
        if cap < 0:
            raise CalculationError(f"{service.code}: {service.cap_item} cannot be negative")
        paid = min(count, cap)
    else:
        cap, paid = None, count
    return ItemClaim(
        service=service.code,
        item=service.item,
        count=count,
        cap=cap,
        paid_count=paid,
        unit_value=service.unit_value_gbp,
        payment=paid * service.unit_value_gbp,
    )


# --- presentation ----------------------------------------------------------------------------


def to_pounds(amount: Fraction) -> Decimal:
    """Round an exact £ amount to pence, halves away from zero. For display and export only."""
    pence = abs(Fraction(amount)) * 100
    whole = math.floor(pence)
    if pence - whole >= Fraction(1, 2):
        whole += 1
    return (Decimal(whole if amount >= 0 else -whole) / 100).quantize(Decimal("0.01"))
