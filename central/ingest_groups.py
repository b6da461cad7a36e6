"""Ingest for every practice and date of an extract at once: count rows, achievement records, results.

What ``ingest.recalculate`` does for one practice date, done for all of them from whole-extract arrays:
the stored counts of earlier extracts, the commissioner's counts and the manual entries that count are
each read with one query; QOF records come from ``central.fast_records``; claims are built once per
distinct set of counts; only results that changed are written (one upsert) and published, and a
declaration they touch is sent back as ``reopen_declarations`` does.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from fractions import Fraction
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from app.services.rules import QOF_SERVICE, RuleSet, Service
from central import feed
from central import ingest_store as store
from central.benchmarks import KnownResults
from central.declarations_flow import reopen_declarations
from central.extract_columns import EMPTY, Columns
from central.fast_records import qof_records
from central.models import AUTOMATED, CalculatedResult, ExtractUpload
from central.results import claim_record, with_pca_reasons
from central.settings import Clock

COUNT_KEY = ("practice_id", "service", "indicator_id", "achievement_date", "source")
RESULT_KEY = ("practice_id", "service", "indicator_id", "achievement_date")
RESULT_COLUMNS = (*RESULT_KEY, "points", "payment", "detail")
YearEnds = Mapping[str, Mapping[str, Mapping[str, Fraction]]]  # per practice code: calculate_qof's year_ends


def _order(columns: Columns) -> list[int]:
    """Columns in the order an achievement record lists them: LIST_SIZE, registers, indicators, items."""
    layout = columns.layout
    registers = list(range(layout.list_column + 1, layout.list_column + 1 + len(layout.registers)))
    return [layout.list_column, *registers, *range(layout.list_column),
            *range(registers[-1] + 1 if registers else layout.list_column + 1, len(layout.keys))]


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


def achievement_records(columns: Columns, upload: ExtractUpload) -> list[dict[str, Any]]:
    """The counts the extract carried for each practice and date, as received."""
    order = _order(columns)
    keys = columns.layout.keys
    received = upload.uploaded_at.isoformat()
    records = []
    for g, day in enumerate(columns.dates):
        has = columns.present[g].tolist()
        num, den, pca = (a[g].tolist() for a in (columns.numerator, columns.denominator, columns.pca))
        services: dict[str, dict[str, list[int | None]]] = {}
        for c in order:
            if has[c]:
                service, item = keys[c]
                services.setdefault(service, {})[item] = [num[c], None if den[c] == EMPTY else den[c],
                                                          None if pca[c] == EMPTY else pca[c]]
        records.append({"achievement_date": day.isoformat(), "extract": upload.filename,
                        "received_at": received, "counts": services})
    return records


def merged_items(service: Service, extracted: Mapping[str, int], commissioner: Mapping[str, int],
                 manual: Mapping[str, int]) -> dict[str, int]:
    """The counts a claim is calculated from: extracted counts always beat manual ones for the same item;
    an item the commissioner sets takes the commissioner's value (else the extract's); a manual value
    counts only for an item the practice enters by hand."""
    items = {item: count for item, count in manual.items() if item in service.manual}
    items.update(extracted)
    items.update({item: count for item, count in commissioner.items() if item in service.commissioner})
    return items


def prepared_qof(columns: Columns, rules: RuleSet, year_ends: YearEnds | None = None
                 ) -> list[tuple[dict[str, Any], store.Serialised]]:
    """The QOF record of each group with its JSON (pure: may run beside the database writes);
    ``year_ends``: per practice code, the improvement route's baselines."""
    records = qof_records(columns, rules, year_ends)
    if columns.pca_reasons:
        grouped: dict[tuple[str, date], dict[str, Mapping[str, int]]] = {}
        for (code, day, indicator_id), reasons in columns.pca_reasons.items():
            grouped.setdefault((code, day), {})[indicator_id] = reasons
        for code, day, record in zip(columns.codes, columns.dates, records, strict=True):
            with_pca_reasons(record["indicators"], grouped.get((code, day)))
    return [_serialised(record) for record in records]


