"""``cqrs-central calculate``: QOF points and £, and V&I / enhanced-service claims, for an extract.

Everything is calculated before anything is printed, so a bad file prints its problems (to stderr)
and no partial result. Money is exact until :func:`to_pounds` rounds it for output.
"""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import Mapping
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any, TextIO

from app.services.calculation import (
    IMPROVEMENT_ROUTE,
    CalculationError,
    IndicatorResult,
    ItemClaim,
    QofResult,
    calculate_qof,
    item_claim,
    to_pounds,
)
from app.services.format import uk_date
from app.services.rules import QOF_SERVICE, RulesError, RuleSet, available_years, current_year
from app.services.windows import england_day
from central.calculate_json import write_document
from central.extract import Columns, ExtractError, ExtractTooLarge, PracticeCounts
from central.extract_columns import to_practices
from central.extract_year import year_of_file
from central.extract_years import read_file_years, year_ends_in, years_listed

# The year tried first when no --year is named: that of the file's first row (central.extract_year), else
# the year being reported on today's date in England (the command is one-shot). The year reported is
# the latest in the file.
DEFAULT_YEAR = current_year(england_day(datetime.now(UTC)))
FORMATS = ("table", "json")
WIDTH = 100
BAD_INPUT = 2
# 1 GiB: far above any real extract, yet a wrong file (a device, a disk image) stops being read.
DEFAULT_MAX_BYTES = 1024 * 1024 * 1024


def refused(error: ExtractError, path: str, err: TextIO, done: str) -> int:
    """Say why the extract at ``path`` was refused (every problem, by line) and that nothing was ``done``;
    the exit status for bad input."""
    if isinstance(error, ExtractTooLarge):
        print(f"{path} is larger than --max-bytes ({error.limit} bytes); nothing was {done} "
              "(check it is the extract you meant, or give a larger --max-bytes)", file=err)
    else:
        for problem in error.problems:
            print(problem, file=err)
    return BAD_INPUT


def run_calculate(path: str, year: str | None = None, fmt: str = "table",
                  out: TextIO | None = None, err: TextIO | None = None,
                  max_bytes: int = DEFAULT_MAX_BYTES, pretty: bool = False) -> int:
    """Calculate the extract at ``path`` and print it; return the exit status (0; 2 for bad input).

    The file may hold several QOF years, each row read under its own year's rules; ``year`` is the one
    reported (by default the latest in the file), and the 31 March rows of earlier years in the file give
    the improvement route's baselines. The file is streamed and reading stops after ``max_bytes``
    (status 2, nothing on ``out``). JSON is written as it is made, without indentation (``pretty``:
    indented, built whole first).
    """
    out, err = out or sys.stdout, err or sys.stderr
    years = available_years()
    if year is not None and year not in years:
        print(f"no rules for year {year!r} (years available: {', '.join(years)})", file=err)
        return BAD_INPUT
    first = year or year_of_file(path) or DEFAULT_YEAR
    try:
        found = read_file_years(path, first, max_bytes=max_bytes)
        shown = year or max(found)
        if shown not in found:
            print(f"{path} holds no rows of {shown} (it holds {years_listed(found)}); nothing was calculated "
                  "(name one of those years with --year, or check it is the extract you meant)", file=err)
            return BAD_INPUT
        rules, columns = found[shown]
        year_ends = year_ends_in(found, shown)
        if fmt == "json" and not pretty:
            # Everything that can refuse the file has run: an uncapped claim is found before any output.
            _check_claims(columns, rules)
        else:
            practices = to_practices(columns, rules)
            results = [(p, practice_result(rules, p, year_ends.get(p.practice_code))) for p in practices]
    except RulesError as exc:
        # The shipped rules, not the user's input, are at fault: not status 2.
        print(f"the shipped rules are broken: {exc}", file=err)
        return 1
    except ExtractError as exc:
        return refused(exc, path, err, "calculated")
    except CalculationError as exc:
        print(f"cannot calculate: {exc}", file=err)
        return BAD_INPUT
    if fmt == "json" and not pretty:
        write_document(columns, rules, out.write, year_ends=year_ends)
    elif fmt == "json":
        out.write(json.dumps({"practices": [result for _, result in results]}, indent=2) + "\n")
    else:
        if year is None and len(found) > 1:
            out.write(years_heading(shown, [y for y in found if y != shown]))
        out.write("\n".join(practice_table(counts, result, improvement_lines(rules, counts,
                                                                           year_ends.get(counts.practice_code)))
                             for counts, result in results))
    return 0


