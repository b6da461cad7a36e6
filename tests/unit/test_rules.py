"""Rules files: the shipped years load, and a broken file fails naming file, line and field."""

import shutil
from fractions import Fraction
from pathlib import Path

import pytest

from app.services.rules import PERCENTAGE, RULES_ROOT, RulesError, available_years, check_year, load_rules


def test_2025_26_is_complete():
    rules = load_rules("2025-26")
    assert len(rules.indicators) == 44
    assert rules.qof_max_points == 564
    assert all(i.kind == PERCENTAGE for i in rules.indicators.values())
    assert rules.constants.value_per_point_gbp == Fraction("225.49")
    # DM national prevalence: 4,109,134 / 63,766,671 on the whole list.
    assert abs(rules.constants.national_prevalence["DM"] - Fraction(4_109_134, 63_766_671)) < Fraction(
        1, 10**12
    )
    chol = rules.indicators["CHOL003"]
    assert chol.registers == ("CHD", "PAD", "STIA", "CKD")
    assert (chol.max_points, chol.lower_threshold, chol.upper_threshold) == (38, 70, 95)
    assert rules.indicators["BP002"].registers == ()
    assert rules.services["MMR"].unit_value_gbp == Fraction("12.06")
    assert rules.services["FLU"].unit_value_gbp == Fraction("10.06")
    assert rules.services["LDHC"].cap_item == "LD_REG"
    assert "LD_REG" in rules.services["LDHC"].manual


def test_2024_25_loads_with_register_indicators():
    rules = load_rules("2024-25")
    assert rules.qof_max_points == 635
    assert rules.indicators["DM017"].kind == "register"
    assert rules.services["MMR"].unit_value_gbp == Fraction("10.06")


def test_years():
    assert available_years()[:3] == ["2026-27", "2025-26", "2024-25"]
    assert check_year("2025-26") == "2025-26"
    for bad in ("2025-27", "2025", "25-26", "2025/26"):
        with pytest.raises(RulesError, match="not a QOF year"):
            check_year(bad)
    with pytest.raises(RulesError, match="years available: 2026-27, 2025-26, 2024-25"):
        load_rules("2030-31")


@pytest.fixture
def rules_copy(tmp_path):
    shutil.copytree(RULES_ROOT / "2025-26", tmp_path / "2025-26")
    return tmp_path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("DM020,Diabetes mellitus,", "DM20,Diabetes mellitus,", r"line \d+, field 'indicator_id'"),
        (",17,35,75,DM,", ",seventeen,35,75,DM,", r"line \d+, field 'max_points'"),
        (",17,35,75,DM,", ",17,35,175,DM,", r"field 'upper_threshold': must be a percentage"),
        (",17,35,75,DM,", ",17,75,35,DM,", r"field 'upper_threshold': must be above lower"),
        (",17,35,75,DM,", ",17,35,75,XYZ,", r"field 'register': register XYZ has no national prevalence"),
        (",17,35,75,DM,", ",17,,75,DM,", r"field 'lower_threshold': is required"),
        ("indicator_id,group", "indicator,group", r"line 1: the header must be"),
    ],
)
def test_broken_indicators_file_names_line_and_field(rules_copy, old, new, expected):
    path = rules_copy / "2025-26" / "indicators.csv"
    edit(path, old, new)
    with pytest.raises(RulesError, match=expected) as info:
        load_rules("2025-26", root=rules_copy)
    assert str(path) in str(info.value)


