"""The dashboard follows the QOF year: it opens on the year of the service's today (else the newest held),
lists every year held, compares each indicator with the same month last year, and pays 2026/27's
aspiration from 2025/26's stored year-end result. Records of three years in one cache
(tests/year_records.py)."""

from __future__ import annotations

from datetime import date
from fractions import Fraction as F

import pytest
from year_records import OCT_2025, OCT_2026, RULES, SEP_2026, TODAY, YEAR_END_2026, feed_changes, results

from app.services import cache_store, dashboard, dashboard_data
from app.services.claims_view import ClaimRow
from app.services.rules import load_rules

THIS_YEAR, LAST_YEAR = RULES["2026-27"], RULES["2025-26"]


def build(records: list[dict], when: date = OCT_2026, finance: bool = True,
          today: date = TODAY) -> dashboard.QofDashboard:
    return dashboard.qof_dashboard(records, [], THIS_YEAR, when, finance=finance, today=today,
                                   prior_rules=LAST_YEAR)


def test_every_year_held_newest_first_and_the_year_the_dashboard_opens_on() -> None:
    held = dashboard.years_held(results())
    assert held == ["2026-27", "2025-26", "2024-25"]
    assert dashboard.opening_year(held, TODAY) == "2026-27"  # 1 Dec 2026 is in 2026/27
    # Until April's extract (of March) is in, the year just ended is the one being worked.
    assert dashboard.opening_year(held, date(2026, 4, 8)) == "2025-26"
    assert dashboard.opening_year(held, date(2026, 5, 1)) == "2026-27"
    # 2026/27 not held yet: the newest year held.
    older = dashboard.years_held(results(("2024-25", "2025-26")))
    assert dashboard.opening_year(older, TODAY) == "2025-26"
    assert dashboard.opening_year([], TODAY) is None


def test_a_years_choices_hold_only_that_years_services_and_dates() -> None:
    found = dashboard.choices(results(), "2026-27")
    assert [(c.key, c.label, c.dates) for c in found] == [
        ("QOF:2026-27", "QOF", (OCT_2026, SEP_2026)),
        ("VI", "Vaccinations and immunisations", (OCT_2026,)),
        ("LDHC", "Learning disabilities health checks", (OCT_2026,))]
    last = dashboard.choices(results(), "2025-26")
    assert [(c.key, c.dates) for c in last][0] == ("QOF:2025-26", (YEAR_END_2026, OCT_2025))
    assert [c.key for c in dashboard.choices(results(), "2024-25")] == ["QOF:2024-25"]
    assert dashboard.service_key("QOF:2026-27") == dashboard.service_key("QOF:2025-26") == "QOF"


def test_same_month_last_year_is_that_months_end() -> None:
    assert dashboard.same_month_last_year(date(2026, 10, 31)) == date(2025, 10, 31)
    assert dashboard.same_month_last_year(date(2028, 2, 29)) == date(2027, 2, 28)
    assert dashboard.same_month_last_year(date(2027, 2, 28)) == date(2026, 2, 28)
    assert dashboard.same_month_last_year(date(2026, 12, 31)) == date(2025, 12, 31)
    assert dashboard.previous_year("2026-27") == "2025-26" and dashboard.previous_year("2000-01") == "1999-00"


def test_last_years_achievement_at_the_same_month_worked_by_hand() -> None:
    rows = {row.indicator_id: row for row in build(results()).indicators}
    # At 31 Oct 2025: AF006 100 of 200, AF008 150 of 160, VI001 85 of 100.
    assert rows["AF006"].last_year == F(1, 2)
    assert rows["AF008"].last_year == F(15, 16)
    assert rows["VI001"].last_year == F(17, 20)
    assert rows["AF006"].last_year_note == "At 31 Oct 2025, the same month last year: 100 of 200."
    assert rows["AF006"].achievement == F(13, 20)  # this year's figure is untouched: 130 of 200
    # DM014 had nobody in its denominator; HYP010 is new in 2026/27.
    assert rows["DM014"].last_year is None
    assert rows["DM014"].last_year_note == "No patients counted for DM014 at 31 Oct 2025."
    assert rows["HYP010"].last_year is None
    assert rows["HYP010"].last_year_note == "New this year: HYP010 was not part of QOF at 31 Oct 2025."


