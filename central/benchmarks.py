"""Peer benchmarks: achievement per QOF indicator across the PCN, the ICB and every practice here.

Each average pools the counts (sum of numerators ÷ sum of denominators), so a large practice
weighs more than a small one, as in NHS England's published national achievement. The PCA rates pool the
same way: sum of PCAs ÷ sum of (denominator + PCAs), the patients the indicator applied to. "All practices"
means every practice this service holds: for a regional service that is the region, which is the
closest national figure we have. Published to each practice as one record per achievement date.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.services.rules import QOF_SERVICE
from central import feed
from central.directory import ancestor
from central.models import COMMISSIONER, PCN, PRACTICE, CalculatedResult, Organisation

Pool = dict[str, list[int]]  # indicator -> [sum of numerators, sum of denominators, practices]


@dataclass(frozen=True)
class KnownResults:
    """QOF results a caller has just stored, per group: practice ids, dates and counts per indicator."""

    practice_ids: np.ndarray
    dates: tuple[date, ...]
    indicators: tuple[str, ...]
    present: np.ndarray  # bool [groups, indicators]
    numerator: np.ndarray
    denominator: np.ndarray
    pca: np.ndarray | None = None  # None: no PCAs known (read back from the stored results instead)


def publish_benchmarks(session: Session, dates: Iterable[date], known: KnownResults | None = None) -> int:
    """Recompute and publish the benchmarks of each date; returns the number of records published.

    ``known``: results the caller has just stored, so they need not be read back (used for a practice
    whose stored QOF results that date are exactly those).
    """
    from central.ingest_store import FeedWriter, Serialised, encode_json  # (ingest imports this module)

    practices = session.scalars(select(Organisation).where(Organisation.kind == PRACTICE))
    scopes = {}
    for p in practices:
        pcn, icb = ancestor(p, PCN), ancestor(p, COMMISSIONER)
        scopes[p.id] = (pcn.id if pcn else None, icb.id if icb else None)
    writer = FeedWriter(session)
    published = 0
    for day in sorted(set(dates)):
        order, rows = _rows_at(session, day, known)
        if not order:
            continue
        indicators = sorted(set(rows[1]))
        index = {i: n for n, i in enumerate(indicators)}
        practice, indicator = np.array(rows[0], np.int64), np.array([index[i] for i in rows[1]], np.int64)
        num, den = np.array(rows[2], np.int64), np.array(rows[3], np.int64)
        pca = np.array(rows[4], np.int64)
        pools, everyone = _pools(order, scopes, practice, indicator, num, den, len(indicators))
        # PCA rates: PCAs of everyone the indicator applied to (a practice may have PCAs and no denominator).
        pca_pools, pca_everyone = _pools(order, scopes, practice, indicator, pca, den + pca, len(indicators))
        cache: dict[tuple[int | None, int | None], Serialised] = {}
        for practice_id in order:
            key = scopes[practice_id]
            if key not in cache:
                record = _record(day, indicators, key, pools, everyone)
                _add_pca_rates(record, day, indicators, key, pca_pools, pca_everyone)
                cache[key] = Serialised(encode_json(record), record)
            writer.add(practice_id, feed.BENCHMARK, f"{QOF_SERVICE}:{day.isoformat()}", cache[key])
            published += 1
    writer.flush()
    return published


def _pools(order: list[int], scopes: dict, practice: np.ndarray, indicator: np.ndarray, num: np.ndarray,
           den: np.ndarray, indicators: int) -> tuple[dict, tuple[list, list, list, list]]:
    """Pooled sums per PCN and ICB, and over everyone, of the rows whose ``den`` is above 0."""
    counted = den > 0
    practice, indicator, num, den = practice[counted], indicator[counted], num[counted], den[counted]
    pools = {}
    for n, kind in enumerate(("pcn", "icb")):
        orgs = sorted({scopes[p][n] for p in order if scopes[p][n] is not None})
        org_index = {o: k for k, o in enumerate(orgs)}
        of = _lookup({p: org_index.get(scopes[p][n], -1) for p in order}, practice)
        pools[kind] = (org_index, _pool(of, indicator, num, den, len(orgs), indicators))
    return pools, _pool(np.zeros_like(indicator), indicator, num, den, 1, indicators)


def _add_pca_rates(record: dict[str, Any], day: date, indicators: list[str],
                   key: tuple[int | None, int | None], pools: dict, everyone: tuple[list, list, list, list]
                   ) -> None:
    """Each indicator's pooled PCA rates (PCN, ICB, all) as ``"pca": {...}``, where anyone was counted."""
    rates = _record(day, indicators, key, pools, everyone)["indicators"]
    for indicator_id, found in record["indicators"].items():
        if indicator_id in rates:
            found["pca"] = {scope: rates[indicator_id][scope] for scope in ("pcn", "icb", "all")}


