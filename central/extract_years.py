"""An extract whose rows span several QOF years: each row read and checked under its own year's rules.

A row's year is that of its achievement date (1 April to 31 March). A file of one year goes the usual
way (``central.extract``: the fast column reader, else line by line), so a national file costs nothing
more. Only when the fast reader declines is each line's year looked at; then each year's rows are read
by that year's rules from a copy of the file in which the other years' lines are left blank, so every
problem keeps the line number it has in the file. A row of a year this version has no rules for is
refused by line, and problems of every year are reported together: nothing is loaded unless all is clean.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from fractions import Fraction
from pathlib import Path

from app.services.rules import RuleSet, available_years, load_rules, qof_year
from central import extract_check as check
from central.extract import MAX_BYTES, MAX_PROBLEMS, parse_columns, parse_lines
from central.extract_columns import Columns, from_practices, read_columns, split_text
from central.extract_indicator_values import convert, is_indicator_values
from central.extract_input import ExtractError, ExtractProblem, extract_lines, read_extract_text
from central.extract_parallel import read_columns_shared

Years = dict[str, tuple[RuleSet, Columns]]  # QOF year -> its rules and its rows, earliest year first
# Per practice code, per indicator, per earlier QOF year: achievement % at 31 March (calculate_qof's
# ``year_ends``).
YearEnds = dict[str, dict[str, dict[str, Fraction]]]


def read_file_years(path: str | Path, year: str, *, require_caps: bool = True, extracted_only: bool = False,
                    max_bytes: int = MAX_BYTES) -> Years:
    """The extract at ``path`` by QOF year; ``year`` is tried first (the year of its first row, or named).

    Raises ExtractError listing every problem of every year, by line. A pipe is read once, whole (what
    is read from it cannot be read again), within ``max_bytes``.
    """
    if not Path(path).is_file():
        return read_text_years(read_extract_text(path, max_bytes=max_bytes), year, require_caps=require_caps,
                               extracted_only=extracted_only, max_bytes=max_bytes)
    rules = load_rules(year) if year in available_years() else None
    if rules is not None:
        columns = read_columns_shared(path, rules, require_caps=require_caps, extracted_only=extracted_only,
                                      max_bytes=max_bytes)
        if columns is not None:
            return {year: (rules, columns)}
    return read_lines_years(list(extract_lines(path, max_bytes=max_bytes)), year,
                            require_caps=require_caps, extracted_only=extracted_only)


def read_text_years(text: str, year: str, *, require_caps: bool = True, extracted_only: bool = False,
                    max_bytes: int = MAX_BYTES) -> Years:
    """:func:`read_file_years` of an extract's text (at most ``max_bytes`` characters)."""
    if len(text) > max_bytes:
        raise check.refuse(f"an extract may be at most {max_bytes:,} bytes")
    text = text.removeprefix("\ufeff")
    rules = load_rules(year) if year in available_years() else None
    if rules is not None and text.isascii():
        columns = read_columns(split_text(text.encode("ascii")), rules, require_caps=require_caps,
                               extracted_only=extracted_only)
        if columns is not None:
            return {year: (rules, columns)}
    return read_lines_years(text.splitlines(), year, require_caps=require_caps, extracted_only=extracted_only)


def read_lines_years(lines: list[str], year: str, *, require_caps: bool = True,
                     extracted_only: bool = False) -> Years:
    """The extract given line by line (header first), each row under the rules of its own year.

    A line whose date cannot be read is left to ``year``'s reader (or the newest shipped year's, when
    ``year`` is not shipped), which names what is wrong with it. A file in NHS England's INDICATOR_VALUES
    layout (known by its header) is read into ours first (``central.extract_indicator_values``).
    """
    if lines and is_indicator_values(lines[0]):
        return _indicator_values_years(lines, year, require_caps=require_caps, extracted_only=extracted_only)
    shipped = available_years()
    line_years, dates = _line_years(lines, year if year in shipped else max(shipped))
    years = sorted(set(line_years)) or [year]  # a file of only a header: its year's reader says so
    if years == [year] and year in shipped:
        rules = load_rules(year)
        extract = parse_lines(lines, rules, require_caps=require_caps, extracted_only=extracted_only)
        return {year: (rules, from_practices(extract.practices, rules))}
    found: Years = {}
    problems: list[ExtractProblem] = []
    for each in years:
        numbers = [n for n, y in enumerate(line_years, start=2) if y == each]
        if each not in shipped:
            problems += [ExtractProblem(n, f"achievement_date {dates[n - 2]} is in QOF year {each}, which "
                                           f"this version has no rules for (years it has: "
                                           f"{', '.join(sorted(shipped))}); remove those rows, or use a "
                                           f"version with the {each} rules") for n in numbers]
            continue
        rules = load_rules(each)
        wanted = set(numbers)
        kept = (raw if n in wanted else "" for n, raw in enumerate(lines[1:], start=2))
        part = "\n".join([lines[0], *kept])
        try:
            found[each] = (rules, parse_columns(part, rules, require_caps=require_caps,
                                                extracted_only=extracted_only))
        except ExtractError as exc:
            problems += [p for p in exc.problems if p.line is not None or p not in problems]
    if problems:
        raise ExtractError(_in_line_order(problems))
    return found


