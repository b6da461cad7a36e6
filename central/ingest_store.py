"""Set-based writes and reads for ingest: one ``INSERT … ON CONFLICT DO UPDATE`` per table for all rows,
feed records appended in bulk, and what a recalculation reads fetched for every practice at once.

SQLite and PostgreSQL both take the same upsert (``sqlalchemy.dialects.*.insert``); rows go in batches
so that no statement outgrows either database's limits.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from fractions import Fraction
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.services.improvement import baseline_dates
from app.services.rules import QOF_SERVICE, RuleSet
from central import feed
from central.allocations import COMMISSIONER_SET
from central.declarations_flow import REOPENABLE
from central.models import (
    APPROVED,
    AUTOMATED,
    SUBMITTED,
    AchievementCount,
    CalculatedResult,
    Change,
    Declaration,
    ManualEntry,
)

BATCH = 5000
# One encoder for every JSON value written in bulk: compact, and no check for cycles (plain data).
encode_json = json.JSONEncoder(check_circular=False, separators=(",", ":")).encode
Group = tuple[int, date]  # practice id, achievement date


Rows = dict[str, list[Any]]  # column name -> one value per row, every list the same length


def upsert(session: Session, table: Table, rows: Rows, keys: Sequence[str], updates: Sequence[str]) -> None:
    """Insert ``rows``, updating ``updates`` where a row with the same ``keys`` exists already."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    insert = dialect.insert(table)
    write_many(session, insert.on_conflict_do_update(index_elements=list(keys),
                                                     set_={c: insert.excluded[c] for c in updates}), rows)


def write_many(session: Session, statement, rows: Rows) -> None:
    """Run one INSERT for all ``rows`` (batches of ``BATCH``): compiled once, each column's values
    converted for the database once per column, then handed to the driver's executemany. A column of
    :class:`JsonTexts` goes in as the text it holds."""
    count = len(next(iter(rows.values()), []))
    if not count:
        return
    dialect = session.get_bind().dialect
    compiled = statement.compile(dialect=dialect, column_keys=list(rows))
    if not compiled.positional:  # e.g. psycopg: SQLAlchemy's own executemany is already set-based
        plain = {k: c.values() if isinstance(c, JsonTexts) else c for k, c in rows.items()}
        for start in range(0, count, BATCH):
            batch = zip(*(column[start:start + BATCH] for column in plain.values()), strict=True)
            session.execute(statement, [dict(zip(plain, values, strict=True)) for values in batch])
        return
    table = statement.table
    names = list(compiled.positiontup)
    connection = session.connection()
    for start in range(0, count, BATCH):
        values = []
        for name in names:
            column = rows[name][start:start + BATCH]
            process = not isinstance(rows[name], JsonTexts) and table.c[name].type._cached_bind_processor(
                dialect)
            values.append(_converted(column, process) if process else column)
        connection.exec_driver_sql(compiled.string, list(zip(*values, strict=True)))


class JsonTexts(list):
    """A JSON column's values already written as JSON text (so never encoded again)."""

    def values(self) -> list[Any]:
        """The values the texts stand for (for a driver that takes them as objects)."""
        return [None if text is None else json.loads(text) for text in self]


class Serialised:
    """A JSON value already written as text (shared by several rows); the value it stands for is read
    from the text only when something asks for it."""

    __slots__ = ("_value", "text")

    def __init__(self, text: str, value: Any = None) -> None:
        self.text, self._value = text, value

    @property
    def value(self) -> Any:
        if self._value is None:
            self._value = json.loads(self.text)
        return self._value


def _converted(column: list[Any], process) -> list[Any]:
    """Each value as the database takes it; a value repeated down the column (a date) converted once."""
    try:
        done: dict[Any, Any] = {}
        return [done[v] if v in done else done.setdefault(v, process(v)) for v in column]
    except TypeError:  # JSON objects: unhashable
        return [process(v) for v in column]


class FeedWriter:
    """Feed records appended in order, many per statement; :meth:`flush` before anyone else publishes."""

    def __init__(self, session: Session) -> None:
        self.session, self.first = session, True
        self.pending: list[tuple[int | None, str, str, str]] = []

    def add(self, practice_id: int | None, type: str, id: object, data: dict[str, Any] | Serialised) -> None:
        if self.first:
            # The first goes through feed.publish, which takes PostgreSQL's feed lock for the transaction.
            value = data.value if isinstance(data, Serialised) else data
            feed.publish(self.session, practice_id, type, id, value)
            self.first = False
            return
        text = data.text if isinstance(data, Serialised) else encode_json(data)
        self.pending.append((practice_id, type, str(id), text))

    def flush(self) -> None:
        if self.pending:
            practice, kind, entity, data = (list(column) for column in zip(*self.pending, strict=True))
            now = datetime.now(UTC)
            write_many(self.session, Change.__table__.insert(),
                       {"practice_id": practice, "type": kind, "entity_id": entity, "data": JsonTexts(data),
                        "deleted": [False] * len(data), "created_at": [now] * len(data)})
            self.pending = []


def _where_groups(column_practice, column_date, groups: Iterable[Group]):
    practices = sorted({p for p, _ in groups})
    days = sorted({d for _, d in groups})
    return column_practice.in_(practices), column_date.in_(days)


