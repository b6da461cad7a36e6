"""Ingest for every practice and date of an extract at once: count rows and results.

What ``ingest.recalculate`` does for one practice date, done for all of them from whole-extract arrays:
the stored counts of earlier extracts, the commissioner's counts and the manual entries that count are
each read with one query; QOF records come from ``central.fast_records`` as JSON text; claims are built
once per distinct set of counts; only results that changed are written (one upsert) and published, and a
declaration they touch is sent back as ``reopen_declarations`` does.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from app.services.rules import QOF_SERVICE, RuleSet, Service
from central import feed
from central import ingest_store as store
from central.benchmarks import KnownResults
from central.declarations_flow import reopen_declarations
from central.extract_columns import EMPTY, Columns
from central.fast_records import QofText, YearEnds, qof_texts
from central.models import AUTOMATED, CalculatedResult
from central.results import claim_record
from central.settings import Clock

COUNT_KEY = ("practice_id", "service", "indicator_id", "achievement_date", "source")
COUNT_UPDATES = ("numerator", "denominator", "pca", "pca_reasons", "extract_id", "updated_at")
RESULT_KEY = ("practice_id", "service", "indicator_id", "achievement_date")
RESULT_COLUMNS = (*RESULT_KEY, "points", "payment", "detail")


def count_rows(columns: Columns, ids: list[int], extract_id: int, now: datetime) -> store.Rows:
    """One achievement_counts row per count in the extract, as columns."""
    g_index, c_index = np.nonzero(columns.present)
    keys, dates, practice = columns.layout.keys, np.array(columns.dates, object), np.array(ids, object)
    service = np.array([k[0] for k in keys], object)
    item = np.array([k[1] for k in keys], object)

    def counts(values: np.ndarray) -> list:
        picked = values[g_index, c_index].astype(object)
        picked[picked == EMPTY] = None
        return picked.tolist()

    reasons = columns.pca_reasons
    by_reason = ([reasons.get((columns.codes[g], columns.dates[g], keys[c][1]))
                  for g, c in zip(g_index.tolist(), c_index.tolist(), strict=True)]
                 if reasons else [None] * len(g_index))
    return {"practice_id": practice[g_index].tolist(), "service": service[c_index].tolist(),
            "indicator_id": item[c_index].tolist(), "achievement_date": dates[g_index].tolist(),
            "numerator": columns.numerator[g_index, c_index].tolist(),
            "denominator": counts(columns.denominator), "pca": counts(columns.pca),
            "pca_reasons": by_reason,
            "source": [AUTOMATED] * len(g_index), "extract_id": [extract_id] * len(g_index),
            "updated_at": [now] * len(g_index)}


def merged_items(service: Service, extracted: Mapping[str, int], commissioner: Mapping[str, int],
                 manual: Mapping[str, int]) -> dict[str, int]:
    """The counts a claim is calculated from: extracted counts always beat manual ones for the same item;
    an item the commissioner sets takes the commissioner's value (else the extract's); a manual value
    counts only for an item the practice enters by hand."""
    items = {item: count for item, count in manual.items() if item in service.manual}
    items.update(extracted)
    items.update({item: count for item, count in commissioner.items() if item in service.commissioner})
    return items


def recalculate_all(session: Session, rules: RuleSet, columns: Columns, ids: list[int], upload_id: int,
                    writer: store.FeedWriter, *, clock: Clock,
                    prepared: Callable[[], list[QofText]] | None = None,
                    year_ends: YearEnds | None = None) -> KnownResults:
    """Recalculate every practice date of ``columns`` from what is stored now; publish what changed.

    ``prepared`` waits for ``fast_records.qof_texts`` of ``columns`` (with ``year_ends``), made elsewhere
    meanwhile; they are used unless earlier extracts add counts.
    Returns the QOF results' counts, for the benchmarks.
    """
    groups = set(zip(ids, columns.dates, strict=True))
    earlier = store.other_automated(session, groups, upload_id)
    columns = _with_earlier_counts(columns, ids, earlier)
    commissioner = store.commissioner_counts(session, groups)
    manual = store.manual_counts(session, rules, groups)
    stored = store.stored_results(session, groups)
    declared = store.reopenable(session, groups)
    claims = _claims(rules, columns, ids, commissioner, manual)
    qof = prepared() if prepared else None
    if earlier or qof is None:
        qof = qof_texts(columns, rules, year_ends)
    now = clock()
    changed_rows: store.Rows = {name: [] for name in RESULT_COLUMNS}
    changed_rows["detail"] = store.JsonTexts()
    for g, (practice_id, day) in enumerate(zip(ids, columns.dates, strict=True)):
        for service, record in [(QOF_SERVICE, qof[g]), *claims[g]]:
            text = _changed(practice_id, day, service, record, stored, changed_rows)
            if text is None:
                continue
            writer.add(practice_id, feed.RESULT, f"{service}:{day.isoformat()}", text)
            if (practice_id, service, day) in declared:
                writer.flush()
                reopen_declarations(session, practice_id, service, day, clock=clock)
    changed_rows["calculated_at"] = [now] * len(changed_rows["practice_id"])
    store.upsert(session, CalculatedResult.__table__, changed_rows, RESULT_KEY,
                 ("points", "payment", "detail", "calculated_at"))
    width = len(columns.layout.indicators)
    return KnownResults(np.array(ids, np.int64), columns.dates, columns.layout.indicators,
                        columns.present[:, :width], columns.numerator[:, :width],
                        columns.denominator[:, :width], columns.pca[:, :width])


Claim = tuple[str, tuple[dict[str, Any], store.Serialised]]  # service, the claim record and its JSON


def _claims(rules: RuleSet, columns: Columns, ids: list[int], commissioner: dict, manual: dict
            ) -> list[list[Claim]]:
    """Each group's claims (V&I and enhanced services), each distinct one built and written once."""
    built: dict[tuple, tuple[dict[str, Any], store.Serialised]] = {}
    found = []
    for g, (practice_id, day) in enumerate(zip(ids, columns.dates, strict=True)):
        extracted = _extracted(columns, g, rules)
        group = (practice_id, day)
        own = []
        for code in sorted((set(extracted) | set(manual.get(group, {})) | set(commissioner.get(group, {})))
                           - {QOF_SERVICE}):
            if code not in rules.services:
                continue
            items = merged_items(rules.services[code], extracted.get(code, {}),
                                 commissioner.get(group, {}).get(code, {}),
                                 manual.get(group, {}).get(code, {}))
            key = (code, day, tuple(sorted(items.items())))
            if key not in built:
                claim = claim_record(rules, code, day, items)
                built[key] = (claim, store.Serialised(store.encode_json(claim), claim))
            own.append((code, built[key]))
        found.append(own)
    return found