def test_broken_row_reports_its_line_number(rules_copy):
    path = rules_copy / "2025-26" / "indicators.csv"
    lines = path.read_text().splitlines(keepends=True)
    line_no = next(n for n, line in enumerate(lines, start=1) if line.startswith("DM020,"))
    edit(path, ",17,35,75,DM,", ",17,35,75,XYZ,")
    with pytest.raises(RulesError, match=rf"line {line_no}, field 'register'"):
        load_rules("2025-26", root=rules_copy)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("value_per_point_gbp = 225.49", "value_per_point_gbp = -1", "field 'value_per_point_gbp'"),
        ("value_per_point_gbp = 225.49", 'value_per_point_gbp = "lots"', "field 'value_per_point_gbp'"),
        ("aspiration_fraction = 0.80", "aspiration_fraction = 1.5", "field 'aspiration_fraction'"),
        ("DM = 0.064440152443", "DM = 6.44", r"\[national_prevalence\] field 'DM'"),
        ("[national_prevalence]", "[national_prevalence", "not valid TOML"),
    ],
)
def test_broken_constants_file(rules_copy, old, new, expected):
    edit(rules_copy / "2025-26" / "constants.toml", old, new)
    with pytest.raises(RulesError, match=expected):
        load_rules("2025-26", root=rules_copy)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            'payment_basis = "item_of_service"',
            'payment_basis = "per_dose"',
            r"service 1, field 'payment_basis'",
        ),
        ("unit_value_gbp = 12.06", "unit_value_gbp = 0", r"service 1, field 'unit_value_gbp'"),
        ('item = "DOSES"', 'item = "JABS"', r"service 1, field 'item': JABS must be listed"),
        ('cap_item = "LD_REG"', 'cap_item = "LD-REG"', r"field 'cap_item'"),
        ('code = "MENB"', 'code = "6IN1"', r"service 2, field 'code': '6IN1' is used twice"),
    ],
)
def test_broken_services_file(rules_copy, old, new, expected):
    edit(rules_copy / "2025-26" / "services.toml", old, new)
    with pytest.raises(RulesError, match=expected):
        load_rules("2025-26", root=rules_copy)


def test_missing_file_is_named(rules_copy):
    (rules_copy / "2025-26" / "services.toml").unlink()
    with pytest.raises(RulesError, match=r"services\.toml: cannot be read"):
        load_rules("2025-26", root=rules_copy)


def test_services_say_who_enters_each_item_its_limit_and_whether_approval_is_needed():
    for year in ("2025-26", "2024-25"):
        services = load_rules(year).services
        wm = services["WM"]
        assert (wm.manual, wm.commissioner, wm.approval_required) == (("REFERRALS",), ("ALLOCATION",), True)
        assert "ALLOCATION" in wm.items  # an extract may still carry it
        assert {item: limit.maximum for item, limit in wm.limits.items()} == {"REFERRALS": 2000,
                                                                              "ALLOCATION": 2000}
        assert services["LDHC"].limits["LD_REG"].maximum == 1500
        assert "724" in services["LDHC"].limits["LD_REG"].reason
        assert "QOF2425.zip" in services["LDHC"].limits["LD_REG"].source
        for service in services.values():  # every item a person enters has a stated maximum
            assert set(service.limits) == set(service.manual + service.commissioner), service.code


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("[service.limits.LD_REG]\nmaximum = 1500", "[service.limits.LD_REG]\nmaximum = 0",
         r"service 14, field 'limits.LD_REG.maximum': must be a whole number above 0"),
        ("[service.limits.LD_REG]\nmaximum = 1500", "[service.limits.LD_REG]\nmaximum = 1.5",
         r"field 'limits.LD_REG.maximum'"),
        ("[service.limits.LD_REG]\n", "[service.limits.LD_REGISTER]\n",
         r"service 14, field 'limits.LD_REG': missing"),
        ('manual = ["REFERRALS"]\n', 'manual = ["REFERRALS", "ALLOCATION"]\n',
         r"service 15, field 'manual': ALLOCATION must be only one of"),
        ('commissioner = ["ALLOCATION"]\napproval_required = true',
         'commissioner = ["ALLOCATION"]\napproval_required = "yes"',
         r"service 15, field 'approval_required': must be true or false"),
        ('reason = "about twice', 'reason = "" # "about twice',
         r"field 'limits.LD_REG.reason': must not be empty"),
    ],
)
def test_broken_entry_rules_in_services_file_name_the_service_and_field(rules_copy, old, new, expected):
    path = rules_copy / "2025-26" / "services.toml"
    edit(path, old, new)
    with pytest.raises(RulesError, match=expected) as info:
        load_rules("2025-26", root=rules_copy)
    assert str(path) in str(info.value)


def test_a_service_missing_approval_required_is_refused(rules_copy):
    path = rules_copy / "2025-26" / "services.toml"
    edit(path, 'manual = []\napproval_required = true\n', 'manual = []\n')
    with pytest.raises(RulesError, match=r"service 1, field 'approval_required'"):
        load_rules("2025-26", root=rules_copy)
