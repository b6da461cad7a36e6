"""Which QOF year's rules to try first on an extract when none is named: the year of its first row.

Only a first guess: a file whose later rows fall in other years is read by ``central.extract_years``,
each row under its own year's rules, so the guess never loads anything under the wrong rules.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

from app.services.rules import qof_year

HEAD_BYTES = 64 * 1024  # the header and first row of any real extract


def year_of_text(head: str) -> str | None:
    """The QOF year of the first data row's ``achievement_date`` in ``head``; None when there is none."""
    rows = csv.reader(io.StringIO(head))
    header = next(rows, None)
    if not header:
        return None
    names = [name.strip().lower().removeprefix("\ufeff") for name in header]
    # Our layout's achievement_date (YYYY-MM-DD), or ACH_DATE (YYYYMMDD) of NHS England's INDICATOR_VALUES.
    column = next((names.index(name) for name in ("achievement_date", "ach_date") if name in names), None)
    if column is None:
        return None
    first = next(rows, None)
    if first is None or len(first) <= column:
        return None
    text = first[column].strip()
    try:
        return qof_year(date.fromisoformat(text if "-" in text else f"{text[:4]}-{text[4:6]}-{text[6:]}"))
    except ValueError:
        return None


def year_of_file(path: str | Path) -> str | None:
    """:func:`year_of_text` of a regular file's first bytes; None for a pipe (whose bytes, once read, would
    be lost to the reader: name the year with --year), or a file that cannot be read or has no dated row."""
    try:
        if Path(path).is_file():  # never a pipe or device: what is read from one would be lost
            with open(path, "rb") as handle:
                head = handle.read(HEAD_BYTES)
        else:
            return None
    except OSError:
        return None
    text = head.decode("utf-8", errors="replace")
    return year_of_text(text[: text.rfind("\n") + 1] if "\n" in text else text)
