"""Read and check a GPES-style aggregate extract (CSV) against one year's rules.

Pure: no printing, no exiting, no Qt, no database; shared by ``cqrs-central calculate`` and ingest.
A file is read in bounded pieces, line by line, so an endless or huge file is refused after at most
``max_bytes``. A bad file is refused whole: every problem is collected with its line (the header is
line 1) and what is allowed, and nothing is returned. CQRS holds aggregate data only, so any header or
cell that holds an NHS-number-like value (``app.services.identifiers``) is refused by line and column
without repeating the value.

Rows (``numerator`` carries the count unless said otherwise):
  QOF,<indicator>     numerator, denominator (after PCAs) and pca (the count removed)
  QOF,LIST_SIZE       the registered list size
  QOF,<REGISTER>_REG  a register size, e.g. DM_REG
  <service>,<item>    a V&I or enhanced-service item from services.toml, e.g. MMR,DOSES or LDHC,CHECKS

Every count meets the limits of a hand entry (``app.services.entry_rules``): its stated maximum and the
file's LIST_SIZE (registers, QOF denominators, items). A file to load (``extracted_only``: ingest) holds
only what GPES extracts; ``cqrs-central calculate`` also takes hand-entered and commissioner items (what-if).
"""

from __future__ import annotations

import csv
import itertools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import MappingProxyType

from app.services.calculation import IndicatorCounts
from app.services.entry_rules import extracted_item_problem
from app.services.identifiers import contains_nhs_number, redact
from app.services.rules import QOF_SERVICE, RuleSet
from central.extract_input import (
    MAX_BYTES,
    ExtractError,
    ExtractProblem,
    ExtractTooLarge,
    display_name,
    extract_lines,
    read_extract_text,
)

__all__ = [  # the reading side is re-exported so that callers need only this module
    "HEADER", "MAX_BYTES", "Extract", "ExtractError", "ExtractProblem", "ExtractTooLarge", "PracticeCounts",
    "display_name", "extract_lines", "known_registers", "parse_extract", "parse_lines", "read_extract",
    "read_extract_text",
]

HEADER = ("practice_code", "service", "indicator_id", "achievement_date", "numerator", "denominator", "pca")
LIST_SIZE = "LIST_SIZE"
REGISTER_SUFFIX = "_REG"
# Far above any real count (the largest practice lists are about 100,000); stops absurd values early.
MAX_COUNT = 1_000_000
# Enough to show what is wrong without flooding a terminal or an API response.
MAX_PROBLEMS = 1000

ODS_PATTERN = re.compile(r"[A-Z][A-Z0-9]{5}")
DATE_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
WHOLE_PATTERN = re.compile(r"[0-9]+")
NEGATIVE_PATTERN = re.compile(r"-[0-9]+")
PATIENT_IDENTIFIER = ("looks like an NHS number; CQRS holds aggregate data only, so patient identifiers "
                      "are refused (remove it)")

_QOF, _LIST, _REGISTER, _ITEM = "qof", "list", "register", "item"
COUNT_RULE = f"a whole number from 0 to {MAX_COUNT:,}"
Report = Callable[[str], None]


@dataclass(frozen=True)
class PracticeCounts:
    """Everything an extract holds for one practice at one achievement date."""

    practice_code: str
    achievement_date: date
    list_size: int
    registers: Mapping[str, int]  # register code (DM) -> size
    qof: tuple[IndicatorCounts, ...]  # in the order of the year's indicators.csv
    services: Mapping[str, Mapping[str, int]]  # service code (MMR) -> item (DOSES) -> count


@dataclass(frozen=True)
class Extract:
    year: str
    practices: tuple[PracticeCounts, ...]  # sorted by practice code, then date


@dataclass(frozen=True)
class _Row:
    line: int
    practice_code: str
    service: str
    indicator_id: str
    achievement_date: date
    kind: str
    numerator: int
    denominator: int | None
    pca: int | None


def read_extract(path: str | Path, rules: RuleSet, *, require_caps: bool = True,
                 extracted_only: bool = False, max_bytes: int = MAX_BYTES) -> Extract:
    """Read the extract at ``path`` (UTF-8 CSV) and check it; raise ExtractError listing every problem.

    The file is streamed: at most ``max_bytes`` are read (ExtractTooLarge past that), so a device or
    pipe that never ends is refused rather than read for ever.
    """
    return parse_lines(extract_lines(path, max_bytes=max_bytes), rules, require_caps=require_caps,
                       extracted_only=extracted_only)