def test_no_result_held_for_the_same_month_last_year_leaves_every_figure_blank_with_the_reason() -> None:
    rows = build(results(), when=SEP_2026).indicators
    assert {row.last_year for row in rows} == {None}
    assert {row.last_year_note for row in rows} == {
        "No QOF result for 30 Sep 2025 is held, so there is nothing to compare with."}


def test_an_indicator_missing_from_last_years_result_is_not_called_new() -> None:
    records = [r for r in results() if r["achievement_date"] != OCT_2025.isoformat()]
    october = next(r for r in results() if r["achievement_date"] == OCT_2025.isoformat())
    kept = [item for item in october["indicators"] if item["indicator_id"] != "AF006"]
    records.append(dict(october, indicators=kept))
    af006 = next(row for row in build(records).indicators if row.indicator_id == "AF006")
    assert af006.last_year is None
    assert af006.last_year_note == "The result for 31 Oct 2025 has no figure for AF006."


def test_aspiration_for_2026_27_comes_from_the_stored_2025_26_year_end_payment_worked_by_hand() -> None:
    assert THIS_YEAR.constants.aspiration_fraction == F(4, 5)  # 2026/27 constants.toml: 0.80
    records = [dict(r, payment="15000") if r["achievement_date"] == YEAR_END_2026.isoformat() else r
               for r in results()]
    summary = build(records).summary
    # 80% of £15,000 = £12,000 a year, £1,000 a month; by 1 Dec 2026 April to November are paid: 8.
    assert summary.aspiration_total == 12_000
    assert (summary.aspiration_months, summary.aspiration_to_date) == (8, 8_000)
    # With the payment the service stored for 31 Mar 2026.
    stored = next(r for r in results() if r["achievement_date"] == YEAR_END_2026.isoformat())
    assert build(results()).summary.aspiration_total == F(stored["payment"]) * F(4, 5)
    # Without 2025/26's year end there is nothing to pay it from.
    without = [r for r in results() if r["achievement_date"] != YEAR_END_2026.isoformat()]
    assert build(without).summary.aspiration_total is None
    assert build(records, finance=False).summary.aspiration_total is None


def test_the_prior_year_is_read_only_for_the_comparison_and_the_aspiration() -> None:
    built = build(results())
    assert built.summary.year == "2026-27"
    assert [when for when, _ in built.points_history] == [SEP_2026, OCT_2026]  # this year's months only
    assert "HYP008" not in {row.indicator_id for row in built.indicators}  # gone in 2026/27


def test_the_cache_gives_every_year_and_a_service_only_its_years_claims(cache_db) -> None:
    ods = "Z99001"
    cache_store.apply_feed_page(ods, feed_changes(), 1)
    years = dashboard_data.load_years(ods)
    assert list(years) == ["2026-27", "2025-26", "2024-25"]
    ldhc = next(c for c in years["2026-27"] if c.key == "LDHC")
    rows = dashboard_data.load_view(ods, ldhc, OCT_2026, finance=True, today=TODAY)
    assert isinstance(rows, tuple) and all(isinstance(row, ClaimRow) for row in rows)
    assert [row.achievement_date for row in rows] == [OCT_2026]  # not 2025/26's October as well
    qof = years["2026-27"][0]
    shown = dashboard_data.load_view(ods, qof, OCT_2026, finance=True, today=TODAY)
    assert isinstance(shown, dashboard.QofDashboard)
    assert {row.indicator_id: row.last_year for row in shown.indicators}["AF006"] == F(1, 2)


@pytest.mark.parametrize("year", ["2024-25", "2025-26"])
def test_earlier_years_open_at_their_own_latest_month(year) -> None:
    rules = load_rules(year)
    found = dashboard.choices(results(), year)[0]
    built = dashboard.qof_dashboard(results(), [], rules, found.dates[0], finance=True, today=TODAY)
    assert built.summary.year == year and built.summary.achievement_date == found.dates[0]
    assert built.summary.aspiration_months == 12  # that year is over: every instalment is paid
