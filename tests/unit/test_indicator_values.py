"""NHS England's INDICATOR_VALUES layout: the same results as our layout, PCAs kept by reason, bad files
refused line by line with nothing patient-identifiable accepted."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from indicator_values import EXCLUSION, HEADER, reasons_of, to_indicator_values

from app.services import pca_reference
from central.calculate_cmd import run_calculate
from central.extract import ExtractError
from central.extract_year import year_of_text
from central.extract_years import read_text_years

OURS = "practice_code,service,indicator_id,achievement_date,numerator,denominator,pca\n"
INGESTED = [  # two practices, two dates, QOF indicators, registers and an extracted V&I item
    "{p},QOF,LIST_SIZE,{d},9812,,", "{p},QOF,DM_REG,{d},650,,", "{p},QOF,AF_REG,{d},214,,",
    "{p},QOF,DM020,{d},351,540,28", "{p},QOF,AF006,{d},120,200,5", "{p},QOF,HYP_REG,{d},1500,,",
    "{p},MMR,DOSES,{d},40,,",
]
WHAT_IF = ["{p},LDHC,CHECKS,{d},30,,", "{p},LDHC,LD_REG,{d},45,,"]  # LD_REG is entered by hand


def ours(lines: list[str] = INGESTED) -> str:
    rows = [line.format(p=p, d=d) for p in ("Z99001", "Z99002") for d in ("2025-10-31", "2026-03-31")
            for line in lines]
    return OURS + "\n".join(rows) + "\n"


def calculate(tmp_path, name: str, text: str) -> tuple[int, str, str]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    status = run_calculate(str(path), fmt="json", out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def refused(text: str) -> list[str]:
    with pytest.raises(ExtractError) as caught:
        read_text_years(text, "2025-26", require_caps=False, extracted_only=True)
    return [str(p) for p in caught.value.problems]


def iv(*rows: str) -> str:
    return HEADER + "\n" + "\n".join(rows) + "\n"


def row(ind: str, name: str, value: str, user: str = "AUTOMATED", last: str = "Y", code: str = "Z99001",
        when: str = "20260331", service: str = "QOF2526") -> str:
    return f"{service},QOF 2025/26,{code},{when},{ind},{name},{value},None,{user},02/04/2026,11:19:50,{last}"


GOOD = [row("LIST_SIZE", "Registered Patients", "9812"), row("DM020", "Diabetes Mellitus Register", "650"),
        row("DM020", "Numerator", "351"), row("DM020", "Denominator", "540"), row("DM020", "DMPCADEC", "20"),
        row("DM020", "DMPCAPU", "8"), row("DM020", "DIAG_DAT23", "3")]  # an exclusion


# --- the same results ------------------------------------------------------------------------


@pytest.mark.parametrize("lines", [INGESTED, INGESTED + WHAT_IF], ids=["extracted", "with hand-entered"])
def test_an_indicator_values_file_calculates_exactly_as_its_equivalent_in_our_layout(tmp_path, lines):
    text = ours(lines)
    converted = to_indicator_values(text)
    assert ",aaa100," in converted and ",AUTOMATED," in converted and converted.count(",N\n") > 50
    assert (",LD_REG,Numerator,45,None,aaa100," in converted) == (lines != INGESTED)
    mine, theirs = calculate(tmp_path, "ours.csv", text), calculate(tmp_path, "iv.csv", converted)
    assert mine[0] == theirs[0] == 0, theirs[2]
    assert json.loads(theirs[1]) == json.loads(mine[1])
    assert len(json.loads(mine[1])["practices"]) == 4


def test_the_pcas_are_kept_by_reason_and_exclusions_are_not_pcas():
    years = read_text_years(to_indicator_values(ours()), "2025-26", require_caps=False, extracted_only=True)
    assert sorted(years) == ["2025-26"]
    _, columns = years["2025-26"]
    assert columns.pca_reasons[("Z99002", date(2026, 3, 31), "DM020")] == reasons_of(28)
    assert columns.pca_reasons[("Z99001", date(2025, 10, 31), "AF006")] == reasons_of(5)
    assert not any(EXCLUSION in reasons for reasons in columns.pca_reasons.values())
    assert len(columns.pca_reasons) == 8  # 2 practices x 2 dates x 2 indicators


def test_a_file_of_two_years_keeps_each_years_reasons_with_its_rows():
    text = iv(*GOOD, *(r.replace("20260331", "20250331").replace("QOF2526", "QOF2425") for r in GOOD))
    years = read_text_years(text, "2025-26", require_caps=False, extracted_only=True)
    assert sorted(years) == ["2024-25", "2025-26"]
    for year, day in (("2024-25", date(2025, 3, 31)), ("2025-26", date(2026, 3, 31))):
        assert dict(years[year][1].pca_reasons) == {("Z99001", day, "DM020"): {"DMPCADEC": 20, "DMPCAPU": 8}}


def test_the_year_of_an_indicator_values_file_is_that_of_its_first_ach_date():
    assert year_of_text(iv(*GOOD)) == "2025-26"
    assert year_of_text(iv(row("LIST_SIZE", "Registered Patients", "9812", when="20241031"))) == "2024-25"


def test_the_pca_reference_gives_plain_english_meanings_and_tells_pcas_from_exclusions():
    assert pca_reference.meaning("DMPCADEC").startswith("Patient chose not to receive diabetes")
    assert pca_reference.is_pca("DMPCADEC") and not pca_reference.is_pca("DIAG_DAT23")
    assert not pca_reference.is_pca("PAT_AGEU45") and not pca_reference.is_pca("NOSUCH")
    assert "not in NHS England's PCA reference" in pca_reference.meaning("NOSUCH")
    assert all("\ufffd" not in r.meaning and "?" not in r.meaning for r in pca_reference.reasons().values())
    assert pca_reference.register_names()["Diabetes Mellitus Register"] == "DM"
    assert pca_reference.pca_rate(28, 540) == pytest.approx(28 / 568) and pca_reference.pca_rate(0, 0) is None


# --- bad files, refused whole and line by line ---------------------------------------------------


def test_an_nhs_number_anywhere_refuses_the_file_by_line_and_column_without_repeating_it():
    problems = refused(iv(*GOOD, row("DM020", "DMPCASU", "8", user="9434765919"),
                          row("9434765919", "Numerator", "1")))
    assert problems == [
        "line 9, column 9 (SUBMIT_USER_ID) looks like an NHS number; CQRS holds aggregate data only, so "
        "patient identifiers are refused (remove it)",
        "line 10, column 5 (IND_CODE) looks like an NHS number; CQRS holds aggregate data only, so "
        "patient identifiers are refused (remove it)"]
    assert not any("9434765919" in p for p in problems)


def test_our_layouts_rules_name_the_line_of_the_indicator_values_file():
    bad = [r.replace("Numerator,351", "Numerator,600") for r in GOOD]
    assert refused(iv(*bad)) == ["line 4: numerator 600 is more than denominator 540 (numerator must be a "
                                 "whole number from 0 to the denominator)"]
    # ... in this layout's words: the list size row and the register by the names CQRS data uses.
    assert refused(iv(*GOOD[1:])) == [
        "line 2: practice Z99001 at 2026-03-31 has no LIST_SIZE row (every practice and achievement date "
        "needs an IND_CODE LIST_SIZE row, FIELD_NAME Registered Patients, with the registered list size as "
        "VALUE)"]
    assert refused(iv(GOOD[0], *GOOD[2:])) == [
        "line 3: DM020 is paid by prevalence, so practice Z99001 at 2026-03-31 needs a row of the Diabetes "
        "Mellitus Register (the register size as VALUE)"]
    assert refused(iv(*(r.replace("Z99001", "z99001") for r in GOOD)))[0].startswith(
        "line 2: ORG_CODE 'z99001' is not an ODS practice code")


def test_each_problem_of_the_layout_itself_is_named_by_line():
    problems = refused(iv(
        *GOOD,
        row("DM020", "Numerator", "351"),  # line 9: a second latest submission
        row("AF006", "Numerator", "5", last="N"),  # line 10: superseded, but nothing marked Y
        row("DM020", "DMWHATEVER", "1"),  # line 11: a field it cannot place
        row("AF006", "Atrial Fibrillation Register", "x"),  # line 12: not a count
        row("LIST_SIZE", "Registered Patients", "9812", when="20261331"),  # line 13: no such date
        row("HYP008", "Diabetes Mellitus Register", "651"),  # line 14: another size of the same register
        row("AF006", "Numerator", "5", service="QOF2425"),  # line 15: ACH_DATE outside 2024/25
        row("AF006", "Numerator", "5", last="maybe"),  # line 16
    ))
    assert problems == [
        "line 9: duplicate of line 4: Numerator of DM020 for Z99001 at 2026-03-31 is marked LAST_SUBMISSION "
        "Y twice (only the latest submission may be marked Y)",
        "line 10: Numerator of AF006 for Z99001 at 2026-03-31 has no row marked LAST_SUBMISSION Y (mark the "
        "latest submission Y)",
        "line 11: FIELD_NAME 'DMWHATEVER' is not one CQRS Desktop reads for DM020 (allowed: Numerator, "
        "Denominator, Yes/No Flag, a register such as Diabetes Mellitus Register, or a PCA or exclusion code "
        "of NHS England's PCA reference such as DMPCADEC)",
        "line 12: VALUE 'x' is not a whole number (VALUE must be a whole number from 0 to 1,000,000)",
        "line 13: ACH_DATE '20261331' is not a real date in the form YYYYMMDD (e.g. 20260331)",
        "line 14: Diabetes Mellitus Register is 651 here but 650 on line 3 for Z99001 at 2026-03-31 (a "
        "register has one size per practice and date)",
        "line 15: ACH_DATE 20260331 is outside QUALITY_SERVICE QOF2425's year (2024-04-01 to 2025-03-31)",
        "line 16: LAST_SUBMISSION 'maybe' must be Y (the latest submission) or N",
    ]


def test_an_indicator_without_its_denominator_and_a_wrong_header_are_refused():
    assert refused(iv(*GOOD[:3], *GOOD[4:])) == [
        "line 4: DM020 for Z99001 at 2026-03-31 has no Denominator row (a QOF indicator needs both, and its "
        "PCA counts by reason)"]
    header = HEADER.replace("VALUE,", "AMOUNT,")
    assert refused(header + "\n" + "\n".join(GOOD) + "\n") == [
        "line 1: the header of an INDICATOR_VALUES file must be exactly " + HEADER]


def test_a_bad_indicator_values_file_prints_its_problems_and_no_result(tmp_path):
    status, out, err = calculate(tmp_path, "bad.csv", iv(*GOOD, row("DM020", "Numerator", "1")))
    assert (status, out) == (2, "")
    assert err.startswith("line 9: duplicate of line 4")


def test_the_printed_table_is_the_same_for_both_layouts(tmp_path, capsys):
    from central.cli import main

    for name, text in (("ours.csv", ours()), ("iv.csv", to_indicator_values(ours()))):
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert main(["calculate", str(tmp_path / "ours.csv")]) == 0
    mine = capsys.readouterr().out
    assert main(["calculate", str(tmp_path / "iv.csv")]) == 0
    assert capsys.readouterr().out == mine and "Practice Z99002" in mine
