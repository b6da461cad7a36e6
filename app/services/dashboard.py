"""What the QOF dashboard shows, built from the synced result and benchmark records.

Pure: plain dicts in (as ``cache_store.records`` returns them), frozen dataclasses out, exact Fractions
throughout. Without Finance View every £ field is None, so a view cannot show money by mistake.
Each indicator is recalculated with ``app.services.calculation`` from its counts and the £ per point the
service published, which gives the exact £ for the next patient and £ unclaimed (the feed rounds those).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

from app.services.calculation import IndicatorCounts, aspiration_plan, calculate_qof, indicator_result
from app.services.format import uk_date
from app.services.improvement import ImprovementResult, improvement_baseline, year_ends_from_records
from app.services.pca_reference import pca_rate
from app.services.projection import Projection, project
from app.services.rules import RuleSet, qof_year, reporting_year

QOF = "QOF"
VACCINATIONS = "VI"
ZERO = Fraction(0)


@dataclass(frozen=True)
class Choice:
    key: str  # "QOF:2025-26", "VI" or an enhanced service code such as "LDHC"
    label: str
    kind: str  # "qof", "vaccination" or "enhanced"
    dates: tuple[date, ...]  # achievement dates with results, newest first


@dataclass(frozen=True)
class IndicatorRow:
    indicator_id: str
    group: str
    description: str
    source: str
    numerator: int
    denominator: int
    pca: int
    achievement: Fraction | None  # 0-1
    lower_threshold: Fraction | None  # percent
    upper_threshold: Fraction | None
    points: Fraction
    max_points: Fraction
    points_unclaimed: Fraction
    patients_to_upper: int | None
    band: str
    payment: Fraction | None  # the £ fields are None without Finance View
    gbp_next_patient: Fraction | None
    gbp_unclaimed: Fraction | None
    # The practice's achievement (0-1) at the same month end of the year before, and a line saying what it
    # is or why there is none (both None where no comparison was made, as in the vaccinations panel).
    last_year: Fraction | None = None
    last_year_note: str | None = None
    # Both routes (baseline B, the points of each, which pays) of an indicator with an improvement route.
    improvement: ImprovementResult | None = None
    # The PCAs by reason (code, count), largest first, when the extract gave them; the PCA rate (0-1): PCAs
    # of everyone the indicator applied to (denominator + PCAs).
    pca_reasons: tuple[tuple[str, int], ...] = ()
    pca_rate: Fraction | None = None


@dataclass(frozen=True)
class Benchmark:
    pcn: Fraction | None
    icb: Fraction | None
    all_practices: Fraction | None
    # Pooled PCA rates (0-1) of the same peers, where the service published them.
    pca_pcn: Fraction | None = None
    pca_icb: Fraction | None = None
    pca_all: Fraction | None = None


@dataclass(frozen=True)
class QofSummary:
    year: str
    achievement_date: date
    list_size: int
    points: Fraction
    max_points: Fraction
    projected_points: Fraction | None
    payment: Fraction | None
    max_payment: Fraction | None
    projected_payment: Fraction | None
    aspiration_total: Fraction | None  # None without Finance View or without last year's result
    aspiration_to_date: Fraction | None
    aspiration_months: int


@dataclass(frozen=True)
class QofDashboard:
    summary: QofSummary
    indicators: tuple[IndicatorRow, ...]
    groups: tuple[str, ...]
    history: Mapping[str, tuple[tuple[date, Fraction], ...]]  # indicator -> achievement by month
    points_history: tuple[tuple[date, Fraction], ...]
    points_projection: Projection | None
    benchmarks: Mapping[str, Benchmark]
    finance: bool
    registers: Mapping[str, int]
    year_ends: Mapping[str, Mapping[str, Fraction]] = field(default_factory=dict)  # improvement baselines


def result_date(record: Mapping[str, Any]) -> date:
    return date.fromisoformat(record["achievement_date"])


def record_year(record: Mapping[str, Any]) -> str:
    """The QOF year of a result record: its own, else that of its achievement date."""
    return record.get("year") or qof_year(result_date(record))


def years_held(results: Iterable[Mapping[str, Any]]) -> list[str]:
    """Every QOF year with any result, newest first."""
    return sorted({record_year(record) for record in results}, reverse=True)


def opening_year(held: Sequence[str], today: date) -> str | None:
    """The year the dashboard opens on: the one of ``today`` when held, else the newest held."""
    year = reporting_year(today)
    return year if year in held else (held[0] if held else None)


def service_key(choice_key: str) -> str:
    """The service part of a choice key ("QOF:2026-27" -> "QOF"): the same service in another year."""
    return choice_key.split(":", 1)[0]


def choices(results: Iterable[Mapping[str, Any]], year: str | None = None) -> list[Choice]:
    """The services with results, newest QOF year first, then V&I, then each enhanced service.

    With ``year``, only that QOF year's results: one QOF choice (labelled "QOF"), V&I and the enhanced
    services with results that year, each with that year's dates.
    """
    qof: dict[str, set[date]] = {}
    vaccination: set[date] = set()
    enhanced: dict[str, tuple[str, set[date]]] = {}
    for record in results:
        if year is not None and record_year(record) != year:
            continue
        when = result_date(record)
        if record.get("service") == QOF:
            qof.setdefault(record_year(record), set()).add(when)
        elif record.get("kind") == "vaccination":
            vaccination.add(when)
        else:
            name = record.get("name") or record["service"]
            enhanced.setdefault(record["service"], (name, set()))[1].add(when)
    found = [Choice(f"{QOF}:{held}", QOF if year else f"QOF {held.replace('-', '/')}", "qof",
                    _newest_first(dates)) for held, dates in sorted(qof.items(), reverse=True)]
    if vaccination:
        found.append(Choice(VACCINATIONS, "Vaccinations and immunisations", "vaccination",
                            _newest_first(vaccination)))
    found += [Choice(code, name, "enhanced", _newest_first(dates))
              for code, (name, dates) in sorted(enhanced.items(), key=lambda item: item[1][0])]
    return found


def _newest_first(dates: Iterable[date]) -> tuple[date, ...]:
    return tuple(sorted(dates, reverse=True))


def year_end(year: str) -> date:
    """31 March at the end of a QOF year such as "2025-26"."""
    return date(int(year[:4]) + 1, 3, 31)


def previous_year(year: str) -> str:
    """The QOF year before ``year``: "2026-27" -> "2025-26"."""
    start = int(year[:4]) - 1
    return f"{start}-{(start + 1) % 100:02d}"


def same_month_last_year(when: date) -> date:
    """The month end a year before the month end ``when`` (29 Feb 2028 -> 28 Feb 2027)."""
    following = date(when.year - 1 + (when.month == 12), when.month % 12 + 1, 1)
    return following - timedelta(days=1)


def with_last_year(rows: Sequence[IndicatorRow], prior: Mapping[str, Any] | None, when: date,
                   prior_rules: RuleSet | None) -> tuple[IndicatorRow, ...]:
    """``rows`` with the practice's achievement at ``when`` (a year before theirs) from ``prior``, the QOF
    result of that date if held; where there is none, the reason in plain English."""
    day = uk_date(when)
    held = {} if prior is None else {i["indicator_id"]: i for i in prior["indicators"]}
    found = []
    for row in rows:
        item = held.get(row.indicator_id)
        value, note = None, None
        if prior is None:
            note = f"No QOF result for {day} is held, so there is nothing to compare with."
        elif item is None and prior_rules is not None and row.indicator_id not in prior_rules.indicators:
            note = f"New this year: {row.indicator_id} was not part of QOF at {day}."
        elif item is None:
            note = f"The result for {day} has no figure for {row.indicator_id}."
        elif not int(item["denominator"]):
            note = f"No patients counted for {row.indicator_id} at {day}."
        else:
            value = Fraction(int(item["numerator"]), int(item["denominator"]))
            note = (f"At {day}, the same month last year: {int(item['numerator']):,} of "
                    f"{int(item['denominator']):,}.")
        found.append(replace(row, last_year=value, last_year_note=note))
    return tuple(found)


def counts_of(record: Mapping[str, Any]) -> list[IndicatorCounts]:
    return [IndicatorCounts(i["indicator_id"], int(i["numerator"]), int(i["denominator"]), int(i["pca"]))
            for i in record["indicators"]]


def indicator_rows(record: Mapping[str, Any], rules: RuleSet, finance: bool,
                   counts: Sequence[IndicatorCounts] | None = None,
                   year_ends: Mapping[str, Mapping[str, Fraction]] | None = None) -> tuple[IndicatorRow, ...]:
    """One row per indicator of a QOF result record, recalculated exactly (optionally with other counts).

    ``year_ends`` (see :func:`year_ends_of`) are the improvement route's baselines, as the service had them.
    """
    # Without Finance View the service sends no £ per point (nor any other £): the points stand alone.
    per_point = {i["indicator_id"]: Fraction(i.get("pounds_per_point") or 0) for i in record["indicators"]}
    by_reason = {i["indicator_id"]: _pca_reasons(i) for i in record["indicators"]}
    rows = []
    for item in counts if counts is not None else counts_of(record):
        rule = rules.indicators[item.indicator_id]
        route = rules.constants.improvement.get(item.indicator_id)
        baseline = (improvement_baseline(route, rules.year, (year_ends or {}).get(item.indicator_id, {}))
                    if route is not None else None)
        result = indicator_result(rule, item, per_point[item.indicator_id], route, baseline)
        money = finance
        rows.append(IndicatorRow(
            rule.indicator_id, rule.group, rule.description, rule.source, result.numerator,
            result.denominator, result.pca, result.achievement, rule.lower_threshold, rule.upper_threshold,
            result.points, result.max_points, result.points_unclaimed, result.patients_to_upper_threshold,
            result.band, result.payment if money else None, result.gbp_next_patient if money else None,
            result.gbp_unclaimed if money else None, improvement=result.improvement,
            pca_reasons=by_reason.get(item.indicator_id, ()),
            pca_rate=pca_rate(result.pca, result.denominator)))
    return tuple(rows)


def _pca_reasons(item: Mapping[str, Any]) -> tuple[tuple[str, int], ...]:
    """An indicator record's PCAs by reason, largest first (then by code)."""
    found = item.get("pca_reasons") or {}
    return tuple(sorted(((str(code), int(count)) for code, count in found.items()),
                        key=lambda pair: (-pair[1], pair[0])))