def _extracted(columns: Columns, g: int, rules: RuleSet) -> dict[str, dict[str, int]]:
    """The stored extracted items of one group per service (only those GPES extracts)."""
    layout, found = columns.layout, {}
    start = layout.list_column + 1 + len(layout.registers)
    has, num = columns.present[g], columns.numerator[g]
    for c in np.flatnonzero(has[start:]).tolist():
        service, item = layout.keys[start + c]
        found.setdefault(service, {})
        if item in rules.services[service].automatic:
            found[service][item] = int(num[start + c])
    return found


def _changed(practice_id: int, day: date, service: str,
             record: QofText | tuple[dict[str, Any], store.Serialised], stored: dict,
             out: store.Rows) -> store.Serialised | None:
    """Add to ``out`` the result rows of ``record`` that differ from what is stored (as
    ``ingest._store_result``); the record's JSON when there are any, else None."""
    if isinstance(record, QofText):
        text = store.Serialised(record.text)
        rows = list(zip(record.indicator_ids, record.points, record.payments, record.parts, strict=True))
    else:
        claim, text = record
        rows = [(claim["item"], "0", claim["payment"], text.text)]
    if stored:
        rows = [r for r in rows if _differs(stored.get((practice_id, service, r[0], day)), r)]
    for name, values in (("practice_id", [practice_id] * len(rows)), ("service", [service] * len(rows)),
                         ("indicator_id", [r[0] for r in rows]), ("achievement_date", [day] * len(rows)),
                         ("points", [r[1] for r in rows]), ("payment", [r[2] for r in rows]),
                         ("detail", [r[3] for r in rows])):
        out[name] += values
    return text if rows else None


def _differs(stored: tuple | None, row: tuple) -> bool:
    """Whether a result row (indicator, points, payment, detail's JSON) differs from the stored (points,
    payment, detail); the JSON is read only when points and payment are the same."""
    return stored is None or stored[:2] != row[1:3] or stored[2] != json.loads(row[3])


def _with_earlier_counts(columns: Columns, ids: list[int], rows: list) -> Columns:
    """``columns`` with the counts earlier extracts stored for the same practice dates filled in."""
    if not rows:
        return columns
    index = {key: n for n, key in enumerate(columns.layout.keys)}
    group_of = {(p, d): g for g, (p, d) in enumerate(zip(ids, columns.dates, strict=True))}
    present, arrays = columns.present.copy(), [a.copy() for a in (columns.numerator, columns.denominator,
                                                                  columns.pca)]
    reasons = dict(columns.pca_reasons)
    for r in rows:
        c, g = index.get((r.service, r.indicator_id)), group_of[(r.practice_id, r.achievement_date)]
        if c is None or present[g, c]:
            continue
        present[g, c] = True
        if r.pca_reasons:
            reasons[(columns.codes[g], r.achievement_date, r.indicator_id)] = r.pca_reasons
        for array, value in zip(arrays, (r.numerator, r.denominator, r.pca), strict=True):
            array[g, c] = EMPTY if value is None else value
    return Columns(columns.year, columns.layout, columns.codes, columns.dates, present, *arrays, columns.rows,
                   reasons)
