"""QOF result records (``central.results.qof_record``) for many practices at once, from exact arrays.

The records are the ones the sync feed carries: exact quantities as fraction strings ("41/3"), pounds
to the penny as strings. Here the fractions come from ``central.fast_calc``'s whole numbers, reduced
with vectorised greatest common divisors (Python integers where the values outgrow 64 bits), so a
national month needs no ``Fraction`` per value. :func:`qof_records` gives them as dictionaries and
:func:`qof_texts` as the JSON text ingest stores and publishes, written straight from the same values
(byte for byte what the compact encoder writes of the record). ``tests/unit/test_fast_calc.py`` checks
both against ``qof_record``. :func:`achievement_texts` writes the achievement records (the counts as
received) the same way. Nothing here touches the database, so a second process can make it all.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any

import numpy as np

from app.services.rules import QOF_SERVICE, RuleSet
from central.extract_columns import EMPTY, Columns
from central.fast_calc import BANDS, QofArrays

YearEnds = Mapping[str, Mapping[str, Mapping[str, Fraction]]]  # per practice code: calculate_qof's year_ends
# An indicator record's keys, in qof_record's order.
INDICATOR_KEYS = ("indicator_id", "group", "numerator", "denominator", "pca", "achievement", "points",
                  "max_points", "lower_threshold", "upper_threshold", "payment", "payment_gbp",
                  "pounds_per_point", "patients_to_upper_threshold", "gbp_next_patient", "gbp_unclaimed",
                  "band")
COMPACT = json.JSONEncoder(check_circular=False, separators=(",", ":")).encode


@dataclass(frozen=True)
class _Values:
    """Every group's QOF values: the record heads, and the indicator values one row per indicator."""

    heads: list[dict[str, Any]]  # each group's record, its "indicators" still empty
    starts: list[int]  # group g's indicators are rows starts[g]:starts[g + 1]
    indicator: list[int]  # each row's indicator, as its column in the layout
    constant: list[tuple[str, str, str, str | None, str | None]]  # per column: id, group, max, thresholds
    rows: dict[str, list[Any]]  # the varying values, by key, one per row


@dataclass(frozen=True)
class QofText:
    """One group's QOF record as JSON, in parts: the record up to its indicators, and each indicator's."""

    head: str  # the record's JSON up to the opening of its "indicators" (the last key)
    parts: list[str]  # each indicator's JSON, in the record's order
    indicator_ids: list[str]
    points: list[str]
    payments: list[str]

    @property
    def text(self) -> str:
        return f"{self.head}[{','.join(self.parts)}]}}"


def qof_records(columns: Columns, rules: RuleSet, year_ends: YearEnds | None = None) -> list[dict[str, Any]]:
    """One QOF record per group of ``columns``, equal to ``qof_record`` of the same counts; ``year_ends``
    gives, per practice code, the improvement route's baselines (``qof_record``'s ``year_ends``)."""
    v = _values(columns, rules, year_ends)
    varying = [v.rows[key] for key in INDICATOR_KEYS if key in v.rows]
    indicators = []
    for i, nu, de, pca, *rest in zip(v.indicator, *varying, strict=True):
        indicator_id, group, max_points, lower, upper = v.constant[i]
        ach, pts, pay, gbp, per, up, nxt, unc, band = rest
        indicators.append({
            "indicator_id": indicator_id, "group": group, "numerator": nu, "denominator": de, "pca": pca,
            "achievement": ach, "points": pts, "max_points": max_points, "lower_threshold": lower,
            "upper_threshold": upper, "payment": pay, "payment_gbp": gbp, "pounds_per_point": per,
            "patients_to_upper_threshold": up, "gbp_next_patient": nxt, "gbp_unclaimed": unc, "band": band,
        })
    return [{**head, "indicators": indicators[v.starts[g]:v.starts[g + 1]]} for g, head in enumerate(v.heads)]


