"""Realistic result and benchmark records for the desktop client's tests, as the central service makes them.

The records are built with the service's own builders (``central.results.qof_record`` and
``claim_record``) and the 2025/26 rules, so the client is tested against exactly what a sync delivers:
a QOF result at three month ends with achievement rising month by month, a benchmark for March, a
monthly claim for two vaccination programmes (adult flu and shingles) and for two capped enhanced
services (LD health checks against the LD register, weight-management referrals against the allocation).

Feed them to the cache with ``cache_store.apply_feed_page(ods, feed_changes(ods), cursor)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from app.services.calculation import IndicatorCounts
from app.services.rules import load_rules
from central.results import claim_record, qof_record

RULES = load_rules("2025-26")
JANUARY, FEBRUARY, MARCH = date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31)
MONTHS = (JANUARY, FEBRUARY, MARCH)  # oldest first
LIST_SIZE = 9_812
REGISTERS = {"AF": 214, "DM": 655, "HYP": 1_447}

# indicator -> (numerator, denominator, PCA) at each month end. In March AF008 is at maximum, DM014 is
# below its lower threshold and the rest are between their thresholds.
COUNTS: dict[date, dict[str, tuple[int, int, int]]] = {
    JANUARY: {"AF006": (92, 181, 6), "AF008": (139, 152, 4), "DM014": (10, 42, 1), "DM020": (301, 561, 38),
              "HYP008": (702, 1_153, 61), "BP002": (4_401, 5_214, 12), "VI001": (86, 98, 0)},
    FEBRUARY: {"AF006": (111, 182, 6), "AF008": (143, 153, 4), "DM014": (13, 43, 1), "DM020": (332, 563, 39),
               "HYP008": (761, 1_158, 62), "BP002": (4_502, 5_220, 12), "VI001": (88, 98, 0)},
    MARCH: {"AF006": (129, 183, 7), "AF008": (148, 153, 4), "DM014": (15, 42, 1), "DM020": (361, 566, 40),
            "HYP008": (822, 1_160, 63), "BP002": (4_604, 5_226, 13), "VI001": (90, 98, 0)},
}
GROUPS = ("Atrial fibrillation", "Diabetes mellitus", "Hypertension", "Blood pressure",
          "Vaccination and immunisation")

# Benchmarks are exact fractions of 1 (peer averages); only AF006 has them.
BENCHMARK = {"service": "QOF", "achievement_date": MARCH.isoformat(),
             "indicators": {"AF006": {"pcn": "355/724", "icb": "1/2", "all": "3/4", "practices": 4}}}

# Items claimed each month (January, February, March).
FLU_DOSES = (243, 96, 17)
SHINGLES_DOSES = (11, 14, 9)
LD_CHECKS = (40, 51, 62)  # March is 4 over the LD register of 58
LD_REGISTER = 58
WM_REFERRALS = (4, 9, 6)
WM_ALLOCATION = 56


def change(kind: str, record_id: str | int, data: Mapping[str, Any]) -> dict[str, Any]:
    """One feed entry, as the service's change feed sends it."""
    return {"type": kind, "id": str(record_id), "deleted": False, "data": dict(data)}


def qof(when: date, counts: Mapping[str, tuple[int, int, int]] | None = None,
        registers: Mapping[str, int] | None = None) -> dict[str, Any]:
    """The QOF result at ``when`` (with the counts of COUNTS unless others are given)."""
    chosen = COUNTS[when] if counts is None else counts
    return qof_record(RULES, when, LIST_SIZE, REGISTERS if registers is None else registers,
                      [IndicatorCounts(indicator, *numbers) for indicator, numbers in chosen.items()])


def claim(service: str, when: date, items: Mapping[str, int]) -> dict[str, Any]:
    return claim_record(RULES, service, when, items)


def result_id(record: Mapping[str, Any]) -> str:
    """The feed id of a result record: "<SERVICE>:<achievement date>"."""
    return f"{record['service']}:{record['achievement_date']}"


def results() -> list[dict[str, Any]]:
    """Every result record: QOF, then the vaccination and enhanced-service claims, month by month."""
    records = [qof(when) for when in MONTHS]
    for index, when in enumerate(MONTHS):
        records += [claim("FLU", when, {"DOSES": FLU_DOSES[index]}),
                    claim("SHING", when, {"DOSES": SHINGLES_DOSES[index]}),
                    claim("LDHC", when, {"CHECKS": LD_CHECKS[index], "LD_REG": LD_REGISTER}),
                    claim("WM", when, {"REFERRALS": WM_REFERRALS[index], "ALLOCATION": WM_ALLOCATION})]
    return records


def feed_changes(ods: str) -> list[dict[str, Any]]:
    """Feed entries for practice ``ods``: every result record and March's QOF benchmark.

    ``ods`` is where the entries are applied (``apply_feed_page(ods, ...)``); the records themselves, like
    the service's, do not name the practice.
    """
    del ods  # the feed is per practice: the entries carry no practice code
    entries = [change("result", result_id(record), record) for record in results()]
    entries.append(change("benchmark", f"QOF:{MARCH.isoformat()}", BENCHMARK))
    return entries
