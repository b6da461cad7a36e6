"""NHS England's INDICATOR_VALUES layout, read into our extract layout with the PCA counts by reason.

Pure: no printing, no exiting, no database. CQRS data comes one row per quality service, organisation,
achievement date, indicator and FIELD_NAME (Numerator, Denominator, a register, one count per PCA or
exclusion code, or a Yes/No Flag), with who submitted it (AUTOMATED for GPES, else the user who entered
it) and LAST_SUBMISSION (Y on the latest of several submissions; N rows are checked, then set aside).
The file is detected from its header and turned into rows of our layout
(``practice_code,service,indicator_id,achievement_date,numerator,denominator,pca``), each remembering the
line it came from, so the very checks of our layout apply and name the line in this file; its own
problems (a malformed date, a submission repeated, a field it cannot place) are named by line here.
Nothing patient-identifiable is accepted: any cell holding an NHS-number-like value refuses the file.

How the fields become our rows:
  QOF<yy><yy>, <indicator>, Numerator / Denominator   numerator and denominator (after PCAs)
  ... <indicator>, <PCA code>                          one PCA reason; pca = their sum
  ... <indicator>, <exclusion code>                    read and not kept (outside the denominator)
  ... <indicator>, "Diabetes Mellitus Register"        DM_REG, the same size on every row it appears
  ... <indicator>, Yes/No Flag                         numerator 0 or 1 of denominator 1
  ... LIST_SIZE, Registered Patients                   LIST_SIZE (NHS England publishes list sizes
                                                        apart; CQRS exports add it as this row)
  <SERVICE><yy><yy>, <item>, Numerator                 a V&I or enhanced-service item, e.g. MMR2526 DOSES
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from app.services.identifiers import contains_nhs_number
from app.services.pca_reference import is_pca, reasons, register_name, register_names
from app.services.rules import QOF_SERVICE
from central import extract_check as check
from central.extract_input import ExtractError, ExtractProblem

HEADER = ("QUALITY_SERVICE", "NAME", "ORG_CODE", "ACH_DATE", "IND_CODE", "FIELD_NAME", "VALUE",
          "DEFAULT_VALUES_USED", "SUBMIT_USER_ID", "SUBMIT_DATE", "SUBMIT_TIME", "LAST_SUBMISSION")
NUMERATOR, DENOMINATOR, YES_NO = "Numerator", "Denominator", "Yes/No Flag"
LIST_FIELD = "Registered Patients"
AUTOMATED = "AUTOMATED"
SERVICE_PATTERN = re.compile(r"([A-Z0-9]{2,8}?)([0-9]{2})([0-9]{2})")
DATE_PATTERN = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})")
SUBMIT_DATE = re.compile(r"([0-9]{2})/([0-9]{2})/([0-9]{4})")
SUBMIT_TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]")
USER_PATTERN = re.compile(r"[A-Za-z0-9._@-]{1,64}")
# What our layout's checks say of a missing list size or register, and how this layout says it.
OUR_LIST_SIZE = "needs QOF,LIST_SIZE with the registered list size as numerator"
THEIR_LIST_SIZE = (f"needs an IND_CODE LIST_SIZE row, FIELD_NAME {LIST_FIELD}, with the registered list "
                   "size as VALUE")
_REGISTERS_NEEDED = re.compile(r"needs a QOF row for ([A-Z]+_REG(?: and [A-Z]+_REG)*) "
                               r"\(register size as numerator\)")
Key = tuple[str, date, str]  # practice code, achievement date, indicator


@dataclass
class Converted:
    """The file in our layout: ``lines`` (our header first), the file's line of each, the PCA reasons."""

    lines: list[str] = field(default_factory=lambda: [",".join(check.HEADER)])
    origin: list[int] = field(default_factory=lambda: [1])
    pca_reasons: dict[Key, dict[str, int]] = field(default_factory=dict)

    def line_of(self, problem: ExtractProblem) -> ExtractProblem:
        """``problem`` of our layout's line, named by the line of this file it came from, in its words."""
        if problem.line is None or problem.line > len(self.origin):
            return problem
        return ExtractProblem(self.origin[problem.line - 1], in_its_words(problem.message), problem.column)


def in_its_words(message: str) -> str:
    """A message of our layout's checks with this layout's names (ORG_CODE, the register's name, ...)."""
    message = message.replace(OUR_LIST_SIZE, THEIR_LIST_SIZE)
    message = _REGISTERS_NEEDED.sub(lambda found: "needs a row of the " + " and the ".join(
        register_name(code.removesuffix(check.REGISTER_SUFFIX)) or code
        for code in found.group(1).split(" and ")) + " (the register size as VALUE)", message)
    return message.replace("practice_code", "ORG_CODE").replace("achievement_date", "ACH_DATE")


