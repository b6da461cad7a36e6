"""The QOF records' JSON made in a second process (``central.ingest_beside``) is exactly what this process
makes, and a failure there stops the ingest with the reason instead of loading anything."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import pytest

from app.services.rules import load_rules
from benchmarks.national_extract import create_practices, extract_lines
from central import ingest_beside, ingest_store
from central.db import make_engine, make_sessionmaker, migrate
from central.extract import parse_columns
from central.fast_records import qof_texts
from central.ingest import ingest_columns
from central.seed import demo_clock

RULES = load_rules("2025-26")


@pytest.fixture
def columns(monkeypatch):
    monkeypatch.setattr(ingest_beside, "MIN_GROUPS", 1)  # the process even for a small extract
    return parse_columns("".join(extract_lines(practices=30)), RULES)


def test_the_other_process_makes_the_same_texts(columns) -> None:
    made = ingest_beside.start(columns, RULES, {})()
    assert made == qof_texts(columns, RULES)
    assert len(made) == 30 and made[0].text.startswith('{"service":"QOF","year":"2025-26"')


def test_rules_other_than_the_shipped_year_are_used_here(columns) -> None:
    changed = replace(RULES, constants=replace(RULES.constants, value_per_point_gbp=Fraction(25000, 100)))
    made = ingest_beside.start(columns, changed, {})()
    assert made == qof_texts(columns, changed) != qof_texts(columns, RULES)


def test_a_failure_there_is_raised_here_with_its_reason(columns) -> None:
    unknown_year = replace(columns, year="1999-00")  # the other process finds no rules for it
    with pytest.raises(RuntimeError, match="nothing was loaded.*1999-00"):
        ingest_beside.start(unknown_year, RULES, {})()


def test_a_very_large_extract_is_made_here(columns, monkeypatch) -> None:
    # Held in both processes at once otherwise: here the job that fails in the other process succeeds.
    monkeypatch.setattr(ingest_beside, "MAX_GROUPS", 29)
    unknown_year = replace(columns, year="1999-00")
    assert ingest_beside.start(unknown_year, RULES, {})() == qof_texts(unknown_year, RULES)


def test_closed_before_the_texts_are_asked_for_it_leaves_no_process_or_file(columns) -> None:
    # As when storing the counts fails: the ingest closes it on its way out.
    texts = ingest_beside.start(columns, RULES, {})
    process, path = texts.process, texts.path
    assert process is not None and process.is_alive()
    texts.close()
    assert not process.is_alive() and not Path(path).exists()
    texts.close()  # twice is harmless


def test_a_failed_ingest_closes_it(columns, monkeypatch) -> None:
    started: list[ingest_beside.Texts] = []
    real_start = ingest_beside.start
    monkeypatch.setattr(ingest_beside, "start", lambda *a: started.append(real_start(*a)) or started[-1])
    monkeypatch.setattr(ingest_store, "upsert", _refuse)
    engine = make_engine("sqlite://")
    migrate(engine)
    create_practices(engine, [c for c in dict.fromkeys(columns.codes)])
    with make_sessionmaker(engine).begin() as session, pytest.raises(RuntimeError, match="disk full"):
        ingest_columns(session, columns, "0" * 64, RULES, clock=demo_clock())
    assert started and started[0].process is None  # closed: the other process ended


def _refuse(*_args, **_kwargs) -> None:
    raise RuntimeError("disk full")