def years_heading(shown: str, others: list[str]) -> str:
    """The report's first lines for a file of several years reported without --year."""
    text = (f"Year {shown}: the latest QOF year in this file, which also holds {years_listed(others)}. "
            f"To report another of them, add --year (e.g. --year {max(others)}).")
    return "\n".join(textwrap.wrap(text, WIDTH)) + "\n\n"


# --- the result as plain data (the JSON shape) -----------------------------------------------


def _check_claims(columns: Columns, rules: RuleSet) -> None:
    """Raise CalculationError as ``item_claim`` would for a capped claim whose cap is not in the file."""
    layout = columns.layout
    for code, service in rules.services.items():
        if service.payment_basis != "per_item_capped" or service.cap_item is None:
            continue
        cols = [n for n, (s, _) in enumerate(layout.keys) if s == code]
        cap = layout.column((code, service.cap_item))
        if (columns.present[:, cols].any(axis=1) & ~columns.present[:, cap]).any():
            item_claim(service, 0, None)


def practice_result(rules: RuleSet, practice: PracticeCounts,
                    year_ends: Mapping[str, Mapping[str, Fraction]] | None = None) -> dict[str, Any]:
    """One practice at one achievement date: QOF first, then each other service in the extract.

    ``year_ends``: the practice's improvement-route baselines, as ``calculate_qof`` takes them."""
    qof = calculate_qof(rules, practice.list_size, practice.registers, practice.qof, year_ends)
    present = {c.indicator_id for c in practice.qof}
    services = [_qof_service(qof, [i for i in rules.indicators if i not in present])]
    for code, items in practice.services.items():
        service = rules.services[code]
        cap = items.get(service.cap_item) if service.cap_item else None
        claim = item_claim(service, items.get(service.item, 0), cap)
        services.append(_claim_service(claim))
    return {
        "practice_code": practice.practice_code,
        "year": rules.year,
        "achievement_date": practice.achievement_date.isoformat(),
        "services": services,
    }


def _qof_service(qof: QofResult, not_in_extract: list[str]) -> dict[str, Any]:
    return {
        "service": QOF_SERVICE,
        "points": _number(qof.points),
        "max_points": _number(qof.max_points),
        "payment_gbp": _gbp(qof.payment),
        "gbp_unclaimed": _gbp(qof.gbp_unclaimed),
        "indicators": [_indicator(r) for r in qof.indicators],
        "not_in_extract": not_in_extract,
    }


def _indicator(result: IndicatorResult) -> dict[str, Any]:
    pct = result.achievement_pct
    return {
        "indicator_id": result.indicator_id,
        "numerator": result.numerator,
        "denominator": result.denominator,
        "pca": result.pca,
        "achievement_pct": None if pct is None else float(pct),
        "points": _number(result.points),
        "max_points": _number(result.max_points),
        "payment_gbp": _gbp(result.payment),
        "patients_to_upper_threshold": result.patients_to_upper_threshold,
        "gbp_next_patient": _gbp(result.gbp_next_patient),
        "gbp_unclaimed": _gbp(result.gbp_unclaimed),
    }


def _claim_service(claim: ItemClaim) -> dict[str, Any]:
    headroom = claim.gbp_headroom
    return {
        "service": claim.service,
        "points": None,
        "max_points": None,
        "payment_gbp": _gbp(claim.payment),
        "gbp_unclaimed": None if headroom is None else _gbp(headroom),
        "claims": [{
            "item": claim.item,
            "count": claim.count,
            "cap": claim.cap,
            "paid_count": claim.paid_count,
            "unit_value_gbp": _gbp(claim.unit_value),
            "payment_gbp": _gbp(claim.payment),
        }],
    }


def _number(value: Fraction) -> int | float:
    """Points unrounded: a whole number stays whole, anything else is the float of the exact value."""
    return value.numerator if value.denominator == 1 else float(value)


def _gbp(value: Fraction) -> float:
    # Rounded to pence first, so the float prints as pounds and pence (e.g. 1234.57).
    return float(to_pounds(value))


# --- the table (100 columns) -----------------------------------------------------------------


INDICATOR_HEADINGS = ("Indicator", "Num/Den", "PCA", "Achieved", "Points/Max", "£",
                      "To UT", "£ next pt", "£ unclaimed")
INDICATOR_WIDTHS = (9, 11, 5, 8, 13, 11, 6, 10, 12)
CLAIM_HEADINGS = ("Service", "Item", "Count", "Cap", "Paid", "£ each", "£", "£ headroom")
CLAIM_WIDTHS = (9, 11, 7, 7, 7, 9, 11, 12)


