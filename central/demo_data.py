"""Deterministic demo data: four practices in one PCN, their registers, manual counts, and when each
demo event happened (the achievement curves are central.demo_curves).

Register sizes come from the real spread of English practices (resources/demo/register-prevalence-
deciles.csv, NHS England QOF 2024-25). Pure: the seeding code stores what these give. Nothing is
dated after the demo's today: a step that would fall later has not happened.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from app import resources
from app.services.rules import APPROVED, FINANCE_APPROVED, PAID, RuleSet

DECILES_FILE = resources.path("demo", "register-prevalence-deciles.csv")
EXTRACT_HEADER = (
    "practice_code",
    "service",
    "indicator_id",
    "achievement_date",
    "numerator",
    "denominator",
    "pca",
)

COMMISSIONER = ("Z9X", "NHS Example ICB")
# The QOF year the demo's figures were first drawn for: it keeps its random streams, so its figures stay
# as they were; other years are drawn from it.
ANCHOR_START = 2025
PCN = ("U99001", "Riverside PCN")


@dataclass(frozen=True)
class DemoPractice:
    ods: str
    name: str
    list_size: int
    decile: int  # where its registers sit in the national spread, 1-9
    skill: float  # how well it does on QOF: shifts the year-end achievement bands


PRACTICES = (
    DemoPractice("Z99001", "Riverside Medical Practice", 9_812, 5, 0.0),
    DemoPractice("Z99002", "Bridge Street Surgery", 6_245, 6, 0.1),
    DemoPractice("Z99003", "Millbrook Health Centre", 14_380, 4, -0.05),
    DemoPractice("Z99004", "Castle View Surgery", 4_120, 7, 0.05),
)
DEMO_PRACTICE = PRACTICES[0]

# Share of the register (or, with no register, of the list) in each indicator's denominator
# before PCAs: e.g. BP002 counts patients aged 45+, about half the list.
LIST_BASED_ELIGIBLE = {
    "BP002": 0.48,
    "SMOK002": 0.33,
    "SMOK004": 0.021,
    "CS005": 0.165,
    "CS006": 0.098,
    "VI001": 0.0105,
    "VI002": 0.0108,
    "VI003": 0.0112,
    "VI004": 0.0085,
}
REGISTER_ELIGIBLE = {
    "HF003": 0.45,
    "HF006": 0.42,
    "CHD016": 0.2,
    "STIA015": 0.2,
    "DM034": 0.15,
    "DM035": 0.1,
    "AST012": 0.12,
    "NDH002": 0.9,
    "CHOL004": 0.95,
}

# Vaccinations: doses in a year per patient on the list, and the months they fall in (Apr=0 .. Mar=11).
EVEN = (1,) * 12
VACCINE_RATES = {
    "6IN1": (0.038, EVEN),
    "MENB": (0.028, EVEN),
    "MMR": (0.019, EVEN),
    "PCV": (0.019, EVEN),
    "ROTA": (0.018, EVEN),
    "HPV": (0.002, EVEN),
    "PERT": (0.007, EVEN),
    "PPV": (0.009, EVEN),
    "SHING": (0.016, EVEN),
    "RSV": (0.006, EVEN),
    "FLU": (0.20, (0, 0, 0, 0, 0, 10, 45, 28, 9, 5, 2, 1)),
    "CFLU": (0.009, (0, 0, 0, 0, 0, 8, 42, 35, 15, 0, 0, 0)),
}


def year_months(rules: RuleSet) -> list[date]:
    """Month-end achievement dates of the QOF year, April to March."""
    start = rules.year_start()
    months = [(start, m) for m in range(4, 13)] + [(start + 1, m) for m in range(1, 4)]
    return [_month_end(y, m) for y, m in months]


def register_sizes(practice: DemoPractice, registers: list[str]) -> dict[str, int]:
    """Year-end register sizes at the practice's decile of the national spread (with some jitter), for
    the registers the spread covers."""
    deciles = _load_deciles()
    rng = random.Random(f"registers-{practice.ods}")
    sizes = {}
    # A register with no published spread yet (2026/27's CD) is not extracted.
    for register in sorted(r for r in registers if r in deciles):
        row = deciles[register]
        column = min(8, max(0, practice.decile - 1 + rng.choice((-1, 0, 0, 1))))
        sizes[register] = round(practice.list_size * row[column] / 100)
    return sizes


def manual_counts(rules: RuleSet, practice: DemoPractice) -> dict[str, dict[date, dict[str, int]]]:
    """Counts the practice enters by hand each month: the LD register, and weight-management referrals in
    the years that service runs."""
    start = rules.year_start()
    seed = f"manual-{practice.ods}" if start == ANCHOR_START else f"manual-{practice.ods}-{start}"
    rng = random.Random(seed)
    months = year_months(rules)
    # The register grows by about one patient a quarter, from year to year as well.
    ld_register = (register_sizes(practice, ["LD"]).get("LD") or round(practice.list_size * 0.0056)) \
        + 4 * (start - ANCHOR_START)
    entries: dict[str, dict[date, dict[str, int]]] = {s: {} for s in ("LDHC", "WM") if s in rules.services}
    for index, month in enumerate(months):
        # The LD register is kept up to date each month; it caps the health checks that can be paid.
        if "LDHC" in entries:
            entries["LDHC"][month] = {"LD_REG": ld_register + index // 3}
        if "WM" in entries:
            entries["WM"][month] = {"REFERRALS": rng.randint(6, 14)}
    return entries


def commissioner_counts(rules: RuleSet, practice: DemoPractice) -> dict[str, dict[date, dict[str, int]]]:
    """Counts the commissioner sets: the weight-management referral allocation (12% of an obesity
    register of about 11.4% of the list), the same each month, in the years that service runs."""
    if "WM" not in rules.services:
        return {}
    allocation = round(practice.list_size * 0.114 * 0.12)
    return {"WM": {month: {"ALLOCATION": allocation} for month in year_months(rules)}}


# The CQRS cycle of a month's claim, in days after the month end: declared, then each commissioner step.
DECLARED_AFTER_DAYS = 20
REVIEW_AFTER_DAYS = ((APPROVED, 27), (FINANCE_APPROVED, 30), (PAID, 55))
# A manual entry is made a few days after its month ends and approved by the ICB a few days later.
ENTERED_AFTER_DAYS = 3
APPROVED_AFTER_DAYS = 4


def _after(month: date, days: int) -> datetime:
    return datetime.combine(month + timedelta(days=days), time(0), UTC)


def manual_entry_times(month: date, today: datetime) -> tuple[datetime, datetime | None] | None:
    """When ``month``'s manual entry was made and approved (None: not yet) by ``today``; None when the
    month's entry is not made yet."""
    entered = _after(month, ENTERED_AFTER_DAYS)
    if entered > today:
        return None
    approved = entered + timedelta(days=APPROVED_AFTER_DAYS)
    return entered, approved if approved <= today else None


# --- helpers ---------------------------------------------------------------------------------


def _load_deciles() -> dict[str, list[float]]:
    lines = [line for line in DECILES_FILE.read_text().splitlines() if not line.startswith("#")]
    reader = csv.reader(lines)
    next(reader)
    return {row[0]: [float(v) for v in row[1:]] for row in reader}


def to_csv(rows: list[tuple]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(EXTRACT_HEADER)
    writer.writerows(rows)
    return buffer.getvalue()


def _month_end(year: int, month: int) -> date:
    first_of_next = date(year + (month == 12), month % 12 + 1, 1)
    return first_of_next - timedelta(days=1)
