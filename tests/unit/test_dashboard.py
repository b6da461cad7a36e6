"""app.services.dashboard, .projection and .claims_view, checked against figures worked by hand.

The records use £100 per point for every indicator, so each £ figure is points × 100 and can be
checked by eye. Thresholds and points are the 2025/26 rules: AF006 12 points 40-90 %, AF008 12 points
70-95 %, DM014 11 points 40-90 %.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest

from app.services import claims_view, dashboard
from app.services.calculation import CalculationError
from app.services.projection import METHOD, month_ends_after, project
from app.services.rules import load_rules

RULES = load_rules("2025-26")
F = Fraction


def qof(when: str, counts: dict[str, tuple[int, int, int]], points: str = "0", payment: str = "0",
        year: str = "2025-26") -> dict:
    return {"id": f"QOF:{when}", "service": "QOF", "year": year, "achievement_date": when,
            "list_size": 10_000, "registers": {"AF": 200, "DM": 700}, "points": points, "payment": payment,
            "indicators": [{"indicator_id": i, "numerator": n, "denominator": d, "pca": p,
                            "pounds_per_point": "100"} for i, (n, d, p) in counts.items()]}


MARCH = qof("2026-03-31", {"AF006": (65, 100, 4), "AF008": (96, 100, 1), "DM014": (30, 100, 2)},
            points="18", payment="1800")
FEBRUARY = qof("2026-02-28", {"AF006": (60, 100, 4), "AF008": (95, 100, 1), "DM014": (30, 100, 2)},
               points="16.8", payment="1680")
JANUARY = qof("2026-01-31", {"AF006": (55, 100, 4), "AF008": (90, 100, 1), "DM014": (30, 100, 2)},
              points="14.4", payment="1440")
LAST_YEAR_END = qof("2025-03-31", {"AF006": (50, 100, 4)}, points="2.4", payment="12000", year="2024-25")
FLU = {"service": "FLU", "name": "Seasonal influenza (adult)", "kind": "vaccination", "year": "2025-26",
       "achievement_date": "2026-03-31", "item": "DOSES", "count": 17, "paid_count": 17,
       "unit_value": "503/50", "payment": "8551/50", "gbp_headroom": None}
LDHC = {"service": "LDHC", "name": "Learning disabilities health checks", "kind": "enhanced",
        "year": "2025-26", "achievement_date": "2026-03-31", "item": "CHECKS", "count": 62, "cap": 58,
        "paid_count": 58, "unit_value": "140", "payment": "8120", "gbp_headroom": "0.00"}
BENCHMARK = {"service": "QOF", "achievement_date": "2026-03-31",
             "indicators": {"AF006": {"pcn": "355/724", "icb": "1/2", "all": "3/4", "practices": 4}}}
RESULTS = [JANUARY, FEBRUARY, MARCH, LAST_YEAR_END, FLU, LDHC]


def build(finance: bool = True, today: date = date(2026, 4, 8)) -> dashboard.QofDashboard:
    return dashboard.qof_dashboard(RESULTS, [BENCHMARK], RULES, date(2026, 3, 31), finance=finance,
                                   today=today)


def test_choices_list_each_qof_year_then_vaccinations_then_enhanced_services() -> None:
    found = dashboard.choices(RESULTS)
    assert [(c.key, c.label, c.kind) for c in found] == [
        ("QOF:2025-26", "QOF 2025/26", "qof"), ("QOF:2024-25", "QOF 2024/25", "qof"),
        ("VI", "Vaccinations and immunisations", "vaccination"),
        ("LDHC", "Learning disabilities health checks", "enhanced")]
    assert found[0].dates == (date(2026, 3, 31), date(2026, 2, 28), date(2026, 1, 31))  # newest first


def test_indicator_rows_worked_by_hand() -> None:
    rows = {row.indicator_id: row for row in build().indicators}
    af006 = rows["AF006"]
    # 65 % is 25 of the 50 points between 40 and 90: 12 × 25/50 = 6 points, £600; 6 points (£600) left.
    assert (af006.points, af006.payment, af006.points_unclaimed, af006.gbp_unclaimed) == (6, 600, 6, 600)
    # 90 % of 100 needs 90 achieving: 25 more. One more patient: 12 × 26/50 = 6.24 points, so +£24.
    assert af006.patients_to_upper == 25 and af006.gbp_next_patient == 24
    assert af006.achievement == F(13, 20) and af006.band == "between thresholds"
    assert (af006.lower_threshold, af006.upper_threshold, af006.pca) == (40, 90, 4)
    af008 = rows["AF008"]
    # 96 % is past the 95 % upper threshold: all 12 points, £1,200, nothing left and no patients needed.
    assert (af008.points, af008.payment, af008.gbp_unclaimed, af008.patients_to_upper) == (12, 1200, 0, 0)
    assert af008.band == "at maximum" and af008.gbp_next_patient == 0
    dm014 = rows["DM014"]
    # 30 % is below the 40 % lower threshold: no points; all 11 (£1,100) unclaimed; 60 more to reach 90 %.
    assert (dm014.points, dm014.gbp_unclaimed, dm014.patients_to_upper) == (0, 1100, 60)
    assert dm014.band == "below lower threshold" and dm014.gbp_next_patient == 0
    assert af006.description == RULES.indicators["AF006"].description and af006.source.startswith("http")


def test_summary_cards_and_aspiration_worked_by_hand() -> None:
    summary = build().summary
    # 6 + 12 + 0 = 18 of 35 points; £1,800 of £3,500 (unclaimed 600 + 0 + 1,100 = 1,700).
    assert (summary.points, summary.max_points, summary.payment, summary.max_payment) == (18, 35, 1800, 3500)
    # Aspiration: 80 % of last year's £12,000 = £9,600 a year, £800 a month; by 8 April 2026 all 12 are paid.
    assert summary.aspiration_total == 9600
    assert (summary.aspiration_months, summary.aspiration_to_date) == (12, 9600)
    mid_year = build(today=date(2025, 10, 15)).summary
    assert (mid_year.aspiration_months, mid_year.aspiration_to_date) == (6, 4800)  # Apr-Sep paid
    assert summary.projected_points == 18  # March is the year end: nothing left to project


def test_without_finance_view_no_pound_figure_exists() -> None:
    built = build(finance=False)
    summary = built.summary
    assert (summary.payment, summary.max_payment, summary.projected_payment, summary.aspiration_total,
            summary.aspiration_to_date) == (None, None, None, None, None)
    for row in built.indicators:
        assert (row.payment, row.gbp_next_patient, row.gbp_unclaimed) == (None, None, None)
    assert built.summary.points == 18  # points are still shown
    view = claims_view.vaccinations(RESULTS, RULES, year="2025-26", finance=False)
    assert all(row.payment is None and row.unit_value is None for row in view.rows)
    assert all(row.payment is None and row.headroom is None
               for row in claims_view.enhanced(RESULTS, "LDHC", finance=False))


def test_history_benchmarks_and_groups() -> None:
    built = build()
    assert built.history["AF006"] == ((date(2026, 1, 31), F(55, 100)), (date(2026, 2, 28), F(60, 100)),
                                      (date(2026, 3, 31), F(65, 100)))
    assert built.points_history[-1] == (date(2026, 3, 31), 18)
    assert built.benchmarks["AF006"] == dashboard.Benchmark(F(355, 724), F(1, 2), F(3, 4))
    assert built.groups == ("Atrial fibrillation", "Diabetes mellitus")
    with pytest.raises(LookupError):
        dashboard.qof_dashboard(RESULTS, [], RULES, date(2025, 12, 31), finance=True, today=date(2026, 1, 5))


def test_projection_is_a_straight_line_through_the_last_three_months_capped() -> None:
    history = [(date(2025, 10, 31), F(10)), (date(2025, 11, 30), F(20)), (date(2025, 12, 31), F(40)),
               (date(2026, 1, 31), F(50))]
    # Last three months: 20 → 50 over 2 months, 15 a month; 50 + 15 × 2 = 80 at 31 March.
    projection = project(history, date(2026, 3, 31), F(100))
    assert projection.points == ((date(2026, 1, 31), 50), (date(2026, 2, 28), 65), (date(2026, 3, 31), 80))
    assert projection.year_end_value == 80 and projection.method == METHOD
    assert project(history, date(2026, 3, 31), F(70)).year_end_value == 70  # capped at the maximum
    falling = [(date(2026, 1, 31), F(30)), (date(2026, 2, 28), F(5))]
    assert project(falling, date(2026, 3, 31), F(100)).year_end_value == 0  # never below zero
    one_month = [(date(2025, 4, 30), F(3))]
    assert project(one_month, date(2026, 3, 31), F(9)).year_end_value == 3  # one month: held
    assert project([], date(2026, 3, 31), F(9)) is None
    assert month_ends_after(date(2025, 12, 31), date(2026, 3, 31)) == [
        date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31)]


def test_what_if_recalculates_one_indicator_and_says_the_change() -> None:
    # AF006 from 65/100 to 80/100: 12 × 40/50 = 9.6 points, +3.6 points, +£360.
    result = dashboard.what_if(MARCH, RULES, "AF006", numerator=80, denominator=100, finance=True)
    assert (result.after.points, result.points_change, result.payment_change) == (F(48, 5), F(18, 5), 360)
    assert result.after.patients_to_upper == 10
    hidden = dashboard.what_if(MARCH, RULES, "AF006", numerator=80, denominator=100, finance=False)
    assert hidden.payment_change is None and hidden.after.payment is None
    with pytest.raises(CalculationError):
        dashboard.what_if(MARCH, RULES, "AF006", numerator=120, denominator=100, finance=True)


def test_what_if_with_a_bigger_register_raises_the_pounds_per_point() -> None:
    # £ per point = value per point × CPI × APDF; APDF is proportional to the AF register, so doubling the
    # register doubles the £ per point: the same 6 points are worth twice as much as at 200 patients.
    plain = dashboard.what_if(MARCH, RULES, "AF006", numerator=65, denominator=100, registers={"AF": 200},
                              finance=True)
    doubled = dashboard.what_if(MARCH, RULES, "AF006", numerator=65, denominator=100, registers={"AF": 400},
                                finance=True)
    assert plain.after.points == doubled.after.points == 6
    assert doubled.after.payment == 2 * plain.after.payment


def test_claims_views() -> None:
    view = claims_view.vaccinations(RESULTS, RULES, year="2025-26", finance=True)
    assert view.months == (date(2026, 3, 31),) and view.programmes == (("FLU", "Seasonal influenza (adult)"),)
    assert view.doses("FLU") == [17] and view.rows[0].payment == F(8551, 50)  # 17 × £10.06 = £171.02
    (ldhc,) = claims_view.enhanced(RESULTS, "LDHC", finance=True)
    assert (ldhc.count, ldhc.cap, ldhc.paid_count, ldhc.over_cap, ldhc.payment) == (62, 58, 58, 4, 8120)


def test_records_without_any_pound_field_still_give_the_points() -> None:
    # Users without Finance View get results with every £ field removed by the service.
    from central.feed import without_money

    stripped = [without_money(record) for record in RESULTS]
    assert "pounds_per_point" not in str(stripped) and "payment" not in str(stripped[2])
    built = dashboard.qof_dashboard(stripped, [], RULES, date(2026, 3, 31), finance=False,
                                    today=date(2026, 4, 8))
    assert built.summary.points == 18 and {row.indicator_id: row.points for row in built.indicators} == {
        "AF006": 6, "AF008": 12, "DM014": 0}


def test_a_year_without_rules_is_explained_in_plain_english(app_data_dir) -> None:
    from app.models import database
    from app.services import dashboard_data
    from app.services.dashboard import Choice
    from app.services.tasks import describe_error

    database.open_cache()
    try:
        choice = Choice("QOF:1999-00", "QOF 1999/00", "qof", (date(2000, 3, 31),))
        with pytest.raises(dashboard_data.MissingRules) as caught:
            dashboard_data.load_view("Z99001", choice, date(2000, 3, 31), finance=False,
                                     today=date(2000, 4, 8))
    finally:
        database.close_cache()
    assert describe_error(caught.value) == \
        "This version of the app has no QOF rules for 1999-00; please update it."
