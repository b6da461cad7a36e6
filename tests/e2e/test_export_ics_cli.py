"""``cqrs-desktop export-ics`` as a process: exit 2 saying so without a stored sign-in; with one, the
signed-in person's synced timetable; with ``--demo``, the demo service's after a sign-in and sync, the
same UIDs on a second export, and ``--service`` keeping that service's dates and everyone's."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from icalendar import Calendar

BIN = Path(sys.executable).parent / "cqrs-desktop"
SERVER = "https://cqrs.example.nhs.uk"
ME = "me.manager@nhs.net"
ODS = "Z99001"


def run(*args: str, keyring: Path) -> subprocess.CompletedProcess[str]:
    here = str(Path(__file__).parent)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHON_KEYRING_BACKEND": "file_keyring.FileKeyring",
           "CQRS_TEST_KEYRING": str(keyring),
           "PYTHONPATH": os.pathsep.join(filter(None, [here, os.environ.get("PYTHONPATH")])),
           "CQRS_SITE_CONFIG": str(keyring.parent / "no-site.toml")}
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, timeout=240, env=env)


def events(path: Path) -> dict[str, object]:
    return {str(event["UID"]): event for event in Calendar.from_ical(path.read_bytes()).walk("VEVENT")}


def plant_signed_in(data: Path, keys: Path) -> None:
    """ME's profile, a synced timetable in ME's own cache, and ME's sign-in in the keyring file."""
    from app import paths
    from app.models import database
    from app.services import cache_store
    from app.services.profile import VIEW, PracticeAccess, Profile, save_profile
    from central.timetable_plan import national_timetable

    paths.configure(data)
    try:
        save_profile(Profile(SERVER, ME, "Me", "Manager", (PracticeAccess(ODS, "Riverside Medical Practice",
                                                                          (VIEW,)),)))
        database.open_person((SERVER, ME))
        cache_store.apply_feed_page(ODS, [
            {"type": "timetable_event", "id": str(number), "deleted": False, "data": {
                "id": number, "kind": event.kind, "title": event.title, "service": event.service,
                "starts": event.starts.isoformat(), "ends": event.ends.isoformat(),
                "achievement_date": event.achievement_date.isoformat()}}
            for number, event in enumerate(national_timetable("2026-27"), start=1)], 100)
    finally:
        database.close_cache()
        paths.configure(None)
    os.environ["CQRS_TEST_KEYRING"] = str(keys)
    try:
        sys.path.insert(0, str(Path(__file__).parent))
        from file_keyring import FileKeyring

        from app.services.secrets import TokenStore

        assert TokenStore(FileKeyring()).save(SERVER, ME, "rt-planted-token-value")
    finally:
        sys.path.remove(str(Path(__file__).parent))
        del os.environ["CQRS_TEST_KEYRING"]


def test_without_a_stored_sign_in_it_exits_2_and_says_so(tmp_path: Path) -> None:
    out = tmp_path / "t.ics"
    done = run("export-ics", "--out", str(out), "--data-dir", str(tmp_path / "data"),
               keyring=tmp_path / "k.json")
    assert done.returncode == 2
    assert "nobody is signed in on this PC" in done.stderr and "sign in" in done.stderr
    assert not out.exists()


def test_the_signed_in_persons_synced_timetable(tmp_path: Path) -> None:
    data, keys, out = tmp_path / "data", tmp_path / "keys.json", tmp_path / "mine.ics"
    plant_signed_in(data, keys)
    done = run("--data-dir", str(data), "export-ics", "--out", str(out), keyring=keys)
    assert done.returncode == 0, done.stderr
    assert f"to {out}" in done.stdout and "Riverside Medical Practice" in done.stdout
    found = events(out)
    assert len(found) == 76  # 12 months of 6 events (approval and aspiration among them), the year end's 4
    assert all(uid.startswith(f"{ODS}/") for uid in found)
    bad = run("--data-dir", str(data), "export-ics", "--out", str(out), "--service", "NOPE", keyring=keys)
    assert bad.returncode == 2 and "no service 'NOPE'" in bad.stderr


def test_demo_signs_in_syncs_and_keeps_uids_across_exports(tmp_path: Path) -> None:
    data, keys = tmp_path / "data", tmp_path / "keys.json"
    first, second, qof = tmp_path / "first.ics", tmp_path / "second.ics", tmp_path / "qof.ics"
    done = run("export-ics", "--demo", "--out", str(first), "--data-dir", str(data), keyring=keys)
    assert done.returncode == 0, done.stderr
    again = run("export-ics", "--demo", "--out", str(second), "--data-dir", str(data), keyring=keys)
    assert again.returncode == 0, again.stderr
    one, two = events(first), events(second)
    assert len(one) > 50 and set(one) == set(two)
    alarms = sum(len(event.walk("VALARM")) for event in one.values())  # type: ignore[attr-defined]
    assert 0 < alarms < len(one)  # deadlines only
    only = run("export-ics", "--demo", "--service", "QOF", "--out", str(qof), "--data-dir", str(data),
               keyring=keys)
    assert only.returncode == 0, only.stderr
    shown = events(qof)
    assert set(shown) < set(one) and not any("offer-deadline" in uid for uid in shown)
