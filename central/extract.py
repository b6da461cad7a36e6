"""Read and check a GPES-style aggregate extract (CSV) against one year's rules.

Pure: no printing, no exiting, no Qt, no database; shared by ``cqrs-central calculate`` and ingest.
A file is read in bounded pieces, so an endless or huge file is refused after at most ``max_bytes``.
A plain file is first read as arrays (``central.extract_columns``, fast enough for a national year);
whatever that reader cannot prove clean is read line by line here (``central.extract_check``). A bad
file is refused whole: every problem is collected with its line (the header is line 1) and what is
allowed, and nothing is returned. CQRS holds aggregate data only, so any header or
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

import itertools
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from app.services.rules import RuleSet
from central import extract_check as check
from central.extract_check import HEADER, Extract, PracticeCounts, known_registers
from central.extract_columns import Columns, from_practices, read_columns, split_text, to_practices
from central.extract_input import (
    MAX_BYTES,
    ExtractError,
    ExtractProblem,
    ExtractTooLarge,
    display_name,
    extract_lines,
    read_extract_text,
)
from central.extract_parallel import read_columns_shared

__all__ = [  # the reading side is re-exported so that callers need only this module
    "HEADER", "MAX_BYTES", "Extract", "ExtractError", "ExtractProblem", "ExtractTooLarge", "PracticeCounts",
    "Columns", "display_name", "extract_lines", "known_registers", "parse_columns", "parse_extract",
    "parse_lines", "read_columns_at", "read_extract", "read_extract_text",
]

MAX_PROBLEMS = check.MAX_PROBLEMS  # module-level so that a test can lower it


def read_extract(path: str | Path, rules: RuleSet, *, require_caps: bool = True,
                 extracted_only: bool = False, max_bytes: int = MAX_BYTES) -> Extract:
    """Read the extract at ``path`` (UTF-8 CSV) and check it; raise ExtractError listing every problem.

    The file is streamed: at most ``max_bytes`` are read (ExtractTooLarge past that), so a device or
    pipe that never ends is refused rather than read for ever.
    """
    columns = read_columns_at(path, rules, require_caps=require_caps, extracted_only=extracted_only,
                              max_bytes=max_bytes)
    return Extract(year=rules.year, practices=to_practices(columns, rules))


def read_columns_at(path: str | Path, rules: RuleSet, *, require_caps: bool = True,
                    extracted_only: bool = False, max_bytes: int = MAX_BYTES) -> Columns:
    """:func:`read_extract` as arrays: the fast reader first, then line by line when it declines."""
    columns = read_columns_shared(path, rules, require_caps=require_caps, extracted_only=extracted_only,
                                  max_bytes=max_bytes)
    if columns is not None:
        return columns
    extract = parse_lines(extract_lines(path, max_bytes=max_bytes), rules, require_caps=require_caps,
                          extracted_only=extracted_only)
    return from_practices(extract.practices, rules)


def parse_extract(text: str, rules: RuleSet, *, require_caps: bool = True,
                  extracted_only: bool = False) -> Extract:
    """Check an extract's text against ``rules``; raise ExtractError listing every problem.

    ``require_caps``: a capped item (e.g. LDHC CHECKS) needs its cap (LD_REG) for the same practice
    and date. Ingest passes False: the cap arrives by manual entry or from the commissioner.
    ``extracted_only``: only the items GPES extracts (services.toml ``automatic``) are allowed, as for a
    file the service loads; otherwise (a what-if calculation) hand-entered and commissioner items too.
    """
    columns = parse_columns(text, rules, require_caps=require_caps, extracted_only=extracted_only)
    return Extract(year=rules.year, practices=to_practices(columns, rules))


def parse_columns(text: str, rules: RuleSet, *, require_caps: bool = True,
                  extracted_only: bool = False) -> Columns:
    """:func:`parse_extract` as arrays: the fast reader first, then line by line when it declines."""
    if len(text) > MAX_BYTES:
        raise check.refuse(f"an extract may be at most {MAX_BYTES:,} bytes")
    text = text.removeprefix("\ufeff")
    if text.isascii():
        columns = read_columns(split_text(text.encode("ascii")), rules, require_caps=require_caps,
                               extracted_only=extracted_only)
        if columns is not None:
            return columns
    extract = parse_lines(text.splitlines(), rules, require_caps=require_caps, extracted_only=extracted_only)
    return from_practices(extract.practices, rules)


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
            raise check.refuse(f"the file is empty (the first line must be the header {','.join(HEADER)}, "
                          "then one row per count)", 1)
    problems: list[ExtractProblem] = []
    header_ok = check.check_header((header or "").removeprefix("\ufeff"), problems)
    rows: list[check.Row] = []
    first_seen: dict[tuple[str, str, str, date], int] = {}
    data_lines = 0
    for number, raw in enumerate(itertools.chain(first_data, lines), start=start):
        if len(problems) >= MAX_PROBLEMS:
            break
        if not raw.strip():
            continue
        data_lines += 1
        row = check.check_line(number, raw, rules, problems, check_fields=header_ok)
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
    groups = check.group(rows)
    if len(problems) < MAX_PROBLEMS:
        for group in groups.values():
            check.check_group(group, rules, problems, require_caps, extracted_only)
    if problems:
        stopped = len(problems) >= MAX_PROBLEMS
        problems = sorted(problems, key=lambda p: p.line or 0)[:MAX_PROBLEMS]
        if stopped:
            problems.append(ExtractProblem(None, f"stopped after {MAX_PROBLEMS:,} problems; "
                                                 "fix these and check the file again"))
        raise ExtractError(problems)
    practices = tuple(check.build(group, rules) for _, group in sorted(groups.items()))
    return Extract(year=rules.year, practices=practices)


