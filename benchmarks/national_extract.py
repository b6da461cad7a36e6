"""A synthetic national GPES extract: every practice in England, all 2025/26 indicators and registers.

List and register sizes are the real 2024/25 ones (``resources/reference``, 6,188 practices); the
indicator counts are drawn around each indicator's thresholds from a fixed seed, so the same call always
writes the same file. Some practices carry the edge cases the money arithmetic must get right: an empty
denominator, achievement exactly at the lower and at the upper threshold. The practices themselves are
set up in bulk by :func:`create_practices` (setup, not what a benchmark measures).

    .venv/bin/python benchmarks/national_extract.py OUT.csv [--months 12] [--practices N]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import random
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.services.rules import QOF_SERVICE, RuleSet, load_rules  # noqa: E402

REFERENCE = ROOT / "resources" / "reference" / "qof-prevalence-by-practice-2024-25.csv.gz"  # see its README
HEADER = "practice_code,service,indicator_id,achievement_date,numerator,denominator,pca\n"
YEAR = "2025-26"
# Share of the list in an indicator's cohort when it has no register (e.g. BP002: aged 45 and over).
COHORT_SHARE = {"BP002": 0.45, "SMOK002": 0.35, "SMOK004": 0.12, "VI001": 0.008, "VI002": 0.008,
                "VI003": 0.009, "VI004": 0.01, "CS005": 0.17, "CS006": 0.07}
PRACTICES_PER_PCN = 5
PCNS_PER_ICB = 30


def reference_practices(path: Path = REFERENCE) -> list[tuple[str, int, dict[str, int]]]:
    """(ODS code, whole list size, {register: size}) for every practice in the reference file, sorted."""
    found: dict[str, tuple[int, dict[str, int]]] = {}
    with gzip.open(path, "rt", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            code = row["PRACTICE_CODE"]
            list_size, registers = found.setdefault(code, (0, {}))
            registers[row["GROUP_CODE"]] = int(float(row["REGISTER"]))
            if row["PATIENT_LIST_TYPE"] == "TOTAL":
                found[code] = (int(row["PRACTICE_LIST_SIZE"]), registers)
    return [(code, size, regs) for code, (size, regs) in sorted(found.items()) if size > 0]


def month_ends(rules: RuleSet, months: int) -> list[date]:
    """The last day of each of the first ``months`` months of the rules year."""
    start, ends = rules.year_start(), []
    for n in range(months):
        year, month = start + (3 + n) // 12, (3 + n) % 12 + 1
        nxt = date(year + (month == 12), month % 12 + 1, 1)
        ends.append(nxt - timedelta(days=1))
    return ends


def extract_lines(months: int = 1, practices: int | None = None, seed: int = 2025,
                  codes: set[str] | None = None) -> Iterator[str]:
    """The lines of the extract (header first), each ending in a newline: the first ``practices``
    practices by ODS code, or those in ``codes``."""
    rules = load_rules(YEAR)
    chosen = [p for p in reference_practices() if codes is None or p[0] in codes][:practices]
    rng = random.Random(seed)
    registers = sorted(rules.registers | frozenset(rules.constants.national_prevalence))
    # Capped items (LDHC CHECKS) are left out: their cap is entered by hand, so no one file could be
    # both loaded (extracted items only) and calculated (a capped item needs its cap).
    items = [(code, s.item) for code, s in rules.services.items() if s.item in s.automatic and not s.cap_item]
    yield HEADER
    for n, (code, list_size, known) in enumerate(chosen):
        regs = {r: min(known.get(r, 0), list_size) for r in registers}
        for m, day in enumerate(month_ends(rules, months)):
            when = day.isoformat()
            yield f"{code},{QOF_SERVICE},LIST_SIZE,{when},{list_size},,\n"
            for r in registers:
                yield f"{code},{QOF_SERVICE},{r}_REG,{when},{regs[r]},,\n"
            for i, indicator in enumerate(rules.indicators.values()):
                yield _indicator_line(code, when, indicator, regs, list_size, rng, (n + i + m) % 97)
            for service, item in items:
                yield f"{code},{service},{item},{when},{rng.randint(0, max(1, list_size // 400))},,\n"


def _indicator_line(code: str, when: str, indicator, regs: dict[str, int], list_size: int,
                    rng: random.Random, edge: int) -> str:
    if indicator.registers:
        cohort = sum(regs[r] for r in indicator.registers)
        denominator = int(cohort * rng.uniform(0.55, 0.95))
    else:
        denominator = int(list_size * COHORT_SHARE.get(indicator.indicator_id, 0.2) * rng.uniform(0.8, 1.0))
    denominator = min(denominator, list_size)
    lower, upper = indicator.lower_threshold, indicator.upper_threshold
    if edge == 0:
        denominator = numerator = 0
    elif edge in (1, 2) and denominator >= 100:
        # Exactly at a threshold: a denominator that is a multiple of 100 makes the percentage whole.
        denominator -= denominator % 100
        numerator = int((lower if edge == 1 else upper) * denominator / 100)
    else:
        target = rng.uniform(float(lower) - 15, float(upper) + 5) / 100
        numerator = max(0, min(denominator, round(denominator * target)))
    pca = min(list_size - denominator, rng.randint(0, max(1, denominator // 10)))
    return f"{code},{QOF_SERVICE},{indicator.indicator_id},{when},{numerator},{denominator},{pca}\n"


def write_extract(path: str | Path, months: int = 1, practices: int | None = None, seed: int = 2025) -> int:
    """Write the extract to ``path``; returns its size in bytes."""
    with Path(path).open("w", encoding="utf-8", newline="") as handle:
        for line in extract_lines(months, practices, seed):
            handle.write(line)
    return Path(path).stat().st_size


def practice_codes(practices: int | None = None) -> list[str]:
    return [code for code, _, _ in reference_practices()[:practices]]


def create_practices(engine, codes: list[str]) -> None:
    """Create the practices (with PCNs and ICBs above them) in bulk: benchmark setup, not measured."""
    from sqlalchemy import insert, select

    from central.models import COMMISSIONER, PCN, PRACTICE, Organisation

    now = datetime.now(UTC)
    with engine.begin() as conn:
        base = (conn.scalar(select(Organisation.id).order_by(Organisation.id.desc()).limit(1)) or 0) + 1
        rows, next_id = [], base
        pcns = (len(codes) + PRACTICES_PER_PCN - 1) // PRACTICES_PER_PCN
        icbs = (pcns + PCNS_PER_ICB - 1) // PCNS_PER_ICB
        icb_ids = list(range(next_id, next_id + icbs))
        rows += [dict(id=i, kind=COMMISSIONER, ods_code=f"Q{n:05d}", name=f"ICB {n}", parent_id=None,
                      created_at=now) for n, i in enumerate(icb_ids)]
        next_id += icbs
        pcn_ids = list(range(next_id, next_id + pcns))
        rows += [dict(id=i, kind=PCN, ods_code=f"U{n:05d}", name=f"PCN {n}",
                      parent_id=icb_ids[n // PCNS_PER_ICB], created_at=now) for n, i in enumerate(pcn_ids)]
        next_id += pcns
        rows += [dict(id=next_id + n, kind=PRACTICE, ods_code=code, name=f"Practice {code}",
                      parent_id=pcn_ids[n // PRACTICES_PER_PCN], created_at=now)
                 for n, code in enumerate(codes)]
        conn.execute(insert(Organisation), rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--months", type=int, default=1, choices=range(1, 13), metavar="1-12")
    parser.add_argument("--practices", type=int, default=None, help="only the first N practices")
    args = parser.parse_args(argv)
    size = write_extract(args.out, args.months, args.practices)
    print(f"wrote {args.out} ({size:,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