def parse_extract(text: str, rules: RuleSet, *, require_caps: bool = True,
                  extracted_only: bool = False) -> Extract:
    """Check an extract's text against ``rules``; raise ExtractError listing every problem.

    ``require_caps``: a capped item (e.g. LDHC CHECKS) needs its cap (LD_REG) for the same practice
    and date. Ingest passes False: the cap arrives by manual entry or from the commissioner.
    ``extracted_only``: only the items GPES extracts (services.toml ``automatic``) are allowed, as for a
    file the service loads; otherwise (a what-if calculation) hand-entered and commissioner items too.
    """
    if len(text) > MAX_BYTES:
        raise _refuse(f"an extract may be at most {MAX_BYTES:,} bytes")
    return parse_lines(text.removeprefix("\ufeff").splitlines(), rules, require_caps=require_caps,
                       extracted_only=extracted_only)


def parse_lines(lines: Iterable[str], rules: RuleSet, *, require_caps: bool = True,
                extracted_only: bool = False) -> Extract:
    """Check an extract given line by line (the header first); raise ExtractError listing every problem."""
    lines = iter(lines)
    header = next(lines, None)
    first_data: list[str] = []
    start = 2
    if header is None or not header.strip():
        for raw in lines:  # blank lines are skipped anyway; only their count matters
            if raw.strip():
                first_data.append(raw)
                break
            start += 1
        else:
            raise _refuse(f"the file is empty (the first line must be the header {','.join(HEADER)}, "
                          "then one row per count)", 1)
    problems: list[ExtractProblem] = []
    header_ok = _check_header((header or "").removeprefix("\ufeff"), problems)
    rows: list[_Row] = []
    first_seen: dict[tuple[str, str, str, date], int] = {}
    data_lines = 0
    for number, raw in enumerate(itertools.chain(first_data, lines), start=start):
        if len(problems) >= MAX_PROBLEMS:
            break
        if not raw.strip():
            continue
        data_lines += 1
        row = _check_line(number, raw, rules, problems, check_fields=header_ok)
        if row is None:
            continue
        key = (row.practice_code, row.service, row.indicator_id, row.achievement_date)
        if key in first_seen:
            problems.append(ExtractProblem(number, f"duplicate of line {first_seen[key]}: {row.service} "
                                                   f"{row.indicator_id} for {row.practice_code} at "
                                                   f"{row.achievement_date} (each may appear once)"))
            continue
        first_seen[key] = number
        rows.append(row)
    if data_lines == 0 and not problems:
        problems.append(ExtractProblem(1, "the file holds only the header (add at least a LIST_SIZE row "
                                          "and one count per practice and achievement date)"))
    groups = _group(rows)
    if len(problems) < MAX_PROBLEMS:
        for group in groups.values():
            _check_group(group, rules, problems, require_caps, extracted_only)
    if problems:
        stopped = len(problems) >= MAX_PROBLEMS
        problems = sorted(problems, key=lambda p: p.line or 0)[:MAX_PROBLEMS]
        if stopped:
            problems.append(ExtractProblem(None, f"stopped after {MAX_PROBLEMS:,} problems; "
                                                 "fix these and check the file again"))
        raise ExtractError(problems)
    practices = tuple(_build(group, rules) for _, group in sorted(groups.items()))
    return Extract(year=rules.year, practices=practices)


# --- one line at a time ----------------------------------------------------------------------


def _check_header(raw: str, problems: list[ExtractProblem]) -> bool:
    columns = [c.strip() for c in _split(raw)]
    if tuple(columns) == HEADER:
        return True
    allowed = f"the header must be exactly {','.join(HEADER)}"
    found = False
    for number, column in enumerate(columns, start=1):
        if contains_nhs_number(column):
            # The column's name is the identifier, so the message gives only its place.
            problems.append(ExtractProblem(1, f"column {number} {PATIENT_IDENTIFIER}", number))
            found = True
        elif column not in HEADER:
            problems.append(ExtractProblem(1, f"unexpected column {_show(column)} ({allowed})"))
            found = True
    for column in HEADER:
        if column not in columns:
            problems.append(ExtractProblem(1, f"missing column {column} ({allowed})"))
            found = True
    if not found:
        problems.append(ExtractProblem(1, f"the columns are repeated or in the wrong order ({allowed})"))
    return False


