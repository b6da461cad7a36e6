"""The line-by-line checks of an extract: each line, then each practice and date, by the year's rules.

Pure: no printing, no exiting, no Qt, no database. Every problem is collected with its line and what is
allowed (``central.extract`` gathers them and refuses the file whole); ``central.extract_columns`` uses the
same single-value rules (``check_date``, ``whole``, ``ODS_PATTERN``) for its fast path.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType

from app.services.calculation import IndicatorCounts
from app.services.entry_rules import extracted_item_problem
from app.services.identifiers import contains_nhs_number, redact
from app.services.rules import QOF_SERVICE, RuleSet
from central.extract_input import ExtractError, ExtractProblem

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

QOF, LIST, REGISTER, ITEM = "qof", "list", "register", "item"
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
class Row:
    line: int
    practice_code: str
    service: str
    indicator_id: str
    achievement_date: date
    kind: str
    numerator: int
    denominator: int | None
    pca: int | None


# --- one line at a time ----------------------------------------------------------------------


def check_header(raw: str, problems: list[ExtractProblem]) -> bool:
    columns = [c.strip() for c in split(raw)]
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
            problems.append(ExtractProblem(1, f"unexpected column {show(column)} ({allowed})"))
            found = True
    for column in HEADER:
        if column not in columns:
            problems.append(ExtractProblem(1, f"missing column {column} ({allowed})"))
            found = True
    if not found:
        problems.append(ExtractProblem(1, f"the columns are repeated or in the wrong order ({allowed})"))
    return False


def refused_fields(number: int, fields: list[str], header: tuple[str, ...] | list[str],
                   problems: list[ExtractProblem], check_width: bool = True) -> bool:
    """A line refused before its values are read: anything like an NHS number (named by column, never
    echoed) or, with ``check_width``, the wrong number of fields. True when it was refused."""
    patient = [i for i, value in enumerate(fields) if contains_nhs_number(value)]
    for i in patient:
        # Named from the layout's header, never from the file's own header, which may itself be refused.
        name = f"column {i + 1} ({header[i]})" if i < len(header) else f"column {i + 1}"
        problems.append(ExtractProblem(number, f"{name} {PATIENT_IDENTIFIER}", i + 1))
    if patient:
        return True
    if check_width and len(fields) != len(header):
        problems.append(ExtractProblem(number, f"has {len(fields)} fields; every row needs {len(header)} "
                                               f"({','.join(header)})"))
        return True
    return False


def check_line(number: int, raw: str, rules: RuleSet, problems: list[ExtractProblem],
               check_fields: bool) -> Row | None:
    fields = [f.strip() for f in split(raw)]
    if refused_fields(number, fields, HEADER, problems, check_width=check_fields) or not check_fields:
        return None
    before = len(problems)

    def problem(message: str) -> None:
        problems.append(ExtractProblem(number, message))

    code, service, indicator_id, when_text, num_text, den_text, pca_text = fields
    if not ODS_PATTERN.fullmatch(code):
        problem(f"practice_code {show(code)} is not an ODS practice code (a capital letter then "
                "5 capital letters or digits, e.g. A81001)")
    kind = row_kind(service, indicator_id, rules, problem)
    when = check_date(when_text, rules, problem)
    numerator = whole("numerator", num_text, problem)
    denominator = pca = None
    if kind == QOF:
        denominator = whole("denominator", den_text, problem)
        pca = whole("pca", pca_text, problem)
        if numerator is not None and denominator is not None and numerator > denominator:
            problem(f"numerator {numerator} is more than denominator {denominator} "
                    "(numerator must be a whole number from 0 to the denominator)")
    elif kind is not None:
        for name, value in (("denominator", den_text), ("pca", pca_text)):
            if value:
                problem(f"{name} must be empty on a {service} {indicator_id} row (got {show(value)}); "
                        "only QOF indicator rows carry a denominator and pca")
        if kind == LIST and numerator == 0:
            problem("numerator 0 is not a list size (LIST_SIZE must be a whole number above 0)")
    if len(problems) > before or kind is None or when is None or numerator is None:
        return None
    return Row(number, code, service, indicator_id, when, kind, numerator, denominator, pca)


def row_kind(service: str, indicator_id: str, rules: RuleSet, problem: Report) -> str | None:
    if service == QOF_SERVICE:
        if indicator_id == LIST_SIZE:
            return LIST
        if indicator_id in rules.indicators:
            return QOF
        if indicator_id.endswith(REGISTER_SUFFIX):
            if indicator_id.removesuffix(REGISTER_SUFFIX) in known_registers(rules):
                return REGISTER
            allowed = ", ".join(r + REGISTER_SUFFIX for r in sorted(known_registers(rules)))
            problem(f"register {show(indicator_id)} is not known in the {rules.year} rules "
                    f"(allowed: {allowed})")
            return None
        examples = ", ".join(list(rules.indicators)[:3])
        problem(f"indicator {show(indicator_id)} is not a {rules.year} QOF indicator (allowed: one of "
                f"the year's {len(rules.indicators)} indicator ids such as {examples}; LIST_SIZE; "
                "or a register row such as DM_REG)")
        return None
    found = rules.services.get(service)
    if found is None:
        allowed = ", ".join((QOF_SERVICE, *rules.services))
        problem(f"service {show(service)} is not known in the {rules.year} rules (allowed: {allowed})")
        return None
    if indicator_id not in found.items:
        problem(f"indicator_id {show(indicator_id)} is not an item of service {service} "
                f"(allowed: {', '.join(found.items)})")
        return None
    return ITEM


def known_registers(rules: RuleSet) -> frozenset[str]:
    """Registers an extract may carry as <REGISTER>_REG rows: those named by indicators or prevalences."""
    return rules.registers | frozenset(rules.constants.national_prevalence)


def check_date(text: str, rules: RuleSet, problem: Report) -> date | None:
    first, last = date(rules.year_start(), 4, 1), date(rules.year_start() + 1, 3, 31)
    if not DATE_PATTERN.fullmatch(text):
        problem(f"achievement_date {show(text)} is not a date in the form YYYY-MM-DD (e.g. {last})")
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


def whole(name: str, text: str, problem: Report) -> int | None:
    rule = f"({name} must be {COUNT_RULE})"
    if not text:
        problem(f"{name} is empty {rule}")
    elif NEGATIVE_PATTERN.fullmatch(text):
        problem(f"{name} {show(text)} is negative {rule}")
    elif not WHOLE_PATTERN.fullmatch(text):
        problem(f"{name} {show(text)} is not a whole number {rule}")
    elif int(text) > MAX_COUNT:
        problem(f"{name} {show(text)} is too large {rule}")
    else:
        return int(text)
    return None


# --- one practice and date at a time ---------------------------------------------------------


def group(rows: list[Row]) -> dict[tuple[str, date], list[Row]]:
    groups: dict[tuple[str, date], list[Row]] = {}
    for row in rows:
        groups.setdefault((row.practice_code, row.achievement_date), []).append(row)
    return groups


def check_group(rows: list[Row], rules: RuleSet, problems: list[ExtractProblem],
                 require_caps: bool, extracted_only: bool) -> None:
    code, when = rows[0].practice_code, rows[0].achievement_date
    where = f"practice {code} at {when}"
    list_size = next((r.numerator for r in rows if r.kind == LIST), None)
    if list_size is None:
        problems.append(ExtractProblem(rows[0].line, f"{where} has no LIST_SIZE row (every practice and "
                                                     "achievement date needs QOF,LIST_SIZE with the "
                                                     "registered list size as numerator)"))
    registers = {r.indicator_id.removesuffix(REGISTER_SUFFIX) for r in rows if r.kind == REGISTER}
    items = {(r.service, r.indicator_id) for r in rows if r.kind == ITEM}
    for row in rows:
        if row.kind == REGISTER and list_size is not None and row.numerator > list_size:
            problems.append(ExtractProblem(row.line, f"{row.indicator_id} {row.numerator:,} is more than "
                                                     f"the LIST_SIZE {list_size:,} of {where} (a register "
                                                     "must be a whole number from 0 to the list size)"))
        elif row.kind == QOF:
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
        elif row.kind == ITEM:
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


def build(rows: list[Row], rules: RuleSet) -> PracticeCounts:
    by_id = {r.indicator_id: r for r in rows if r.kind == QOF}
    qof = tuple(
        IndicatorCounts(i, by_id[i].numerator, by_id[i].denominator or 0, by_id[i].pca or 0)
        for i in rules.indicators if i in by_id
    )
    registers = {r.indicator_id.removesuffix(REGISTER_SUFFIX): r.numerator for r in rows
                 if r.kind == REGISTER}
    services: dict[str, Mapping[str, int]] = {}
    for code, service in rules.services.items():
        counts = {r.indicator_id: r.numerator for r in rows if r.kind == ITEM and r.service == code}
        if counts:
            services[code] = MappingProxyType({i: counts[i] for i in service.items if i in counts})
    return PracticeCounts(
        practice_code=rows[0].practice_code,
        achievement_date=rows[0].achievement_date,
        list_size=next(r.numerator for r in rows if r.kind == LIST),
        registers=MappingProxyType(dict(sorted(registers.items()))),
        qof=qof,
        services=MappingProxyType(services),
    )


# --- helpers ---------------------------------------------------------------------------------


def refuse(message: str, line: int | None = None) -> ExtractError:
    return ExtractError([ExtractProblem(line, message)])


def split(raw: str) -> list[str]:
    try:
        return next(csv.reader([raw]), [])
    except csv.Error:
        # e.g. a NUL byte: keep the raw text so the row is still checked and refused.
        return raw.split(",")


def show(value: str) -> str:
    """A value quoted for a message, cut short so a stray long field cannot flood it.

    Cells holding an NHS-number-like value are refused before any message quotes them; cutting one
    short could still leave ten digits that look like one, so those are taken out of what is shown.
    """
    return redact(repr(value if len(value) <= 30 else value[:30] + "…"))
