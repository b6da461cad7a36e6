"""app.services.identifiers: NHS-number-like values are found in every form people write them."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nhs_forms import FORMS, NHS_NUMBER, check_digit, nhs_numbers, written_forms, written_nhs_numbers

from app.services.identifiers import contains_nhs_number, free_text_problem, is_nhs_number, passes_mod11

PROPERTY = settings(database=None, deadline=None, max_examples=200)


@pytest.mark.parametrize("form", FORMS)
def test_every_written_form_is_an_nhs_number(form):
    value = written_forms(NHS_NUMBER)[form]
    assert is_nhs_number(value), value
    assert is_nhs_number(f"  {value} ")
    assert contains_nhs_number(f"Patient {value} was seen twice"), value


@pytest.mark.parametrize("value", [
    "NHS: 943 476 5919", "nhs no. 9434765919", "NHS number 943-476-5919", "9434765919.000",
    "943 - 476 - 5919", "943\u200b476\u200b5919", "943\u2013476\u20135919", "94.34765919E+08",
])
def test_other_spellings_people_use(value):
    assert is_nhs_number(value), value
    assert contains_nhs_number("note: " + value + " (checked)"), value


@pytest.mark.parametrize("text", [
    "9434765919 1 visit",  # the number followed by another count
    "NHS9434765919",
    "ref9434765919x",
    "call 020 7946 0958 about 9434765919",
])
def test_a_number_next_to_other_digits_or_letters_is_still_found(text):
    assert contains_nhs_number(text)


@pytest.mark.parametrize("value", [
    "9434765918",  # check digit should be 9
    "1234567890",  # weighted sum gives check 10: never a valid NHS number
    "943476591",  # 9 digits
    "94347659190",  # 11 digits
    "19434765919",  # the number inside a longer run of digits
    "9812", "", "A81001", "2026-03-31", "Z99001,QOF,DM020,2026-03-31,351,540,28",
])
def test_other_values_are_not_nhs_numbers(value):
    assert not is_nhs_number(value)
    assert not contains_nhs_number(value)


@pytest.mark.parametrize("text", [
    "Checked on 2026-03-31 14 patients",  # a date then a count: mixed separators are not one number
    "Call 01632 960983 or 020 7946 0958",  # UK phone numbers: 11 digits
    "LD register 56, checks 41, allocation 32",
    "Mary-Jane O'Neil",
])
def test_ordinary_notes_are_accepted(text):
    assert not contains_nhs_number(text)
    assert free_text_problem(text) is None


def test_the_reason_never_repeats_the_number():
    problem = free_text_problem(f"Patient {NHS_NUMBER}")
    assert problem is not None and "looks like an NHS number" in problem
    assert NHS_NUMBER not in problem and "5919" not in problem
    assert free_text_problem(None) is None and free_text_problem("") is None


def test_mod11_needs_ten_ascii_digits():
    assert passes_mod11(NHS_NUMBER)
    assert not passes_mod11("９４３４７６５９１９")  # callers normalise first
    assert not passes_mod11("943476591X")


@settings(database=None, deadline=None, max_examples=200)
@given(written_nhs_numbers(), st.text(alphabet="abc XYZ:;()", max_size=12),
       st.text(alphabet="abc XYZ:;()", max_size=12))
def test_any_valid_number_in_any_form_is_found_in_any_text(written, before, after):
    digits, value = written
    assert is_nhs_number(value)
    # Letters or punctuation around it never hide it.
    assert contains_nhs_number(before + value + after)


@PROPERTY
@given(st.integers(0, 10**9 - 1).map(lambda n: f"{n:09d}"), st.integers(0, 9))
def test_a_wrong_check_digit_is_never_an_nhs_number(nine, last):
    check = check_digit(nine)
    if check == last:
        return
    assert not is_nhs_number(nine + str(last))
    assert not contains_nhs_number(f"count {nine}{last} seen")


@PROPERTY
@given(nhs_numbers)
def test_generated_numbers_pass_the_check(digits):
    assert passes_mod11(digits) and is_nhs_number(digits)