def year_ends_of(results: Iterable[Mapping[str, Any]], rules: RuleSet) -> dict[str, dict[str, Fraction]]:
    """The practice's improvement-route baselines for ``rules.year`` from its cached QOF results."""
    return year_ends_from_records((r for r in results if r.get("service") == QOF), rules)


def _benchmarks(record: Mapping[str, Any] | None) -> dict[str, Benchmark]:
    if record is None:
        return {}

    def fraction(text: Any) -> Fraction | None:
        value = Fraction(text) if isinstance(text, str) and text else None
        return value

    def rates(peers: Mapping[str, Any]) -> tuple[Fraction | None, ...]:
        pca = peers.get("pca") or {}
        return fraction(pca.get("pcn")), fraction(pca.get("icb")), fraction(pca.get("all"))

    return {indicator: Benchmark(fraction(peers.get("pcn")), fraction(peers.get("icb")),
                                 fraction(peers.get("all")), *rates(peers))
            for indicator, peers in record.get("indicators", {}).items()}


def aspiration_months(year: str, today: date) -> int:
    """Monthly aspiration instalments paid by ``today``: one at the end of each month from April."""
    start = date(int(year[:4]), 4, 1)
    months = (today.year - start.year) * 12 + today.month - start.month  # whole months finished
    return max(0, min(12, months))