def other_automated(session: Session, groups: set[Group], upload_id: int) -> list:
    """Extracted counts stored for these practice dates by earlier extracts (not overwritten by this one)."""
    if not groups:
        return []
    where = _where_groups(AchievementCount.practice_id, AchievementCount.achievement_date, groups)
    count = AchievementCount
    earlier = (count.extract_id != upload_id) | count.extract_id.is_(None)
    rows = session.execute(select(count.practice_id, count.achievement_date, count.service,
                                  count.indicator_id, count.numerator, count.denominator, count.pca,
                                  count.pca_reasons)
                           .where(*where, count.source == AUTOMATED, earlier).order_by(count.id))
    return [r for r in rows if (r.practice_id, r.achievement_date) in groups]


def commissioner_counts(session: Session, groups: set[Group]) -> dict[Group, dict[str, dict[str, int]]]:
    """What ``allocations.counts_at`` gives, for every practice date at once."""
    found: dict[Group, dict[str, dict[str, int]]] = {}
    if not groups:
        return found
    where = _where_groups(AchievementCount.practice_id, AchievementCount.achievement_date, groups)
    for r in session.execute(select(AchievementCount.practice_id, AchievementCount.achievement_date,
                                    AchievementCount.service, AchievementCount.indicator_id,
                                    AchievementCount.numerator)
                             .where(*where, AchievementCount.source == COMMISSIONER_SET)
                             .order_by(AchievementCount.id)):
        group = (r.practice_id, r.achievement_date)
        if group in groups:
            found.setdefault(group, {}).setdefault(r.service, {})[r.indicator_id] = r.numerator
    return found


def manual_counts(session: Session, rules: RuleSet,
                  groups: set[Group]) -> dict[Group, dict[str, dict[str, int]]]:
    """The manual items that count, per practice date, as ``ingest._stored_counts`` reads them."""
    found: dict[Group, dict[str, dict[str, int]]] = {}
    if not groups:
        return found
    where = _where_groups(ManualEntry.practice_id, ManualEntry.achievement_date, groups)
    counting = ManualEntry.status.in_((SUBMITTED, APPROVED))
    query = select(ManualEntry).where(*where, counting).order_by(ManualEntry.updated_at)
    for entry in session.scalars(query):
        group = (entry.practice_id, entry.achievement_date)
        service = rules.services.get(entry.service)
        if group not in groups or service is None or (service.approval_required and entry.status != APPROVED):
            continue
        found.setdefault(group, {}).setdefault(entry.service, {}).update(
            {k: int(v) for k, v in entry.values.items() if isinstance(v, int) and not isinstance(v, bool)})
    return found


def stored_results(session: Session, groups: set[Group]) -> dict[tuple[int, str, str, date], tuple]:
    """(practice, service, indicator, date) -> (points, payment, detail) of the results stored now."""
    if not groups:
        return {}
    result = CalculatedResult
    where = _where_groups(result.practice_id, result.achievement_date, groups)
    rows = session.execute(select(result.practice_id, result.service, result.indicator_id,
                                  result.achievement_date, result.points, result.payment, result.detail)
                           .where(*where))
    return {(r[0], r[1], r[2], r[3]): (r[4], r[5], r[6]) for r in rows}


def reopenable(session: Session, groups: set[Group]) -> set[tuple[int, str, date]]:
    """(practice, service, date) of declarations a recalculation would send back."""
    if not groups:
        return set()
    where = _where_groups(Declaration.practice_id, Declaration.achievement_date, groups)
    rows = session.execute(select(Declaration.practice_id, Declaration.service, Declaration.achievement_date)
                           .where(*where, Declaration.status.in_(REOPENABLE)))
    return {(p, s, d) for p, s, d in rows if (p, d) in groups}


def year_end_achievements(session: Session, practice_ids: Iterable[int],
                          rules: RuleSet) -> dict[int, dict[str, dict[str, Fraction]]]:
    """Per practice: the stored achievement % at 31 March of the years before ``rules.year``, for each
    indicator with an improvement route (``calculate_qof``'s ``year_ends``); empty without such a route."""
    improvement = rules.constants.improvement
    ids = sorted(set(practice_ids))
    if not improvement or not ids:
        return {}
    ends = baseline_dates(rules)
    result = CalculatedResult
    rows = session.execute(select(result.practice_id, result.indicator_id, result.achievement_date,
                                  result.detail)
                           .where(result.practice_id.in_(ids), result.service == QOF_SERVICE,
                                  result.indicator_id.in_(sorted(improvement)),
                                  result.achievement_date.in_(sorted(ends))))
    found: dict[int, dict[str, dict[str, Fraction]]] = {}
    for practice_id, indicator_id, day, detail in rows:
        achievement = (detail or {}).get("achievement")
        if achievement is not None:  # an empty cohort at year end gives no baseline
            found.setdefault(practice_id, {}).setdefault(indicator_id, {})[ends[day]] = (
                Fraction(achievement) * 100)
    return found


def stored_dates(session: Session, practice_ids: Iterable[int], first: date, last: date) -> list[Group]:
    """(practice, achievement date) of every extracted count stored between ``first`` and ``last``."""
    ids = sorted(set(practice_ids))
    if not ids:
        return []
    count = AchievementCount
    rows = session.execute(select(count.practice_id, count.achievement_date).distinct()
                           .where(count.practice_id.in_(ids), count.source == AUTOMATED,
                                  count.achievement_date.between(first, last))
                           .order_by(count.practice_id, count.achievement_date))
    return [(p, d) for p, d in rows]
