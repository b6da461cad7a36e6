"""National scale: ingest one monthly extract of every practice in England, and calculate a whole year.

    .venv/bin/python benchmarks/national.py                       # this checkout
    .venv/bin/python benchmarks/national.py --tree DIR --calc month   # another checkout (e.g. before)
    .venv/bin/python benchmarks/national.py --check               # and compare a whole month, value
                                                                  # by value, with the reference

The extracts come from ``benchmarks/national_extract.py`` (6,188 practices, all 2025/26 indicators and
registers, real list and register sizes): one month and the twelve months of the year. The practices
are created in bulk first (setup, not measured). Each figure is a ratio to a baseline measured in the
same run on the same data:

- ingest (``cqrs-central ingest`` of the month into a fresh SQLite file, in a subprocess) against
  writing the same count rows with bare ``sqlite3`` ``executemany`` into a table with the same unique
  key: the least any ingest must do;
- calculate (``cqrs-central calculate --format json`` of the year, or with ``--calc month`` one month,
  output to a file) against the bare numpy expression of the same money arithmetic (points, £ per
  point, £ to the half-penny-rounded pence) over arrays already in memory: a lower bound.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.national_extract import create_practices, practice_codes, write_extract  # noqa: E402


def _in_tree(tree: Path, code: str, *args: str) -> dict:
    """Run ``code`` with ``tree`` first on the path; it prints one JSON line last."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    done = subprocess.run([sys.executable, "-c", code, *args], env=env, cwd=tree, capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the measured run failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


INGEST = """
import json, sys, time
from pathlib import Path
path, data = sys.argv[1], Path(sys.argv[2])
try:
    from central.ingest_cmd import run_ingest
    kwargs = {"max_bytes": 2 ** 30}
except ImportError:
    from central.data_cmd import run_ingest
    kwargs = {}
import io
out, err = io.StringIO(), io.StringIO()
start = time.perf_counter()
status = run_ingest(path, "2025-26", data, out=out, err=err, **kwargs)
elapsed = time.perf_counter() - start
if status != 0:
    raise SystemExit(err.getvalue()[-2000:])
print(json.dumps({"seconds": elapsed, "cpu": time.process_time()}))
"""

CALCULATE = """
import json, sys, time
from central.calculate_cmd import run_calculate
path, target = sys.argv[1], sys.argv[2]
kwargs = {"max_bytes": 2 ** 30}
start = time.perf_counter()
with open(target, "w") as out:
    status = run_calculate(path, year="2025-26", fmt="json", out=out, **kwargs)
elapsed = time.perf_counter() - start
if status != 0:
    raise SystemExit(status)
print(json.dumps({"seconds": elapsed}))
"""