def _check_line(number: int, raw: str, rules: RuleSet, problems: list[ExtractProblem],
                check_fields: bool) -> _Row | None:
    fields = [f.strip() for f in _split(raw)]
    patient = [i for i, value in enumerate(fields) if contains_nhs_number(value)]
    for i in patient:
        # Named from HEADER, never from the file's own header, which may itself be refused.
        name = f"column {i + 1} ({HEADER[i]})" if i < len(HEADER) else f"column {i + 1}"
        problems.append(ExtractProblem(number, f"{name} {PATIENT_IDENTIFIER}", i + 1))
    if patient or not check_fields:
        return None
    if len(fields) != len(HEADER):
        problems.append(ExtractProblem(number, f"has {len(fields)} fields; every row needs {len(HEADER)} "
                                               f"({','.join(HEADER)})"))
        return None
    before = len(problems)

    def problem(message: str) -> None:
        problems.append(ExtractProblem(number, message))

    code, service, indicator_id, when_text, num_text, den_text, pca_text = fields
    if not ODS_PATTERN.fullmatch(code):
        problem(f"practice_code {_show(code)} is not an ODS practice code (a capital letter then "
                "5 capital letters or digits, e.g. A81001)")
    kind = _row_kind(service, indicator_id, rules, problem)
    when = _check_date(when_text, rules, problem)
    numerator = _whole("numerator", num_text, problem)
    denominator = pca = None
    if kind == _QOF:
        denominator = _whole("denominator", den_text, problem)
        pca = _whole("pca", pca_text, problem)
        if numerator is not None and denominator is not None and numerator > denominator:
            problem(f"numerator {numerator} is more than denominator {denominator} "
                    "(numerator must be a whole number from 0 to the denominator)")
    elif kind is not None:
        for name, value in (("denominator", den_text), ("pca", pca_text)):
            if value:
                problem(f"{name} must be empty on a {service} {indicator_id} row (got {_show(value)}); "
                        "only QOF indicator rows carry a denominator and pca")
        if kind == _LIST and numerator == 0:
            problem("numerator 0 is not a list size (LIST_SIZE must be a whole number above 0)")
    if len(problems) > before or kind is None or when is None or numerator is None:
        return None
    return _Row(number, code, service, indicator_id, when, kind, numerator, denominator, pca)


def _row_kind(service: str, indicator_id: str, rules: RuleSet, problem: Report) -> str | None:
    if service == QOF_SERVICE:
        if indicator_id == LIST_SIZE:
            return _LIST
        if indicator_id in rules.indicators:
            return _QOF
        if indicator_id.endswith(REGISTER_SUFFIX):
            if indicator_id.removesuffix(REGISTER_SUFFIX) in known_registers(rules):
                return _REGISTER
            allowed = ", ".join(r + REGISTER_SUFFIX for r in sorted(known_registers(rules)))
            problem(f"register {_show(indicator_id)} is not known in the {rules.year} rules "
                    f"(allowed: {allowed})")
            return None
        examples = ", ".join(list(rules.indicators)[:3])
        problem(f"indicator {_show(indicator_id)} is not a {rules.year} QOF indicator (allowed: one of "
                f"the year's {len(rules.indicators)} indicator ids such as {examples}; LIST_SIZE; "
                "or a register row such as DM_REG)")
        return None
    found = rules.services.get(service)
    if found is None:
        allowed = ", ".join((QOF_SERVICE, *rules.services))
        problem(f"service {_show(service)} is not known in the {rules.year} rules (allowed: {allowed})")
        return None
    if indicator_id not in found.items:
        problem(f"indicator_id {_show(indicator_id)} is not an item of service {service} "
                f"(allowed: {', '.join(found.items)})")
        return None
    return _ITEM


def known_registers(rules: RuleSet) -> frozenset[str]:
    """Registers an extract may carry as <REGISTER>_REG rows: those named by indicators or prevalences."""
    return rules.registers | frozenset(rules.constants.national_prevalence)


def _check_date(text: str, rules: RuleSet, problem: Report) -> date | None:
    first, last = date(rules.year_start(), 4, 1), date(rules.year_start() + 1, 3, 31)
    if not DATE_PATTERN.fullmatch(text):
        problem(f"achievement_date {_show(text)} is not a date in the form YYYY-MM-DD (e.g. {last})")
        return None
    try:
        when = date.fromisoformat(text)
    except ValueError:
        problem(f"achievement_date {text} is not a real date (a date in the form YYYY-MM-DD, e.g. {last})")
        return None
    if not first <= when <= last:
        problem(f"achievement_date {text} is outside the {rules.year} rules year "
                f"(allowed: {first} to {last})")
        return None
    return when


def _whole(name: str, text: str, problem: Report) -> int | None:
    rule = f"({name} must be {COUNT_RULE})"
    if not text:
        problem(f"{name} is empty {rule}")
    elif NEGATIVE_PATTERN.fullmatch(text):
        problem(f"{name} {_show(text)} is negative {rule}")
    elif not WHOLE_PATTERN.fullmatch(text):
        problem(f"{name} {_show(text)} is not a whole number {rule}")
    elif int(text) > MAX_COUNT:
        problem(f"{name} {_show(text)} is too large {rule}")
    else:
        return int(text)
    return None