def is_indicator_values(header: str) -> bool:
    """True when ``header`` (a file's first line) starts like NHS England's INDICATOR_VALUES layout."""
    first = check.split(header.removeprefix("\ufeff"))[:1]
    return bool(first) and first[0].strip().upper() == HEADER[0]


@dataclass
class _Indicator:
    line: int  # the first line of this indicator's fields
    fields: dict[str, tuple[int, int]] = field(default_factory=dict)  # Numerator etc. -> (line, value)
    reasons: dict[str, int] = field(default_factory=dict)


def convert(lines: Iterable[str]) -> Converted:
    """The file given line by line (header first) in our layout; raise ExtractError naming every problem."""
    lines = iter(lines)
    problems: list[ExtractProblem] = []
    _check_header(next(lines, ""), problems)
    if problems:
        raise ExtractError(problems)
    latest: dict[tuple[str, str, date, str, str], int] = {}
    superseded: dict[tuple[str, str, date, str, str], int] = {}
    indicators: dict[tuple[str, str, date, str], _Indicator] = {}
    registers: dict[tuple[str, date, str], tuple[int, int]] = {}
    for number, raw in enumerate(lines, start=2):
        if len(problems) >= check.MAX_PROBLEMS:
            break
        if not raw.strip():
            continue
        row = _check_line(number, raw, problems)
        if row is None:
            continue
        service, code, day, indicator, name, value, last = row
        key = (service, code, day, indicator, name)
        if not last:
            superseded.setdefault(key, number)
            continue
        if key in latest:
            problems.append(ExtractProblem(number, f"duplicate of line {latest[key]}: {name} of {indicator} "
                                                   f"for {code} at {day} is marked LAST_SUBMISSION Y twice "
                                                   "(only the latest submission may be marked Y)"))
            continue
        latest[key] = number
        register = register_names().get(name) if service == QOF_SERVICE else None
        if register is not None:
            if register:
                seen = registers.setdefault((code, day, register), (number, value))
                if seen[1] != value:
                    problems.append(ExtractProblem(number, f"{name} is {value:,} here but {seen[1]:,} on "
                                                           f"line {seen[0]} for {code} at {day} (a register "
                                                           "has one size per practice and date)"))
            continue
        if not _known_field(service, indicator, name, number, problems):
            continue
        found = indicators.setdefault((service, code, day, indicator), _Indicator(number))
        if service == QOF_SERVICE and name in reasons():
            if is_pca(name):
                found.reasons[name] = value
            continue  # an exclusion: those patients are outside the denominator and are not PCAs
        found.fields[name] = (number, value)
    for key, number in superseded.items():
        if key not in latest:
            problems.append(ExtractProblem(number, f"{key[4]} of {key[3]} for {key[1]} at {key[2]} has no "
                                                   "row marked LAST_SUBMISSION Y (mark the latest submission "
                                                   "Y)"))
    converted = Converted()
    for (code, day, register), (number, value) in registers.items():
        converted.lines.append(f"{code},{QOF_SERVICE},{register}{check.REGISTER_SUFFIX},{day},{value},,")
        converted.origin.append(number)
    for (service, code, day, indicator), found in indicators.items():
        _add(converted, service, code, day, indicator, found, problems)
    if problems:
        raise ExtractError(sorted(problems, key=lambda p: p.line or 0)[:check.MAX_PROBLEMS])
    return converted


def _check_header(raw: str, problems: list[ExtractProblem]) -> None:
    columns = [c.strip() for c in check.split(raw.removeprefix("\ufeff"))]
    if tuple(c.upper() for c in columns) == HEADER:
        return
    for number, column in enumerate(columns, start=1):
        if contains_nhs_number(column):
            problems.append(ExtractProblem(1, f"column {number} {check.PATIENT_IDENTIFIER}", number))
    problems.append(ExtractProblem(1, f"the header of an INDICATOR_VALUES file must be exactly "
                                      f"{','.join(HEADER)}"))


def _check_line(number: int, raw: str, problems: list[ExtractProblem]):
    fields = [f.strip() for f in check.split(raw)]
    if check.refused_fields(number, fields, HEADER, problems):
        return None
    before = len(problems)

    def problem(message: str) -> None:
        problems.append(ExtractProblem(number, message))

    quality, _name, code, when_text, indicator, name, value_text, _default, user, submit_date, submit_time, \
        last = fields
    service, when = _service(quality, problem), _day(when_text, problem)
    if service is not None and when is not None and service[1] != _year_of(when):
        problem(f"ACH_DATE {when_text} is outside QUALITY_SERVICE {quality}'s year "
                f"({service[1][:4]}-04-01 to 20{service[1][-2:]}-03-31)")
    if not indicator:
        problem("IND_CODE is empty (an indicator such as DM012, LIST_SIZE, or a service item such as DOSES)")
    if not name:
        problem("FIELD_NAME is empty (Numerator, Denominator, a register, or a PCA code)")
    value = check.whole("VALUE", value_text, problem)
    if user != AUTOMATED and not USER_PATTERN.fullmatch(user):
        problem(f"SUBMIT_USER_ID {check.show(user)} is neither AUTOMATED nor a CQRS user id (letters, "
                "digits and . _ @ - only)")
    _submitted(submit_date, submit_time, problem)
    if last not in ("Y", "N"):
        problem(f"LAST_SUBMISSION {check.show(last)} must be Y (the latest submission) or N")
    if len(problems) > before or service is None or when is None or value is None:
        return None
    return service[0], code, when, indicator, name, value, last == "Y"