def _write_baseline(path: Path, rows: list[tuple]) -> float:
    """Seconds to write ``rows`` with bare sqlite3 into a table keyed like achievement_counts."""
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("CREATE TABLE counts (id INTEGER PRIMARY KEY, practice_id INT, service TEXT, "
                       "indicator_id TEXT, achievement_date TEXT, numerator INT, denominator INT, pca INT, "
                       "source TEXT, UNIQUE (practice_id, service, indicator_id, achievement_date, source))")
    start = time.perf_counter()
    with connection:
        connection.executemany("INSERT INTO counts (practice_id, service, indicator_id, achievement_date, "
                               "numerator, denominator, pca, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    elapsed = time.perf_counter() - start
    connection.close()
    return elapsed


def _rows(path: Path) -> list[tuple]:
    ids: dict[str, int] = {}
    rows = []
    with path.open() as handle:
        next(handle)
        for line in handle:
            code, service, item, day, num, den, pca = line.rstrip("\n").split(",")
            rows.append((ids.setdefault(code, len(ids) + 1), service, item, day, int(num),
                         int(den) if den else None, int(pca) if pca else None, "automated"))
    return rows


def _lower_bound(path: Path) -> tuple[float, int]:
    """Seconds for the bare vectorised money arithmetic over the file's QOF cells, preloaded."""
    import numpy as np

    from app.services.rules import load_rules
    from central.extract import read_columns_at
    from central.fast_calc import IndicatorConstants

    rules = load_rules("2025-26")
    columns = read_columns_at(path, rules, max_bytes=2 ** 30)
    k = IndicatorConstants.of(columns, rules)
    width = len(columns.layout.indicators)
    num = columns.numerator[:, :width].astype(float)
    den = np.maximum(columns.denominator[:, :width], 0).astype(float)
    x = np.empty_like(num)
    for i, registers in enumerate(k.register_columns):
        x[:, i] = sum(columns.numerator[:, c] for c in registers) if registers else columns.list_size
    lower, upper, most = k.lower / k.scale, k.upper / k.scale, k.max_n / k.max_d
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        achieved = 100 * num / np.maximum(den, 1)
        points = np.clip((achieved - lower) / (upper - lower), 0, 1) * most * (den > 0)
        pence = np.floor(points * k.per_point_float * x * 100 + 0.5)
        best = min(best, time.perf_counter() - start)
    return best, int(pence.size)


def _check(path: Path) -> int:
    """Compare the fast path with the reference over every value of the file; returns values compared."""
    from fractions import Fraction

    from app.services.calculation import calculate_qof, to_pounds
    from app.services.rules import load_rules
    from central.extract import read_columns_at
    from central.extract_columns import to_practices
    from central.fast_calc import QofArrays

    rules = load_rules("2025-26")
    columns = read_columns_at(path, rules)
    arrays = QofArrays.of(columns, rules)
    left = arrays.full_n - arrays.points_n
    after = arrays.next_n - arrays.points_n
    pay, after, unclaimed = (arrays.pence(w) for w in (arrays.points_n, after, left))
    totals, totals_left = arrays.total_pence(arrays.points_n), arrays.total_pence(left)
    points = arrays.points_total()
    compared = 0
    for g, p in enumerate(to_practices(columns, rules)):
        reference = calculate_qof(rules, p.list_size, p.registers, p.qof)
        assert totals[g] == int(to_pounds(reference.payment) * 100), p.practice_code
        assert totals_left[g] == int(to_pounds(reference.gbp_unclaimed) * 100), p.practice_code
        assert points[g] == reference.points, p.practice_code
        for r in reference.indicators:
            i = columns.layout.indicators.index(r.indicator_id)
            assert Fraction(int(arrays.points_n[g, i]), int(arrays.points_d[g, i])) == r.points
            assert arrays.exact(arrays.points_n, g, i) == r.payment
            assert pay[g, i] == int(to_pounds(r.payment) * 100)
            assert after[g, i] == int(to_pounds(r.gbp_next_patient) * 100)
            assert unclaimed[g, i] == int(to_pounds(r.gbp_unclaimed) * 100)
            compared += 1
    return compared


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, default=ROOT, help="the checkout to measure (default this one)")
    parser.add_argument("--calc", choices=("year", "month"), default="year", help="what calculate runs on")
    parser.add_argument("--keep", type=Path, default=None, help="keep the generated extracts in this folder")
    parser.add_argument("--check", action="store_true", help="also compare a whole month with the reference")
    args = parser.parse_args(argv)
    folder = Path(args.keep or tempfile.mkdtemp(prefix="cqrs-national-"))
    folder.mkdir(parents=True, exist_ok=True)
    month, year = folder / "national-month.csv", folder / "national-year.csv"
    if not month.exists():
        write_extract(month, 1)
    if args.calc == "year" and not year.exists():
        write_extract(year, 12)
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="cqrs-national-run-") as run:
        data = Path(run) / "data"
        data.mkdir()
        from central.db import make_engine, migrate

        engine = make_engine(f"sqlite:///{data / 'central.db'}")
        migrate(engine)
        create_practices(engine, practice_codes())
        engine.dispose()
        ingest = _in_tree(args.tree, INGEST, str(month), str(data))
        baseline = _write_baseline(Path(run) / "baseline.db", _rows(month))
        target = Path(run) / "out.json"
        calc_file = year if args.calc == "year" else month
        calculate = _in_tree(args.tree, CALCULATE, str(calc_file), str(target))
        output = target.stat().st_size
    bound, cells = _lower_bound(calc_file)
    result = {
        "tree": str(args.tree), "load_1min": round(load, 2), "cpus": os.cpu_count(),
        "ingest_month_s": round(ingest["seconds"], 2), "ingest_baseline_s": round(baseline, 2),
        "ingest_ratio": round(ingest["seconds"] / baseline, 1),
        "calculate": args.calc, "calculate_s": round(calculate["seconds"], 2), "json_bytes": output,
        "lower_bound_s": round(bound, 3), "qof_cells": cells,
        "calculate_ratio": round(calculate["seconds"] / bound, 1),
    }
    if args.check:
        result["checked_values"] = _check(month)
    print(f"ingest of one national month: {result['ingest_month_s']} s = {result['ingest_ratio']}x bare "
          f"sqlite3 writing the same rows ({result['ingest_baseline_s']} s)")
    print(f"calculate --format json of the national {args.calc}: {result['calculate_s']} s = "
          f"{result['calculate_ratio']}x the bare numpy arithmetic ({result['lower_bound_s']} s, "
          f"{cells:,} indicator values)")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