def _indicator_values_years(lines: list[str], year: str, *, require_caps: bool,
                            extracted_only: bool) -> Years:
    """:func:`read_lines_years` of an INDICATOR_VALUES file: its rows in our layout, checked by our rules
    with every problem named by its line in this file; each year's columns keep their PCA reasons."""
    converted = convert(lines)
    try:
        years = read_lines_years(converted.lines, year, require_caps=require_caps,
                                 extracted_only=extracted_only)
    except ExtractError as exc:
        raise ExtractError(_in_line_order([converted.line_of(p) for p in exc.problems])) from None
    found: Years = {}
    for each, (rules, columns) in years.items():
        groups = set(zip(columns.codes, columns.dates, strict=True))
        kept = {key: value for key, value in converted.pca_reasons.items() if key[:2] in groups}
        found[each] = (rules, replace(columns, pca_reasons=kept))
    return found


def _in_line_order(problems: list[ExtractProblem]) -> list[ExtractProblem]:
    """Every year's problems by line, at most MAX_PROBLEMS; a note that some were left out, once, last."""
    stopped = [p for p in problems if p.line is None and p.message.startswith("stopped after")]
    rest = sorted((p for p in problems if p not in stopped), key=lambda p: p.line or 0)
    if len(rest) > MAX_PROBLEMS and not stopped:
        stopped = [ExtractProblem(None, f"stopped after {MAX_PROBLEMS:,} problems; "
                                        "fix these and check the file again")]
    return rest[:MAX_PROBLEMS] + stopped[:1]


def _line_years(lines: list[str], year: str) -> tuple[list[str], list[str]]:
    """The QOF year and date text of each data line (from the second line on); blank and unreadable
    lines get ``year``."""
    header = [name.strip().lower() for name in check.split(lines[0].removeprefix("\ufeff"))] if lines else []
    if "achievement_date" not in header:
        return [year] * max(0, len(lines) - 1), [""] * max(0, len(lines) - 1)
    column = header.index("achievement_date")
    years, dates = [], []
    for raw in lines[1:]:
        fields = check.split(raw) if raw.strip() else []
        text = fields[column].strip() if len(fields) > column else ""
        try:
            years.append(qof_year(date.fromisoformat(text)))
        except ValueError:
            years.append(year)
        dates.append(text)
    return years, dates


def year_ends_in(years: Years, year: str) -> YearEnds:
    """The improvement-route baselines that the file itself carries for ``year``: each practice's
    achievement % at 31 March of each earlier year in the file, for every indicator with an improvement
    route in ``year``'s rules (an empty cohort gives no baseline)."""
    if year not in years:
        return {}
    indicators = set(years[year][0].constants.improvement)
    found: YearEnds = {}
    for earlier, (_, columns) in years.items():
        if earlier >= year or not indicators:
            continue
        year_end = date(int(earlier[:4]) + 1, 3, 31)
        wanted = [(n, i) for n, i in enumerate(columns.layout.indicators) if i in indicators]
        for g, (code, day) in enumerate(zip(columns.codes, columns.dates, strict=True)):
            if day != year_end:
                continue
            for n, indicator_id in wanted:
                den = int(columns.denominator[g, n])
                if columns.present[g, n] and den > 0:
                    pct = Fraction(int(columns.numerator[g, n]), den) * 100
                    found.setdefault(code, {}).setdefault(indicator_id, {})[earlier] = pct
    return found


def merge_year_ends(*sources: YearEnds) -> YearEnds:
    """Baselines from several sources; a later source fills only what the earlier ones lack."""
    merged: YearEnds = {}
    for source in sources:
        for code, indicators in source.items():
            for indicator_id, ends in indicators.items():
                have = merged.setdefault(code, {}).setdefault(indicator_id, {})
                for each, pct in ends.items():
                    have.setdefault(each, pct)
    return merged


def years_listed(years: Iterable[str]) -> str:
    """Years as a practice manager reads them, e.g. "2024-25, 2025-26 and 2026-27"."""
    names = sorted(years)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
