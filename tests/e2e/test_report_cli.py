"""``cqrs-desktop report`` as a process against the demo service: the PDF and CSV of the practice manager
(Finance View) and of the View-only demo user, their figures against the dashboard's, and exit 2 — with
what to do — when nobody is signed in or the service, year or date is not held. The year and date come
from what the demo holds (its newest), so the tests follow the demo's clock."""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from app.services import format as fmt

BIN = Path(sys.executable).parent / "cqrs-desktop"
VIEWER = "viewer@nhs.net"
MANAGER = "practice.manager@nhs.net"

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils (pdftotext)")


def run(*args: str, data: Path) -> subprocess.CompletedProcess[str]:
    here = str(Path(__file__).parent)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHON_KEYRING_BACKEND": "file_keyring.FileKeyring",
           "CQRS_TEST_KEYRING": str(data.parent / "keys.json"),
           "PYTHONPATH": os.pathsep.join(filter(None, [here, os.environ.get("PYTHONPATH")])),
           "CQRS_SITE_CONFIG": str(data.parent / "no-site.toml")}
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    return subprocess.run([str(BIN), "--data-dir", str(data), "report", *args], capture_output=True,
                          text=True, timeout=180, env=env)


def pdf_text(path: Path) -> str:
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    return unicodedata.normalize("NFKC", text)


def read_csv(path: Path) -> tuple[bytes, list[dict[str, str]]]:
    raw = path.read_bytes()
    with path.open(encoding="utf-8-sig", newline="") as file:
        return raw, list(csv.DictReader(file))


@dataclass
class Demo:
    data: Path
    pdf: Path
    csv: Path
    year: str  # "2026-27"
    when: date


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """The practice manager's report of the newest year and date the demo holds (seeded once)."""
    folder = tmp_path_factory.mktemp("report")
    data, pdf, table = folder / "data", folder / "manager.pdf", folder / "manager.csv"
    done = run("--demo", "--pdf", str(pdf), "--csv", str(table), data=data)
    assert done.returncode == 0, done.stderr
    assert f"Achievement summary saved: {pdf}" in done.stdout
    assert f"Indicator table saved: {table}" in done.stdout
    text = pdf_text(pdf)
    year = re.search(r"Service\s+QOF, (\d{4})/(\d{2})", text)
    day = re.search(r"Achievement date\s+(\d+ \w{3} \d{4})", text)
    assert year and day, text[:400]
    yield Demo(data, pdf, table, f"{year[1]}-{year[2]}", datetime.strptime(day[1], "%d %b %Y").date())


def dashboard_of(demo: Demo, email: str, finance: bool) -> Any:
    """The dashboard built in this process from the cache the command synced for ``email``."""
    from app import paths
    from app.demo_server import DEMO_TOKEN_SCOPE
    from app.models import database
    from app.services import dashboard_data
    from app.services.dashboard import QOF, Choice

    paths.configure(demo.data)
    try:
        database.open_person((DEMO_TOKEN_SCOPE, email))
        choice = Choice(f"{QOF}:{demo.year}", QOF, "qof", (demo.when,))
        return dashboard_data.load_view("Z99001", choice, demo.when, finance=finance, today=demo.when)
    finally:
        database.close_cache()
        paths.configure(None)


def test_the_practice_managers_pdf_holds_the_practice_totals_and_indicators(demo: Demo) -> None:
    text = pdf_text(demo.pdf)
    dashboard = dashboard_of(demo, MANAGER, finance=True)
    summary = dashboard.summary
    for expected in ("QOF achievement summary", "Riverside Medical Practice (Z99001)", "Sarah Okafor",
                     f"Points: {fmt.points(summary.points)} of {fmt.points(summary.max_points)}",
                     "Achievement payment so far: £", "Generated "):
        assert expected in text, expected
    for row in dashboard.indicators:
        assert re.search(rf"^\s*{row.indicator_id}\s", text, re.MULTILINE), row.indicator_id


def test_the_practice_managers_csv_matches_the_dashboard(demo: Demo) -> None:
    raw, rows = read_csv(demo.csv)
    assert raw.startswith(b"\xef\xbb\xbf")  # a BOM, so Excel reads it as UTF-8
    dashboard = dashboard_of(demo, MANAGER, finance=True)
    assert [row["Indicator"] for row in rows] == [row.indicator_id for row in dashboard.indicators]
    for written, row in zip(rows, dashboard.indicators, strict=True):
        assert Fraction(written["Points"]) == pytest.approx(row.points, abs=1e-6)
        assert int(written["Numerator"]) == row.numerator and int(written["Denominator"]) == row.denominator
        assert Fraction(written["£ earned"]) == round(row.payment, 2)
        assert written["Achievement date"] == demo.when.strftime("%d/%m/%Y")
        assert "," not in written["£ earned"] and "£" not in written["£ earned"]


def test_a_view_only_demo_user_gets_no_money_in_the_pdf_or_the_csv(demo: Demo, tmp_path: Path) -> None:
    pdf, table = tmp_path / "viewer.pdf", tmp_path / "viewer.csv"
    done = run("--demo", "--demo-user", VIEWER, "--year", demo.year, "--date", demo.when.isoformat(),
               "--pdf", str(pdf), "--csv", str(table), data=demo.data)
    assert done.returncode == 0, done.stderr
    text = pdf_text(pdf)
    assert "Tom Hughes" in text and "Riverside Medical Practice (Z99001)" in text and "Points: " in text
    assert "£" not in text and "earned" not in text
    raw, rows = read_csv(table)
    assert rows and "£".encode() not in raw
    assert not [name for name in rows[0] if "£" in name or "payment" in name.lower()]
    dashboard = dashboard_of(demo, VIEWER, finance=False)
    assert [row["Indicator"] for row in rows] == [row.indicator_id for row in dashboard.indicators]


def test_an_unknown_year_date_or_service_exits_2_saying_what_is_held(demo: Demo, tmp_path: Path) -> None:
    out = ["--pdf", str(tmp_path / "x.pdf")]
    year = run("--demo", "--year", "1999-00", *out, data=demo.data)
    assert year.returncode == 2 and "1999-00" in year.stderr and demo.year in year.stderr
    day = run("--demo", "--year", demo.year, "--date", "2026-10-15", *out, data=demo.data)
    assert day.returncode == 2 and "Dates held:" in day.stderr and demo.when.isoformat() in day.stderr
    service = run("--demo", "--service", "LDHC", *out, data=demo.data)
    assert service.returncode == 2 and "Services with a summary: QOF" in service.stderr
    assert not (tmp_path / "x.pdf").exists()


def test_without_demo_and_without_a_sign_in_it_exits_2_saying_so(tmp_path: Path) -> None:
    done = run("--pdf", str(tmp_path / "x.pdf"), data=tmp_path / "data")
    assert done.returncode == 2
    assert "nobody is signed in on this PC" in done.stderr and "sign in" in done.stderr
    nothing = run(data=tmp_path / "data")
    assert nothing.returncode == 2 and "--pdf FILE, --csv FILE" in nothing.stderr
