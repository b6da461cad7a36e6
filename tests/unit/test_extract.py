"""central.extract: the extract parser refuses a bad file whole, listing every problem by line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nhs_forms import (
    FORMS,
    NHS_NUMBER,
    PUNCTUATED_FORMS,
    punctuated_forms,
    written_forms,
    written_nhs_numbers,
)

from app.services.calculation import IndicatorCounts
from app.services.rules import load_rules
from central import extract as extract_module
from central.extract import (
    HEADER,
    ExtractError,
    ExtractProblem,
    ExtractTooLarge,
    parse_extract,
    read_extract,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "examples" / "extract-2025-26.csv"
WHAT_IF = EXAMPLE.with_name("what-if-2025-26.csv")  # the example plus hand-entered and commissioner items
HEAD = ",".join(HEADER)
# A small valid extract: lines 2-4 after the header (line 1).
GOOD = [
    "Z99001,QOF,LIST_SIZE,2026-03-31,9812,,",
    "Z99001,QOF,DM_REG,2026-03-31,650,,",
    "Z99001,QOF,DM020,2026-03-31,351,540,28",
]


@pytest.fixture(scope="module")
def rules():
    return load_rules("2025-26")


def text(*rows: str, header: str = HEAD) -> str:
    return "\n".join([header, *rows]) + "\n"


def problems(source: str, rules, **kwargs) -> list[str]:
    with pytest.raises(ExtractError) as caught:
        parse_extract(source, rules, **kwargs)
    return [str(p) for p in caught.value.problems]


# --- a good extract --------------------------------------------------------------------------


def test_a_small_extract_is_grouped_per_practice_and_date(rules):
    result = parse_extract(text(*GOOD, "Z99001,MMR,DOSES,2026-03-31,204,,"), rules)
    assert result.year == "2025-26"
    (practice,) = result.practices
    assert practice.practice_code == "Z99001"
    assert practice.achievement_date == date(2026, 3, 31)
    assert practice.list_size == 9812
    assert dict(practice.registers) == {"DM": 650}
    assert practice.qof == (IndicatorCounts("DM020", 351, 540, 28),)
    assert {k: dict(v) for k, v in practice.services.items()} == {"MMR": {"DOSES": 204}}


def test_the_example_extract_holds_every_indicator(rules):
    (practice,) = read_extract(EXAMPLE, rules, extracted_only=True).practices  # the service may load it
    assert [c.indicator_id for c in practice.qof] == list(rules.indicators)
    assert practice.list_size == 9812
    assert set(practice.registers) == set(rules.registers)
    assert {k: dict(v) for k, v in practice.services.items()} == {
        "6IN1": {"DOSES": 386}, "MMR": {"DOSES": 204}, "FLU": {"DOSES": 2317}}
    (what_if,) = read_extract(WHAT_IF, rules).practices
    assert what_if.qof == practice.qof
    assert dict(what_if.services["LDHC"]) == {"CHECKS": 41, "LD_REG": 56}
    assert dict(what_if.services["WM"]) == {"REFERRALS": 38, "ALLOCATION": 32}


def test_several_practices_and_dates_are_sorted(rules):
    rows = [r.replace("Z99001", "Z99002") for r in GOOD] + GOOD
    rows += [r.replace("2026-03-31", "2025-09-30") for r in GOOD]
    result = parse_extract(text(*rows), rules)
    assert [(p.practice_code, p.achievement_date.isoformat()) for p in result.practices] == [
        ("Z99001", "2025-09-30"), ("Z99001", "2026-03-31"), ("Z99002", "2026-03-31")]


def test_bom_crlf_spaces_and_blank_lines_are_accepted(rules):
    source = "\ufeff" + HEAD + "\r\n" + "\r\n".join(GOOD).replace(",351,", ", 351 ,") + "\r\n\r\n"
    assert parse_extract(source, rules).practices[0].qof[0].numerator == 351


# --- each bad case, with its line and what is allowed ----------------------------------------


@pytest.mark.parametrize("row, expected", [
    ("Z99001,QOF,DM999,2026-03-31,1,2,0",
     "line 5: indicator 'DM999' is not a 2025-26 QOF indicator (allowed: one of the year's 44"),
    ("Z99001,QOF,DM012,2026-03-31,-3,10,0",
     "line 5: numerator '-3' is negative (numerator must be a whole number from 0 to 1,000,000)"),
    ("Z99001,QOF,DM012,2026-03-31,3,-10,0", "line 5: denominator '-10' is negative"),
    ("Z99001,QOF,DM012,2026-03-31,3,10,-1", "line 5: pca '-1' is negative"),
    ("Z99001,QOF,DM012,2026-03-31,12.5,20,0",
     "line 5: numerator '12.5' is not a whole number (numerator must be a whole number from 0"),
    ("Z99001,QOF,DM012,2026-03-31,120,100,0",
     "line 5: numerator 120 is more than denominator 100 "
     "(numerator must be a whole number from 0 to the denominator)"),
    ("Z99001,QOF,DM012,2025-02-30,1,2,0", "line 5: achievement_date 2025-02-30 is not a real date"),
    ("Z99001,QOF,DM012,31/03/2026,1,2,0",
     "line 5: achievement_date '31/03/2026' is not a date in the form YYYY-MM-DD"),
    ("Z99001,QOF,DM012,2025-03-31,1,2,0",
     "line 5: achievement_date 2025-03-31 is outside the 2025-26 rules year "
     "(allowed: 2025-04-01 to 2026-03-31)"),
    ("Z99001,QOF,DM020,2026-03-31,1,2,0", "line 5: duplicate of line 4: QOF DM020 for Z99001"),
    ("z99001,QOF,DM012,2026-03-31,1,2,0", "line 5: practice_code 'z99001' is not an ODS practice code"),
    ("Z99001,XYZ,DOSES,2026-03-31,1,,", "line 5: service 'XYZ' is not known in the 2025-26 rules "
                                        "(allowed: QOF, 6IN1"),
    ("Z99001,MMR,CHECKS,2026-03-31,1,,", "line 5: indicator_id 'CHECKS' is not an item of service MMR "
                                         "(allowed: DOSES)"),
    ("Z99001,QOF,XX_REG,2026-03-31,1,,", "line 5: register 'XX_REG' is not known in the 2025-26 rules"),
    ("Z99001,QOF,AF_REG,2026-03-31,99999,,",
     "line 5: AF_REG 99,999 is more than the LIST_SIZE 9,812 of practice Z99001 at 2026-03-31"),
    ("Z99001,MMR,DOSES,2026-03-31,4,4,", "line 5: denominator must be empty on a MMR DOSES row"),
    ("Z99001,QOF,DM012,2026-03-31,1,2", "line 5: has 6 fields; every row needs 7"),
    ("Z99001,QOF,DM012,2026-03-31,1,,0", "line 5: denominator is empty"),
    ("Z99001,QOF,DM012,2026-03-31,2000000,3000,0",
     "line 5: numerator '2000000' is too large (numerator must be a whole number from 0 to 1,000,000)"),
    ("Z99001,QOF,AF006,2026-03-31,1,2,0",
     "line 5: AF006 is paid by prevalence, so practice Z99001 at 2026-03-31 needs a QOF row for AF_REG"),
    ("Z99001,LDHC,CHECKS,2026-03-31,41,,",
     "line 5: LDHC CHECKS is capped, so practice Z99001 at 2026-03-31 needs a LDHC,LD_REG row"),
])
def test_each_bad_row_is_refused_with_its_line_and_what_is_allowed(rules, row, expected):
    found = problems(text(*GOOD, row), rules)
    assert len(found) == 1, found
    assert found[0].startswith(expected)


def test_a_multi_register_indicator_needs_every_register(rules):
    found = problems(text(*GOOD, "Z99001,QOF,CHOL004,2026-03-31,192,503,19",
                          "Z99001,QOF,PAD_REG,2026-03-31,54,,"), rules)
    assert found == ["line 5: CHOL004 is paid by prevalence, so practice Z99001 at 2026-03-31 needs a QOF "
                     "row for CHD_REG and STIA_REG (register size as numerator)"]


def test_a_practice_date_without_list_size_is_refused(rules):
    found = problems(text(*GOOD[1:]), rules)
    assert found == ["line 2: practice Z99001 at 2026-03-31 has no LIST_SIZE row (every practice and "
                     "achievement date needs QOF,LIST_SIZE with the registered list size as numerator)"]


def test_list_size_must_be_above_zero(rules):
    found = problems(text(GOOD[0].replace("9812", "0"), *GOOD[1:]), rules)
    assert found[0].startswith("line 2: numerator 0 is not a list size")


def test_a_capped_item_may_come_without_its_cap_when_ingest_allows_it(rules):
    result = parse_extract(text(*GOOD, "Z99001,LDHC,CHECKS,2026-03-31,41,,"), rules, require_caps=False)
    assert dict(result.practices[0].services["LDHC"]) == {"CHECKS": 41}


@pytest.mark.parametrize("header, expected", [
    (HEAD + ",nhs_number", "line 1: unexpected column 'nhs_number' (the header must be exactly "
                           "practice_code,service,indicator_id,achievement_date,numerator,denominator,pca)"),
    (HEAD.removesuffix(",pca"), "line 1: missing column pca (the header must be exactly"),
    ("service,practice_code,indicator_id,achievement_date,numerator,denominator,pca",
     "line 1: the columns are repeated or in the wrong order"),
])
def test_the_header_must_be_exact(rules, header, expected):
    found = problems(text(*GOOD, header=header), rules)
    assert len(found) == 1, found
    assert found[0].startswith(expected)


REFUSED = ("looks like an NHS number; CQRS holds aggregate data only, so patient identifiers are refused "
           "(remove it)")
ROW = "Z99001,QOF,DM012,2026-03-31,{},10,0"


@pytest.mark.parametrize("form", FORMS)
def test_an_nhs_number_in_a_cell_is_refused_in_every_form_without_repeating_it(rules, form):
    value = written_forms(NHS_NUMBER)[form]
    found = problems(text(*GOOD, ROW.format(value)), rules)
    assert found == [f"line 5, column 5 (numerator) {REFUSED}"]
    assert NHS_NUMBER not in found[0] and "5919" not in found[0] and value not in found[0]


@pytest.mark.parametrize("form", FORMS)
def test_an_nhs_number_in_the_header_is_refused_in_every_form_without_repeating_it(rules, form):
    value = written_forms(NHS_NUMBER)[form]
    found = problems(text(*GOOD, header=HEAD + "," + value), rules)
    assert found == [f"line 1, column 8 {REFUSED}"]
    # A column name holding a number is refused the same way, even inside longer text.
    found = problems(text(*GOOD, header=HEAD.replace("pca", f"pca {value}")), rules)
    assert found[0] == f"line 1, column 7 {REFUSED}"
    assert all(NHS_NUMBER not in p and value not in p for p in found)


@pytest.mark.parametrize("column", range(len(HEADER)))
def test_an_nhs_number_inside_longer_text_is_refused_in_any_column(rules, column):
    cells = GOOD[2].split(",")
    cells[column] = f"pt {NHS_NUMBER} seen"
    found = problems(text(*GOOD, ",".join(cells)), rules)
    assert found == [f"line 5, column {column + 1} ({HEADER[column]}) {REFUSED}"]


@pytest.mark.parametrize("form", PUNCTUATED_FORMS)
def test_a_punctuated_nhs_number_in_a_quoted_cell_or_column_is_refused_without_repeating_it(rules, form):
    value = punctuated_forms(NHS_NUMBER)[form]
    found = problems(text(*GOOD, ROW.format(f'"{value}"')), rules)
    assert found == [f"line 5, column 5 (numerator) {REFUSED}"]
    found = problems(text(*GOOD, header=f'{HEAD},"{value}"'), rules)
    assert found == [f"line 1, column 8 {REFUSED}"]


def test_the_quoted_thousands_cell_of_the_reprobe_is_refused_as_an_nhs_number(rules):
    found = problems(text(GOOD[0].replace("9812", '"9,434,765,919"'), *GOOD[1:]), rules)
    assert found[0] == f"line 2, column 5 (numerator) {REFUSED}"
    assert not any(d in p for d in ("9,434", "765", "919") for p in found)


def test_a_value_cut_short_for_a_message_never_shows_ten_digits_that_look_like_an_nhs_number(rules):
    code = "x" * 20 + NHS_NUMBER + "1"  # eleven digits, not an NHS number; its first 30 characters hold one
    (found,) = problems(text(*GOOD, GOOD[2].replace("Z99001", code)), rules)
    assert found.startswith("line 5: practice_code 'xxxxxxxxxxxxxxxxxxxx[number removed]…' is not an ODS")
    assert NHS_NUMBER not in found


def test_an_nhs_number_in_an_extra_column_is_refused_too(rules):
    found = problems(text(GOOD[0] + ",9434765919", header=HEAD + ",nhs_number"), rules)
    assert found[1] == f"line 2, column 8 {REFUSED}"
    assert "9434765919" not in "\n".join(found)


def test_several_numbers_on_one_line_are_each_named_by_column(rules):
    found = problems(text(*GOOD, "9434765919,QOF,DM012,2026-03-31,1,943 476 5919,0"), rules)
    assert found == [f"line 5, column 1 (practice_code) {REFUSED}",
                     f"line 5, column 6 (denominator) {REFUSED}"]


def test_the_api_keeps_the_column_in_the_message(rules):
    with pytest.raises(ExtractError) as caught:
        parse_extract(text(*GOOD, ROW.format(NHS_NUMBER)), rules)
    (problem,) = caught.value.problems
    assert (problem.line, problem.column) == (5, 5)
    assert problem.message == f"column 5 (numerator) {REFUSED}"


@settings(database=None, deadline=None, max_examples=150)
@given(written_nhs_numbers(), st.integers(0, len(HEADER)), st.booleans(), st.sampled_from(["", "pt ", "x"]))
def test_any_nhs_number_in_any_form_anywhere_is_refused_and_never_repeated(rules, written, column,
                                                                           in_header, around):
    digits, value = written
    value = around + value
    if in_header:
        names = list(HEADER) + ["extra"]
        names[column] = value
        source = text(*GOOD, header=",".join(names))
        where = f"line 1, column {column + 1}"
    else:
        cells = GOOD[2].split(",") + ["extra"]
        cells[column] = value
        source = text(*GOOD, ",".join(cells))
        where = f"line 5, column {column + 1}"
    with pytest.raises(ExtractError) as caught:
        parse_extract(source, rules)
    message = str(caught.value)
    assert any(str(p).startswith(where) and REFUSED in str(p) for p in caught.value.problems), message
    assert digits not in message and value not in message and digits[:9] not in message


def test_every_problem_is_reported_not_just_the_first(rules):
    found = problems(text(*GOOD, "Z99001,QOF,DM999,2026-03-31,1,2,0",
                          "Z99001,QOF,DM012,2025-02-30,-1,2,0"), rules)
    assert [p.split(":")[0] for p in found] == ["line 5", "line 6", "line 6"]


def test_problems_are_objects_with_a_line(rules):
    with pytest.raises(ExtractError) as caught:
        parse_extract(text("Z99001,QOF,LIST_SIZE,2026-03-31,x,,"), rules)
    (problem,) = caught.value.problems
    assert isinstance(problem, ExtractProblem) and problem.line == 2
    assert str(caught.value) == str(problem)


@pytest.mark.parametrize("source, expected", [
    ("", "line 1: the file is empty"),
    ("\n\n", "line 1: the file is empty"),
    (HEAD + "\n", "line 1: the file holds only the header"),
])
def test_an_empty_file_or_header_only_is_refused(rules, source, expected):
    found = problems(source, rules)
    assert len(found) == 1 and found[0].startswith(expected)


def test_a_file_that_is_too_large_is_refused_before_reading(rules, tmp_path):
    path = tmp_path / "big.csv"
    path.write_text(text(*GOOD))
    with pytest.raises(ExtractTooLarge, match="big.csv is larger than 50 bytes") as caught:
        read_extract(path, rules, max_bytes=50)
    assert caught.value.limit == 50
    size = path.stat().st_size
    assert read_extract(path, rules, max_bytes=size).practices  # exactly the limit is allowed


def test_text_that_is_too_large_is_refused(rules, monkeypatch):
    monkeypatch.setattr(extract_module, "MAX_BYTES", 50)
    with pytest.raises(ExtractError, match="an extract may be at most 50 bytes"):
        parse_extract(text(*GOOD), rules)


def test_a_flood_of_problems_is_cut_short(rules, monkeypatch):
    monkeypatch.setattr(extract_module, "MAX_PROBLEMS", 5)
    found = problems(text(*GOOD, *[f"Z99001,QOF,DM0{n:02d},2026-03-31,x,2,0" for n in range(50)]), rules)
    assert len(found) == 6
    assert found[-1] == "stopped after 5 problems; fix these and check the file again"


def test_a_missing_file_is_a_clear_problem(rules, tmp_path):
    with pytest.raises(ExtractError, match="no such file"):
        read_extract(tmp_path / "nope.csv", rules)


def test_a_file_that_is_not_utf8_is_refused_with_its_line(rules, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(text(*GOOD, "Z99001,QOF,DM012,2026-03-31,1,2,0 £").encode("latin-1"))
    with pytest.raises(ExtractError, match="line 5: is not UTF-8 text"):
        read_extract(path, rules)


# --- the limits a hand entry meets -----------------------------------------------------------


def test_a_file_to_load_carries_only_what_gpes_extracts(rules):
    rows = ("Z99001,LDHC,CHECKS,2026-03-31,41,,", "Z99001,LDHC,LD_REG,2026-03-31,56,,",
            "Z99001,WM,ALLOCATION,2026-03-31,32,,", "Z99001,RSVP,DOSES,2026-03-31,3,,")
    assert problems(text(*GOOD, *rows), rules, require_caps=False, extracted_only=True) == [
        "line 6: LDHC LD_REG is entered by hand on CQRS by the practice, not extracted (items an extract may "
        "carry for LDHC: CHECKS)",
        "line 7: WM ALLOCATION is set by the commissioner on CQRS, not extracted (no item of WM comes in an "
        "extract)",
        "line 8: RSVP DOSES is entered by hand on CQRS by the practice, not extracted (no item of RSVP comes "
        "in an extract)",
    ]
    what_if = parse_extract(text(*GOOD, *rows), rules)  # cqrs-central calculate takes them
    assert dict(what_if.practices[0].services["WM"]) == {"ALLOCATION": 32}


def test_a_what_if_file_still_meets_the_stated_maxima_and_the_list_size(rules):
    rows = ("Z99001,LDHC,CHECKS,2026-03-31,41,,", "Z99001,LDHC,LD_REG,2026-03-31,1501,,",
            "Z99001,RSVP,DOSES,2026-03-31,1000000,,", "Z99001,MMR,DOSES,2026-03-31,9813,,",
            "Z99001,QOF,BP002,2026-03-31,10,9813,0")
    found = problems(text(*GOOD, *rows), rules)
    assert found[0].startswith("line 6: LDHC LD_REG 1,501 is too many: it must be no more than 1,500: about "
                               "twice the largest learning disability register")
    assert found[1].startswith("line 7: RSVP DOSES 1,000,000 is too many: it must be no more than 1,000: one "
                               "dose per pregnancy")
    assert found[2:] == [
        "line 8: MMR DOSES 9,813 is too many: it must be no more than the practice's list size of 9,812 "
        "patients",
        "line 9: BP002 denominator 9,813 is more than the LIST_SIZE 9,812 of practice Z99001 at 2026-03-31 "
        "(a denominator must be a whole number from 0 to the list size)",
    ]
