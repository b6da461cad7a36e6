"""app.services.identifiers: NHS numbers grouped with other punctuation (brackets, underscores, slashes,
middle dots, commas, bars, thousands) are found; ordinary text with dates, phones, list sizes and money
is not; and redact() takes such numbers out of a message, keeping the rest."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nhs_forms import NHS_NUMBER, PUNCTUATED_FORMS, check_digit, nhs_numbers, punctuated_forms

from app.services.identifiers import REMOVED, contains_nhs_number, free_text_problem, is_nhs_number, redact

PROPERTY = settings(database=None, deadline=None, max_examples=60)
AROUND = st.text(alphabet="abc XYZ:;()", max_size=12)
DIGITS = set("0123456789")


@pytest.mark.parametrize("form", PUNCTUATED_FORMS)
def test_every_punctuated_form_is_an_nhs_number(form):
    value = punctuated_forms(NHS_NUMBER)[form]
    assert is_nhs_number(value) and is_nhs_number(f" {value}  "), value
    assert contains_nhs_number(f"Patient {value} was seen twice"), value
    assert free_text_problem(f"NHS {value}") is not None


@pytest.mark.parametrize("value", [
    "(943) 476 5919", "9,434,765,919", "943_476_5919", "943/476/5919", "943·476·5919", "943, 476, 5919",
    "943 | 476 | 5919", "(943) 476-5919", "( 943 ) 476.5919", "943 / 476 / 5919", "943•476•5919",
    "９４３，４７６，５９１９", "（９４３）４７６ ５９１９",
    "12-943 476 5919", "943-476-5919/2026", "943-476-5919,943-476-5920",  # next to other numbers
])
def test_the_forms_the_reprobe_found_are_refused(value):
    assert contains_nhs_number(f"note: {value}."), value
    assert free_text_problem(value) is not None


@PROPERTY
@pytest.mark.parametrize("form", PUNCTUATED_FORMS)
@given(digits=nhs_numbers, before=AROUND, after=AROUND)
def test_any_valid_number_in_each_punctuated_form_is_found_in_any_text(form, digits, before, after):
    value = punctuated_forms(digits)[form]
    assert is_nhs_number(value), value
    assert contains_nhs_number(before + value + after), value


@PROPERTY
@pytest.mark.parametrize("form", PUNCTUATED_FORMS)
@given(nine=st.integers(0, 10**9 - 1).map(lambda n: f"{n:09d}"), last=st.integers(0, 9))
def test_a_wrong_check_digit_in_each_punctuated_form_is_not_an_nhs_number(form, nine, last):
    if check_digit(nine) == last:
        return
    value = punctuated_forms(nine + str(last))[form]
    assert not is_nhs_number(value) and not contains_nhs_number(f"count {value} seen"), value


@pytest.mark.parametrize("text", [
    "Checked on 2026-03-31 14 patients", "31/03/2026 14:30, 2026/03/31 9", "31.03.2026 1234567",
    "On 31/03/2026 100004 doses", "100001 2026/03/31",  # a year and a count: ten digits passing mod 11
    "Call 01632 960983 or 020 7946 0958", "(020) 7946 0958", "(01632) 960983", "0163-296-0983",
    "+44 20 7946 0958", "+44 (0)1632 960983", "+441632960983",
    "List size 9,000; register 1,234; 12,345, 67,890", "12, 345, 67, 890", "1,234,567 patients",
    "£12,345.67 paid, £1,234,567.89 due", "£99,999,999.99", "LD register 56, checks 41, allocation 32",
    "Doses 120 | 340 | 560 | 780", "A81001_2026-03-31.csv", "Mary-Jane O'Neil (Ward 3)",
    "Phone 09434765919 here",  # eleven digits: a phone number, even with an "e" about
])
def test_ordinary_text_is_accepted(text):
    assert not contains_nhs_number(text), text
    assert free_text_problem(text) is None
    assert redact(text) == text


uk_phones = st.builds(
    lambda digits, grouping, sep, brackets: _phone("0" + digits, grouping, sep, brackets),
    st.integers(10**9, 10**10 - 1).map(str),  # UK numbers: 0 then a digit 1-9 (01, 02, 03, 07...)
    st.sampled_from([(5, 6), (3, 4, 4), (4, 3, 4), (5, 3, 3), (4, 7)]), st.sampled_from([" ", "-", "", "."]),
    st.booleans())


def _phone(digits: str, grouping: tuple[int, ...], sep: str, brackets: bool) -> str:
    groups, at = [], 0
    for size in grouping:
        groups.append(digits[at:at + size])
        at += size
    if brackets:
        return f"({groups[0]}) " + sep.join(groups[1:])
    return sep.join(groups)


dates = st.dates(date(2000, 1, 1), date(2099, 12, 31)).flatmap(
    lambda day: st.sampled_from([day.isoformat(), f"{day:%d/%m/%Y}", f"{day:%d.%m.%Y}", f"{day:%Y/%m/%d}"]))
counts = st.integers(0, 999_999)
money = st.integers(0, 99_999_999_99).map(lambda pence: f"£{pence // 100:,}.{pence % 100:02d}")


@settings(database=None, deadline=None, max_examples=300)
@given(st.lists(st.one_of(
    uk_phones,
    st.tuples(dates, counts).map(lambda dc: f"{dc[0]} {dc[1]}"),
    counts.map(lambda n: f"list size {n:,}"),
    money,
), min_size=1, max_size=4), st.sampled_from(["; ", " and "]))
def test_dates_phones_list_sizes_and_money_are_never_refused(parts, joiner):
    # Values kept apart by a word or a semicolon. With only a space, or a comma, between two numbers the
    # checker reads their digit groups as one written number ("list size 152,703 072 7291 645" holds
    # "703 072 7291", an NHS number's grouping) and refuses it, erring on the side of the patient.
    text = joiner.join(parts)
    assert not contains_nhs_number(text), text
    assert redact(text) == text


@pytest.mark.parametrize("text, expected", [
    ("9434765919 is not a service in 2025-26", f"{REMOVED} is not a service in 2025-26"),
    ("values.X9434765919", f"values.X{REMOVED}"),
    ("numerator '9,434,765,919' is not a whole number", f"numerator '{REMOVED}' is not a whole number"),
    ("Ann (943) 476 5919 and (943) 476 5919!", f"Ann {REMOVED} and {REMOVED}!"),
    ("NHS: 943 476 5919, seen 2026-03-31 14 times", f"NHS: {REMOVED}, seen 2026-03-31 14 times"),
    ("9.434765919E+09 in a spreadsheet", f"{REMOVED} in a spreadsheet"),
    ("x9\u200b434\u200b765919x", f"x{REMOVED}x"),
    ("⁹⁴³⁴⁷⁶⁵⁹¹⁹", REMOVED),
])
def test_redact_takes_the_number_out_and_keeps_the_rest(text, expected):
    assert redact(text) == expected


@PROPERTY
@given(written=st.one_of(
    nhs_numbers.map(lambda d: punctuated_forms(d)["brackets"]),
    nhs_numbers.flatmap(lambda d: st.sampled_from(sorted(punctuated_forms(d).values()))),
), before=AROUND, after=AROUND)
def test_redacted_text_never_holds_the_number(written, before, after):
    shown = redact(before + written + after)
    assert not contains_nhs_number(shown) and REMOVED in shown
    # Only the number goes: every letter around it stays, in order.
    letters = [c for c in before + after if c.isalpha()]
    assert [c for c in shown.replace(REMOVED, "") if c.isalpha()] == letters


def test_redact_is_fast_on_long_text():
    text = "1a" * 100_000 + NHS_NUMBER
    shown = redact(text)
    assert shown.endswith(REMOVED) and not contains_nhs_number(shown)
