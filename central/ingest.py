"""Extract in, results out: store an extract's counts, recalculate, publish to the sync feed.

An extract is validated whole before anything is written (``central.extract``), so a bad file
changes nothing; it may carry only what GPES extracts, each count within the limits a hand entry meets.
Re-sending the same bytes is recognised by their SHA-256 and changes nothing, but is first checked like
a new file, so only an uploader whose area covers every practice in it hears that it was loaded before.
Recalculating a practice and achievement date reads the automated counts, the counts the commissioner
set (e.g. a referral allocation) and the latest manual entries per service (e.g. the LD register),
stores the results per indicator, publishes one result record per service, and sends back any
declaration whose figures changed. A manual value counts only for an item the rules say the practice
enters by hand, never in place of an extracted count, never as a draft, and, for a service whose
entries need the commissioner's approval, only once approved; a stored automated count counts only for
an item GPES extracts.

A file may hold several QOF years: each row is checked and calculated under the rules of its achievement
date's year (``central.extract_years``), the years loaded earliest first, so that the improvement route
of a later year (VI001-VI003 in 2026/27) takes its baselines from the practice's stored 31 March results,
including those the same file has just loaded.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.services.calculation import IndicatorCounts
from app.services.rules import QOF_SERVICE, RuleSet, available_years, load_rules
from central import allocations, feed
from central import ingest_beside as beside
from central import ingest_store as store
from central.benchmarks import publish_benchmarks
from central.declarations_flow import reopen_declarations
from central.extract import Columns, ExtractError, ExtractProblem, display_name
from central.extract_years import Years, read_text_years
from central.fast_records import achievement_texts
from central.ingest_groups import (
    COUNT_KEY,
    COUNT_UPDATES,
    count_rows,
    merged_items,
    recalculate_all,
)
from central.models import (
    APPROVED,
    AUTOMATED,
    PRACTICE,
    SUBMITTED,
    AchievementCount,
    CalculatedResult,
    Change,
    ExtractUpload,
    ManualEntry,
    Organisation,
)
from central.results import claim_record, qof_record
from central.settings import Clock

__all__ = ["IngestReport", "ingest_columns", "ingest_text", "ingest_years", "list_size_at", "merged_items",
           "recalculate"]

LIST_SIZE = "LIST_SIZE"
# The command that adds a practice (named in the refusal of an extract for a practice not known here).
ADD_PRACTICE = "cqrs-central add-practice {code} --name ... --pcn ... --icb ... --list-size ..."


@dataclass(frozen=True)
class IngestReport:
    extract_id: int
    already_ingested: bool
    rows: int
    practices: tuple[str, ...]
    recalculated: int  # practice-date pairs recalculated


def ingest_text(
    session: Session,
    text: str,
    rules: RuleSet,
    *,
    clock: Clock,
    filename: str | None = None,
    uploaded_by_id: int | None = None,
    may_load: Callable[[Organisation], bool] | None = None,
) -> IngestReport:
    """Validate and store one extract, then recalculate what it touched. Raises ExtractError.

    Each row is read under the rules of its own QOF year; ``rules`` (a year the caller chose) is tried
    first, so a file of that year alone is read exactly as before.

    ``may_load`` says whether the uploader may load a practice; a practice it may not load is
    reported exactly like an unknown one, so uploaders learn nothing about other areas. The same bytes
    sent again are checked the same way before they are answered ``already_ingested``, so that answer
    never tells an uploader what was loaded for practices outside its area.
    """
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    years = read_text_years(text, rules.year, require_caps=False, extracted_only=True)
    return ingest_years(session, years, digest, clock=clock, filename=filename,
                        uploaded_by_id=uploaded_by_id, may_load=may_load)


def ingest_columns(
    session: Session,
    columns: Columns,
    digest: str,
    rules: RuleSet,
    *,
    clock: Clock,
    filename: str | None = None,
    uploaded_by_id: int | None = None,
    may_load: Callable[[Organisation], bool] | None = None,
) -> IngestReport:
    """:func:`ingest_text` for an extract of one year already checked (``digest``: SHA-256 of its text)."""
    return ingest_years(session, {rules.year: (rules, columns)}, digest, clock=clock, filename=filename,
                        uploaded_by_id=uploaded_by_id, may_load=may_load)


def ingest_years(
    session: Session,
    years: Years,
    digest: str,
    *,
    clock: Clock,
    filename: str | None = None,
    uploaded_by_id: int | None = None,
    may_load: Callable[[Organisation], bool] | None = None,
) -> IngestReport:
    """:func:`ingest_text` for an extract already checked, by QOF year (``digest``: SHA-256 of its text).

    The years are loaded earliest first, so a year's improvement-route baselines (the stored 31 March
    results of the years before) include the year ends the same file carries.
    """
    codes = sorted({code for _, columns in years.values() for code in columns.codes})
    practices = _practices_by_code(session, codes, may_load)
    previous = session.scalar(select(ExtractUpload).where(ExtractUpload.sha256 == digest))
    if previous is not None:
        return IngestReport(previous.id, True, previous.rows, (), 0)
    now = clock()
    rows = sum(columns.rows for _, columns in years.values())
    upload = ExtractUpload(
        sha256=digest, filename=display_name(filename), rows=rows, uploaded_by_id=uploaded_by_id,
        uploaded_at=now,
    )
    session.add(upload)
    session.flush()
    for year in sorted(years):
        rules, columns = years[year]
        _ingest_year(session, rules, columns, [practices[code].id for code in columns.codes], upload,
                     now, clock)
    groups = sum(len(columns.codes) for _, columns in years.values())
    groups += _recalculate_later_years(session, years, practices, clock)
    return IngestReport(upload.id, False, rows, tuple(sorted(practices)), groups)


def _recalculate_later_years(session: Session, years: Years, practices: dict[str, Organisation],
                             clock: Clock) -> int:
    """Recalculate the stored practice dates whose improvement-route baselines this file's 31 March rows
    change (of later years, not in the file); returns how many."""
    done = {(practices[code].id, day) for _, columns in years.values()
            for code, day in zip(columns.codes, columns.dates, strict=True)}
    again: dict[tuple[int, date], RuleSet] = {}
    for year, (_, columns) in years.items():
        year_end = date(int(year[:4]) + 1, 3, 31)
        ids = {practices[code].id for code, day in zip(columns.codes, columns.dates, strict=True)
               if day == year_end}
        for later in available_years():
            rules = load_rules(later)
            improvement = rules.constants.improvement
            back = max((rule.baseline_years for rule in improvement.values()), default=0)
            if not ids or not 0 < rules.year_start() - int(year[:4]) <= back:
                continue
            start = date(rules.year_start(), 4, 1)
            for group in store.stored_dates(session, ids, start, date(start.year + 1, 3, 31)):
                if group not in done:
                    again[group] = rules
    by_id = {practice.id: practice for practice in practices.values()}
    for (practice_id, day), rules in sorted(again.items()):
        recalculate(session, rules, by_id[practice_id], day, clock=clock)
    return len(again)


def _ingest_year(session: Session, rules: RuleSet, columns: Columns, ids: list[int], upload: ExtractUpload,
                 now: datetime, clock: Clock) -> None:
    """Store one year's counts, recalculate its practice dates, publish what changed."""
    stored_ends = store.year_end_achievements(session, ids, rules)
    year_ends = {code: stored_ends[i] for code, i in zip(columns.codes, ids, strict=True) if i in stored_ends}
    qof = beside.start(columns, rules, year_ends)
    try:
        store.upsert(session, AchievementCount.__table__, count_rows(columns, ids, upload.id, now), COUNT_KEY,
                     COUNT_UPDATES)
        writer = store.FeedWriter(session)
        received = upload.uploaded_at.isoformat()
        for g, text in enumerate(achievement_texts(columns, upload.filename, received)):
            writer.add(ids[g], feed.ACHIEVEMENT, columns.dates[g].isoformat(), store.Serialised(text))
        writer.flush()
        known = recalculate_all(session, rules, columns, ids, upload.id, writer, clock=clock, prepared=qof,
                                year_ends=year_ends)
    finally:
        qof.close()  # a failure before the texts were asked for leaves no process behind
    writer.flush()
    publish_benchmarks(session, set(columns.dates), known)
    _publish_rules_version(session, rules)


