"""The demo's achievement curves across three QOF years (pure: no database)."""

from __future__ import annotations

import csv
import io
from datetime import date

from app.services.rules import load_rules
from central.demo_curves import CLIMB, corrected_doses, demo_extracts
from central.demo_data import PRACTICES

LAST, THIS, BEFORE = load_rules("2025-26"), load_rules("2026-27"), load_rules("2024-25")
MARCH_2025, MARCH_2026 = date(2025, 3, 31), date(2026, 3, 31)
OCTOBER = date(2026, 10, 31)


def achievement(text: str) -> dict[tuple[str, str], float]:
    """(practice, indicator) -> achievement % of every QOF indicator row with patients."""
    rows = csv.DictReader(io.StringIO(text))
    return {(r["practice_code"], r["indicator_id"]): 100 * int(r["numerator"]) / int(r["denominator"])
            for r in rows if r["service"] == "QOF" and r["denominator"] not in ("", "0")}


def test_the_same_rules_and_months_give_the_same_text_whichever_months_are_asked() -> None:
    whole = demo_extracts(THIS)
    assert demo_extracts(THIS, months=[OCTOBER]) == {OCTOBER: whole[OCTOBER]}
    assert demo_extracts(THIS) == whole


def test_2024_25_finishes_a_little_below_2025_26_for_every_practice() -> None:
    before = achievement(demo_extracts(BEFORE, months=[MARCH_2025])[MARCH_2025])
    after = achievement(demo_extracts(LAST, months=[MARCH_2026])[MARCH_2026])
    for practice in PRACTICES:
        shared = [i for (p, i) in after if p == practice.ods and (p, i) in before]
        assert len(shared) > 20
        gaps = [after[practice.ods, i] - before[practice.ods, i] for i in shared]
        assert 0 < sum(gaps) / len(gaps) < 6, practice.ods  # a little better the next year, on average


def test_2026_27_climbs_to_october_in_a_different_way_at_each_practice() -> None:
    months = [date(2026, m + 1, 1) - date.resolution for m in range(4, 11)]  # April to October
    extracts = demo_extracts(THIS, months=months)
    assert set(extracts) == set(months)
    shapes = {}
    for practice in PRACTICES:
        means = []
        for month in months:
            values = [v for (p, i), v in achievement(extracts[month]).items()
                      if p == practice.ods and not i.startswith("VI")]
            means.append(sum(values) / len(values))
        assert means == sorted(means) and means[0] < means[-1], practice.ods
        shapes[practice.ods] = round(means[0] / means[-1], 2)  # how much of October's was there in April
        # A few indicators are clearly behind: below half their lower threshold in October.
        october = achievement(extracts[OCTOBER])
        behind = [i for (p, i), v in october.items() if p == practice.ods
                  and v < float(THIS.indicators[i].lower_threshold) / 2]
        assert len(behind) >= 3, practice.ods
    assert len(set(shapes.values())) == len(PRACTICES) == len(CLIMB)


def test_the_re_extract_adds_late_doses_to_one_service_only() -> None:
    first = list(csv.reader(io.StringIO(demo_extracts(THIS, months=[OCTOBER])[OCTOBER])))
    again = list(csv.reader(io.StringIO(corrected_doses(THIS, OCTOBER, "COVFLU", {"FLU_DOSES": 6}))))
    assert len(first) == len(again) and first[0] == again[0]
    changed = [(a, b) for a, b in zip(first[1:], again[1:], strict=True) if a != b]
    assert len(changed) == len(PRACTICES)
    assert all(b[1:3] == ["COVFLU", "FLU_DOSES"] and int(b[4]) == int(a[4]) + 6 for a, b in changed)
