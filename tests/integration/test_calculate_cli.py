"""`cqrs-central calculate`: the shipped example in both formats, and every bad input exits 2."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nhs_forms import FORMS, NHS_NUMBER, written_forms, written_nhs_numbers

from app.services.rules import load_rules
from central.calculate_cmd import run_calculate
from central.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "resources" / "examples" / "what-if-2025-26.csv"
SCRIPT = Path(sys.executable).parent / "cqrs-central"
HEAD = "practice_code,service,indicator_id,achievement_date,numerator,denominator,pca"
GOOD = [
    "Z99001,QOF,LIST_SIZE,2026-03-31,9812,,",
    "Z99001,QOF,DM_REG,2026-03-31,650,,",
    "Z99001,QOF,DM020,2026-03-31,351,540,28",
]


def run(capsys, *args: str) -> tuple[int, str, str]:
    status = main(["calculate", *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def example_json(capsys) -> dict:
    status, out, err = run(capsys, str(EXAMPLE), "--format", "json")
    assert (status, err) == (0, "")
    return json.loads(out)


def services(practice: dict) -> dict[str, dict]:
    return {s["service"]: s for s in practice["services"]}


# --- the shipped example ---------------------------------------------------------------------


def test_example_json_has_every_indicator_and_totals_equal_the_sums(capsys):
    (practice,) = example_json(capsys)["practices"]
    assert (practice["practice_code"], practice["year"], practice["achievement_date"]) == (
        "Z99001", "2025-26", "2026-03-31")
    qof = services(practice)["QOF"]
    indicators = qof["indicators"]
    assert len(indicators) == 44
    assert [i["indicator_id"] for i in indicators] == list(load_rules("2025-26").indicators)
    assert qof["not_in_extract"] == []
    assert qof["max_points"] == 564 == sum(i["max_points"] for i in indicators)
    assert qof["points"] == pytest.approx(sum(i["points"] for i in indicators), abs=1e-9)
    # The total is rounded once from the exact sum, so it may differ from the sum of rounded pence
    # by at most half a penny per indicator.
    for key in ("payment_gbp", "gbp_unclaimed"):
        assert abs(qof[key] - sum(i[key] for i in indicators)) <= 0.005 * len(indicators) + 1e-9
    for i in indicators:
        assert set(i) == {"indicator_id", "numerator", "denominator", "pca", "achievement_pct", "points",
                          "max_points", "payment_gbp", "patients_to_upper_threshold", "gbp_next_patient",
                          "gbp_unclaimed"}
        assert 0 <= i["points"] <= i["max_points"]
        assert 0 <= i["achievement_pct"] <= 100
        assert i["payment_gbp"] == round(i["payment_gbp"], 2)


def test_example_shows_each_band(capsys):
    (practice,) = example_json(capsys)["practices"]
    indicators = services(practice)["QOF"]["indicators"]
    points = {i["indicator_id"]: (i["points"], i["max_points"]) for i in indicators}
    assert points["DM014"] == (0, 11)  # 33.3%: below the lower threshold of 40%
    assert points["DEM004"] == (14, 14)  # 74.2%: above the upper threshold of 70%
    assert 0 < points["HYP008"][0] < 38


def test_example_hand_worked_dm020(capsys):
    # DM020 (17 points, LT 35%, UT 75%, register DM) in the example: numerator 351, denominator 540.
    #   A = 351 / 540 = 65%
    #   points = 17 × (65 − 35) / (75 − 35) = 17 × 30 / 40 = 12.75
    #   CPI  = 9,812 / 10,184                                     = 0.963472...
    #   APDF = (650 / 9,812) / 0.064440152443 (DM, constants.toml) = 1.028015...
    #   £ = 12.75 × 225.49 × CPI × APDF = 2,874.9975 × 650 / (10,184 × 0.064440152443)
    #     = 2,874.9975 × 650 / 656.258512479512 = 2,874.9975 × 0.990463343 = £2,847.5796 → £2,847.58
    #   unclaimed = (17 − 12.75) × 225.49 × 0.990463343 = £949.19
    (practice,) = example_json(capsys)["practices"]
    dm020 = next(i for i in services(practice)["QOF"]["indicators"] if i["indicator_id"] == "DM020")
    assert dm020["achievement_pct"] == pytest.approx(65)
    assert dm020["points"] == pytest.approx(12.75)
    assert dm020["payment_gbp"] == 2847.58
    assert dm020["gbp_unclaimed"] == 949.19
    # UT: ceil(0.75 × 540) = 405 achieving patients, 54 more than 351.
    assert dm020["patients_to_upper_threshold"] == 54


def test_example_claims_for_other_services(capsys):
    (practice,) = example_json(capsys)["practices"]
    found = services(practice)
    assert list(found) == ["QOF", "6IN1", "MMR", "FLU", "LDHC", "WM"]
    mmr = found["MMR"]
    assert (mmr["points"], mmr["max_points"], mmr["gbp_unclaimed"]) == (None, None, None)
    assert mmr["claims"] == [{"item": "DOSES", "count": 204, "cap": None, "paid_count": 204,
                              "unit_value_gbp": 12.06, "payment_gbp": 2460.24}]  # 204 × £12.06
    ldhc = found["LDHC"]  # 41 checks under a register of 56: £5,740 paid, 15 × £140 = £2,100 to go
    assert (ldhc["payment_gbp"], ldhc["gbp_unclaimed"]) == (5740.0, 2100.0)
    wm = found["WM"]["claims"][0]  # 38 referrals over an allocation of 32: only 32 × £11.50 paid
    assert (wm["count"], wm["cap"], wm["paid_count"], wm["payment_gbp"]) == (38, 32, 32, 368.0)


def test_example_table_reads_well_in_100_columns(capsys):
    status, out, err = run(capsys, str(EXAMPLE), "--format", "table")
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 100
    assert "Practice Z99001    Year 2025-26    Achievement date 31 Mar 2026    List size 9,812" in lines
    dm020 = next(line for line in lines if line.startswith("DM020 "))
    assert dm020.split() == ["DM020", "351/540", "28", "65.0%", "12.75/17", "£2,847.58", "54", "£17.58",
                             "£949.19"]
    assert sum(1 for line in lines if re.match(r"[A-Z]+\d{3} ", line)) == 44
    assert any(line.split()[:5] == ["WM", "REFERRALS", "38", "32", "32"] for line in lines)


def test_table_is_the_default_and_lists_indicators_not_in_the_extract(capsys, tmp_path):
    path = tmp_path / "small.csv"
    path.write_text("\n".join([HEAD, *GOOD]) + "\n")
    status, out, _ = run(capsys, str(path))
    assert status == 0
    assert "Not in the extract (no points): AF006, AF008" in out
    assert max(len(line) for line in out.splitlines()) <= 100
    status, out, _ = run(capsys, str(path), "--format", "json")
    assert "DM020" not in json.loads(out)["practices"][0]["services"][0]["not_in_extract"]


@pytest.mark.parametrize("fmt", ["json", "table"])
def test_installed_script_runs_the_example(fmt):
    done = subprocess.run([str(SCRIPT), "calculate", str(EXAMPLE), "--format", fmt],
                          capture_output=True, text=True, timeout=60, check=False)
    assert (done.returncode, done.stderr) == (0, "")
    if fmt == "json":
        assert len(json.loads(done.stdout)["practices"][0]["services"][0]["indicators"]) == 44
    else:
        assert "£2,847.58" in done.stdout


# --- bad input: status 2, every problem on stderr by line, nothing on stdout -----------------


BAD_CASES = {
    "unknown indicator": (["Z99001,QOF,DM999,2026-03-31,1,2,0"], [5], "is not a 2025-26 QOF indicator"),
    "negative count": (["Z99001,QOF,DM012,2026-03-31,-3,10,0"], [5], "is negative"),
    "non-integer count": (["Z99001,QOF,DM012,2026-03-31,2.5,10,0"], [5], "is not a whole number"),
    "numerator over denominator": (["Z99001,QOF,DM012,2026-03-31,120,100,0"], [5],
                                   "numerator 120 is more than denominator 100"),
    "no list size": (None, [2], "has no LIST_SIZE row"),
    "prevalence indicator without register": (["Z99001,QOF,AF006,2026-03-31,26,31,2"], [5],
                                              "needs a QOF row for AF_REG"),
    "impossible date": (["Z99001,QOF,DM012,2025-02-30,1,2,0"], [5], "2025-02-30 is not a real date"),
    "unexpected column": ("column", [1], "unexpected column 'practice_name'"),
    "patient identifier": (["Z99001,QOF,DM012,2026-03-31,9434765919,10,0"], [5],
                           "looks like an NHS number; CQRS holds aggregate data only"),
    "duplicate row": (["Z99001,QOF,DM020,2026-03-31,351,540,28"], [5], "duplicate of line 4"),
}


def bad_file(tmp_path: Path, extra) -> Path:
    if extra is None:
        lines = [HEAD, *GOOD[1:]]
    elif extra == "column":
        lines = [HEAD + ",practice_name", *(row + ",Example Surgery" for row in GOOD)]
    else:
        lines = [HEAD, *GOOD, *extra]
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("case", BAD_CASES)
def test_bad_input_exits_2_with_line_numbers_and_no_result(capsys, tmp_path, case):
    extra, lines, words = BAD_CASES[case]
    for fmt in ("json", "table"):
        status, out, err = run(capsys, str(bad_file(tmp_path, extra)), "--format", fmt)
        assert status == 2
        assert out == ""
        messages = err.splitlines()
        assert [int(re.match(r"line (\d+)[:,] ", m).group(1)) for m in messages] == lines, messages
        assert words in err
    assert "9434765919" not in err


def test_every_problem_is_printed_one_per_line(capsys, tmp_path):
    rows = [row for extra, _, _ in BAD_CASES.values() if isinstance(extra, list) for row in extra]
    path = tmp_path / "bad.csv"
    path.write_text("\n".join([HEAD, *GOOD, *rows]) + "\n")
    status, out, err = run(capsys, str(path))
    assert (status, out) == (2, "")
    assert [re.match(r"line \d+", m).group() for m in err.splitlines()] == [
        f"line {n}" for n in range(5, 5 + len(rows))]


def test_installed_script_refuses_bad_input(tmp_path):
    path = bad_file(tmp_path, ["Z99001,QOF,DM012,2026-03-31,120,100,0"])
    done = subprocess.run([str(SCRIPT), "calculate", str(path)], capture_output=True, text=True,
                          timeout=60, check=False)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == ("line 5: numerator 120 is more than denominator 100 (numerator must be a "
                           "whole number from 0 to the denominator)\n")


def test_unknown_year_lists_the_years_available(capsys):
    status, out, err = run(capsys, str(EXAMPLE), "--year", "2019-20")
    assert (status, out) == (2, "")
    assert err == "no rules for year '2019-20' (years available: 2026-27, 2025-26, 2024-25)\n"


def test_missing_file_is_a_clear_message(capsys, tmp_path):
    status, out, err = run(capsys, str(tmp_path / "nope.csv"))
    assert (status, out) == (2, "")
    assert err.strip().endswith("nope.csv: no such file")


# --- NHS numbers: refused in every form, never echoed ----------------------------------------


@pytest.mark.parametrize("form", FORMS)
def test_an_nhs_number_in_any_form_is_refused_and_never_printed(capsys, tmp_path, form):
    value = written_forms(NHS_NUMBER)[form]
    in_cell = [*GOOD, f"Z99001,QOF,DM012,2026-03-31,1,{value},0"]
    for header, rows in ((HEAD + "," + value, GOOD), (HEAD, in_cell)):
        path = tmp_path / "bad.csv"
        path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
        status, out, err = run(capsys, str(path))
        assert (status, out) == (2, "")
        assert "looks like an NHS number" in err
        assert re.match(r"line (1, column 8|5, column 6 \(denominator\)) looks like", err), err
        assert NHS_NUMBER not in err and value not in err


@settings(database=None, deadline=None, max_examples=40)
@given(written=written_nhs_numbers(), column=st.integers(0, 6), in_header=st.booleans())
def test_any_nhs_number_anywhere_is_refused_and_never_printed(tmp_path_factory, written, column, in_header):
    digits, value = written
    if in_header:
        names = HEAD.split(",")
        names[column] = value
        lines = [",".join(names), *GOOD]
    else:
        cells = GOOD[2].split(",")
        cells[column] = value
        lines = [HEAD, *GOOD, ",".join(cells)]
    path = tmp_path_factory.mktemp("nhs") / "extract.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert run_calculate(str(path), out=out, err=err) == 2
    assert out.getvalue() == ""
    assert f"column {column + 1}" in err.getvalue() and "looks like an NHS number" in err.getvalue()
    assert digits not in err.getvalue() and value not in err.getvalue()


# --- --max-bytes: the file is streamed and reading stops at the cap --------------------------


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_an_endless_stream_stops_promptly_at_max_bytes():
    started = time.monotonic()
    done = subprocess.run([str(SCRIPT), "calculate", "/dev/zero", "--max-bytes", "10000"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == ("/dev/zero is larger than --max-bytes (10000 bytes); nothing was calculated "
                           "(check it is the extract you meant, or give a larger --max-bytes)\n")
    assert time.monotonic() - started < 30


@pytest.mark.skipif(shutil.which("yes") is None, reason="needs yes(1)")
def test_an_endless_stream_of_lines_stops_promptly_at_max_bytes():
    rows = subprocess.Popen(["yes", GOOD[2]], stdout=subprocess.PIPE)
    try:
        done = subprocess.run([str(SCRIPT), "calculate", "/dev/stdin", "--max-bytes", "200000"],
                              stdin=rows.stdout, capture_output=True, text=True, timeout=60, check=False)
    finally:
        rows.stdout.close()
        rows.wait(timeout=30)  # ends once calculate stops reading
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith("/dev/stdin is larger than --max-bytes (200000 bytes)")


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_an_endless_stream_without_line_breaks_stops_at_the_default_cap_too():
    done = subprocess.run([str(SCRIPT), "calculate", "/dev/zero"], capture_output=True, text=True,
                          timeout=60, check=False)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith("line 1: is longer than 65,536 bytes")


def test_a_file_over_max_bytes_is_refused_and_one_at_it_is_calculated(capsys, tmp_path):
    path = tmp_path / "small.csv"
    path.write_text("\n".join([HEAD, *GOOD]) + "\n")
    size = path.stat().st_size
    status, out, err = run(capsys, str(path), "--max-bytes", str(size - 1))
    assert (status, out) == (2, "")
    assert err == (f"{path} is larger than --max-bytes ({size - 1} bytes); nothing was calculated "
                   "(check it is the extract you meant, or give a larger --max-bytes)\n")
    status, out, err = run(capsys, str(path), "--max-bytes", str(size), "--format", "json")
    assert (status, err) == (0, "")
    assert json.loads(out)["practices"][0]["practice_code"] == "Z99001"


def test_the_default_cap_is_one_gibibyte():
    args = build_parser().parse_args(["calculate", str(EXAMPLE)])
    assert args.max_bytes == 1024 * 1024 * 1024 >= 1_000_000_000


def test_an_extract_can_be_piped_in():
    # A pipe cannot be looked into ahead of the reader, so its year is named.
    done = subprocess.run([str(SCRIPT), "calculate", "/dev/stdin", "--year", "2025-26", "--format", "json"],
                          input="\n".join([HEAD, *GOOD]) + "\n", capture_output=True, text=True,
                          timeout=60, check=False)
    assert (done.returncode, done.stderr) == (0, "")
    assert json.loads(done.stdout)["practices"][0]["practice_code"] == "Z99001"


@pytest.mark.parametrize("value", ["0", "-5", "lots", "1.5"])
def test_max_bytes_must_be_a_whole_number_above_zero(capsys, value):
    with pytest.raises(SystemExit) as caught:
        main(["calculate", str(EXAMPLE), f"--max-bytes={value}"])
    assert caught.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"argument --max-bytes: {value!r} is not allowed (a whole number of bytes above 0" in captured.err


def test_without_year_the_rules_are_those_of_the_files_first_row(tmp_path, capsys):
    from central.extract_year import year_of_file

    later = tmp_path / "later.csv"
    later.write_text(HEAD + "\n" + GOOD[0].replace("2026-03-31", "2026-10-31") + "\n", encoding="utf-8")
    assert year_of_file(EXAMPLE) == "2025-26" and year_of_file(later) == "2026-27"
    assert year_of_file(tmp_path / "missing.csv") is None
    assert main(["calculate", str(EXAMPLE), "--format", "json"]) == 0  # 2025/26 rows: 2025/26 rules
    assert "2025-26" in capsys.readouterr().out
