"""The 2026/27 rules: 43 indicators and 582 points, provisional figures flagged with their source, the
improvement route's constants, the combined CD register, and the current year they make."""

from __future__ import annotations

import shutil
from datetime import date
from fractions import Fraction
from pathlib import Path

import pytest

from app.services.rules import PERCENTAGE, RULES_ROOT, RulesError, current_year, load_rules

YEAR = "2026-27"
PROVISIONAL = {"AF006", "DM036", "DM037", "CD001", "CD002", "CHOL003", "CHOL004", "VI001", "VI002", "VI003"}


@pytest.fixture(scope="module")
def rules():
    return load_rules(YEAR)


def test_the_set_loads_with_43_indicators_and_582_points(rules) -> None:
    assert len(rules.indicators) == 43
    assert rules.qof_max_points == 582
    assert all(i.kind == PERCENTAGE and i.source for i in rules.indicators.values())
    # Retired in 2026/27 and their replacements (qof-2026-27-changes.md, 1.1 and 1.2).
    for gone in ("CHD015", "CHD016", "STIA014", "STIA015", "HYP008", "HYP009", "HF003", "HF006", "DM012",
                 "NDH002", "AST007", "AST012"):
        assert gone not in rules.indicators
    figures = {i: (r.max_points, r.lower_threshold, r.upper_threshold) for i, r in rules.indicators.items()}
    assert figures["CD001"] == (41, 40, 90) and figures["CD002"] == (20, 46, 90)
    assert figures["CHOL003"] == (20, 70, 95) and figures["AF006"] == (12, 40, 95)
    assert figures["DM037"] == (10, 35, 75) and figures["HF009"] == (12, 20, 50)
    assert figures["OB004"] == (5, 10, 30) and figures["OB005"] == (13, 50, 80)
    assert figures["VI001"] == (18, 89, 96) and figures["VI003"] == (18, 81, 96)


def test_the_constants_and_where_prevalence_comes_from(rules) -> None:
    constants = rules.constants
    assert constants.value_per_point_gbp == Fraction("227.95")
    assert constants.national_average_list_size == 10_349
    assert constants.aspiration_fraction == Fraction("0.8")
    # No 2026/27 prevalence exists yet: the latest published year stands in, and says so.
    assert constants.national_prevalence_year == "2024-25"
    assert constants.national_prevalence == load_rules("2025-26").constants.national_prevalence


def test_provisional_figures_carry_their_source(rules) -> None:
    flagged = {i for i, r in rules.indicators.items() if r.provisional}
    assert flagged == PROVISIONAL
    assert "medicus-suite" in rules.indicators["AF006"].provisional
    assert "70 and under" in rules.indicators["DM036"].provisional
    assert "40-90%" in rules.indicators["DM037"].provisional  # the conflicting source is named
    assert "summed" in rules.indicators["CD001"].provisional
    assert "summed" in rules.indicators["CHOL004"].provisional
    assert set(rules.constants.provisional) == {"value_per_point_gbp", "national_average_list_size",
                                                "improvement"}
    assert "haresign.net" in rules.constants.provisional["value_per_point_gbp"]
    assert "SFE" in rules.constants.provisional["improvement"]
    # Earlier years hold no provisional flags: their files have no such column.
    assert not any(r.provisional for r in load_rules("2025-26").indicators.values())


def test_the_improvement_route_constants(rules) -> None:
    routes = rules.constants.improvement
    assert set(routes) == {"VI001", "VI002", "VI003"}
    assert {i: r.upper_margin for i, r in routes.items()} == {"VI001": 18, "VI002": 23, "VI003": 30}
    assert all(r.lower_margin == 5 and r.baseline_years == 2 for r in routes.values())
    assert not load_rules("2025-26").constants.improvement


def test_cd_indicators_name_the_combined_register_and_sum_until_it_is_published(rules) -> None:
    for indicator_id in ("CD001", "CD002"):
        indicator = rules.indicators[indicator_id]
        assert indicator.registers == ("CHD", "STIA") and indicator.combined_register == "CD"
    assert "CD" not in rules.constants.national_prevalence
    assert rules.indicators["CHOL003"].combined_register is None


def test_the_current_year_is_2026_27_once_april_2026_has_ended() -> None:
    assert current_year(date(2026, 12, 1)) == YEAR
    assert current_year(date(2026, 5, 1)) == YEAR
    # The demo's clock (8 April 2026) still reports on March 2026, the last month of 2025/26.
    assert current_year(date(2026, 4, 8)) == "2025-26"


# --- a broken 2026/27 file fails naming file and field ------------------------------------------------

@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    shutil.copytree(RULES_ROOT / YEAR, tmp_path / YEAR)
    return tmp_path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("VI002 = 23", "VI002 = 5", r"upper_margin\] field 'VI002': must be percentage points above"),
    ("VI002 = 23", "VI002 = 23\nVI009 = 20", r"field 'VI009': must be a percentage indicator"),
    ("lower_margin = 5", "lower_margin = -1", r"\[improvement\] field 'lower_margin'"),
    ("baseline_years = 2", "baseline_years = 0", r"\[improvement\] field 'baseline_years'"),
    ('[provisional]\n', '[provisional]\nvalue_per_patient = "a guess"\n', r"\[provisional\] must give"),
    ('national_prevalence_year = "2024-25"', 'national_prevalence_year = "2024"',
     r"field 'national_prevalence_year': must be a QOF year"),
])
def test_broken_constants_are_named(rules_copy: Path, old: str, new: str, expected: str) -> None:
    edit(rules_copy / YEAR / "constants.toml", old, new)
    with pytest.raises(RulesError, match=expected):
        load_rules(YEAR, root=rules_copy)


def test_a_bad_combined_register_is_named(rules_copy: Path) -> None:
    path = rules_copy / YEAR / "indicators.csv"
    text = path.read_text(encoding="utf-8")
    row = next(line for line in text.splitlines() if line.startswith("CD001,"))
    edit(path, row, row.replace(",CD,", ",cd reg,"))
    with pytest.raises(RulesError, match=r"indicators\.csv: line 5, field 'combined_register'"):
        load_rules(YEAR, root=rules_copy)


def test_the_optional_columns_come_last_and_together(rules_copy: Path) -> None:
    edit(rules_copy / YEAR / "indicators.csv", "source,combined_register,provisional", "source,provisional")
    with pytest.raises(RulesError, match="optionally followed by combined_register,provisional"):
        load_rules(YEAR, root=rules_copy)