def qof_texts(columns: Columns, rules: RuleSet, year_ends: YearEnds | None = None) -> list[QofText]:
    """:func:`qof_records` as JSON, with each indicator's PCA counts by reason where the extract gave them
    (``results.with_pca_reasons``): one dictionary per record, none per indicator."""
    v = _values(columns, rules, year_ends)
    # What each indicator's JSON holds between its varying values (json.dumps for the names' escapes).
    opening = [f'{{"indicator_id":{json.dumps(i)},"group":{json.dumps(group)},"numerator":'
               for i, group, *_ in v.constant]
    middle = [f',"max_points":{_json(m)},"lower_threshold":{_json(lo)},"upper_threshold":{_json(up)},'
              f'"payment":"' for _, _, m, lo, up in v.constant]
    rows = v.rows
    achievement = [_json(a) for a in rows["achievement"]]
    to_upper = ["null" if u is None else u for u in rows["patients_to_upper_threshold"]]
    bands = {band: json.dumps(band) for band in BANDS}
    parts = [
        f'{opening[i]}{nu},"denominator":{de},"pca":{pca},"achievement":{ach},"points":"{pts}"{middle[i]}'
        f'{pay}","payment_gbp":"{gbp}","pounds_per_point":"{per}","patients_to_upper_threshold":{up},'
        f'"gbp_next_patient":"{nxt}","gbp_unclaimed":"{unc}","band":{bands[band]}}}'
        for i, nu, de, pca, ach, pts, pay, gbp, per, up, nxt, unc, band in zip(
            v.indicator, rows["numerator"], rows["denominator"], rows["pca"], achievement, rows["points"],
            rows["payment"], rows["payment_gbp"], rows["pounds_per_point"], to_upper,
            rows["gbp_next_patient"], rows["gbp_unclaimed"], rows["band"], strict=True)
    ]
    reasons = _reasons_by_group(columns)
    ids = [v.constant[i][0] for i in v.indicator]
    texts = []
    for g, head in enumerate(v.heads):
        start, stop = v.starts[g], v.starts[g + 1]
        own = parts[start:stop]
        found = reasons.get((columns.codes[g], columns.dates[g]))
        if found:
            own = [f'{part[:-1]},"pca_reasons":{COMPACT(dict(sorted(found[i].items())))}}}' if found.get(i)
                   else part for part, i in zip(own, ids[start:stop], strict=True)]
        texts.append(QofText(COMPACT(head).removesuffix("[]}"), own, ids[start:stop],
                             rows["points"][start:stop], rows["payment"][start:stop]))
    return texts


def achievement_texts(columns: Columns, extract: str | None, received_at: str) -> list[str]:
    """The counts the extract carried for each practice and date, as received: each feed record's JSON,
    ``{"achievement_date", "extract", "received_at", "counts": {service: {item: [num, den, pca]}}}``
    (items in the extract's layout order, LIST_SIZE and the registers first), written a column at a time."""
    order, keys = _order(columns), columns.layout.keys
    about = COMPACT({"extract": extract, "received_at": received_at})
    cells = []  # per column of ``order``: each group's '"item":[num,den,pca]'
    for c in order:
        prefix = f"{json.dumps(keys[c][1])}:["
        den, pca = (["null" if v == EMPTY else v for v in a[:, c].tolist()]
                    for a in (columns.denominator, columns.pca))
        cells.append([f"{prefix}{n},{d},{p}]" for n, d, p in zip(columns.numerator[:, c].tolist(), den, pca,
                                                                   strict=True)])
    # A service's columns are next to each other in the layout: one block each, in order.
    services = dict.fromkeys(keys[c][0] for c in order)
    blocks = [(json.dumps(service), [k for k, c in enumerate(order) if keys[c][0] == service])
              for service in services]
    present = columns.present[:, order]
    texts = []
    for g, day in enumerate(columns.dates):
        has = present[g].tolist()
        counts = []
        for service, block in blocks:
            own = [cells[k][g] for k in block if has[k]]
            if own:
                counts.append(f"{service}:{{{','.join(own)}}}")
        texts.append(f'{{"achievement_date":"{day.isoformat()}",{about[1:-1]},"counts":{{{",".join(counts)}}}}}')
    return texts


def _order(columns: Columns) -> list[int]:
    """Columns in the order an achievement record lists them: LIST_SIZE, registers, indicators, items."""
    layout = columns.layout
    registers = list(range(layout.list_column + 1, layout.list_column + 1 + len(layout.registers)))
    return [layout.list_column, *registers, *range(layout.list_column),
            *range(registers[-1] + 1 if registers else layout.list_column + 1, len(layout.keys))]