def _lookup(mapping: dict[int, int], keys: np.ndarray) -> np.ndarray:
    """``mapping[k]`` for each of ``keys`` (practice ids), through one array indexed by id."""
    table = np.full(max(mapping) + 1, -1, np.int64)
    table[list(mapping)] = list(mapping.values())
    return table[keys]


def _pool(org: np.ndarray, indicator: np.ndarray, num: np.ndarray, den: np.ndarray, orgs: int,
          indicators: int) -> tuple[list, list, list, list]:
    """Per organisation and indicator: sum of numerators, of denominators, practices, and the pooled
    average as exact fraction text (None where no practice counted), as lists."""
    keep = org >= 0
    cell = org[keep] * indicators + indicator[keep]
    size = orgs * indicators
    sums = [np.bincount(cell, weights=w[keep], minlength=size).round().astype(np.int64).reshape(orgs, -1)
            for w in (num, den)]
    practices = np.bincount(cell, minlength=size).reshape(orgs, -1)
    # str(Fraction(n, d)) of every cell at once; a counted cell has d > 0 (only rows with d > 0 pool).
    common = np.gcd(sums[0], np.maximum(sums[1], 1))
    averages = [[None if not counted else f"{n}" if d == 1 else f"{n}/{d}" for n, d, counted in
                 zip(row_n, row_d, row_p, strict=True)]
                for row_n, row_d, row_p in zip((sums[0] // common).tolist(),
                                               (np.maximum(sums[1], 1) // common).tolist(),
                                               practices.tolist(), strict=True)]
    return sums[0].tolist(), sums[1].tolist(), practices.tolist(), averages


def _rows_at(session: Session, day: date, known: KnownResults | None):
    """The practices with QOF results at ``day``, in the order their results were first stored, and
    (practice, indicator, numerator, denominator, pca) columns of those results."""
    result = CalculatedResult
    at_day = (result.service == QOF_SERVICE, result.achievement_date == day)
    summary = session.execute(select(result.practice_id, func.count(), func.min(result.id)).where(*at_day)
                              .group_by(result.practice_id).order_by(func.min(result.id))).all()
    order = [practice_id for practice_id, _, _ in summary]
    held: dict[int, int] = {}
    if known is not None:
        for g in np.flatnonzero(np.array([d == day for d in known.dates], bool)).tolist():
            held[int(known.practice_ids[g])] = g
    columns: tuple[list, list, list, list, list] = ([], [], [], [], [])
    read = []
    for practice_id, rows, _ in summary:
        g = held.get(practice_id)
        if g is None or known.pca is None or int(known.present[g].sum()) != rows:
            read.append(practice_id)
            continue
        where = np.flatnonzero(known.present[g])
        columns[0].extend([practice_id] * len(where))
        columns[1].extend(known.indicators[i] for i in where.tolist())
        columns[2].extend(known.numerator[g, where].tolist())
        columns[3].extend(known.denominator[g, where].tolist())
        columns[4].extend(known.pca[g, where].tolist())
    numerator = result.detail["numerator"].as_integer()
    denominator = result.detail["denominator"].as_integer()
    pca = result.detail["pca"].as_integer()
    for start in range(0, len(read), 10_000):
        wanted = select(result.practice_id, result.indicator_id, numerator, denominator, pca)
        for row in session.execute(wanted
                                   .where(*at_day, result.practice_id.in_(read[start:start + 10_000]))):
            for column, value in zip(columns, row, strict=True):
                column.append(value if value is not None else 0)
    return order, columns


def _record(day: date, indicators: list[str], key: tuple[int | None, int | None], pools: dict,
            everyone: tuple[list, list, list, list]) -> dict[str, Any]:
    scoped = []
    for n, kind in enumerate(("pcn", "icb")):
        org_index, sums = pools[kind]
        row = org_index.get(key[n])
        scoped.append(None if row is None else sums[3][row])
    out = {}
    for i, indicator_id in enumerate(indicators):
        if not everyone[2][0][i]:
            continue
        out[indicator_id] = {
            "pcn": None if scoped[0] is None else scoped[0][i],
            "icb": None if scoped[1] is None else scoped[1][i],
            "all": everyone[3][0][i],
            "practices": everyone[2][0][i],
        }
    return {"service": QOF_SERVICE, "achievement_date": day.isoformat(), "indicators": out}
