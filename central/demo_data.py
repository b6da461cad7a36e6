"""Deterministic demo data: four practices in one PCN, a year of monthly extracts, and manual counts.

Register sizes come from the real spread of English practices (resources/demo/register-prevalence-
deciles.csv, NHS England QOF 2024-25). Achievement rises through the year towards a year-end figure
chosen so that some indicators finish below the lower threshold, some between and some at maximum.
Pure: produces extract CSV text in the ingest format, and when each demo event happened; the seeding
code stores them. Nothing is dated after the demo's today: a step that would fall later has not happened.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from app.services.rules import APPROVED, FINANCE_APPROVED, PAID, RuleSet

DECILES_FILE = Path(__file__).resolve().parents[1] / "resources" / "demo" / "register-prevalence-deciles.csv"
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
    """Year-end register sizes at the practice's decile of the national spread (with some jitter)."""
    deciles = _load_deciles()
    rng = random.Random(f"registers-{practice.ods}")
    sizes = {}
    for register in sorted(registers):
        row = deciles[register]
        column = min(8, max(0, practice.decile - 1 + rng.choice((-1, 0, 0, 1))))
        sizes[register] = round(practice.list_size * row[column] / 100)
    return sizes


def demo_extracts(rules: RuleSet, practices: tuple[DemoPractice, ...] = PRACTICES) -> dict[date, str]:
    """One extract CSV per month-end, each holding every practice's QOF and automatic service counts."""
    months = year_months(rules)
    rows: dict[date, list[tuple]] = {m: [] for m in months}
    for practice in practices:
        for month, month_rows in _practice_rows(rules, practice, months).items():
            rows[month].extend(month_rows)
    return {month: _to_csv(month_rows) for month, month_rows in rows.items()}