def _values(columns: Columns, rules: RuleSet, year_ends: YearEnds | None) -> _Values:
    a = QofArrays.of(columns, rules, year_ends)
    layout, k = columns.layout, a.constants
    g_index, i_index = np.nonzero(a.present)
    num, den = a.num[g_index, i_index], a.den[g_index, i_index]
    achievement = _fractions(num, np.where(den > 0, den, 1))
    for n in np.flatnonzero(den == 0).tolist():
        achievement[n] = None
    pn, pd = a.points_n[g_index, i_index], a.points_d[g_index, i_index]
    x = a.x[g_index, i_index].astype(object)
    per_point_n = np.array([p.numerator for p in k.per_point], object)[i_index] * x
    per_point_d = np.array([p.denominator for p in k.per_point], object)[i_index]
    rows = {
        "numerator": num.tolist(), "denominator": den.tolist(), "pca": a.pca[g_index, i_index].tolist(),
        "achievement": achievement, "points": _fractions(pn, pd),
        "payment": _fractions(pn.astype(object) * per_point_n, pd.astype(object) * per_point_d),
        "payment_gbp": _pence_strings(a.pence(a.points_n)[g_index, i_index]),
        "pounds_per_point": _fractions(per_point_n, per_point_d),
        "patients_to_upper_threshold": [None if u < 0 else u for u in a.to_upper[g_index, i_index].tolist()],
        "gbp_next_patient": _pence_strings(a.pence(a.next_n - a.points_n)[g_index, i_index]),
        "gbp_unclaimed": _pence_strings(a.pence(a.full_n - a.points_n)[g_index, i_index]),
        "band": np.array(BANDS, object)[a.band[g_index, i_index]].tolist(),
    }
    constant = [(i, rules.indicators[i].group, str(rules.indicators[i].max_points),
                 _exact(rules.indicators[i].lower_threshold), _exact(rules.indicators[i].upper_threshold))
                for i in layout.indicators]
    starts = np.searchsorted(g_index, np.arange(len(columns.codes) + 1)).tolist()
    total_points, total_max = a.points_total(), a.max_points_total()
    total_payment = _payment_totals(pn, pd, per_point_n, per_point_d, starts)
    pay_pence = _pence_strings(a.total_pence(a.points_n))
    unclaimed_pence = _pence_strings(a.total_pence(a.full_n - a.points_n))
    register_columns = [(r, layout.register_column(r)) for r in layout.registers]
    heads = []
    for g, day in enumerate(columns.dates):
        has = columns.present[g]
        heads.append({
            "service": QOF_SERVICE, "year": rules.year, "achievement_date": day.isoformat(),
            "list_size": int(columns.list_size[g]),
            "registers": {r: int(columns.numerator[g, c]) for r, c in register_columns if has[c]},
            "points": str(total_points[g]), "max_points": str(total_max[g]), "payment": str(total_payment[g]),
            "payment_gbp": pay_pence[g], "gbp_unclaimed": unclaimed_pence[g],
            "not_in_extract": sorted(i for n, i in enumerate(layout.indicators) if not has[n]),
            "indicators": [],
        })
    return _Values(heads, starts, i_index.tolist(), constant, rows)


def _reasons_by_group(columns: Columns) -> dict[tuple[str, date], dict[str, Mapping[str, int]]]:
    grouped: dict[tuple[str, date], dict[str, Mapping[str, int]]] = {}
    for (code, day, indicator_id), reasons in columns.pca_reasons.items():
        grouped.setdefault((code, day), {})[indicator_id] = reasons
    return grouped


def _json(value: str | None) -> str:
    """A value that is a plain string of digits, "/" and "." (or None) as JSON."""
    return "null" if value is None else f'"{value}"'


def _fractions(numerators: np.ndarray, denominators: np.ndarray) -> list[str]:
    """``str(Fraction(n, d))`` for each pair (d > 0, n ≥ 0), reduced with vectorised gcds."""
    common = np.gcd(numerators, denominators)
    n, d = (numerators // common).tolist(), (denominators // common).tolist()
    return [f"{a}" if b == 1 else f"{a}/{b}" for a, b in zip(n, d, strict=True)]
def _payment_totals(pn: np.ndarray, pd: np.ndarray, per_n: np.ndarray, per_d: np.ndarray,
                    starts: list[int]) -> list[Fraction]:
    """Each group's exact sum of points × £ per point."""
    numerators = (pn.astype(object) * per_n).tolist()
    denominators = (pd.astype(object) * per_d).tolist()
    totals = []
    for g in range(len(starts) - 1):
        n, d = 0, 1
        for a, b in zip(numerators[starts[g]:starts[g + 1]], denominators[starts[g]:starts[g + 1]],
                        strict=True):
            if a:
                n, d = n * b + a * d, d * b
        totals.append(Fraction(n, d))
    return totals


def _pence_strings(pence: np.ndarray) -> list[str]:
    """Pence as ``str(to_pounds(...))`` writes them: pounds, a point and two digits."""
    return [f"{p // 100}.{p % 100:02d}" for p in pence.tolist()]


def _exact(value: Fraction | None) -> str | None:
    return None if value is None else str(value)