def improvement_lines(rules: RuleSet, practice: PracticeCounts,
                      year_ends: Mapping[str, Mapping[str, Fraction]] | None) -> list[str]:
    """For the indicators with an improvement route: the baseline and which route pays, in plain words."""
    if not rules.constants.improvement:
        return []
    qof = calculate_qof(rules, practice.list_size, practice.registers, practice.qof, year_ends)
    lines, without = [], []
    for result in qof.indicators:
        both = result.improvement
        if both is None:
            continue
        if both.baseline_pct is None:
            without.append(result.indicator_id)
            continue
        pays = ("the improvement route pays" if both.route == IMPROVEMENT_ROUTE
                else "the standard thresholds pay")
        lines.append(f"{result.indicator_id}: baseline {float(both.baseline_pct):.1f}% (the mean of the last "
                     f"two year ends); improvement route {float(both.improvement_points):.2f} points, "
                     f"standard thresholds {float(both.standard_points):.2f}: {pays}.")
    if without:
        lines.append(f"{', '.join(without)}: standard thresholds only (the improvement route needs the "
                     "practice's achievement at 31 March of both previous years; add those year-end rows "
                     "to the file to use it).")
    return lines


def practice_table(counts: PracticeCounts, practice: dict[str, Any], notes: list[str] | None = None) -> str:
    """One practice and date as plain-text tables, at most 100 columns wide, UK number formats; ``notes``
    (e.g. :func:`improvement_lines`) are printed under the indicators."""
    qof, *others = practice["services"]
    other_gbp = sum(s["payment_gbp"] for s in others)
    lines = [
        "=" * WIDTH,
        f"Practice {practice['practice_code']}    Year {practice['year']}    "
        f"Achievement date {uk_date(counts.achievement_date)}    List size {counts.list_size:,}",
        f"QOF points {qof['points']:,.2f} of {qof['max_points']:,.2f}    QOF {_money(qof['payment_gbp'])}"
        f"    QOF unclaimed {_money(qof['gbp_unclaimed'])}",
    ]
    if others:
        lines.append(f"Other services {_money(other_gbp)}    "
                     f"Total {_money(qof['payment_gbp'] + other_gbp)}")
    lines += ["", _row(INDICATOR_HEADINGS, INDICATOR_WIDTHS), "-" * WIDTH]
    for i in qof["indicators"]:
        pct = i["achievement_pct"]
        to_ut = i["patients_to_upper_threshold"]
        lines.append(_row((
            i["indicator_id"],
            f"{i['numerator']:,}/{i['denominator']:,}",
            f"{i['pca']:,}",
            "-" if pct is None else f"{pct:.1f}%",
            f"{i['points']:.2f}/{i['max_points']:g}",
            _money(i["payment_gbp"]),
            "-" if to_ut is None else f"{to_ut:,}",
            _money(i["gbp_next_patient"]),
            _money(i["gbp_unclaimed"]),
        ), INDICATOR_WIDTHS))
    if notes:
        lines.append("")
    for note in notes or ():
        lines += textwrap.wrap(note, WIDTH)
    if qof["not_in_extract"]:
        lines += ["", *textwrap.wrap("Not in the extract (no points): " + ", ".join(qof["not_in_extract"]),
                                     WIDTH)]
    if others:
        lines += ["", _row(CLAIM_HEADINGS, CLAIM_WIDTHS, names=2), "-" * WIDTH]
        for service in others:
            for c in service["claims"]:
                lines.append(_row((
                    service["service"], c["item"], f"{c['count']:,}",
                    "-" if c["cap"] is None else f"{c['cap']:,}",
                    f"{c['paid_count']:,}", _money(c["unit_value_gbp"]), _money(c["payment_gbp"]),
                    "-" if service["gbp_unclaimed"] is None else _money(service["gbp_unclaimed"]),
                ), CLAIM_WIDTHS, names=2))
    return "\n".join(lines) + "\n"


def _row(cells: tuple[str, ...], widths: tuple[int, ...], names: int = 1) -> str:
    # The first ``names`` columns are names (left-aligned); the rest are numbers (right-aligned).
    parts = [f"{c:<{w}}" if n < names else f"{c:>{w}}"
             for n, (c, w) in enumerate(zip(cells, widths, strict=True))]
    return " ".join(parts).rstrip()


def _money(pounds: float) -> str:
    return f"£{pounds:,.2f}"


