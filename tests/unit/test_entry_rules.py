"""app.services.entry_rules: the one home of manual-entry value checks, shared by the service and the
desktop. Checked against the shipped 2025/26 rules and a Service built for the numerator case."""

from datetime import date
from fractions import Fraction
from types import MappingProxyType

from app.services import entry_rules as rules
from app.services.rules import ItemLimit, Service, rules_for
from central.ingest import merged_items

OCTOBER = date(2025, 10, 31)
SERVICES = rules_for("2025-26").services


def _audit_service() -> Service:
    """A service whose practice enters a numerator and denominator (none ships yet, the check must hold)."""
    limit = ItemLimit(5000, "more than any practice's cohort", "test")
    return Service("AUD", "Audit", "enhanced", "item_of_service", Fraction(1), "NUMERATOR", None, (),
                   ("NUMERATOR", "DENOMINATOR"), "test",
                   limits=MappingProxyType({"NUMERATOR": limit, "DENOMINATOR": limit}),
                   approval_required=False)


def test_only_the_services_manual_items_are_accepted_with_the_allowed_items_named():
    wm = SERVICES["WM"]
    assert rules.value_problems(wm, {"REFERRALS": 12}) == {}
    problems = rules.value_problems(wm, {"REFERRALS": 12, "FOO": 1, "ALLOCATION": 40})
    assert problems == {
        "values.FOO": "FOO is not an item of WM. Items entered by hand for WM: REFERRALS.",
        "values.ALLOCATION": "ALLOCATION is set by your commissioner, not entered by the practice. Items "
                             "entered by hand for WM: REFERRALS."}
    assert rules.value_problems(wm, {"ALLOCATION": 40}, by_commissioner=True) == {}
    assert "extracted automatically" in rules.value_problems(SERVICES["LDHC"], {"CHECKS": 3})["values.CHECKS"]


def test_the_lower_of_the_stated_maximum_and_the_list_size_applies():
    ld = SERVICES["LDHC"]
    assert rules.item_maximum(ld, "LD_REG") == 1500 and rules.item_maximum(ld, "LD_REG", 400) == 400
    assert rules.value_problems(ld, {"LD_REG": 1500}) == {}
    assert rules.value_problems(ld, {"LD_REG": 1501})["values.LD_REG"].startswith(
        "Must be no more than 1,500: about twice the largest learning disability register")
    assert rules.value_problems(ld, {"LD_REG": 401}, 400) == {
        "values.LD_REG": "Must be no more than the practice's list size of 400 patients."}
    assert rules.value_problems(ld, {"LD_REG": 1501}, 9000)["values.LD_REG"].startswith(
        "Must be no more than 1,500:")


def test_whole_numbers_and_a_numerator_no_bigger_than_its_denominator():
    audit = _audit_service()
    assert rules.value_problems(audit, {"NUMERATOR": 41, "DENOMINATOR": 40}) == {
        "values.NUMERATOR": "The numerator cannot be more than the denominator."}
    assert rules.value_problems(audit, {"NUMERATOR": 40, "DENOMINATOR": 40}) == {}
    for bad in (-1, 1.5, True, "4"):
        assert rules.value_problems(audit, {"NUMERATOR": bad}) == {
            "values.NUMERATOR": "Must be a whole number of 0 or more."}
    assert rules.value_problems(audit, {}) == {"values": "Enter at least one value."}


def test_services_and_dates_that_take_no_manual_entries():
    assert rules.entry_service("QOF", OCTOBER)[1]["service"].startswith("QOF counts come from the extract")
    assert rules.service_problems("QOF", OCTOBER) == {}  # declarations are made for QOF
    assert rules.entry_service("NOPE", OCTOBER)[1]["service"].startswith("NOPE is not a service in 2025-26")
    assert rules.entry_service("wm!", OCTOBER)[1] == {"service": "Use the service code, such as WM or LDHC."}
    assert rules.entry_service("WM", date(2031, 1, 31))[1] == {
        "achievement_date": "There are no rules for 2030-31."}


def test_notes_with_an_nhs_number_are_refused_without_repeating_it():
    problems = rules.entry_problems("LDHC", OCTOBER, {"LD_REG": 5}, "Seen 9434765919 today")
    assert set(problems) == {"notes"} and "9434765919" not in problems["notes"]
    assert rules.notes_problems("Register report, 31 Oct") == {}
    assert rules.notes_problems("x" * 2001) == {"notes": "Notes can be up to 2,000 characters."}


def test_extracted_and_commissioner_counts_beat_manual_ones_and_only_manual_items_count():
    wm, ld = SERVICES["WM"], SERVICES["LDHC"]
    assert merged_items(ld, {"CHECKS": 20, "LD_REG": 18}, {}, {"LD_REG": 50}) == {"CHECKS": 20, "LD_REG": 18}
    assert merged_items(ld, {"CHECKS": 20}, {}, {"LD_REG": 50, "CHECKS": 99}) == {"CHECKS": 20, "LD_REG": 50}
    assert merged_items(wm, {"ALLOCATION": 10}, {"ALLOCATION": 40}, {"REFERRALS": 9, "ALLOCATION": 9999}) == {
        "REFERRALS": 9, "ALLOCATION": 40}
