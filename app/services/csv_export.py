"""Tables written to CSV files that Excel opens as they are: pure (no Qt, database or network).

    write_csv(path, ["Indicator", "Achieved", "£ earned"], rows, money={2})

Contract:

- UTF-8 with a byte-order mark (Excel otherwise reads "£" and accents wrongly), rows ended by CRLF,
  quoting as the ``csv`` module's Excel dialect does.
- Numbers as plain numbers: no £, no thousands separators, "-" for negatives. ``int`` as is; a
  ``Fraction`` or ``Decimal`` in a column listed in ``money`` to the penny, halves away from zero (as the
  screens round money); any other ``Fraction`` as an exact decimal when it has at most
  ``FRACTION_PLACES`` places, otherwise rounded to that many; ``float`` by its shortest repr.
  ``bool`` as Yes/No; ``None`` as an empty cell.
- Dates as dd/mm/yyyy; datetimes as dd/mm/yyyy HH:MM in UK time (naive ones are UTC). Text that is
  exactly an ISO date or datetime (the cache keeps dates as ISO text) is written as a date too.
- Any other text starting with =, +, -, @, a tab or a carriage return gets a leading ' so a
  spreadsheet never runs it as a formula.
- The file is written beside its final name and then moved into place, so a failed export never
  leaves half a file under that name. Raises OSError if the folder cannot be written.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Collection, Iterable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from app.services.format import round_half_away, to_london

FRACTION_PLACES = 6
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _decimal_text(value: Fraction) -> str:
    for places in range(FRACTION_PLACES + 1):  # the fewest places that hold it exactly
        if (value * 10**places).denominator == 1:
            return format(round_half_away(value, places), "f")
    return format(round_half_away(value, FRACTION_PLACES), "f")


def _iso_moment(text: str) -> date | datetime | None:
    if len(text) == 10:
        try:
            return date.fromisoformat(text)
        except ValueError:
            return None
    if len(text) >= 16 and text[10] in "T ":
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            return None
    return None


def _moment_text(value: date) -> str:
    if isinstance(value, datetime):
        moment = to_london(value if value.tzinfo else value.replace(tzinfo=UTC))
        return f"{moment:%d/%m/%Y %H:%M}"
    return f"{value:%d/%m/%Y}"


def cell_text(value: Any, money: bool = False) -> str:
    """One cell as the CSV holds it (see the module's contract)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Fraction | Decimal):
        if isinstance(value, Decimal) and not value.is_finite():
            return ""
        exact = Fraction(value)
        return format(round_half_away(exact, 2), "f") if money else _decimal_text(exact)
    if isinstance(value, float):
        if money:
            return format(round_half_away(Fraction(repr(value)), 2), "f")
        return repr(value) if value == value and abs(value) != float("inf") else ""
    if isinstance(value, date):
        return _moment_text(value)
    text = str(value)
    moment = _iso_moment(text.strip())
    return _moment_text(moment) if moment is not None else _safe_text(text)


def _safe_text(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write_csv(path: str | os.PathLike[str], headers: Sequence[str], rows: Iterable[Sequence[Any]], *,
              money: Collection[int] = ()) -> int:
    """Write ``headers`` then ``rows`` (raw values, one per header) to ``path``; ``money`` holds the
    indexes of the money columns. Returns the number of rows written."""
    target = Path(path)
    written = 0
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with open(handle, "w", encoding="utf-8-sig", newline="") as file:
            writer = csv.writer(file, dialect="excel")
            writer.writerow([_safe_text(str(title)) for title in headers])
            for row in rows:
                if len(row) != len(headers):
                    raise ValueError(f"A row has {len(row)} cells for {len(headers)} columns.")
                writer.writerow([cell_text(value, index in money) for index, value in enumerate(row)])
                written += 1
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return written
