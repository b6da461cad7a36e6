"""Read and check a GPES-style aggregate extract (CSV) against one year's rules.

Pure: no printing, no exiting, no Qt, no database; shared by ``cqrs-central calculate`` and ingest.
A bad file is refused whole: every problem is collected with its line (the header is line 1) and
what is allowed, and nothing is returned. CQRS holds aggregate data only, so any field that could
be an NHS number is refused without repeating the value.

Rows (``numerator`` carries the count unless said otherwise):
  QOF,<indicator>     numerator, denominator (after PCAs) and pca (the count removed)
  QOF,LIST_SIZE       the registered list size
  QOF,<REGISTER>_REG  a register size, e.g. DM_REG
  <service>,<item>    a V&I or enhanced-service item from services.toml, e.g. MMR,DOSES or LDHC,LD_REG
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import MappingProxyType

from app.services.calculation import IndicatorCounts
from app.services.rules import QOF_SERVICE, RuleSet

HEADER = ("practice_code", "service", "indicator_id", "achievement_date", "numerator", "denominator", "pca")
LIST_SIZE = "LIST_SIZE"
REGISTER_SUFFIX = "_REG"
# A whole-England extract (about 6,200 practices x 80 rows) is under 30 MB.
MAX_BYTES = 64 * 1024 * 1024
# Far above any real count (the largest practice lists are about 100,000); stops absurd values early.
MAX_COUNT = 1_000_000
# Enough to show what is wrong without flooding a terminal or an API response.
MAX_PROBLEMS = 1000

ODS_PATTERN = re.compile(r"[A-Z][A-Z0-9]{5}")
DATE_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
WHOLE_PATTERN = re.compile(r"[0-9]+")
NEGATIVE_PATTERN = re.compile(r"-[0-9]+")
NHS_NUMBER_PATTERN = re.compile(r"([0-9]{3})[ -]?([0-9]{3})[ -]?([0-9]{4})")

_QOF, _LIST, _REGISTER, _ITEM = "qof", "list", "register", "item"
COUNT_RULE = f"a whole number from 0 to {MAX_COUNT:,}"
Report = Callable[[str], None]


@dataclass(frozen=True)
class ExtractProblem:
    """One reason a file is refused; ``line`` is None when it concerns the file as a whole."""

    line: int | None
    message: str

    def __str__(self) -> str:
        return self.message if self.line is None else f"line {self.line}: {self.message}"


class ExtractError(ValueError):
    """The extract is refused; ``problems`` lists every reason, in line order."""

    def __init__(self, problems: list[ExtractProblem] | tuple[ExtractProblem, ...]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


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


def is_nhs_number(value: str) -> bool:
    """True when ``value`` is 10 digits (spaces or hyphens allowed as 3-3-4) passing the mod-11 check."""
    match = NHS_NUMBER_PATTERN.fullmatch(value.strip())
    if not match:
        return False
    digits = [int(d) for d in "".join(match.groups())]
    total = sum(d * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == digits[9]


def read_extract(path: str | Path, rules: RuleSet, *, require_caps: bool = True) -> Extract:
    """Read the extract at ``path`` (UTF-8 CSV) and check it; raise ExtractError listing every problem."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise _refuse(f"{path.name} is {size:,} bytes; an extract may be at most {MAX_BYTES:,} bytes")
        data = path.read_bytes()
    except FileNotFoundError:
        raise _refuse(f"{path}: no such file") from None
    except IsADirectoryError:
        raise _refuse(f"{path}: is a folder, not an extract file") from None
    except OSError as exc:
        raise _refuse(f"{path}: cannot be read ({exc.strerror or exc})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise _refuse("is not UTF-8 text (save the extract as CSV UTF-8)", line) from None
    return parse_extract(text, rules, require_caps=require_caps)


def parse_extract(text: str, rules: RuleSet, *, require_caps: bool = True) -> Extract:
    """Check an extract's text against ``rules``; raise ExtractError listing every problem.

    ``require_caps``: a capped item (e.g. LDHC CHECKS) needs its cap (LD_REG) for the same practice
    and date. Ingest may pass False where the cap arrives later by manual entry.
    """
    if len(text) > MAX_BYTES:
        raise _refuse(f"an extract may be at most {MAX_BYTES:,} bytes")
    lines = text.removeprefix("\ufeff").splitlines()
    if not lines or not any(line.strip() for line in lines):
        raise _refuse(f"the file is empty (the first line must be the header {','.join(HEADER)}, "
                      "then one row per count)", 1)
    problems: list[ExtractProblem] = []
    header_ok = _check_header(lines[0], problems)
    rows: list[_Row] = []
    first_seen: dict[tuple[str, str, str, date], int] = {}
    data_lines = 0
    for number, raw in enumerate(lines[1:], start=2):
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
            _check_group(group, rules, problems, require_caps)
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
    for column in columns:
        if column not in HEADER:
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
    patient = [i for i, value in enumerate(fields) if is_nhs_number(value)]
    for i in patient:
        name = HEADER[i] if i < len(HEADER) else f"field {i + 1}"
        problems.append(ExtractProblem(number, f"{name} looks like an NHS number; CQRS holds aggregate "
                                               "data only, so patient identifiers are refused"))
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
                 require_caps: bool) -> None:
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
        elif row.kind == _ITEM and require_caps:
            service = rules.services[row.service]
            cap = service.cap_item
            if row.indicator_id == service.item and cap and (row.service, cap) not in items:
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
    """A value quoted for a message, cut short so a stray long field cannot flood it."""
    return repr(value if len(value) <= 30 else value[:30] + "…")