def recalculate_all(session: Session, rules: RuleSet, columns: Columns, ids: list[int], upload_id: int,
                    writer: store.FeedWriter, *, clock: Clock,
                    prepared: list | None = None, year_ends: YearEnds | None = None) -> KnownResults:
    """Recalculate every practice date of ``columns`` from what is stored now; publish what changed.

    ``prepared``: :func:`prepared_qof` of ``columns`` (with ``year_ends``), used unless earlier extracts
    add counts.
    Returns the QOF results' counts, for the benchmarks.
    """
    groups = set(zip(ids, columns.dates, strict=True))
    earlier = store.other_automated(session, groups, upload_id)
    if earlier or prepared is None:
        columns = _with_earlier_counts(columns, ids, earlier)
        prepared = prepared_qof(columns, rules, year_ends)
    commissioner = store.commissioner_counts(session, groups)
    manual = store.manual_counts(session, rules, groups)
    stored = store.stored_results(session, groups)
    declared = store.reopenable(session, groups)
    claims: dict[tuple, dict[str, Any]] = {}
    now = clock()
    changed_rows: store.Rows = {name: [] for name in RESULT_COLUMNS}
    for g, (practice_id, day) in enumerate(zip(ids, columns.dates, strict=True)):
        records = [prepared[g]]
        extracted = _extracted(columns, g, rules)
        group = (practice_id, day)
        for code in sorted((set(extracted) | set(manual.get(group, {})) | set(commissioner.get(group, {})))
                           - {QOF_SERVICE}):
            if code not in rules.services:
                continue
            items = merged_items(rules.services[code], extracted.get(code, {}),
                                 commissioner.get(group, {}).get(code, {}),
                                 manual.get(group, {}).get(code, {}))
            key = (code, day, tuple(sorted(items.items())))
            if key not in claims:
                claim = claim_record(rules, code, day, items)
                claims[key] = (claim, store.Serialised(store.encode_json(claim), claim))
            records.append(claims[key])
        for record, text in records:
            if not _changed(practice_id, day, record, text, stored, changed_rows):
                continue
            writer.add(practice_id, feed.RESULT, f"{record['service']}:{record['achievement_date']}", text)
            if (practice_id, record["service"], day) in declared:
                writer.flush()
                reopen_declarations(session, practice_id, record["service"], day, clock=clock)
    changed_rows["calculated_at"] = [now] * len(changed_rows["practice_id"])
    store.upsert(session, CalculatedResult.__table__, changed_rows, RESULT_KEY,
                 ("points", "payment", "detail", "calculated_at"))
    width = len(columns.layout.indicators)
    return KnownResults(np.array(ids, np.int64), columns.dates, columns.layout.indicators,
                        columns.present[:, :width], columns.numerator[:, :width],
                        columns.denominator[:, :width], columns.pca[:, :width])


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


def _serialised(record: dict[str, Any]) -> tuple[dict[str, Any], store.Serialised]:
    """A QOF record with its JSON, each indicator's JSON made once for the record and its result row."""
    parts = [store.encode_json(i) for i in record["indicators"]]
    head = store.encode_json({**record, "indicators": []})  # "indicators" is the last key
    text = head.removesuffix("[]}") + "[" + ",".join(parts) + "]}"
    record["_parts"] = parts
    return record, store.Serialised(text, record)


def _changed(practice_id: int, day: date, record: dict[str, Any], text: store.Serialised, stored: dict,
             out: store.Rows) -> bool:
    """Add to ``out`` the result rows of ``record`` that differ from what is stored (as
    ``ingest._store_result``); True when there are any."""
    if record["service"] == QOF_SERVICE:
        parts = record.pop("_parts")
        rows = [(i["indicator_id"], i["points"], i["payment"], i, store.Serialised(part, i))
                for i, part in zip(record["indicators"], parts, strict=True)]
    else:
        rows = [(record["item"], "0", record["payment"], record, text)]
    service = record["service"]
    if stored:
        rows = [r for r in rows if stored.get((practice_id, service, r[0], day)) != (r[1], r[2], r[3])]
    for name, values in (("practice_id", [practice_id] * len(rows)), ("service", [service] * len(rows)),
                         ("indicator_id", [r[0] for r in rows]), ("achievement_date", [day] * len(rows)),
                         ("points", [r[1] for r in rows]), ("payment", [r[2] for r in rows]),
                         ("detail", [r[4] for r in rows])):
        out[name] += values
    return bool(rows)


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