# --- one practice and date at a time ---------------------------------------------------------


def _group(rows: list[_Row]) -> dict[tuple[str, date], list[_Row]]:
    groups: dict[tuple[str, date], list[_Row]] = {}
    for row in rows:
        groups.setdefault((row.practice_code, row.achievement_date), []).append(row)
    return groups


def _check_group(rows: list[_Row], rules: RuleSet, problems: list[ExtractProblem],
                 require_caps: bool, extracted_only: bool) -> None:
    code, when = rows[0].practice_code, rows[0].achievement_date
    where = f"practice {code} at {when}"
    list_size = next((r.numerator for r in rows if r.kind == _LIST), None)
    if list_size is None:
        problems.append(ExtractProblem(rows[0].line, f"{where} has no LIST_SIZE row (every practice and "
                                                     "achievement date needs QOF,LIST_SIZE with the "
                                                     "registered list size as numerator)"))
    registers = {r.indicator_id.removesuffix(REGISTER_SUFFIX) for r in rows if r.kind == _REGISTER}
    items = {(r.service, r.indicator_id) for r in rows if r.kind == _ITEM}
    for row in rows:
        if row.kind == _REGISTER and list_size is not None and row.numerator > list_size:
            problems.append(ExtractProblem(row.line, f"{row.indicator_id} {row.numerator:,} is more than "
                                                     f"the LIST_SIZE {list_size:,} of {where} (a register "
                                                     "must be a whole number from 0 to the list size)"))
        elif row.kind == _QOF:
            missing = [r + REGISTER_SUFFIX for r in rules.indicators[row.indicator_id].registers
                       if r not in registers]
            if missing:
                problems.append(ExtractProblem(row.line, f"{row.indicator_id} is paid by prevalence, so "
                                                         f"{where} needs a QOF row for "
                                                         f"{' and '.join(missing)} (register size as "
                                                         "numerator)"))
            if list_size is not None and row.denominator is not None and row.denominator > list_size:
                problems.append(ExtractProblem(row.line, f"{row.indicator_id} denominator "
                                                         f"{row.denominator:,} is more than the LIST_SIZE "
                                                         f"{list_size:,} of {where} (a denominator must be "
                                                         "a whole number from 0 to the list size)"))
        elif row.kind == _ITEM:
            service = rules.services[row.service]
            if refused := extracted_item_problem(service, row.indicator_id, row.numerator, list_size,
                                                 what_if=not extracted_only):
                problems.append(ExtractProblem(row.line, refused))
                continue
            cap = service.cap_item
            if require_caps and row.indicator_id == service.item and cap and (row.service, cap) not in items:
                problems.append(ExtractProblem(row.line, f"{row.service} {service.item} is capped, so "
                                                         f"{where} needs a {row.service},{cap} row "
                                                         "(the cap as numerator)"))


def _build(rows: list[_Row], rules: RuleSet) -> PracticeCounts:
    by_id = {r.indicator_id: r for r in rows if r.kind == _QOF}
    qof = tuple(
        IndicatorCounts(i, by_id[i].numerator, by_id[i].denominator or 0, by_id[i].pca or 0)
        for i in rules.indicators if i in by_id
    )
    registers = {r.indicator_id.removesuffix(REGISTER_SUFFIX): r.numerator for r in rows
                 if r.kind == _REGISTER}
    services: dict[str, Mapping[str, int]] = {}
    for code, service in rules.services.items():
        counts = {r.indicator_id: r.numerator for r in rows if r.kind == _ITEM and r.service == code}
        if counts:
            services[code] = MappingProxyType({i: counts[i] for i in service.items if i in counts})
    return PracticeCounts(
        practice_code=rows[0].practice_code,
        achievement_date=rows[0].achievement_date,
        list_size=next(r.numerator for r in rows if r.kind == _LIST),
        registers=MappingProxyType(dict(sorted(registers.items()))),
        qof=qof,
        services=MappingProxyType(services),
    )


# --- helpers ---------------------------------------------------------------------------------


def _refuse(message: str, line: int | None = None) -> ExtractError:
    return ExtractError([ExtractProblem(line, message)])


def _split(raw: str) -> list[str]:
    try:
        return next(csv.reader([raw]), [])
    except csv.Error:
        # e.g. a NUL byte: keep the raw text so the row is still checked and refused.
        return raw.split(",")


def _show(value: str) -> str:
    """A value quoted for a message, cut short so a stray long field cannot flood it.

    Cells holding an NHS-number-like value are refused before any message quotes them; cutting one
    short could still leave ten digits that look like one, so those are taken out of what is shown.
    """
    return redact(repr(value if len(value) <= 30 else value[:30] + "…"))