def qof_dashboard(results: Sequence[Mapping[str, Any]], benchmarks: Sequence[Mapping[str, Any]],
                  rules: RuleSet, achievement_date: date, *, finance: bool, today: date,
                  prior_rules: RuleSet | None = None) -> QofDashboard:
    """The QOF dashboard of ``rules.year`` at ``achievement_date`` (which must have a result record).

    Each indicator is compared with the same month of the year before (``prior_rules`` are that year's,
    to tell an indicator new this year from one missing from the result). The aspiration payments come
    from the stored result at the previous 31 March (the previous year's achievement).
    """
    year = rules.year
    qof = sorted((r for r in results if r.get("service") == QOF), key=result_date)
    this_year = [r for r in qof if record_year(r) == year and result_date(r) <= achievement_date]
    if not this_year or result_date(this_year[-1]) != achievement_date:
        raise LookupError(f"no QOF {year} result for {uk_date(achievement_date)}")
    record = this_year[-1]
    compared = same_month_last_year(achievement_date)
    prior_month = next((r for r in qof if result_date(r) == compared), None)
    year_ends = year_ends_of(qof, rules)
    rows = with_last_year(indicator_rows(record, rules, finance, year_ends=year_ends),
                          prior_month, compared, prior_rules)
    points = sum((row.points for row in rows), ZERO)
    max_points = sum((row.max_points for row in rows), ZERO)
    points_history = tuple((result_date(r), Fraction(r["points"])) for r in this_year)
    history: dict[str, list[tuple[date, Fraction]]] = {}
    for past in this_year:
        for item in past["indicators"]:
            if int(item["denominator"]):
                history.setdefault(item["indicator_id"], []).append(
                    (result_date(past), Fraction(int(item["numerator"]), int(item["denominator"]))))
    points_projection = project(points_history, year_end(year), max_points)

    payment = max_payment = projected_payment = aspiration_total = aspiration_to_date = None
    months = aspiration_months(year, today)
    if finance:
        payment = sum((row.payment or ZERO for row in rows), ZERO)
        max_payment = payment + sum((row.gbp_unclaimed or ZERO for row in rows), ZERO)
        payment_history = [(result_date(r), Fraction(r["payment"])) for r in this_year]
        payment_projection = project(payment_history, year_end(year), max_payment)
        projected_payment = payment_projection.year_end_value if payment_projection else None
        prior = next((r for r in reversed(qof) if result_date(r) == date(int(year[:4]), 3, 31)), None)
        if prior is not None:
            plan = aspiration_plan(Fraction(prior["payment"]), rules.constants)
            aspiration_total, aspiration_to_date = plan.total, plan.paid_after(months)

    summary = QofSummary(year, achievement_date, int(record["list_size"]), points, max_points,
                         points_projection.year_end_value if points_projection else None, payment,
                         max_payment, projected_payment, aspiration_total, aspiration_to_date, months)
    benchmark = next((b for b in benchmarks if b.get("service") == QOF
                      and b.get("achievement_date") == achievement_date.isoformat()), None)
    groups = tuple(dict.fromkeys(row.group for row in rows))
    return QofDashboard(summary, rows, groups, {k: tuple(v) for k, v in history.items()}, points_history,
                        points_projection, _benchmarks(benchmark), finance, dict(record["registers"]),
                        year_ends)


