"""app.services.income: the income statement of a year, worked by hand from a cache holding results,
declarations in every status and the national timetable (tests/income_records.py)."""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from pathlib import Path

from income_records import (
    FLU_FEB,
    FLU_JAN,
    FLU_MAR,
    ODS,
    SHING_FEB,
    SHING_JAN,
    TODAY,
    fill,
    qof_march_payment,
)
from qof_records import FEBRUARY, JANUARY, MARCH

from app.services import income


def _row(statement: income.IncomeStatement, service: str, when: date) -> income.IncomeRow:
    return next(row for row in statement.rows if row.service == service and row.achievement_date == when)


def test_each_claim_shows_calculated_declared_approved_paid_and_its_payment_day(cache_db: Path) -> None:
    fill()
    statement = income.load(ODS, "2025-26", TODAY)
    # QOF's month ends are progress, not claims; last year's QOF result is not this year's.
    assert {row.service for row in statement.rows} == {"FLU", "SHING", "LDHC", "WM"}
    assert len(statement.rows) == 12

    paid = _row(statement, "FLU", JANUARY)
    assert (paid.calculated, paid.declared, paid.approved, paid.paid) == (FLU_JAN,) * 4
    assert paid.calculated == Fraction("2444.58")
    assert paid.paid_on == date(2026, 3, 31) and paid.payment_due == date(2026, 3, 31)
    assert paid.flag == ""

    finance = _row(statement, "FLU", FEBRUARY)
    assert (finance.declared, finance.approved, finance.paid) == (FLU_FEB, FLU_FEB, None)
    assert finance.payment_due == date(2026, 4, 30)  # last working day of the month after next
    assert finance.flag == "Declared, not yet paid: finance approved, waiting to be paid."

    waiting = _row(statement, "SHING", JANUARY)
    assert (waiting.declared, waiting.approved, waiting.paid) == (SHING_JAN, None, None)
    assert waiting.flag == "Declared, not yet paid: waiting for the commissioner to approve it."

    sent_back = _row(statement, "SHING", FEBRUARY)
    assert (sent_back.calculated, sent_back.declared) == (SHING_FEB, None)
    assert sent_back.expected == SHING_FEB  # the new calculation, not the old declared amount
    assert sent_back.flag == ("Calculated, not yet declared: sent back after a recalculation, declare it "
                              "again.")

    never = _row(statement, "FLU", MARCH)
    assert (never.calculated, never.declared, never.status) == (FLU_MAR, None, income.NOT_DECLARED)
    assert never.flag == "Calculated, not yet declared." and never.payment_due == date(2026, 5, 29)


def test_qof_aspiration_against_the_achievement_and_the_year_end_balance(cache_db: Path) -> None:
    fill()
    qof = income.load(ODS, "2025-26", TODAY).qof
    assert qof is not None
    assert qof.aspiration_total == 9_600 and qof.monthly == 800 and qof.months_paid == 12
    assert qof.aspiration_paid == 9_600
    achievement = qof_march_payment()
    assert qof.achievement_date == MARCH and qof.achievement == qof.projected == achievement
    assert qof.balance == achievement - 9_600
    assert qof.year_end is not None and qof.year_end.flag == "Calculated, not yet declared."
    assert qof.year_end.payment_due == date(2026, 6, 30)  # QOF's own payment day, not the monthly one
    # Part way through the year, only the months finished have been paid.
    assert income.load(ODS, "2025-26", date(2025, 10, 15)).qof.aspiration_paid == 6 * 800  # type: ignore[union-attr]


def test_totals_expected_against_paid_and_every_open_item_in_words(cache_db: Path) -> None:
    fill()
    statement = income.load(ODS, "2025-26", TODAY)
    calculated = sum((row.calculated or 0 for row in statement.rows), Fraction(0))
    assert statement.expected == calculated + qof_march_payment()  # no declared amount differs here
    assert statement.paid == FLU_JAN + 9_600  # January's flu, and QOF's aspiration so far
    assert statement.outstanding == statement.expected - statement.paid
    # 12 claims and QOF's year end; only January's flu is paid.
    assert len(statement.flagged) == 12
    assert "Seasonal influenza (adult), 28 Feb 2026 (£965.76): Declared, not yet paid: finance approved, " \
           "waiting to be paid." in statement.flagged
    assert any(line.startswith("Quality and Outcomes Framework, 31 Mar 2026") for line in statement.flagged)


def test_a_year_without_records_is_empty(cache_db: Path) -> None:
    fill()
    statement = income.load(ODS, "2026-27", TODAY)
    assert statement.rows == () and statement.qof is None
    assert statement.expected == statement.paid == 0 and statement.flagged == ()
    assert income.load_years(ODS) == ["2025-26", "2024-25"]


def test_a_claim_worth_nothing_is_not_flagged_and_a_claim_without_a_calculation_is() -> None:
    results = [{"service": "FLU", "name": "Seasonal influenza (adult)", "year": "2025-26",
                "achievement_date": "2026-01-31", "payment": "0"}]
    declared = [{"service": "LDHC", "achievement_date": "2026-01-31", "status": "Approved", "payment": "280",
                 "history": []}]
    events = [{"kind": "payment", "service": None, "achievement_date": "2026-01-31", "starts": "2026-03-31",
               "ends": "2026-03-31"}]
    statement = income.statement(results, declared, events, "2025-26", TODAY)
    nothing, approved = sorted(statement.rows, key=lambda row: row.service)
    assert nothing.flag == income.NOTHING_TO_CLAIM and not nothing.needs_attention
    assert (approved.calculated, approved.declared, approved.approved) == (None, 280, 280)
    assert approved.paid is None
    assert approved.flag == "Declared, not yet paid: approved, waiting for finance approval."
    assert approved.payment_due == nothing.payment_due == date(2026, 3, 31)
    assert statement.expected == 280 and statement.paid == 0 and len(statement.flagged) == 1
