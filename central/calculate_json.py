"""``cqrs-central calculate --format json`` for a whole extract: the JSON text written as it is made.

The document is the one ``calculate_cmd.practice_result`` describes (``{"practices": [...]}``), without
indentation: each value is formatted straight from the exact arrays of ``central.fast_calc`` (floats as
Python's ``repr``, exactly as ``json.dumps`` writes them), a batch of practices at a time, so the text of
a national year never has to be held at once. ``tests/unit/test_fast_calc.py`` checks that it parses to
the same values as the reference path.
"""

from __future__ import annotations

import itertools
import json
import multiprocessing
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from fractions import Fraction
from pathlib import Path

import numpy as np

from app.services.calculation import item_claim, to_pounds
from app.services.rules import QOF_SERVICE, RuleSet
from central.extract_columns import Columns
from central.fast_calc import QofArrays, claim_pence

BATCH = 2048  # practices formatted at a time
MIN_SHARE = 20_000  # practice dates worth a process of their own (a national month is 6,188)
PIECE = 8 * 1024 * 1024
OWN_WEIGHT = 0.82  # this process's share against another's: it copies theirs out too
MEMORY_FOLDER = "/dev/shm"  # the other processes' parts are kept here when it has room: no disk writes
BYTES_PER_PRACTICE = 16_000  # of JSON, a little over a national extract's
Write = Callable[[str], object]
YearEnds = Mapping[str, Mapping[str, Mapping[str, Fraction]]]  # per practice code: calculate_qof's year_ends


