"""The demo's manual data after the new entry rules: the practices' LD register and weight-management
referrals are approved entries holding only items the practice enters; the ICB set each practice's
referral allocation, and that allocation caps the referrals paid."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from app.services.entry_rules import value_problems
from app.services.rules import load_rules
from central.allocations import COMMISSIONER_SET
from central.db import make_engine, make_sessionmaker
from central.directory import organisation
from central.models import AchievementCount, AuditEntry, CalculatedResult, ManualEntry

MARCH = date(2026, 3, 31)
RULES = load_rules("2025-26")
THIS_YEAR = load_rules("2026-27")


@pytest.fixture(scope="module")
def sessions(demo_copy):
    data_dir = demo_copy()
    engine = make_engine(f"sqlite:///{data_dir / 'central.db'}")
    yield make_sessionmaker(engine)
    engine.dispose()


def test_demo_entries_are_approved_and_hold_only_what_the_practice_enters(sessions) -> None:
    with sessions() as session:
        practice = organisation(session, "Z99001")
        entries = list(session.scalars(select(ManualEntry).where(ManualEntry.practice_id == practice.id)))
    # 2025/26: the LD register and WM referrals each month; 2026/27 (no WM): the LD register April to
    # October, November's window being open on the demo's today.
    last_year = [e for e in entries if e.achievement_date <= MARCH]
    this_year = [e for e in entries if e.achievement_date > MARCH]
    assert {e.service for e in last_year} == {"LDHC", "WM"} and len(last_year) == 24
    assert {e.service for e in this_year} == {"LDHC"}
    assert sorted(e.achievement_date.month for e in this_year) == list(range(4, 11))
    assert all(e.status == "approved" for e in entries)
    for entry in entries:  # every value would be accepted from the practice today
        rules = RULES if entry.achievement_date <= MARCH else THIS_YEAR
        assert value_problems(rules.services[entry.service], entry.values, 9812) == {}, entry.values


def test_the_icb_set_each_allocation_and_it_caps_the_referrals_paid(sessions) -> None:
    with sessions() as session:
        practice = organisation(session, "Z99001")
        allocation = session.scalars(select(AchievementCount).where(
            AchievementCount.practice_id == practice.id, AchievementCount.service == "WM",
            AchievementCount.achievement_date == MARCH, AchievementCount.source == COMMISSIONER_SET)).one()
        claim = session.scalars(select(CalculatedResult).where(
            CalculatedResult.practice_id == practice.id, CalculatedResult.service == "WM",
            CalculatedResult.achievement_date == MARCH)).one().detail
        setters = set(session.scalars(select(AuditEntry.actor).where(
            AuditEntry.action == "allocation set", AuditEntry.organisation_id == practice.id)))
    assert allocation.indicator_id == "ALLOCATION" and allocation.numerator == round(9812 * 0.114 * 0.12)
    assert claim["cap"] == allocation.numerator and claim["waiting_for"] is None
    assert claim["paid_count"] == min(claim["count"], allocation.numerator) > 0
    assert setters == {"icb.approver@nhs.net"}