def recalculate(
    session: Session, rules: RuleSet, practice: Organisation, achievement_date: date, *, clock: Clock
) -> list[dict[str, Any]]:
    """Recalculate one practice at one achievement date from stored counts; publish what changed."""
    automated, manual, reasons = _stored_counts(session, rules, practice.id, achievement_date)
    commissioner = allocations.counts_at(session, practice.id, achievement_date)
    records = []
    qof = automated.get(QOF_SERVICE, {})
    if LIST_SIZE in qof:
        list_size = qof[LIST_SIZE][0]
        registers = {key[:-4]: value[0] for key, value in qof.items() if key.endswith("_REG")}
        indicator_counts = [
            IndicatorCounts(key, num, den or 0, pca or 0)
            for key, (num, den, pca) in qof.items()
            if key in rules.indicators
        ]
        year_ends = store.year_end_achievements(session, [practice.id], rules).get(practice.id)
        records.append(qof_record(rules, achievement_date, list_size, registers, indicator_counts, year_ends,
                                  reasons.get(QOF_SERVICE)))
    for service in sorted((set(automated) | set(manual) | set(commissioner)) - {QOF_SERVICE}):
        if service not in rules.services:
            continue
        rule = rules.services[service]
        # Only what GPES extracts, even from a row stored before hand-entered items were refused.
        extracted = {key: value[0] for key, value in automated.get(service, {}).items()
                     if key in rule.automatic}
        items = merged_items(rule, extracted, commissioner.get(service, {}), manual.get(service, {}))
        records.append(claim_record(rules, service, achievement_date, items))
    now = clock()
    for record in records:
        if _store_result(session, practice.id, record, now):
            key = f"{record['service']}:{record['achievement_date']}"
            feed.publish(session, practice.id, feed.RESULT, key, record)
            reopen_declarations(session, practice.id, record["service"], achievement_date, clock=clock)
    return records


