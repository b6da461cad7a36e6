"""What a record table shows, worked out without Qt: columns, getters, sort keys and prepared rows.

A column reads a cell from any row type through a getter: :func:`field` for mappings (``row["a"]["b"]``),
:func:`attr` for objects such as dataclasses (``row.a.b``). :func:`prepare` formats every cell and works
out every sort key once; it is plain Python, so a page's loader calls it on the database worker and the
GUI thread only swaps the prepared rows in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from fractions import Fraction
from typing import Any, Generic, TypeVar

R = TypeVar("R")
SortKey = tuple[int, Any]


def _default_display(value: Any) -> str:
    return "" if value is None else str(value)


@dataclass(frozen=True)
class Column(Generic[R]):
    title: str
    value: Callable[[R], Any]  # raw value, used for sorting (None allowed)
    display: Callable[[Any], str] = _default_display  # text shown
    numeric: bool = False  # right-aligned
    tooltip: Callable[[R], str | None] | None = None
    background: Callable[[R], str | None] | None = None  # a colour such as "#fde2e0", or None


def field(name: str, *path: str) -> Callable[[Mapping[str, Any]], Any]:
    """A getter for row[name][path[0]]...; None when any step is missing or not a mapping."""
    keys = (name, *path)

    def get(row: Mapping[str, Any]) -> Any:
        value: Any = row
        for key in keys:
            if not isinstance(value, Mapping):
                return None
            value = value.get(key)
        return value

    return get


def attr(name: str, *path: str) -> Callable[[Any], Any]:
    """A getter for row.name.path[0]...; None when any step is None (an optional part missing)."""
    names = (name, *path)

    def get(row: Any) -> Any:
        value = row
        for part in names:
            if value is None:
                return None
            value = getattr(value, part)
        return value

    return get


def _as_number(value: Any) -> Fraction | None:
    if isinstance(value, Fraction | Decimal | int | float):
        try:
            return Fraction(value)
        except (ValueError, OverflowError):  # NaN and infinities
            return None
    if isinstance(value, str):
        try:
            return Fraction(value.strip())
        except ValueError:
            return None
    return None


def sort_key(value: Any) -> SortKey:
    """Numbers (numeric text included), then dates, then text: one ranked key keeps sorting consistent."""
    number = _as_number(value)
    if number is not None:
        return (0, number)
    if isinstance(value, datetime):
        return (1, value if value.tzinfo else value.replace(tzinfo=UTC))
    if isinstance(value, date):
        return (1, datetime.combine(value, time(), UTC))
    if isinstance(value, str):
        return (2, (value.casefold(), value))
    return (3, str(value))


@dataclass(frozen=True)
class Prepared(Generic[R]):
    """Rows with every cell's raw value, text and sort key worked out for one set of columns."""

    columns: tuple[Column[R], ...]
    rows: tuple[R, ...]
    values: tuple[tuple[Any, ...], ...]
    texts: tuple[tuple[str, ...], ...]
    keys: tuple[tuple[SortKey | None, ...], ...]

    def where(self, keep: Callable[[R], bool]) -> Prepared[R]:
        """The rows for which ``keep`` is true, without formatting anything again."""
        chosen = [index for index, row in enumerate(self.rows) if keep(row)]
        return Prepared(self.columns, tuple(self.rows[i] for i in chosen),
                        tuple(self.values[i] for i in chosen), tuple(self.texts[i] for i in chosen),
                        tuple(self.keys[i] for i in chosen))

    def longest(self, column: int, count: int = 3) -> list[int]:
        """The rows with the longest texts in ``column``: the only ones measured to fit its width."""
        lengths = sorted(((len(texts[column]), index) for index, texts in enumerate(self.texts)),
                         reverse=True)
        return [index for _length, index in lengths[:count]]


def prepare(columns: Sequence[Column[R]], rows: Iterable[R]) -> Prepared[R]:
    """Format every cell and work out its sort key (safe on a worker thread: no Qt is touched)."""
    columns, rows = tuple(columns), tuple(rows)
    values = tuple(tuple(column.value(row) for column in columns) for row in rows)
    texts = tuple(tuple(column.display(value) for column, value in zip(columns, cells, strict=True))
                  for cells in values)
    keys = tuple(tuple(None if value is None else sort_key(value) for value in cells) for cells in values)
    return Prepared(columns, rows, values, texts, keys)
