"""Write extract-2025-26.csv and what-if-2025-26.csv: a year-end extract for the fictional practice Z99001.

extract-2025-26.csv holds only what GPES extracts, so the central service can load it. what-if-2025-26.csv
adds what the practice enters by hand (the LD register, weight-management referrals) and what the
commissioner sets (the referral allocation), for ``cqrs-central calculate`` to show capped claims; the
service refuses those rows in an extract.

Deterministic: every figure is written out below. Register sizes follow the median prevalence of
English practices with 8,500-11,000 patients in 2024/25 (NHS England QOF 2024-25 prevalence file).
Achievement is mixed on purpose: some indicators below the lower threshold, most between the
thresholds, some at maximum. Run: python resources/examples/make_example_extract.py
"""

from __future__ import annotations

import csv
from pathlib import Path

PRACTICE = "Z99001"
DATE = "2026-03-31"
LIST_SIZE = 9812
OUT = Path(__file__).with_name("extract-2025-26.csv")
WHAT_IF = Path(__file__).with_name("what-if-2025-26.csv")

REGISTERS = {
    "AF": 236, "AST": 639, "CHD": 305, "CKD": 366, "COPD": 187, "DEM": 74, "DM": 650,
    "HF": 103, "HYP": 1573, "MH": 95, "NDH": 715, "PAD": 54, "STIA": 196,
}

# indicator: (numerator, denominator after PCAs, PCAs); comments give achievement and band.
INDICATORS = {
    "AF006": (26, 31, 2),        # 83.9%: between 40 and 90
    "AF008": (174, 190, 12),     # 91.6%: between 70 and 95
    "CHD005": (281, 290, 9),     # 96.9%: at maximum (96)
    "CHD015": (167, 214, 11),    # 78.0%: between 40 and 90
    "CHD016": (60, 72, 4),       # 83.3%: between 46 and 90
    "CHOL003": (640, 781, 37),   # 81.9% of CHD+PAD+STIA+CKD (921): between 70 and 95
    "CHOL004": (192, 503, 19),   # 38.2% of CHD+PAD+STIA (555): between 20 and 50
    "HF003": (45, 48, 3),        # 93.8%: at maximum (92)
    "HF006": (26, 47, 4),        # 55.3%: below the lower threshold (60)
    "HF007": (68, 95, 5),        # 71.6%: between 50 and 90
    "HF008": (7, 9, 0),          # 77.8%: between 50 and 90
    "HYP008": (881, 1230, 56),   # 71.6%: between 40 and 85
    "HYP009": (216, 270, 14),    # 80.0%: between 40 and 85
    "STIA007": (158, 170, 6),    # 92.9%: between 57 and 97
    "STIA014": (96, 130, 7),     # 73.8%: between 40 and 90
    "STIA015": (41, 48, 2),      # 85.4%: between 46 and 90
    "DM006": (106, 120, 5),      # 88.3%: between 57 and 97
    "DM012": (525, 610, 22),     # 86.1%: between 50 and 90
    "DM014": (14, 42, 1),        # 33.3%: below the lower threshold (40)
    "DM020": (351, 540, 28),     # 65.0%: between 35 and 75 (worked by hand in the tests)
    "DM021": (55, 70, 6),        # 78.6%: between 52 and 92
    "DM034": (261, 330, 31),     # 79.1%: between 50 and 90
    "DM035": (129, 140, 7),      # 92.1%: at maximum (90)
    "DM036": (350, 500, 26),     # 70.0%: between 38 and 90
    "AST007": (348, 600, 39),    # 58.0%: between 45 and 70
    "AST012": (6, 14, 0),        # 42.9%: below the lower threshold (45)
    "COPD010": (147, 175, 12),   # 84.0%: between 50 and 90
    "DEM004": (46, 62, 12),      # 74.2%: at maximum (70)
    "MH002": (60, 88, 7),        # 68.2%: between 40 and 90
    "MH003": (76, 88, 7),        # 86.4%: between 50 and 90
    "MH006": (70, 88, 7),        # 79.5%: between 50 and 90
    "MH007": (81, 88, 7),        # 92.0%: at maximum (90)
    "MH011": (48, 80, 6),        # 60.0%: between 50 and 90
    "MH012": (61, 82, 6),        # 74.4%: between 50 and 90
    "NDH002": (560, 690, 25),    # 81.2%: between 50 and 90
    "BP002": (4012, 4398, 57),   # 91.2%: at maximum (90)
    "SMOK002": (2460, 2611, 18),  # 94.2%: at maximum (90)
    "SMOK004": (987, 1148, 40),  # 86.0%: between 40 and 90
    "VI001": (92, 95, 0),        # 96.8%: at maximum (96)
    "VI002": (91, 101, 0),       # 90.1%: between 86 and 96
    "VI003": (88, 105, 0),       # 83.8%: between 81 and 96
    "VI004": (31, 70, 2),        # 44.3%: below the lower threshold (50)
    "CS005": (1329, 1748, 112),  # 76.0%: between 45 and 80
    "CS006": (781, 1002, 48),    # 77.9%: between 45 and 80
}

# V&I doses extracted by GPES: (service, item, count).
ITEMS = [
    ("6IN1", "DOSES", 386),
    ("MMR", "DOSES", 204),
    ("FLU", "DOSES", 2317),
]
# Enhanced-service items for a what-if calculation: checks (extracted) capped by the LD register (entered
# by hand), and referrals (entered by hand) capped by the allocation (set by the commissioner).
# Weight-management referrals run over the allocation on purpose, so the cap shows.
WHAT_IF_ITEMS = [
    ("LDHC", "CHECKS", 41),
    ("LDHC", "LD_REG", 56),
    ("WM", "REFERRALS", 38),
    ("WM", "ALLOCATION", 32),
]


def main() -> None:
    write(OUT, ITEMS)
    write(WHAT_IF, ITEMS + WHAT_IF_ITEMS)


def write(path: Path, items: list[tuple[str, str, int]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(["practice_code", "service", "indicator_id", "achievement_date",
                      "numerator", "denominator", "pca"])
        out.writerow([PRACTICE, "QOF", "LIST_SIZE", DATE, LIST_SIZE, "", ""])
        for register, size in REGISTERS.items():
            out.writerow([PRACTICE, "QOF", f"{register}_REG", DATE, size, "", ""])
        for indicator, (numerator, denominator, pca) in INDICATORS.items():
            out.writerow([PRACTICE, "QOF", indicator, DATE, numerator, denominator, pca])
        for service, item, count in items:
            out.writerow([PRACTICE, service, item, DATE, count, "", ""])
    print(f"wrote {path.name}")


if __name__ == "__main__":
    main()
