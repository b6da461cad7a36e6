"""The QOF records' JSON made in a second process (``central.ingest_beside``) is exactly what this process
makes, and a failure there stops the ingest with the reason instead of loading anything."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import pytest

from app.services.rules import load_rules
from benchmarks.national_extract import extract_lines
from central import ingest_beside
from central.extract import parse_columns
from central.fast_records import qof_texts

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
