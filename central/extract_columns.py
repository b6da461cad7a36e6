"""An extract as arrays: one row per practice and achievement date, one column per count the rules know.

The fast way in for a national file. Plain files (ASCII letters, digits, ``,-_`` and line breaks, no
quotes or spaces) are read whole with C-speed splitting and checked with the very rules of the line by
line reader (``central.extract_check``), but once per distinct value and with array comparisons for
what relates rows (duplicates, numerator within denominator, counts within the list size). Whatever this
reader cannot prove clean it declines (``None``): the caller then reads the file line by line, which
refuses it with every problem named by line, or accepts an unusual but valid file (spaces, quotes).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any

import numpy as np

from app.services.calculation import IndicatorCounts
from app.services.entry_rules import item_maximum
from app.services.identifiers import contains_nhs_number
from app.services.rules import QOF_SERVICE, RuleSet
from central import extract_check as check
from central.extract_fields import EMPTY, Fields, KeyTable, NotPlain
from central.extract_input import ExtractProblem

HEADER_BYTES = b"practice_code,service,indicator_id,achievement_date,numerator,denominator,pca"
# Every byte a plain extract needs; anything else (spaces, quotes, other text) goes the careful way.
_PLAIN = bytes(range(ord("A"), ord("Z") + 1)) + bytes(range(ord("0"), ord("9") + 1)) + b",-_\n\r"
_BLANK_LINES = re.compile(rb"\n\n+")


@dataclass(frozen=True)
class Layout:
    """The columns of one year: QOF indicators (rules order), LIST_SIZE, registers, service items."""

    keys: tuple[tuple[str, str], ...]  # (service, indicator_id or item) per column
    kinds: tuple[str, ...]
    indicators: tuple[str, ...]
    list_column: int
    registers: tuple[str, ...]

    @classmethod
    def of(cls, rules: RuleSet) -> Layout:
        registers = tuple(sorted(check.known_registers(rules)))
        keys = [(QOF_SERVICE, i) for i in rules.indicators] + [(QOF_SERVICE, check.LIST_SIZE)]
        keys += [(QOF_SERVICE, r + check.REGISTER_SUFFIX) for r in registers]
        keys += [(code, item) for code, s in rules.services.items() for item in s.items]
        kinds = ([check.QOF] * len(rules.indicators) + [check.LIST] + [check.REGISTER] * len(registers)
                 + [check.ITEM] * (len(keys) - len(rules.indicators) - 1 - len(registers)))
        return cls(tuple(keys), tuple(kinds), tuple(rules.indicators), len(rules.indicators), registers)

    def column(self, key: tuple[str, str]) -> int:
        return self.keys.index(key)

    def register_column(self, register: str) -> int:
        return self.list_column + 1 + self.registers.index(register)


@dataclass(frozen=True)
class Columns:
    """Counts per (practice, date) group and column; ``EMPTY`` where a cell is empty or absent."""

    year: str
    layout: Layout
    codes: tuple[str, ...]  # per group, sorted by practice code then date
    dates: tuple[date, ...]
    present: np.ndarray  # bool [groups, columns]
    numerator: np.ndarray  # int64 [groups, columns]
    denominator: np.ndarray
    pca: np.ndarray
    rows: int
    # (practice code, date, indicator) -> PCA code -> count, when the file gives PCAs by reason
    # (NHS England's INDICATOR_VALUES layout); empty for our own layout.
    pca_reasons: Mapping[tuple[str, date, str], Mapping[str, int]] = field(default_factory=dict)

    def rows_between(self, start: int, stop: int) -> Columns:
        """The groups from ``start`` up to ``stop`` (views, not copies)."""
        part = slice(start, stop)
        return Columns(self.year, self.layout, self.codes[part], self.dates[part], self.present[part],
                       self.numerator[part], self.denominator[part], self.pca[part],
                       int(self.present[part].sum()), self.pca_reasons)

    @property
    def list_size(self) -> np.ndarray:
        return self.numerator[:, self.layout.list_column]


class Reader:
    def __init__(self, rules: RuleSet, require_caps: bool, extracted_only: bool) -> None:
        self.rules, self.require_caps, self.extracted_only = rules, require_caps, extracted_only
        self.layout = Layout.of(rules)
        self.codes: dict[bytes, int] = {}
        self.dates: dict[bytes, int] = {}
        self.keys = KeyTable(self.layout.keys)
        self.used: set[int] = set()
        self.parts: list[tuple[np.ndarray, ...]] = []

    def feed(self, chunk: bytes) -> None:
        """Take a piece of the file holding whole lines (without the header)."""
        if chunk.translate(None, _PLAIN):
            raise NotPlain
        if b"\r" in chunk:
            if chunk.count(b"\r") != chunk.count(b"\r\n"):
                raise NotPlain
            chunk = chunk.replace(b"\r\n", b"\n")
        if not chunk.endswith(b"\n"):
            chunk += b"\n"
        chunk = _BLANK_LINES.sub(b"\n", chunk).lstrip(b"\n")
        if not chunk:
            return
        data = np.frombuffer(chunk, np.uint8)
        ends = np.flatnonzero((data == 44) | (data == 10))
        width = len(check.HEADER)
        lines = chunk.count(b"\n")
        # Exactly 7 fields on every line: every 7th separator is a line break and no other one is.
        if ends.size != width * lines or not (data[ends[width - 1::width]] == 10).all():
            raise NotPlain
        ends = ends.reshape(lines, width)
        starts = np.empty_like(ends)
        starts[0, 0] = 0
        starts[1:, 0] = ends[:-1, -1] + 1
        starts[:, 1:] = ends[:, :-1] + 1
        fields = Fields(data, starts, ends - starts)
        columns = self.keys.find(fields.packed(1, 8), fields.packed(2, 16))
        self.used.update(np.unique(columns).tolist())
        self.parts.append((
            self._runs(fields, 0, 6, self.codes, self._check_code),
            columns,
            self._runs(fields, 3, 10, self.dates, self._check_date),
            fields.number(4), fields.number(5), fields.number(6),
        ))

    def absorb(self, codes: list[bytes], dates: list[bytes], used: set[int], parts: list) -> None:
        """Take in what another reader read of the same file (its ids renumbered to this one's)."""
        code_ids = np.array([self.codes.setdefault(c, len(self.codes)) for c in codes], np.int64)
        date_ids = np.array([self.dates.setdefault(d, len(self.dates)) for d in dates], np.int64)
        self.used |= used
        for p, col, d, num, den, pca in parts:
            self.parts.append((code_ids[p], col.astype(np.int64), date_ids[d], num.astype(np.int64),
                               den.astype(np.int64), pca.astype(np.int64)))

    def _runs(self, fields: Fields, n: int, width: int, known: dict[bytes, int], accept) -> np.ndarray:
        """Ids of a field that repeats in runs (practice code, date), each distinct value checked once."""
        if (fields.lengths[:, n] != width).any():
            raise NotPlain
        packed = fields.packed(n, 16)
        change = np.ones(len(packed), bool)
        change[1:] = (packed[1:] != packed[:-1]).any(axis=1)
        heads = fields.text(n, np.flatnonzero(change))
        for value in set(heads).difference(known):
            known[value] = accept(value.decode("ascii"), len(known))
        return np.fromiter(map(known.__getitem__, heads), np.int64, len(heads))[np.cumsum(change) - 1]

    # --- one distinct value at a time, by the line reader's own rules ---------------------------

    @staticmethod
    def _check_code(text: str, n: int) -> int:
        if not check.ODS_PATTERN.fullmatch(text) or contains_nhs_number(text):
            raise NotPlain
        return n

    def _check_date(self, text: str, n: int) -> int:
        problems: list[str] = []
        if contains_nhs_number(text) or check.check_date(text, self.rules, problems.append) is None:
            raise NotPlain
        return n

    def _check_used_columns(self) -> None:
        for c in self.used:
            service_code, item = self.layout.keys[c]
            service = self.rules.services.get(service_code)
            if self.extracted_only and service is not None and item not in service.automatic:
                raise NotPlain


    # --- the whole file ---------------------------------------------------------------------------

    def finish(self) -> Columns:
        if not self.parts:
            raise NotPlain
        self._check_used_columns()
        # Only what relates rows is joined up; the counts go from each part straight to their cells.
        p, col, d = (np.concatenate(part) for part in list(zip(*self.parts, strict=True))[:3])
        stops = np.cumsum([len(part[0]) for part in self.parts]).tolist()
        spans = [slice(stop - len(part[0]), stop) for part, stop in zip(self.parts, stops, strict=True)]
        codes = sorted(self.codes, key=lambda c: c)
        code_rank = np.empty(len(codes), np.int64)
        code_rank[[self.codes[c] for c in codes]] = np.arange(len(codes))
        dates = sorted(self.dates)
        date_rank = np.empty(len(dates), np.int64)
        date_rank[[self.dates[x] for x in dates]] = np.arange(len(dates))
        pair = code_rank[p] * len(dates) + date_rank[d]
        seen = np.zeros(len(codes) * len(dates), bool)
        seen[pair] = True
        group_of = np.cumsum(seen) - 1
        group = group_of[pair]
        groups, width = int(seen.sum()), len(self.layout.keys)
        cell = group * width + col
        if np.bincount(cell, minlength=groups * width).max() > 1:
            raise NotPlain  # a duplicate row
        shape = (groups, width)
        present = np.zeros(groups * width, bool)
        present[cell] = True
        arrays = []
        for k in (3, 4, 5):  # numerator, denominator, pca
            dense = np.full(groups * width, EMPTY, np.int64)
            for part, span in zip(self.parts, spans, strict=True):
                dense[cell[span]] = part[k]
            arrays.append(dense.reshape(shape))
        present = present.reshape(shape)
        kinds = np.array(self.layout.kinds)
        # The kind of each row's column as a flag, not as a string per row.
        qof, listed = (kinds == check.QOF)[col], (kinds == check.LIST)[col]
        for part, span in zip(self.parts, spans, strict=True):
            self._check_rows(*part[3:], qof[span], listed[span])
        self._check_groups(present, *arrays)
        which = np.flatnonzero(seen)
        code_names = [c.decode() for c in codes]
        day_values = [date.fromisoformat(x.decode()) for x in dates]
        return Columns(self.rules.year, self.layout,
                       tuple(code_names[k // len(dates)] for k in which),
                       tuple(day_values[k % len(dates)] for k in which), present, *arrays, rows=len(p))

    @staticmethod
    def _check_rows(num: np.ndarray, den: np.ndarray, pca: np.ndarray, qof: np.ndarray,
                    listed: np.ndarray) -> None:
        if (num < 0).any() or (den[qof] < 0).any() or (pca[qof] < 0).any() or (num[qof] > den[qof]).any():
            raise NotPlain
        if (den[~qof] != EMPTY).any() or (pca[~qof] != EMPTY).any() or (num[listed] == 0).any():
            raise NotPlain

    def _check_groups(self, present: np.ndarray, num: np.ndarray, den: np.ndarray, pca: np.ndarray) -> None:
        layout, rules = self.layout, self.rules
        if not present[:, layout.list_column].all():
            raise NotPlain
        list_size = num[:, layout.list_column][:, None]
        first_register = layout.list_column + 1
        registers = slice(first_register, first_register + len(layout.registers))
        if (present[:, registers] & (num[:, registers] > list_size)).any():
            raise NotPlain
        for n, indicator_id in enumerate(layout.indicators):
            has = present[:, n]
            if (has & (den[:, n] > list_size[:, 0])).any():
                raise NotPlain
            for register in rules.indicators[indicator_id].registers:
                if (has & ~present[:, layout.register_column(register)]).any():
                    raise NotPlain
        for n in range(first_register + len(layout.registers), len(layout.keys)):
            service_code, item = layout.keys[n]
            service = rules.services[service_code]
            has = present[:, n]
            stated = item_maximum(service, item)
            if stated is not None and (has & (num[:, n] > stated)).any():
                raise NotPlain
            if (has & (num[:, n] > list_size[:, 0])).any():
                raise NotPlain
            cap = service.cap_item
            if (self.require_caps and item == service.item and cap
                    and (has & ~present[:, layout.column((service_code, cap))]).any()):
                raise NotPlain


def read_columns(chunks: Iterable[bytes], rules: RuleSet, *, require_caps: bool = True,
                 extracted_only: bool = False) -> Columns | None:
    """The extract given as pieces of whole lines (the header first); None when not provably clean."""
    reader = Reader(rules, require_caps, extracted_only)
    pieces = iter(chunks)
    try:
        first = next(pieces, b"").removeprefix(b"\xef\xbb\xbf")
        header, _, rest = first.partition(b"\n")
        if header.removesuffix(b"\r") != HEADER_BYTES:
            raise NotPlain
        reader.feed(rest)
        for chunk in pieces:
            reader.feed(chunk)
        return reader.finish()
    except NotPlain:
        return None


def split_text(text: bytes, size: int = 8 * 1024 * 1024) -> Iterable[bytes]:
    """``text`` as pieces of about ``size`` bytes, each ending at a line break."""
    start = 0
    while start < len(text):
        end = text.find(b"\n", start + size)
        end = len(text) if end < 0 else end + 1
        yield text[start:end]
        start = end


def to_practices(columns: Columns, rules: RuleSet) -> tuple[check.PracticeCounts, ...]:
    """The groups as the line reader builds them (for callers that want one record per practice)."""
    layout, out = columns.layout, []
    for g, (code, day) in enumerate(zip(columns.codes, columns.dates, strict=True)):
        has, num = columns.present[g], columns.numerator[g]
        qof = tuple(IndicatorCounts(i, int(num[n]), int(columns.denominator[g, n]), int(columns.pca[g, n]))
                    for n, i in enumerate(layout.indicators) if has[n])
        registers = {r: int(num[layout.register_column(r)]) for r in layout.registers
                     if has[layout.register_column(r)]}
        services: dict[str, Any] = {}
        start = layout.list_column + 1 + len(layout.registers)
        for n in range(start, len(layout.keys)):
            if has[n]:
                service, item = layout.keys[n]
                services.setdefault(service, {})[item] = int(num[n])
        out.append(check.PracticeCounts(code, day, int(num[layout.list_column]), MappingProxyType(registers),
                                        qof, MappingProxyType({s: MappingProxyType(i)
                                                               for s, i in services.items()})))
    return tuple(out)


def from_practices(practices: Iterable[check.PracticeCounts], rules: RuleSet) -> Columns:
    """Columns for groups the line reader accepted (a valid file this reader declined)."""
    layout = Layout.of(rules)
    practices = list(practices)
    shape = (len(practices), len(layout.keys))
    present = np.zeros(shape, bool)
    arrays = [np.full(shape, EMPTY, np.int64) for _ in range(3)]
    rows = 0
    for g, p in enumerate(practices):
        cells = [(layout.list_column, p.list_size, EMPTY, EMPTY)]
        cells += [(layout.register_column(r), size, EMPTY, EMPTY) for r, size in p.registers.items()]
        cells += [(layout.column((QOF_SERVICE, c.indicator_id)), c.numerator, c.denominator, c.pca)
                  for c in p.qof]
        cells += [(layout.column((s, i)), n, EMPTY, EMPTY) for s, items in p.services.items()
                  for i, n in items.items()]
        for n, *values in cells:
            present[g, n] = True
            for array, value in zip(arrays, values, strict=True):
                array[g, n] = value
        rows += len(cells)
    return Columns(rules.year, layout, tuple(p.practice_code for p in practices),
                   tuple(p.achievement_date for p in practices), present, *arrays, rows=rows)


__all__ = ["EMPTY", "Columns", "ExtractProblem", "Layout", "from_practices", "read_columns", "split_text",
           "to_practices"]
