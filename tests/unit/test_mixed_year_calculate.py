"""`calculate` of a file whose rows span several QOF years, worked by hand.

The file: two year ends (31 March 2025, of 2024/25; 31 March 2026, of 2025/26) and one 2026/27 month
(31 October 2026). Figures (resources/rules/2026-27/constants.toml): VI001 is worth 18 points, standard
thresholds 89-96%; its improvement route starts at B + 5 and pays in full at B + 18, where B is the mean
of the practice's achievement % at the two previous year ends. A list of exactly the national average
(10,349) makes CPI 1 and VI001 has no register, so a 2026/27 point is worth £227.95.

Z99001 has both year ends: 60/100 = 60% and 66/100 = 66%, so B = 63, the band is 68% to 81%.
At 31 October 2026, 77/100 = 77%: the standard route pays 0 (77 < 89); the improvement route pays
18 x (77 - 68) / (18 - 5) = 18 x 9/13 = 162/13 = 12.4615... points; 162/13 x £227.95 = £2,840.6077 ->
£2,840.61. One more patient (78%): 180/13 points, +18/13 x £227.95 = £315.623 -> £315.62. Unclaimed:
72/13 x £227.95 = £1,262.4923 -> £1,262.49. Patients to the standard upper threshold: 96 - 77 = 19.
Z99002 has only the 2025/26 year end: no baseline, the standard route alone: 77% -> 0 points.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys

from central.calculate_cmd import run_calculate
from central.extract_years import read_text_years, year_ends_in

HEADER = "practice_code,service,indicator_id,achievement_date,numerator,denominator,pca"
ROWS = [
    "Z99001,QOF,LIST_SIZE,2025-03-31,10349,,",
    "Z99001,QOF,VI001,2025-03-31,60,100,0",
    "Z99001,QOF,LIST_SIZE,2026-03-31,10349,,",
    "Z99001,QOF,VI001,2026-03-31,66,100,0",
    "Z99001,QOF,LIST_SIZE,2026-10-31,10349,,",
    "Z99001,QOF,VI001,2026-10-31,77,100,0",
    "Z99002,QOF,LIST_SIZE,2026-03-31,10349,,",
    "Z99002,QOF,VI001,2026-03-31,66,100,0",
    "Z99002,QOF,LIST_SIZE,2026-10-31,10349,,",
    "Z99002,QOF,VI001,2026-10-31,77,100,0",
]
TEXT = HEADER + "\n" + "\n".join(ROWS) + "\n"


def calculate(tmp_path, text: str = TEXT, **options) -> tuple[int, str, str]:
    path = tmp_path / "mixed.csv"
    path.write_text(text, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    status = run_calculate(str(path), out=out, err=err, **options)
    return status, out.getvalue(), err.getvalue()


def vi001(practice: dict) -> dict:
    [qof] = [s for s in practice["services"] if s["service"] == "QOF"]
    [indicator] = [i for i in qof["indicators"] if i["indicator_id"] == "VI001"]
    return indicator


def test_each_year_is_read_under_its_own_rules_and_the_year_ends_give_the_baselines() -> None:
    years = read_text_years(TEXT, "2024-25")
    assert sorted(years) == ["2024-25", "2025-26", "2026-27"]
    assert {y: (rules.year, len(columns.codes)) for y, (rules, columns) in years.items()} == {
        "2024-25": ("2024-25", 1), "2025-26": ("2025-26", 2), "2026-27": ("2026-27", 2)}
    # Z99001: 60% at 31 March 2025 and 66% at 31 March 2026; Z99002: 66% at 31 March 2026 only.
    assert year_ends_in(years, "2026-27") == {"Z99001": {"VI001": {"2024-25": 60, "2025-26": 66}},
                                              "Z99002": {"VI001": {"2025-26": 66}}}


def test_json_reports_the_latest_year_and_vi001_scores_by_the_improvement_route(tmp_path) -> None:
    status, out, err = calculate(tmp_path, fmt="json")
    assert (status, err) == (0, "")
    practices = json.loads(out)["practices"]
    assert [(p["practice_code"], p["year"], p["achievement_date"]) for p in practices] == [
        ("Z99001", "2026-27", "2026-10-31"), ("Z99002", "2026-27", "2026-10-31")]
    improved, alone = (vi001(p) for p in practices)
    assert improved["points"] == 162 / 13 and improved["payment_gbp"] == 2840.61
    assert improved["gbp_next_patient"] == 315.62 and improved["gbp_unclaimed"] == 1262.49
    assert improved["patients_to_upper_threshold"] == 19
    assert alone["points"] == 0 and alone["payment_gbp"] == 0.0  # no 2024/25 year end: standard alone
    # The fast JSON writer and the reference (indented) agree value by value, baselines included.
    status, pretty, _ = calculate(tmp_path, fmt="json", pretty=True)
    assert status == 0 and json.loads(pretty) == json.loads(out)


def test_the_text_report_says_which_year_it_shows_and_how_to_see_another(tmp_path) -> None:
    status, out, err = calculate(tmp_path)
    assert (status, err) == (0, "")
    heading = " ".join(out.split("\n\n")[0].split())
    assert heading == ("Year 2026-27: the latest QOF year in this file, which also holds 2024-25 and "
                       "2025-26. To report another of them, add --year (e.g. --year 2025-26).")
    assert max(len(line) for line in out.splitlines()) <= 100
    rows = [line.split() for line in out.splitlines() if line.startswith("VI001 ")]
    assert [(r[4], r[5]) for r in rows] == [("12.46/18", "£2,840.61"), ("0.00/18", "£0.00")]
    assert "Achievement date 31 Oct 2026" in out and "31 Mar 2026" not in out
    # Under each practice's indicators, in plain words: the baseline and which route pays, or why not.
    text = " ".join(out.split())
    assert ("VI001: baseline 63.0% (the mean of the last two year ends); improvement route 12.46 points, "
            "standard thresholds 0.00: the improvement route pays.") in text
    assert ("VI001: standard thresholds only (the improvement route needs the practice's achievement at "
            "31 March of both previous years; add those year-end rows to the file to use it).") in text


def test_year_picks_the_year_reported(tmp_path) -> None:
    status, out, err = calculate(tmp_path, fmt="json", year="2025-26")
    assert (status, err) == (0, "")
    practices = json.loads(out)["practices"]
    assert {(p["practice_code"], p["year"], p["achievement_date"]) for p in practices} == {
        ("Z99001", "2025-26", "2026-03-31"), ("Z99002", "2025-26", "2026-03-31")}
    # 2025/26 has no improvement route: 66% is below the 89% lower threshold, 0 points.
    assert [vi001(p)["points"] for p in practices] == [0, 0]
    status, table, _ = calculate(tmp_path, year="2025-26")
    assert status == 0 and not table.startswith("Year ")  # the year was named: no heading about it


def test_a_year_the_file_does_not_hold_is_refused_saying_which_it_holds(tmp_path) -> None:
    text = HEADER + "\n" + "\n".join(ROWS[:4]) + "\n"
    status, out, err = calculate(tmp_path, text, year="2026-27")
    assert (status, out) == (2, "")
    assert "holds no rows of 2026-27 (it holds 2024-25 and 2025-26); nothing was calculated" in err


def test_a_row_of_a_year_not_shipped_is_refused_naming_its_line(tmp_path) -> None:
    # 31 March 2023 is the year end of 2022/23, which this version has no rules for: lines 2 and 3.
    text = TEXT.replace("2025-03-31", "2023-03-31")
    status, out, err = calculate(tmp_path, text, fmt="json")
    assert (status, out) == (2, "")
    lines = err.splitlines()
    assert [line.split(":")[0] for line in lines] == ["line 2", "line 3"]
    assert lines[0].startswith("line 2: achievement_date 2023-03-31 is in QOF year 2022-23, which this "
                               "version has no rules for (years it has: 2024-25, 2025-26, 2026-27)")


def test_problems_of_every_year_are_named_by_their_line_in_the_file(tmp_path) -> None:
    # Line 3 (2024/25): 120 achieving of 100; line 6 (2026/27): a LIST_SIZE of 0, so line 7's group has
    # no list size. Each is reported with the line it has in the whole file, though each year is read
    # on its own.
    text = TEXT.replace("VI001,2025-03-31,60,100", "VI001,2025-03-31,120,100").replace(
        "Z99001,QOF,LIST_SIZE,2026-10-31,10349", "Z99001,QOF,LIST_SIZE,2026-10-31,0")
    status, out, err = calculate(tmp_path, text)
    assert (status, out) == (2, "")
    assert [line.split(":")[0].split(",")[0] for line in err.splitlines()] == ["line 3", "line 6", "line 7"]
    assert "line 3: numerator 120 is more than denominator 100" in err


def test_a_piped_file_of_several_years_is_read_once_and_reported_alike(tmp_path) -> None:
    # A pipe cannot be read twice: the whole of it is read once, then each year as from a file.
    command = [sys.executable, "-m", "central.cli", "calculate", "/dev/stdin", "--format", "json"]
    piped = subprocess.run(command, input=TEXT, capture_output=True, text=True, timeout=60, check=False)
    assert (piped.returncode, piped.stderr) == (0, "")
    _, from_file, _ = calculate(tmp_path, fmt="json")
    assert json.loads(piped.stdout) == json.loads(from_file)