def _publish_rules_version(session: Session, rules: RuleSet) -> None:
    """Tell every practice, once per year, which rules its results were calculated with."""
    published = session.scalar(
        select(Change.seq).where(Change.type == feed.RULES, Change.entity_id == rules.year)
    )
    if published is not None:
        return
    constants = rules.constants
    feed.publish(
        session,
        None,
        feed.RULES,
        rules.year,
        {
            "year": rules.year,
            "indicators": len(rules.indicators),
            "max_points": str(rules.qof_max_points),
            "value_per_point": str(constants.value_per_point_gbp),
            "national_average_list_size": str(constants.national_average_list_size),
            "aspiration_fraction": str(constants.aspiration_fraction),
            "services": sorted(rules.services),
        },
    )


# --- storing ---------------------------------------------------------------------------------


def _practices_by_code(
    session: Session, codes: list[str], may_load: Callable[[Organisation], bool] | None
) -> dict[str, Organisation]:
    found = {
        o.ods_code: o
        for o in session.scalars(
            select(Organisation).where(Organisation.ods_code.in_(codes), Organisation.kind == PRACTICE)
        )
        if may_load is None or may_load(o)
    }
    unknown = [c for c in codes if c not in found]
    if unknown:
        raise ExtractError(
            [
                ExtractProblem(
                    None,
                    f"practice {code} is not known to this service; ask the service administrator to add it "
                    f"({ADD_PRACTICE.format(code=code)})",
                )
                for code in unknown
            ]
        )
    return found


def list_size_at(session: Session, practice_id: int, day: date) -> int | None:
    """The practice's latest extracted LIST_SIZE at or before ``day`` (None when none has arrived)."""
    return session.scalar(
        select(AchievementCount.numerator)
        .where(
            AchievementCount.practice_id == practice_id,
            AchievementCount.service == QOF_SERVICE,
            AchievementCount.indicator_id == LIST_SIZE,
            AchievementCount.achievement_date <= day,
            AchievementCount.source == AUTOMATED,
        )
        .order_by(AchievementCount.achievement_date.desc())
        .limit(1)
    )


def _stored_counts(session: Session, rules: RuleSet, practice_id: int, day: date):
    """Automated counts {service: {item: (num, den, pca)}}, manual items {service: {item: count}} and the
    automated PCA counts by reason {service: {item: {code: count}}} where the extract gave them.

    Drafts never count; entries of a service needing approval count once approved.
    """
    automated: dict[str, dict[str, tuple[int, int | None, int | None]]] = {}
    reasons: dict[str, dict[str, dict[str, int]]] = {}
    for row in session.scalars(
        select(AchievementCount).where(
            AchievementCount.practice_id == practice_id,
            AchievementCount.achievement_date == day,
            AchievementCount.source == AUTOMATED,
        )
    ):
        automated.setdefault(row.service, {})[row.indicator_id] = (row.numerator, row.denominator, row.pca)
        if row.pca_reasons:
            reasons.setdefault(row.service, {})[row.indicator_id] = row.pca_reasons
    manual: dict[str, dict[str, int]] = {}
    entries = session.scalars(
        select(ManualEntry)
        .where(
            ManualEntry.practice_id == practice_id,
            ManualEntry.achievement_date == day,
            ManualEntry.status.in_((SUBMITTED, APPROVED)),
        )
        .order_by(ManualEntry.updated_at)
    )
    for entry in entries:  # later entries win
        service = rules.services.get(entry.service)
        if service is None or (service.approval_required and entry.status != APPROVED):
            continue
        manual.setdefault(entry.service, {}).update(
            {k: int(v) for k, v in entry.values.items() if isinstance(v, int) and not isinstance(v, bool)}
        )
    return automated, manual, reasons


def _store_result(session: Session, practice_id: int, record: dict[str, Any], now) -> bool:
    """Store the per-indicator (or per-claim) rows; True when anything changed."""
    day = date.fromisoformat(record["achievement_date"])
    rows = (
        [(i["indicator_id"], i["points"], i["payment"], i) for i in record["indicators"]]
        if record["service"] == QOF_SERVICE
        else [(record["item"], "0", record["payment"], record)]
    )
    changed = False
    for indicator_id, points, payment, detail in rows:
        row = session.scalar(
            select(CalculatedResult).where(
                CalculatedResult.practice_id == practice_id,
                CalculatedResult.service == record["service"],
                CalculatedResult.indicator_id == indicator_id,
                CalculatedResult.achievement_date == day,
            )
        )
        if row is None:
            row = CalculatedResult(
                practice_id=practice_id,
                service=record["service"],
                indicator_id=indicator_id,
                achievement_date=day,
            )
            session.add(row)
        elif row.points == points and row.payment == payment and row.detail == detail:
            continue
        row.points, row.payment, row.detail, row.calculated_at = points, payment, detail, now
        changed = True
    return changed
