"""Counts the commissioner sets for a practice, such as the weight-management referral allocation that caps
what referrals are paid. They are stored as achievement counts with the source ``commissioner`` (beside
the extracted ones), never as a practice's manual entry, so the practice can neither enter nor amend them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from central.models import AchievementCount

COMMISSIONER_SET = "commissioner"  # AchievementCount.source of a count the commissioner set


def set_counts(session: Session, practice_id: int, service: str, achievement_date: date,
               values: Mapping[str, int], now: datetime) -> dict[str, int | None]:
    """Store the commissioner's ``values``; returns what each item was before (None: not set)."""
    before: dict[str, int | None] = {}
    for item, value in values.items():
        row = session.scalar(select(AchievementCount).where(
            AchievementCount.practice_id == practice_id, AchievementCount.service == service,
            AchievementCount.indicator_id == item, AchievementCount.achievement_date == achievement_date,
            AchievementCount.source == COMMISSIONER_SET))
        before[item] = None if row is None else row.numerator
        if row is None:
            row = AchievementCount(practice_id=practice_id, service=service, indicator_id=item,
                                   achievement_date=achievement_date, source=COMMISSIONER_SET)
            session.add(row)
        row.numerator, row.denominator, row.pca, row.extract_id, row.updated_at = value, None, None, None, now
    session.flush()
    return before


def counts_at(session: Session, practice_id: int, achievement_date: date) -> dict[str, dict[str, int]]:
    """Every count the commissioner set for the practice at that date: {service: {item: count}}."""
    found: dict[str, dict[str, int]] = {}
    for row in session.scalars(select(AchievementCount).where(
            AchievementCount.practice_id == practice_id,
            AchievementCount.achievement_date == achievement_date,
            AchievementCount.source == COMMISSIONER_SET)):
        found.setdefault(row.service, {})[row.indicator_id] = row.numerator
    return found
