"""Peer benchmarks: achievement per QOF indicator across the PCN, the ICB and every practice here.

Each average pools the counts (sum of numerators ÷ sum of denominators), so a large practice
weighs more than a small one, as in NHS England's published national achievement. "All practices"
means every practice this service holds: for a regional service that is the region, which is the
closest national figure we have. Published to each practice as one record per achievement date.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from fractions import Fraction
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.services.rules import QOF_SERVICE
from central import feed
from central.directory import ancestor
from central.models import COMMISSIONER, PCN, PRACTICE, CalculatedResult, Organisation

Pool = dict[str, list[int]]  # indicator -> [sum of numerators, sum of denominators, practices]


def publish_benchmarks(session: Session, dates: Iterable[date]) -> int:
    """Recompute and publish the benchmarks of each date; returns the number of records published."""
    practices = {p.id: p for p in session.scalars(select(Organisation).where(Organisation.kind == PRACTICE))}
    published = 0
    for day in sorted(set(dates)):
        rows = session.scalars(select(CalculatedResult).where(
            CalculatedResult.service == QOF_SERVICE, CalculatedResult.achievement_date == day))
        by_practice: dict[int, list[CalculatedResult]] = defaultdict(list)
        for row in rows:
            by_practice[row.practice_id].append(row)
        pools: dict[tuple[str, int | None], Pool] = defaultdict(dict)
        for practice_id, results in by_practice.items():
            practice = practices[practice_id]
            for scope, org in (("pcn", ancestor(practice, PCN)), ("icb", ancestor(practice, COMMISSIONER)),
                               ("all", None)):
                if scope == "all" or org is not None:
                    _add(pools[(scope, org.id if org else None)], results)
        for practice_id in by_practice:
            practice = practices[practice_id]
            pcn, icb = ancestor(practice, PCN), ancestor(practice, COMMISSIONER)
            record = _record(day, pools.get(("pcn", pcn.id)) if pcn else None,
                             pools.get(("icb", icb.id)) if icb else None, pools[("all", None)])
            feed.publish(session, practice_id, feed.BENCHMARK, f"{QOF_SERVICE}:{day.isoformat()}", record)
            published += 1
    return published


def _add(pool: Pool, results: list[CalculatedResult]) -> None:
    for row in results:
        detail = row.detail or {}
        if detail.get("denominator"):
            totals = pool.setdefault(row.indicator_id, [0, 0, 0])
            totals[0] += detail["numerator"]
            totals[1] += detail["denominator"]
            totals[2] += 1


def _record(day: date, pcn: Pool | None, icb: Pool | None, everyone: Pool) -> dict[str, Any]:
    def average(pool: Pool | None, indicator_id: str) -> str | None:
        if not pool or indicator_id not in pool:
            return None
        numerator, denominator, _ = pool[indicator_id]
        return str(Fraction(numerator, denominator))

    indicators = {
        indicator_id: {
            "pcn": average(pcn, indicator_id),
            "icb": average(icb, indicator_id),
            "all": average(everyone, indicator_id),
            "practices": everyone[indicator_id][2],
        }
        for indicator_id in sorted(everyone)
    }
    return {"service": QOF_SERVICE, "achievement_date": day.isoformat(), "indicators": indicators}
