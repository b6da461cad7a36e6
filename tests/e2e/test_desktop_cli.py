"""``cqrs-desktop`` as a process: the demo with screenshots, an offline start from the cache, bad input,
and the start-up picture painted only for the person whose sign-in the keyring keeps."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

BIN = Path(sys.executable).parent / "cqrs-desktop"
VIEWS = ("dashboard", "manual-entry", "declarations", "income", "offers", "timetable", "users", "settings",
         "help",
         "add-user",  # the Add user dialog, filled in
         "screen-share",  # the Users page in screen-share mode
         "needs-doing")  # the dashboard's "What needs doing" panel


DEMO_EMAIL = "practice.manager@nhs.net"


def run(*args: str, timeout: float = 120, keyring: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The app as a process; with ``keyring`` (a file) it has a keyring that outlives it, else none."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)  # no OS keyring: the session-only path
    if keyring is not None:
        env.update(PYTHON_KEYRING_BACKEND="file_keyring.FileKeyring", CQRS_TEST_KEYRING=str(keyring),
                   PYTHONPATH=os.pathsep.join(filter(None, [str(Path(__file__).parent),
                                                            env.get("PYTHONPATH")])))
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, timeout=timeout, env=env)


def demo_folder(data: Path) -> Path:
    """The demo person's own folder (the demo's people are kept under its keyring scope)."""
    from app import paths

    return data / "people" / paths.person_key("cqrs-demo", DEMO_EMAIL)


def distinct_colours(path: Path) -> int:
    image = QImage(str(path))
    assert not image.isNull(), path
    step_x, step_y = max(1, image.width() // 60), max(1, image.height() // 60)
    return len({image.pixel(x, y) for x in range(0, image.width(), step_x)
                for y in range(0, image.height(), step_y)})


@pytest.fixture(scope="module")
def keyring_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("keyring") / "keyring.json"


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory, keyring_file: Path
             ) -> tuple[Path, Path, subprocess.CompletedProcess[str]]:
    data, shots = tmp_path_factory.mktemp("demo-data"), tmp_path_factory.mktemp("shots")
    return data, shots, run("--demo", "--data-dir", str(data), "--screenshot", str(shots),
                            keyring=keyring_file)


def test_the_demo_signs_in_syncs_and_saves_a_screenshot_of_every_view(demo_run) -> None:
    data, shots, result = demo_run
    assert result.returncode == 0, result.stderr
    assert sorted(p.stem for p in shots.glob("*.png")) == sorted(VIEWS)
    for view in VIEWS:
        assert distinct_colours(shots / f"{view}.png") > 20, f"{view}.png looks blank"
    profile = json.loads((data / "profile.json").read_text())
    assert profile["email"] == "practice.manager@nhs.net"
    assert [p["ods"] for p in profile["practices"]] == ["Z99001"]
    log = (data / "logs" / "cqrs-desktop.log").read_text()
    assert "Demo-Password-2026" not in log and "refresh_token" not in log


def test_a_second_start_opens_from_the_cache_with_the_server_gone(demo_run) -> None:
    data, _shots, first = demo_run
    assert first.returncode == 0
    result = run("--data-dir", str(data), "--exit-when-ready", timeout=60)
    assert result.returncode == 0, result.stderr


def test_nothing_secret_is_written_to_the_data_folder(demo_run) -> None:
    data, _shots, _result = demo_run
    for path in data.rglob("*"):
        if path.is_file() and "demo-server" not in path.parts:  # the service's own database holds hashes
            assert b"Demo-Password-2026" not in path.read_bytes(), path


def test_a_bad_server_address_is_refused_with_the_reason(tmp_path: Path) -> None:
    result = run("--data-dir", str(tmp_path), "--server", "http://cqrs.example", "--exit-when-ready")
    assert result.returncode == 2
    assert "CQRS server address" in result.stderr and "https://" in result.stderr
    assert not (tmp_path / "settings.json").exists()


def test_version(tmp_path: Path) -> None:
    result = run("--version")
    assert result.returncode == 0 and result.stdout.startswith("cqrs-desktop ")


def test_the_dashboard_numbers_equal_cqrs_central_calculate_on_the_same_extract(demo_run, tmp_path) -> None:
    from datetime import date

    from app import paths
    from app.models import database
    from app.services import cache_store
    from app.services import format as fmt
    from app.services.dashboard import qof_dashboard
    from app.services.rules import load_rules
    from central.demo_curves import demo_extracts

    data, _shots, first = demo_run
    assert first.returncode == 0
    rules, march = load_rules("2025-26"), date(2026, 3, 31)
    lines = demo_extracts(rules)[march].splitlines()
    extract = tmp_path / "march-qof.csv"  # the practice's QOF rows of the March extract
    qof_rows = [line for line in lines if line.startswith("Z99001,QOF,")]
    extract.write_text("\n".join([lines[0], *qof_rows]) + "\n")
    command = [str(BIN.with_name("cqrs-central")), "calculate", str(extract), "--year", "2025-26", "--format",
               "json"]
    calculated = subprocess.run(command, capture_output=True, text=True, check=True)
    (expected,) = json.loads(calculated.stdout)["practices"][0]["services"]

    paths.configure(data)
    paths.set_person(("cqrs-demo", DEMO_EMAIL))
    database.open_cache()
    try:
        shown = qof_dashboard(cache_store.records("Z99001", "result"), [], rules, march, finance=True,
                              today=march)
    finally:
        database.close_cache()
        paths.configure(None)
    assert fmt.points(shown.summary.points) == f"{expected['points']:.2f}"
    assert fmt.money(shown.summary.payment) == f"£{expected['payment_gbp']:,.2f}"
    unclaimed = shown.summary.max_payment - shown.summary.payment
    assert fmt.money(unclaimed) == f"£{expected['gbp_unclaimed']:,.2f}"
    rows = {row.indicator_id: row for row in shown.indicators}
    assert set(rows) == {i["indicator_id"] for i in expected["indicators"]}
    for item in expected["indicators"]:
        row = rows[item["indicator_id"]]
        counts = (item["numerator"], item["denominator"], item["pca"])
        assert (row.numerator, row.denominator, row.pca) == counts
        assert fmt.points(row.points) == f"{item['points']:.2f}", item["indicator_id"]
        assert fmt.money(row.payment) == f"£{item['payment_gbp']:,.2f}", item["indicator_id"]
        assert fmt.money(row.gbp_unclaimed) == f"£{item['gbp_unclaimed']:,.2f}", item["indicator_id"]
        assert fmt.money(row.gbp_next_patient) == f"£{item['gbp_next_patient']:,.2f}", item["indicator_id"]
        assert row.patients_to_upper == item["patients_to_upper_threshold"], item["indicator_id"]


def test_the_demo_dashboard_lives_on_1_december_2026(demo_run) -> None:
    """The demo's today is 1 Dec 2026: the dashboard opens on 2026/27 at October's extract, beside the
    same month of 2025/26, with the aspiration paid April to November from 2025/26's year end and the
    projection to 31 March 2027."""
    from datetime import date
    from fractions import Fraction

    from app import paths
    from app.models import database
    from app.services import cache_store
    from app.services.calculation import aspiration_plan
    from app.services.dashboard import choices, opening_year, qof_dashboard, years_held
    from app.services.rules import load_rules

    data, _shots, first = demo_run
    assert first.returncode == 0
    today, october = date(2026, 12, 1), date(2026, 10, 31)
    rules, last_year = load_rules("2026-27"), load_rules("2025-26")
    paths.configure(data)
    paths.set_person(("cqrs-demo", DEMO_EMAIL))
    database.open_cache()
    try:
        results = cache_store.records("Z99001", "result")
        benchmarks = cache_store.records("Z99001", "benchmark")
    finally:
        database.close_cache()
        paths.configure(None)
    held = years_held(results)
    assert held == ["2026-27", "2025-26", "2024-25"] and opening_year(held, today) == "2026-27"
    qof = next(c for c in choices(results, "2026-27") if c.kind == "qof")
    assert qof.dates == tuple(date(2026, m + 1, 1) - date.resolution for m in range(10, 3, -1))  # Oct-Apr
    shown = qof_dashboard(results, benchmarks, rules, october, finance=True, today=today,
                          prior_rules=last_year)
    summary = shown.summary
    assert summary.max_points == 582
    # Achievement climbs month by month, and the worklist has indicators clearly behind.
    history = [points for _, points in shown.points_history]
    assert len(history) == 7 and history == sorted(history) and history[0] < history[-1]
    assert sum(row.band == "below lower threshold" for row in shown.indicators) >= 3
    assert shown.points_projection is not None and shown.points_projection.points[-1][0] == date(2027, 3, 31)
    assert summary.points < summary.projected_points <= summary.max_points
    # Last year's figure at the same month beside this year's, and a new indicator said to be new.
    rows = {row.indicator_id: row for row in shown.indicators}
    assert rows["DM020"].last_year is not None and rows["HYP010"].last_year is None
    assert "New this year" in rows["HYP010"].last_year_note
    # Aspiration: eight monthly instalments by 1 December, from 2025/26's year-end achievement £.
    year_end = next(r for r in results if r["service"] == "QOF" and r["achievement_date"] == "2026-03-31")
    plan = aspiration_plan(Fraction(year_end["payment"]), rules.constants)
    assert summary.aspiration_months == 8 and summary.aspiration_total == plan.total > 0
    assert summary.aspiration_to_date == plan.paid_after(8)


def _copy_of(data: Path, tmp_path: Path) -> Path:
    import shutil

    copy = tmp_path / "data"
    shutil.copytree(data, copy, ignore=shutil.ignore_patterns("demo-server"))
    return copy


def test_the_next_start_paints_the_last_window_from_its_snapshot(demo_run, keyring_file: Path,
                                                                 tmp_path: Path) -> None:
    data, _shots, first = demo_run
    assert first.returncode == 0
    assert (demo_folder(data) / "page-snapshot.sqlite3").is_file()  # taken as the demo run ended
    assert not (data / "cache.sqlite3").exists() and not (data / "page-snapshot.sqlite3").exists()
    copy = _copy_of(data, tmp_path)
    # The keyring keeps the demo person's sign-in: they count as signed in, so their window is painted.
    result = run("--demo", "--data-dir", str(copy), "--exit-when-ready", keyring=keyring_file, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Painted the dashboard page from the last session's snapshot" in result.stderr


def test_without_a_sign_in_in_the_keyring_nothing_of_the_cache_is_painted(demo_run, tmp_path: Path) -> None:
    data, _shots, first = demo_run
    assert first.returncode == 0
    copy = _copy_of(data, tmp_path)
    result = run("--demo", "--data-dir", str(copy), "--exit-when-ready", timeout=60)  # no keyring at all
    assert result.returncode == 0, result.stderr
    assert "last session's snapshot" not in result.stderr


def test_the_snapshot_is_not_painted_for_someone_else(demo_run, keyring_file: Path, tmp_path: Path) -> None:
    data, _shots, first = demo_run
    assert first.returncode == 0
    copy = _copy_of(data, tmp_path)
    profile = json.loads((copy / "profile.json").read_text())
    (copy / "profile.json").write_text(json.dumps({**profile, "email": "someone.else@nhs.net"}))
    result = run("--demo", "--data-dir", str(copy), "--exit-when-ready", keyring=keyring_file, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "last session's snapshot" not in result.stderr  # the live window opened instead
    (copy / "profile.json").unlink()
    result = run("--demo", "--data-dir", str(copy), "--exit-when-ready", keyring=keyring_file, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "last session's snapshot" not in result.stderr


def test_a_cache_that_needs_migrating_is_migrated_before_the_first_paint(demo_run, keyring_file: Path,
                                                                        tmp_path: Path) -> None:
    import sqlite3

    data, _shots, first = demo_run
    assert first.returncode == 0
    copy = _copy_of(data, tmp_path)
    cache = demo_folder(copy) / "cache.sqlite3"
    with sqlite3.connect(cache) as connection:  # as the previous version left it
        connection.execute("ALTER TABLE outbox DROP COLUMN owner")
        connection.execute("UPDATE alembic_version SET version_num = '0002_outbox'")
    result = run("--demo", "--data-dir", str(copy), "--exit-when-ready", keyring=keyring_file, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stderr.index("Cache migrated") < result.stderr.index("Painted the dashboard page")
    assert [p.name for p in (copy / "backups").iterdir()]  # copied before migrating, as before
    with sqlite3.connect(cache) as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchone()[0] != "0002_outbox"


def test_an_older_versions_shared_cache_is_moved_to_who_signed_in_last(demo_run, tmp_path: Path) -> None:
    data, _shots, first = demo_run
    assert first.returncode == 0
    copy = _copy_of(data, tmp_path)
    own = demo_folder(copy)
    for name in ("cache.sqlite3", "page-snapshot.sqlite3"):  # where an older version kept them
        (own / name).rename(copy / name)
    result = run("--demo", "--data-dir", str(copy), "--exit-when-ready", timeout=60)
    assert result.returncode == 0, result.stderr
    assert not (copy / "cache.sqlite3").exists() and (own / "cache.sqlite3").is_file()
    assert "now belongs to the person who signed in last" in (copy / "logs" / "cqrs-desktop.log").read_text()
