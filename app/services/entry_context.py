"""What the desktop knows about a practice that shapes its manual-entry forms, read from the synced cache:
whether the practice requires a second person's check (a setting held by CQRS, in the practice record),
its list size at each achievement date (from the extracts' achievement records, or the QOF results), and
the counts CQRS already holds per service and date (e.g. the allocation the commissioner set).

No Qt. :func:`practice_context` reads the cache: run it on the database worker.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from app.services import cache_store
from app.services.record_types import ACHIEVEMENT, PRACTICE, RESULT

LIST_SIZE, QOF = "LIST_SIZE", "QOF"


@dataclass(frozen=True)
class PracticeContext:
    second_person_required: bool = False
    list_sizes: Mapping[date, int] = field(default_factory=dict)  # achievement date -> registered list
    counts: Mapping[tuple[str, date], Mapping[str, int]] = field(default_factory=dict)  # synced claim items

    def list_size_at(self, when: date) -> int | None:
        """The latest list size at or before ``when`` (as the service uses it); None when not synced."""
        known = [day for day in self.list_sizes if day <= when]
        return self.list_sizes[max(known)] if known else None

    def counts_at(self, service: str, when: date) -> dict[str, int]:
        return dict(self.counts.get((service, when), {}))


def practice_context(ods: str) -> PracticeContext:
    """The practice's context from the cache (an empty one before the first sync)."""
    record = cache_store.record(ods, PRACTICE, ods) or {}
    list_sizes: dict[date, int] = {}
    for result in cache_store.records(ods, RESULT):
        when = _day(result.get("achievement_date"))
        if when is not None and result.get("service") == QOF and _count(result.get("list_size")) is not None:
            list_sizes[when] = int(result["list_size"])
    for achievement in cache_store.records(ods, ACHIEVEMENT):  # the extract itself, where it was synced
        when = _day(achievement.get("achievement_date"))
        row = ((achievement.get("counts") or {}).get(QOF) or {}).get(LIST_SIZE)
        if when is not None and isinstance(row, list) and row and _count(row[0]) is not None:
            list_sizes[when] = int(row[0])
    counts: dict[tuple[str, date], dict[str, int]] = {}
    for result in cache_store.records(ods, RESULT):
        when, items = _day(result.get("achievement_date")), result.get("items")
        if when is not None and isinstance(items, dict) and result.get("service") != QOF:
            counts[(str(result.get("service")), when)] = {
                str(k): int(v) for k, v in items.items() if _count(v) is not None}
    return PracticeContext(bool(record.get("second_person_required")), list_sizes, counts)


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None
