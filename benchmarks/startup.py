"""Start-up from a warm cache against a bare PySide6 window with a table (goal: at most 3x).

    .venv/bin/python benchmarks/startup.py [--runs 5] [--data-dir DIR]

Without --data-dir, a demo run fills a temporary cache first. The measured runs have no server to
reach (the demo service is stopped), which is also the "offline start" case.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[1]
BARE_WINDOW = """
from PySide6.QtWidgets import QApplication, QMainWindow, QTableWidget, QTableWidgetItem
app = QApplication([])
window = QMainWindow()
table = QTableWidget(50, 6)
for row in range(50):
    for column in range(6):
        table.setItem(row, column, QTableWidgetItem(f"{row}.{column}"))
window.setCentralWidget(table)
window.resize(1280, 800)
window.show()
window.repaint()
"""


def timed(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--data-dir", type=Path)
    args = parser.parse_args()
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    # As installed: the project's bytecode compiled (PYTHONDONTWRITEBYTECODE may stop Python writing it).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "app"), str(ROOT / "central")],
                   check=True)
    scratch = Path(tempfile.mkdtemp(prefix="cqrs-startup-"))
    try:
        data_dir = args.data_dir
        if data_dir is None:
            data_dir = scratch / "data"
            print("Filling a cache with a demo sync first...", flush=True)
            subprocess.run([str(BIN / "cqrs-desktop"), "--demo", "--data-dir", str(data_dir), "--screenshot",
                            str(scratch / "shots")], env=env, check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        app = [str(BIN / "cqrs-desktop"), "--data-dir", str(data_dir), "--exit-when-ready"]
        bare = [sys.executable, "-c", BARE_WINDOW]
        timed(bare, env), timed(app, env)  # warm the OS file cache for both
        bare_times = [timed(bare, env) for _ in range(args.runs)]
        app_times = [timed(app, env) for _ in range(args.runs)]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    bare_median, app_median = statistics.median(bare_times), statistics.median(app_times)
    print(f"bare PySide6 window with a table: median {bare_median * 1000:.0f} ms of {args.runs} runs")
    print(f"cqrs-desktop --exit-when-ready:   median {app_median * 1000:.0f} ms of {args.runs} runs")
    print(f"ratio: {app_median / bare_median:.2f}x (goal: at most 3x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
