"""The 2026/27 V&I programmes and enhanced services (issue 14, item 4): the weight-management ES has ended,
adult flu and COVID-19 are one ES, LD health checks continue, and every fee carried over from 2025/26 is
flagged provisional with the source of the 2025/26 figure (qof-2026-27-changes.md, section 4)."""

from __future__ import annotations

import re
import shutil
from fractions import Fraction
from pathlib import Path

import pytest

from app.services.calculation import item_claim
from app.services.rules import RULES_ROOT, RulesError, load_rules

YEAR, BEFORE = "2026-27", "2025-26"
URL = re.compile(r"https?://[^\s;()]+")


@pytest.fixture(scope="module")
def rules():
    return load_rules(YEAR)


@pytest.fixture(scope="module")
def before():
    return load_rules(BEFORE)


def test_the_2026_27_set_still_loads(rules) -> None:
    assert set(rules.services) == {"6IN1", "MENB", "MMR", "PCV", "ROTA", "HPV", "PERT", "PPV", "SHING",
                                   "COVFLU", "CFLU", "RSV", "RSVP", "LDHC"}
    assert all(service.source for service in rules.services.values())
    assert len(rules.indicators) == 43  # the QOF half of the year is untouched


def test_weight_management_ended_on_31_march_2026_and_its_history_is_kept(rules, before) -> None:
    assert "WM" not in rules.services
    wm = before.services["WM"]
    assert (wm.unit_value_gbp, wm.cap_item) == (Fraction("11.50"), "ALLOCATION")
    assert wm.commissioner == ("ALLOCATION",)
    assert "WM" in load_rules("2024-25").services


def test_adult_flu_and_covid_19_are_one_enhanced_service(rules, before) -> None:
    assert "FLU" not in rules.services and "FLU" in before.services
    combined = rules.services["COVFLU"]
    assert (combined.kind, combined.payment_basis) == ("vaccination", "item_of_service")
    assert combined.item == "FLU_DOSES" and combined.automatic == ("FLU_DOSES", "COVID_DOSES")
    assert combined.manual == () and combined.commissioner == () and not combined.limits
    # Adult flu £10.06 for 2026/27 (Community Pharmacy England: pharmacy rises to it in line with GPs).
    assert combined.unit_value_gbp == Fraction("10.06") and combined.provisional is None
    assert "cpe.org.uk" in combined.source
    assert "england.nhs.uk/long-read/2026-27-covid-adult-influenza" in combined.source
    # No source gives the GP COVID-19 fee: its doses are counted, never priced.
    assert "no source gives the GP COVID-19 fee" in combined.note
    assert item_claim(combined, 120).payment == Fraction("1207.20")


def test_learning_disability_health_checks_continue(rules, before) -> None:
    ldhc, earlier = rules.services["LDHC"], before.services["LDHC"]
    assert (ldhc.unit_value_gbp, ldhc.payment_basis) == (Fraction(140), "per_item_capped")
    assert ldhc.cap_item == earlier.cap_item == "LD_REG"
    assert ldhc.limits == earlier.limits
    assert "learning-disabilities-health-check-scheme/england-april-2026" in ldhc.source
    assert ldhc.provisional is not None and "medicus-suite" in ldhc.provisional


def test_every_carried_over_fee_is_flagged_provisional_with_its_2025_26_source(rules, before) -> None:
    written_before = (RULES_ROOT / BEFORE / "services.toml").read_text(encoding="utf-8")
    carried = [code for code, service in rules.services.items()
               if code in before.services and service.unit_value_gbp == before.services[code].unit_value_gbp]
    assert len(carried) == len(rules.services) - 1  # every service but the new combined ES
    for code in carried:
        provisional = rules.services[code].provisional
        assert provisional is not None and "2025/26" in provisional, code
        urls = URL.findall(provisional)
        assert urls and all(url in written_before or "medicus-suite" in url for url in urls), code
    # The firm year before has no provisional fees.
    assert all(service.provisional is None for service in before.services.values())


def test_a_provisional_that_is_not_text_is_refused(tmp_path: Path) -> None:
    shutil.copytree(RULES_ROOT / YEAR, tmp_path / YEAR)
    path = tmp_path / YEAR / "services.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r'^provisional = ".*"$', "provisional = 12.06", text, count=1, flags=re.M),
                    encoding="utf-8")
    with pytest.raises(RulesError, match=r"services\.toml: service 1, field 'provisional'"):
        load_rules(YEAR, root=tmp_path)
