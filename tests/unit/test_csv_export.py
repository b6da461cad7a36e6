"""write_csv: a file Excel opens as it is, with plain numbers, UK dates and no formulas."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from app.services.csv_export import cell_text, write_csv


def _read(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as file:
        return list(csv.reader(file))


def test_the_file_starts_with_a_bom_and_ends_rows_with_crlf(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    assert write_csv(path, ["Practice", "£ earned"], [["Église Surgery", Fraction(1234567, 100)]],
                     money={1}) == 1
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode("utf-8-sig") == "Practice,£ earned\r\nÉglise Surgery,12345.67\r\n"


def test_numbers_are_plain_and_money_is_to_the_penny() -> None:
    assert cell_text(Fraction(123456789, 100), money=True) == "1234567.89"
    assert cell_text(Fraction(1, 200), money=True) == "0.01"  # halves away from zero, as on screen
    assert cell_text(Fraction(-1, 200), money=True) == "-0.01"
    assert cell_text(Fraction(10), money=True) == "10.00"
    assert cell_text(Decimal("2.675"), money=True) == "2.68"
    assert cell_text(12345) == "12345"
    assert cell_text(-7) == "-7"  # a number, so not escaped
    assert cell_text(Fraction(713, 1000)) == "0.713"  # other fractions exact where they can be
    assert cell_text(Fraction(1, 3)) == "0.333333"
    assert cell_text(2.5) == "2.5"
    assert cell_text(None) == ""
    assert cell_text(True) == "Yes"


def test_dates_are_day_month_year() -> None:
    assert cell_text(date(2026, 4, 1)) == "01/04/2026"
    assert cell_text("2026-03-31") == "31/03/2026"
    assert cell_text(datetime(2026, 7, 1, 9, 5, tzinfo=UTC)) == "01/07/2026 10:05"  # UK summer time
    assert cell_text("2026-12-01T14:30:00+00:00") == "01/12/2026 14:30"
    assert cell_text("2026-13-01") == "2026-13-01"  # not a date: left as text


@pytest.mark.parametrize("text", ["=1+2", "+44 20 7946 0000", "-2", "@SUM(A1)", "\tx", "\r=1"])
def test_text_that_a_spreadsheet_would_run_is_escaped(text: str) -> None:
    assert cell_text(text) == "'" + text


def test_ordinary_text_is_unchanged() -> None:
    assert cell_text("DM012 – diabetes") == "DM012 – diabetes"
    assert cell_text("a=b") == "a=b"


def test_escaping_reaches_the_file_and_headers(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    write_csv(path, ["=Name"], [["=HYPERLINK(\"http://x\")"]])
    assert _read(path) == [["'=Name"], ["'=HYPERLINK(\"http://x\")"]]


def test_a_short_row_is_refused_and_nothing_is_left_behind(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    with pytest.raises(ValueError, match="1 cells for 2 columns"):
        write_csv(path, ["A", "B"], [[1, 2], [3]])
    assert list(tmp_path.iterdir()) == []