def write_document(columns: Columns, rules: RuleSet, write: Write, *, workers: int = 2,
                   year_ends: YearEnds | None = None) -> None:
    """Write the whole ``{"practices": [...]}`` document; a large extract is shared out between processes.

    ``year_ends``: per practice code, the improvement route's baselines (as ``QofArrays.of`` takes them).

    Each other process formats its share of the practices into a temporary file, copied out in order
    (while it is still being written) once this process has written its own share, so the output is the
    same as from one process. This process's share is the smaller, as it does the copying too. The
    parts are kept in memory (``MEMORY_FOLDER``) when it has room for them.
    """
    groups = len(columns.codes)
    workers = max(1, min(workers, groups // MIN_SHARE, len(os.sched_getaffinity(0))))
    weights = [OWN_WEIGHT] + [1.0] * (workers - 1)
    bounds = [round(groups * sum(weights[:k]) / sum(weights)) for k in range(workers + 1)]
    write('{"practices":[')
    scratch = _scratch(BYTES_PER_PRACTICE * (groups - bounds[1]))
    with tempfile.TemporaryDirectory(prefix="cqrs-calculate-", dir=scratch) as folder:
        context = multiprocessing.get_context("fork")
        others = []
        for k in range(1, workers):
            part = Path(folder) / f"part-{k}.json"
            part.touch()
            share = (columns, rules, bounds[k], bounds[k + 1], part, year_ends)
            process = context.Process(target=_write_part, args=share)
            process.start()
            others.append((process, part))
        write_json(columns.rows_between(bounds[0], bounds[1]), rules, write, year_ends)
        for process, part in others:
            write(",")
            _copy_out(process, part, write)
    write("]}\n")


def _scratch(size: int) -> str | None:
    """The memory-backed folder when it has room for twice ``size`` bytes; else the usual temporary one."""
    try:
        roomy = shutil.disk_usage(MEMORY_FOLDER).free > 2 * size
        return MEMORY_FOLDER if roomy and os.access(MEMORY_FOLDER, os.W_OK) else None
    except OSError:
        return None


def _copy_out(process: multiprocessing.process.BaseProcess, part: Path, write: Write) -> None:
    """Copy ``part`` to ``write`` as ``process`` writes it, to the end once it has exited."""
    with part.open("rb") as handle:
        while True:
            done = process.exitcode is not None  # before the read: all it wrote is in the file by then
            if done and process.exitcode != 0:
                raise RuntimeError(f"a calculating process failed (exit status {process.exitcode})")
            if piece := handle.read(PIECE):
                write(piece.decode("ascii"))
            elif done:
                return
            else:
                process.join(0.02)


def _write_part(columns: Columns, rules: RuleSet, start: int, stop: int, path: Path,
                year_ends: YearEnds | None) -> None:
    with path.open("w", encoding="ascii") as handle:
        write_json(columns.rows_between(start, stop), rules, handle.write, year_ends)


def write_json(columns: Columns, rules: RuleSet, write: Write, year_ends: YearEnds | None = None) -> None:
    """Write the practices of ``columns`` as JSON objects separated by commas (no brackets around)."""
    arrays = QofArrays.of(columns, rules, year_ends)
    money = {"payment": arrays.pence(arrays.points_n), "next": arrays.pence(arrays.next_n - arrays.points_n),
             "unclaimed": arrays.pence(arrays.full_n - arrays.points_n)}
    totals = (arrays.points_total(), arrays.max_points_total(), arrays.total_pence(arrays.points_n).tolist(),
              arrays.total_pence(arrays.full_n - arrays.points_n).tolist())
    claims = _Claims(columns, rules)
    for start in range(0, len(columns.codes), BATCH):
        batch = range(start, min(start + BATCH, len(columns.codes)))
        texts = _batch(columns, rules, arrays, money, totals, claims, batch)
        write(("," if start else "") + ",".join(texts))


def _batch(columns: Columns, rules: RuleSet, a: QofArrays, money: dict[str, np.ndarray], totals: tuple,
           claims: _Claims, batch: range) -> list[str]:
    rows = slice(batch.start, batch.stop)
    present = a.present[rows]
    g_index, i_index = np.nonzero(present)

    def pick(values: np.ndarray) -> np.ndarray:
        return values[rows][g_index, i_index]

    num, den, pn, pd = pick(a.num), pick(a.den), pick(a.points_n), pick(a.points_d)
    ids = [f'{{"indicator_id":"{i}","numerator":' for i in columns.layout.indicators]
    openings = np.array([ids, ["," + i for i in ids]], object)  # the first of a practice, the others
    maxima = np.array([f',"max_points":{_number(rules.indicators[i].max_points)},"payment_gbp":'
                       for i in columns.layout.indicators], object)
    # Floats are nearly all distinct, so each is written by repr itself (as json.dumps does).
    pct = np.full(len(num), "null", object)
    some = den > 0
    pct[some] = list(map(repr, (100 * num[some] / den[some]).tolist()))
    whole = pn % pd == 0
    points = np.empty(len(num), object)
    points[whole] = _texts(pn[whole] // pd[whole], ',"points":')
    points[~whole] = [',"points":' + r for r in map(repr, (pn[~whole] / pd[~whole]).tolist())]
    later = np.r_[False, g_index[1:] == g_index[:-1]].astype(np.int64)
    counts = _records([("", num, False), (',"denominator":', den, False), (',"pca":', pick(a.pca), False)],
                      ',"achievement_pct":')
    gbp = _records([("", pick(money["payment"]), True),
                    (',"patients_to_upper_threshold":', pick(a.to_upper), False),
                    (',"gbp_next_patient":', pick(money["next"]), True),
                    (',"gbp_unclaimed":', pick(money["unclaimed"]), True)], "}")
    pieces = list(itertools.chain.from_iterable(zip(
        openings[later, i_index].tolist(), counts, pct.tolist(), points.tolist(), maxima[i_index].tolist(),
        gbp, strict=True)))
    per_cell = 6
    bounds = (np.searchsorted(g_index, np.arange(len(batch) + 1)) * per_cell).tolist()
    totals_points, totals_max, totals_pay, totals_unclaimed = (t[rows] for t in totals)
    everything = present.all(axis=1)
    out = []
    for n, g in enumerate(batch):
        head = (f'{{"practice_code":"{columns.codes[g]}","year":"{rules.year}","achievement_date":'
                f'"{columns.dates[g].isoformat()}","services":[{{"service":"{QOF_SERVICE}","points":'
                f'{_number(totals_points[n])},"max_points":{_number(totals_max[n])},"payment_gbp":'
                f'{_pounds(totals_pay[n])},"gbp_unclaimed":{_pounds(totals_unclaimed[n])},"indicators":[')
        body = "".join(pieces[bounds[n]:bounds[n + 1]])
        missing = "[]" if everything[n] else json.dumps(
            [i for i, has in zip(columns.layout.indicators, present[n], strict=True) if not has],
            separators=(",", ":"))
        out.append(f'{head}{body}],"not_in_extract":{missing}}}{claims.texts[g]}]}}')
    return out


class _Claims:
    """Each group's V&I and enhanced-service claims as JSON, each distinct claim formatted once."""

    def __init__(self, columns: Columns, rules: RuleSet) -> None:
        layout, present, numerator = columns.layout, columns.present, columns.numerator
        start = layout.list_column + 1 + len(layout.registers)
        texts = np.full(len(columns.codes), "", object)
        for code, service in rules.services.items():
            cols = [n for n in range(start, len(layout.keys)) if layout.keys[n][0] == code]
            has = present[:, cols].any(axis=1)
            if not has.any():
                continue
            item = layout.column((code, service.item))
            count = np.where(present[:, item], numerator[:, item], 0)[has]
            if service.cap_item:
                cap_col = layout.column((code, service.cap_item))
                cap = np.where(present[:, cap_col], numerator[:, cap_col], -1)[has]
            else:
                cap = np.full(len(count), -1)
            pairs = np.stack([count, cap], axis=1)
            keys, inverse = np.unique(pairs, axis=0, return_inverse=True)
            table = np.array([_claim(rules, code, int(c), None if k < 0 else int(k)) for c, k in keys],
                             object)
            texts[has] = texts[has] + table[inverse.ravel()]
        self.texts = texts.tolist()


def _claim(rules: RuleSet, code: str, count: int, cap: int | None) -> str:
    service = rules.services[code]
    claim = item_claim(service, count, cap)  # the reference, so a capped claim without its cap is refused
    unit = service.unit_value_gbp
    payment = _pounds(int(claim_pence(np.array([claim.paid_count]), unit)[0]))
    headroom = ("null" if claim.cap is None else
                _pounds(int(claim_pence(np.array([claim.cap - claim.paid_count]), unit)[0])))
    return (f',{{"service":"{code}","points":null,"max_points":null,"payment_gbp":{payment},'
            f'"gbp_unclaimed":{headroom},"claims":[{{"item":"{claim.item}","count":{claim.count},'
            f'"cap":{"null" if claim.cap is None else claim.cap},"paid_count":{claim.paid_count},'
            f'"unit_value_gbp":{float(to_pounds(unit))!r},"payment_gbp":{payment}}}]}}')


_POWERS = 10 ** np.arange(19, dtype=np.int64)


def _texts(values: np.ndarray, before: str = "", after: str = "", *, pence: bool = False) -> list[str]:
    """``before`` + each whole number (negative: ``null``) + ``after``; ``pence``: written as pounds the way
    ``repr(pence / 100)`` writes them (12.3, 12.0)."""
    return _records([(before, values, pence)], after)


def _records(fields: list[tuple[str, np.ndarray, bool]], after: str = "") -> list[str]:
    """Per element: for each field its text then its whole number (as ``_texts`` writes it), then ``after``;
    made for the whole arrays at once in one byte buffer."""
    parts = []
    for before, values, pence in fields:
        values = np.asarray(values, np.int64)
        null = values < 0
        whole = np.where(null, 0, values // 100 if pence else values)
        digits = np.maximum(1, np.searchsorted(_POWERS, whole, side="right"))
        cents = decimals = None
        length = digits
        if pence:
            cents = np.where(null, 0, values % 100)
            decimals = np.where(cents % 10 == 0, 1, 2)
            length = digits + 1 + decimals
        parts.append((before.encode(), null, whole, digits, cents, decimals, np.where(null, 4, length)))
    tail = after.encode()
    size = sum(len(head) + length for head, *_, length in parts) + len(tail) + 1  # and a separator
    at = np.cumsum(size) - size
    buffer = np.zeros(int(size.sum()), np.uint8)
    for head, null, whole, digits, cents, decimals, length in parts:
        for k, byte in enumerate(head):
            buffer[at + k] = byte
        body = at + len(head)
        for k in range(int(digits.max(initial=1))):
            has = (digits > k) & ~null
            buffer[body[has] + digits[has] - 1 - k] = 48 + (whole[has] // _POWERS[k]) % 10
        if cents is not None:
            point = body + digits
            buffer[point[~null]] = 46
            buffer[point[~null] + 1] = 48 + cents[~null] // 10
            two = (decimals == 2) & ~null
            buffer[point[two] + 2] = 48 + cents[two] % 10
        for k, byte in enumerate(b"null"):
            buffer[body[null] + k] = byte
        at = body + length
    for k, byte in enumerate(tail):
        buffer[at + k] = byte
    return buffer.tobytes().decode("ascii").split("\0")[:-1]


def _pounds(pence: int) -> str:
    """Pence as the JSON of ``float(to_pounds(...))``: the float nearest pence/100, as repr writes it."""
    return repr(pence / 100)


def _number(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else repr(float(value))