def _service(text: str, problem: check.Report) -> tuple[str, str] | None:
    """(our service code, QOF year) of a QUALITY_SERVICE such as QOF2526 or MMR2526."""
    found = SERVICE_PATTERN.fullmatch(text)
    if found is None or int(found.group(3)) != (int(found.group(2)) + 1) % 100:
        problem(f"QUALITY_SERVICE {check.show(text)} is not a service and year such as QOF2526 (QOF "
                "2025/26) or MMR2526")
        return None
    start = 2000 + int(found.group(2))
    return found.group(1), f"{start}-{found.group(3)}"


def _day(text: str, problem: check.Report) -> date | None:
    found = DATE_PATTERN.fullmatch(text)
    try:
        return date(*(int(part) for part in found.groups())) if found else _bad_day(text, problem)
    except ValueError:
        return _bad_day(text, problem)


def _bad_day(text: str, problem: check.Report) -> None:
    problem(f"ACH_DATE {check.show(text)} is not a real date in the form YYYYMMDD (e.g. 20260331)")


def _year_of(day: date) -> str:
    start = day.year if day.month >= 4 else day.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def _submitted(day: str, time: str, problem: check.Report) -> None:
    found = SUBMIT_DATE.fullmatch(day)
    try:
        if found is None:
            raise ValueError
        date(int(found.group(3)), int(found.group(2)), int(found.group(1)))
    except ValueError:
        problem(f"SUBMIT_DATE {check.show(day)} is not a real date in the form DD/MM/YYYY")
    if not SUBMIT_TIME.fullmatch(time):
        problem(f"SUBMIT_TIME {check.show(time)} is not a time in the form HH:MM:SS")


def _known_field(service: str, indicator: str, name: str, number: int,
                 problems: list[ExtractProblem]) -> bool:
    if service != QOF_SERVICE:
        allowed = name == NUMERATOR
        what = f"{NUMERATOR} (the count of {indicator})"
    elif indicator == check.LIST_SIZE:
        allowed = name == LIST_FIELD
        what = f"{LIST_FIELD} (the registered list size)"
    else:
        allowed = name in (NUMERATOR, DENOMINATOR, YES_NO) or name in reasons()
        what = (f"{NUMERATOR}, {DENOMINATOR}, {YES_NO}, a register such as Diabetes Mellitus Register, or a "
                "PCA or exclusion code of NHS England's PCA reference such as DMPCADEC")
    if not allowed:
        problems.append(ExtractProblem(number, f"FIELD_NAME {check.show(name)} is not one CQRS Desktop reads "
                                               f"for {indicator} (allowed: {what})"))
    return allowed


def _add(converted: Converted, service: str, code: str, day: date, indicator: str, found: _Indicator,
         problems: list[ExtractProblem]) -> None:
    """The row of our layout for one indicator or item, or the problem that stops it."""
    def row(number: int, numerator: int, denominator: object = "", pca: object = "") -> None:
        converted.lines.append(f"{code},{service},{indicator},{day},{numerator},{denominator},{pca}")
        converted.origin.append(number)

    fields = found.fields
    if service != QOF_SERVICE or indicator == check.LIST_SIZE:
        number, value = next(iter(fields.values()))
        row(number, value)
        return
    if YES_NO in fields:
        number, value = fields[YES_NO]
        if value > 1 or len(fields) > 1 or found.reasons:
            problems.append(ExtractProblem(number, f"{indicator} {YES_NO} must be 0 (no) or 1 (yes), alone "
                                                   "(without Numerator, Denominator or PCA rows)"))
            return
        row(number, value, 1, 0)
        return
    missing = [name for name in (NUMERATOR, DENOMINATOR) if name not in fields]
    if missing:
        where = fields[NUMERATOR][0] if NUMERATOR in fields else found.line
        problems.append(ExtractProblem(where, f"{indicator} for {code} at {day} has no "
                                              f"{' or '.join(missing)} row (a QOF indicator needs both, and "
                                              "its PCA counts by reason)"))
        return
    number = fields[NUMERATOR][0]
    row(number, fields[NUMERATOR][1], fields[DENOMINATOR][1], sum(found.reasons.values()))
    if found.reasons:
        converted.pca_reasons[(code, day, indicator)] = dict(sorted(found.reasons.items()))
