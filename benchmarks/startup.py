"""Start-up from a warm cache against a bare PySide6 window with a table (goal: at most 2x).

    .venv/bin/python benchmarks/startup.py [--runs 9] [--data-dir DIR] [--compare SOURCE_DIR]

Without --data-dir, a demo run fills a temporary cache first (and the snapshot of the window it ends
on). The measured runs have no server to reach (the demo service is stopped), which is also the
"offline start" case. The commands are interleaved — bare window, app, app without its start-up
snapshot (the live window's own first paint), and with --compare the app from another source tree
(e.g. an export of an older commit) — so a change in the machine's load touches them all alike.

The person counts as signed in only while the keyring keeps their refresh token, and the keyring is
read while Qt starts: run this where a keyring answers, e.g. a Secret Service started for the purpose:

    dbus-run-session -- sh -c 'eval "$(printf pw | gnome-keyring-daemon --unlock --components=secrets)";
                               .venv/bin/python benchmarks/startup.py'

Without one, the runs paint no snapshot (nobody is signed in) and the script says so.
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


SNAPSHOT = "page-snapshot.sqlite3"
DEMO_SCOPE, DEMO_EMAIL = "cqrs-demo", "practice.manager@nhs.net"  # the demo person's keyring entry


def bare_command() -> list[str]:
    return [sys.executable, "-c", BARE_WINDOW]


def app_command(data_dir: Path) -> list[str]:
    # --demo names the demo person's keyring entry; the app exits at the first paint, before the demo
    # service would start.
    return [str(BIN / "cqrs-desktop"), "--demo", "--data-dir", str(data_dir), "--exit-when-ready"]


def snapshot_of(data_dir: Path) -> Path:
    """The demo person's start-up picture (each person's files are in a folder of their own)."""
    sys.path.insert(0, str(ROOT))
    from app.paths import person_key

    return data_dir / "people" / person_key(DEMO_SCOPE, DEMO_EMAIL) / SNAPSHOT


def paints_snapshot(data_dir: Path, env: dict[str, str]) -> bool:
    done = subprocess.run(app_command(data_dir), env=env, capture_output=True, text=True, check=True)
    return "from the last session's snapshot" in done.stderr


def timed(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--compare", type=Path, metavar="SOURCE_DIR",
                        help="also time the app from this source tree (its own cache copy)")
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
        commands = {"bare PySide6 window with a table": (bare_command(), env)}
        commands["cqrs-desktop --exit-when-ready"] = (app_command(data_dir), env)
        live_dir = scratch / "no-snapshot"
        shutil.copytree(data_dir, live_dir)
        snapshot_of(live_dir).unlink(missing_ok=True)
        commands["  the same without its snapshot"] = (app_command(live_dir), env)
        if args.compare is not None:
            other_dir = scratch / "compare"
            shutil.copytree(data_dir, other_dir)
            snapshot_of(other_dir).unlink(missing_ok=True)
            compare = args.compare.resolve()
            subprocess.run([sys.executable, "-m", "compileall", "-q", str(compare / "app")], check=True)
            commands[f"  the app from {compare.name}"] = (app_command(other_dir),
                                                         {**env, "PYTHONPATH": str(compare)})
        # A run without a snapshot leaves one behind (the window it painted): removed before each run.
        unsnapped = [snapshot_of(live_dir)] + ([snapshot_of(other_dir)] if args.compare is not None else [])
        painted = paints_snapshot(data_dir, env)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for run in range(args.runs + 1):  # the first round warms the OS file cache and is not counted
            for name, (command, command_env) in commands.items():
                for path in unsnapped:
                    path.unlink(missing_ok=True)
                seconds = timed(command, command_env)
                if run:
                    times[name].append(seconds)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    medians = {name: statistics.median(values) for name, values in times.items()}
    bare_median = medians["bare PySide6 window with a table"]
    load = os.getloadavg()
    print(f"{args.runs} interleaved runs each, {os.cpu_count()} CPUs, load average "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    for name, median in medians.items():
        print(f"{name:<36} median {median * 1000:5.0f} ms  {median / bare_median:5.2f}x")
    ratio = medians["cqrs-desktop --exit-when-ready"] / bare_median
    print(f"ratio: {ratio:.2f}x (goal: at most 2x)")
    if not painted:
        print("No snapshot was painted: no keyring kept the sign-in, so these runs show nobody's data.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
