"""Rules written once for both halves: record-type names, the current QOF year, no year or type spelled out
in code that should use them."""

from __future__ import annotations

import ast
import re
from datetime import date
from pathlib import Path

import pytest

from app.services import record_types
from app.services.rules import available_years, current_year
from central import feed

ROOT = Path(__file__).resolve().parents[2]
# The demo's seed and extracts are data about one QOF year, like the rules files.
YEAR_DATA = {ROOT / "central" / "seed.py", ROOT / "central" / "demo_data.py"}
# Record types still spelled out, per file: remove an entry once its file uses app.services.record_types.
TYPE_LITERALS_LEFT: dict[Path, int] = {}
CACHE_AND_FEED_CALLS = ("records", "record", "publish")


def code_files() -> list[Path]:
    return sorted(p for folder in ("app", "central") for p in (ROOT / folder).rglob("*.py")
                  if "migrations" not in p.parts)


def docstrings(tree: ast.AST) -> set[int]:
    owners = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    return {id(node.body[0].value) for node in ast.walk(tree) if isinstance(node, owners) and node.body
            and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}


# --- the current QOF year ---------------------------------------------------------------------------

@pytest.fixture
def shipped(tmp_path: Path) -> Path:
    for year in ("2024-25", "2025-26"):
        (tmp_path / year).mkdir()
    return tmp_path


@pytest.mark.parametrize(("today", "expected"), [
    (date(2025, 11, 5), "2025-26"),  # October's extract is of 2025-26
    (date(2026, 4, 8), "2025-26"),  # April reports on March, the last month of 2025-26
    (date(2025, 4, 30), "2024-25"),
    (date(2025, 5, 1), "2025-26"),  # April 2025 has ended
    (date(2026, 12, 1), "2025-26"),  # 2026-27 is not shipped: the newest year before it stands in
    (date(2021, 6, 1), "2021-22"),  # before any shipped year: the year itself, which the caller refuses
])
def test_the_current_year_is_that_of_the_last_month_ended(shipped: Path, today: date, expected: str) -> None:
    assert current_year(today, shipped) == expected


def test_a_newly_shipped_year_is_used_once_its_first_month_has_ended(shipped: Path) -> None:
    (shipped / "2026-27").mkdir()
    assert current_year(date(2026, 4, 30), shipped) == "2025-26"
    assert current_year(date(2026, 5, 1), shipped) == "2026-27"


def test_the_shipped_rules_give_a_current_year_today() -> None:
    assert current_year(date.today()) in available_years()


def test_no_qof_year_is_spelled_out_in_code_outside_rules_data() -> None:
    year = re.compile(r"^\d{4}-\d{2}$")
    found = []
    for path in code_files():
        if path in YEAR_DATA:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = docstrings(tree)
        found += [f"{path.relative_to(ROOT)}:{node.lineno} {node.value}" for node in ast.walk(tree)
                  if isinstance(node, ast.Constant) and isinstance(node.value, str) and year.match(node.value)
                  and id(node) not in skip]
    assert found == []


# --- record types ------------------------------------------------------------------------------------

def test_the_feed_publishes_under_the_shared_names() -> None:
    for name in ("PRACTICE", "OFFER", "MANUAL_ENTRY", "DECLARATION", "TIMETABLE_EVENT", "USER", "ACHIEVEMENT",
                 "RESULT", "BENCHMARK", "RULES", "ADMIN_ONLY_TYPES"):
        assert getattr(feed, name) is getattr(record_types, name), name
    assert len(set(record_types.FEED_TYPES)) == len(record_types.FEED_TYPES)
    assert set(record_types.ADMIN_ONLY_TYPES) <= set(record_types.FEED_TYPES)


def test_cache_reads_and_feed_writes_name_record_types_by_constant() -> None:
    names = set(record_types.FEED_TYPES)
    found: dict[Path, list[str]] = {}
    for path in code_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            if node.func.attr in CACHE_AND_FEED_CALLS:
                found.setdefault(path, []).extend(
                    f"{node.lineno}: {arg.value}" for arg in node.args
                    if isinstance(arg, ast.Constant) and arg.value in names)
    counts = {path: len(lines) for path, lines in found.items() if lines}
    assert counts == TYPE_LITERALS_LEFT, {str(p.relative_to(ROOT)): found[p] for p in counts}