def manual_counts(rules: RuleSet, practice: DemoPractice) -> dict[str, dict[date, dict[str, int]]]:
    """Counts the practice enters by hand: the LD register and weight-management referrals, each month."""
    rng = random.Random(f"manual-{practice.ods}")
    months = year_months(rules)
    ld_register = register_sizes(practice, ["LD"]).get("LD") or round(practice.list_size * 0.0056)
    entries: dict[str, dict[date, dict[str, int]]] = {"LDHC": {}, "WM": {}}
    for index, month in enumerate(months):
        # The LD register is kept up to date each month; it caps the health checks that can be paid.
        entries["LDHC"][month] = {"LD_REG": ld_register + index // 3}
        entries["WM"][month] = {"REFERRALS": rng.randint(6, 14)}
    return entries


def commissioner_counts(rules: RuleSet, practice: DemoPractice) -> dict[str, dict[date, dict[str, int]]]:
    """Counts the commissioner sets: the weight-management referral allocation (12% of an obesity
    register of about 11.4% of the list), the same each month."""
    allocation = round(practice.list_size * 0.114 * 0.12)
    return {"WM": {month: {"ALLOCATION": allocation} for month in year_months(rules)}}


# The CQRS cycle of a month's claim, in days after the month end: declared, then each commissioner step.
DECLARED_AFTER_DAYS = 20
REVIEW_AFTER_DAYS = ((APPROVED, 27), (FINANCE_APPROVED, 30), (PAID, 55))
# A manual entry is made a few days after its month ends and approved by the ICB a few days later, so
# even the March entries are approved by the demo's today (8 April).
ENTERED_AFTER_DAYS = 3
APPROVED_AFTER_DAYS = 4


def _after(month: date, days: int) -> datetime:
    return datetime.combine(month + timedelta(days=days), time(0), UTC)


def declaration_steps(month: date, today: datetime) -> tuple[datetime, list[tuple[str, datetime]]] | None:
    """When ``month``'s claim was declared and each commissioner step it has reached by ``today``;
    None when it is not declared yet."""
    declared = _after(month, DECLARED_AFTER_DAYS)
    if declared > today:
        return None
    steps = [(status, _after(month, days)) for status, days in REVIEW_AFTER_DAYS]
    return declared, [(status, at) for status, at in steps if at <= today]


def manual_entry_times(month: date, today: datetime) -> tuple[datetime, datetime | None] | None:
    """When ``month``'s manual entry was made and approved (None: not yet) by ``today``; None when the
    month's entry is not made yet."""
    entered = _after(month, ENTERED_AFTER_DAYS)
    if entered > today:
        return None
    approved = entered + timedelta(days=APPROVED_AFTER_DAYS)
    return entered, approved if approved <= today else None


# --- one practice ----------------------------------------------------------------------------


def _practice_rows(rules: RuleSet, practice: DemoPractice, months: list[date]) -> dict[date, list[tuple]]:
    rng = random.Random(f"extract-{practice.ods}")
    final_registers = register_sizes(practice, sorted(rules.registers | {"LD"}))
    targets = {i: _year_end_target(rng, rules.indicators[i], practice) for i in sorted(rules.indicators)}
    pca_share = {i: rng.uniform(0.01, 0.07) for i in targets}
    ld_checks_total = round(final_registers["LD"] * rng.uniform(0.55, 0.85))
    out: dict[date, list[tuple]] = {}
    for index, month in enumerate(months):
        progress = (index + 1) / 12  # share of the year gone
        growth = 0.985 + 0.015 * progress  # lists and registers grow a little through the year
        list_size = round(practice.list_size * growth)
        registers = {r: round(size * growth) for r, size in final_registers.items()}
        code, day = practice.ods, month.isoformat()
        rows = [(code, "QOF", "LIST_SIZE", day, list_size, "", "")]
        rows += [(code, "QOF", f"{r}_REG", day, n, "", "") for r, n in sorted(registers.items()) if r != "LD"]
        for indicator_id, target in targets.items():
            indicator = rules.indicators[indicator_id]
            base = (
                sum(registers[r] for r in indicator.registers) * REGISTER_ELIGIBLE.get(indicator_id, 0.88)
                if indicator.registers
                else list_size * LIST_BASED_ELIGIBLE.get(indicator_id, 0.1)
            )
            pca = round(base * pca_share[indicator_id] * progress)
            denominator = max(0, round(base) - pca)
            # Achievement climbs from about a third of the year-end figure in April.
            achieved = target * (0.3 + 0.7 * progress**0.8)
            numerator = min(denominator, round(denominator * achieved / 100))
            rows.append((code, "QOF", indicator_id, day, numerator, denominator, pca))
        for service, (rate, shape) in VACCINE_RATES.items():
            if service in rules.services:
                expected = practice.list_size * rate * shape[index] / sum(shape)
                rows.append(
                    (
                        code,
                        service,
                        "DOSES",
                        day,
                        max(0, round(rng.gauss(expected, expected**0.5 / 2))),
                        "",
                        "",
                    )
                )
        if "LDHC" in rules.services:
            # Health checks bunch up towards the end of the year, as they do in practice.
            weights = [1, 1, 1, 2, 2, 2, 3, 3, 4, 5, 6, 8]
            done = round(ld_checks_total * sum(weights[: index + 1]) / sum(weights))
            previous = round(ld_checks_total * sum(weights[:index]) / sum(weights))
            rows.append((code, "LDHC", "CHECKS", day, done - previous, "", ""))
        out[month] = rows
    return out


def _year_end_target(rng: random.Random, indicator, practice: DemoPractice) -> float:
    """Year-end achievement % for an indicator: below the lower threshold, between, or at maximum."""
    lower, upper = float(indicator.lower_threshold), float(indicator.upper_threshold)
    roll = rng.random() + practice.skill
    if roll < 0.12:
        return max(5.0, lower - rng.uniform(2, 12))
    if roll < 0.57:
        return lower + (upper - lower) * rng.uniform(0.2, 0.9)
    return min(99.5, upper + rng.uniform(0.5, 4))


# --- helpers ---------------------------------------------------------------------------------


def _load_deciles() -> dict[str, list[float]]:
    lines = [line for line in DECILES_FILE.read_text().splitlines() if not line.startswith("#")]
    reader = csv.reader(lines)
    next(reader)
    return {row[0]: [float(v) for v in row[1:]] for row in reader}


def _to_csv(rows: list[tuple]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(EXTRACT_HEADER)
    writer.writerows(rows)
    return buffer.getvalue()


def _month_end(year: int, month: int) -> date:
    first_of_next = date(year + (month == 12), month % 12 + 1, 1)
    return first_of_next - timedelta(days=1)
