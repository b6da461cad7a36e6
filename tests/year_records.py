"""Result records of three QOF years in one cache, as the central service builds them, for the tests of a
dashboard that follows the year (the service's today is 1 Dec 2026, in 2026/27).

- 2024/25: the year end (31 Mar 2025) only.
- 2025/26: 31 Oct 2025 and the year end (31 Mar 2026), with vaccination (adult flu) and LD health check
  claims in October.
- 2026/27: 30 Sep and 31 Oct 2026 (no 30 Sep 2025 result is held, so September has nothing to compare
  with), with COVID-19 and flu, shingles and LD health check claims in October (the shingles and LD
  health check fees are 2025/26's, carried over: provisional).

The counts are chosen so that last year's figures are easy to work by hand: at 31 Oct 2025 AF006 is 100 of
200 (50.0%), AF008 150 of 160 (93.75%), VI001 85 of 100 (85.0%) and DM014 has nobody in its denominator;
HYP010 is new in 2026/27.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from qof_records import change, result_id

from app.services.calculation import IndicatorCounts
from app.services.rules import load_rules
from central.results import claim_record, qof_record

TODAY = date(2026, 12, 1)
RULES = {year: load_rules(year) for year in ("2024-25", "2025-26", "2026-27")}
YEAR_END_2025, OCT_2025, YEAR_END_2026 = date(2025, 3, 31), date(2025, 10, 31), date(2026, 3, 31)
SEP_2026, OCT_2026 = date(2026, 9, 30), date(2026, 10, 31)
LIST_SIZE = 9_812
REGISTERS = {"AF": 214, "DM": 655, "HYP": 1_447}

COUNTS: dict[date, dict[str, tuple[int, int, int]]] = {
    YEAR_END_2025: {"AF006": (120, 190, 6), "AF008": (140, 150, 4), "DM014": (14, 40, 1)},
    OCT_2025: {"AF006": (100, 200, 5), "AF008": (150, 160, 4), "DM014": (0, 0, 0), "HYP008": (600, 1_150, 60),
               "VI001": (85, 100, 0)},
    YEAR_END_2026: {"AF006": (140, 200, 5), "AF008": (155, 160, 4), "DM014": (16, 40, 1),
                    "HYP008": (800, 1_160, 60), "VI001": (90, 100, 0)},
    SEP_2026: {"AF006": (120, 200, 5), "AF008": (150, 161, 4), "DM014": (8, 40, 1),
               "HYP010": (300, 1_100, 50), "VI001": (80, 100, 0)},
    OCT_2026: {"AF006": (130, 200, 5), "AF008": (152, 161, 4), "DM014": (10, 41, 1),
               "HYP010": (340, 1_102, 50), "VI001": (88, 100, 0)},
}


def year_of(when: date) -> str:
    start = when.year if when.month >= 4 else when.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def qof(when: date) -> dict[str, Any]:
    counts = [IndicatorCounts(indicator, *numbers) for indicator, numbers in COUNTS[when].items()]
    return qof_record(RULES[year_of(when)], when, LIST_SIZE, REGISTERS, counts)


def claim(service: str, when: date, items: Mapping[str, int]) -> dict[str, Any]:
    return claim_record(RULES[year_of(when)], service, when, items)


def results(years: tuple[str, ...] = ("2024-25", "2025-26", "2026-27")) -> list[dict[str, Any]]:
    """The QOF results and claims of ``years``."""
    records = [qof(when) for when in COUNTS if year_of(when) in years]
    if "2025-26" in years:
        records += [claim("FLU", OCT_2025, {"DOSES": 210}),
                    claim("LDHC", OCT_2025, {"CHECKS": 21, "LD_REG": 58})]
    if "2026-27" in years:
        records += [claim("COVFLU", OCT_2026, {"FLU_DOSES": 230, "COVID_DOSES": 190}),
                    claim("SHING", OCT_2026, {"DOSES": 12}),
                    claim("LDHC", OCT_2026, {"CHECKS": 25, "LD_REG": 60})]
    return records


def feed_changes(years: tuple[str, ...] = ("2024-25", "2025-26", "2026-27")) -> list[dict[str, Any]]:
    """Feed entries of every result record of ``years``."""
    return [change("result", result_id(record), record) for record in results(years)]