@dataclass(frozen=True)
class WhatIf:
    before: IndicatorRow
    after: IndicatorRow
    points_change: Fraction
    payment_change: Fraction | None  # None without Finance View


def what_if(record: Mapping[str, Any], rules: RuleSet, indicator_id: str, *, numerator: int,
            denominator: int, registers: Mapping[str, int] | None = None, finance: bool,
            year_ends: Mapping[str, Mapping[str, Fraction]] | None = None) -> WhatIf:
    """One indicator recalculated with other counts (and optionally other register sizes).

    Changing a register changes the £ per point of every indicator weighted by it, so with new
    registers the £ per point comes from ``calculate_qof`` rather than from the published record.
    Nothing here is stored or sent: it is a what-if.
    """
    counts = {c.indicator_id: c for c in counts_of(record)}
    if indicator_id not in counts:
        raise LookupError(f"{indicator_id} is not in this result")
    changed = IndicatorCounts(indicator_id, numerator, denominator, counts[indicator_id].pca)
    before = indicator_rows(record, rules, finance, [counts[indicator_id]], year_ends)[0]
    if registers is None:
        after = indicator_rows(record, rules, finance, [changed], year_ends)[0]
    else:
        merged = {**record["registers"], **registers}
        recalculated = calculate_qof(rules, int(record["list_size"]), merged, [changed],
                                     year_ends).indicators[0]
        per_point = dict(record)
        per_point["indicators"] = [{**i, "pounds_per_point": str(recalculated.pounds_per_point)}
                                   if i["indicator_id"] == indicator_id else i for i in record["indicators"]]
        after = indicator_rows(per_point, rules, finance, [changed], year_ends)[0]
    payment_change = (after.payment - before.payment) if finance and after.payment is not None \
        and before.payment is not None else None
    return WhatIf(before, after, after.points - before.points, payment_change)
