"""Diagnostics: what the help desk needs is there; a planted password, tokens, and another person's
email and phone — in the log and in the cache — never reach the text or the bundle."""

from __future__ import annotations

import zipfile
from pathlib import Path

from app import paths, settings, site_settings
from app.models import database
from app.services import cache_store, diagnostics, outbox, site_config

SERVER = "https://cqrs.example.nhs.uk"
ME = "me.manager@nhs.net"
OTHER = "colleague.nurse@nhs.net"
PHONE = "07700 900123"
PASSWORD = "Plant3d-Passw0rd"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtZSJ9.c2lnbmF0dXJlLXBsYW50ZWQ"
REFRESH = "rt_" + "Q7x9" * 12  # an opaque refresh token, unlabelled
PLANTED = (OTHER, PHONE, PASSWORD, JWT, REFRESH)


def plant(data: Path) -> tuple[str, str]:
    """A cache for ME holding another user's details and a queued write with a password, and a log with
    every planted value in it."""
    person = (SERVER, ME)
    database.open_person(person)
    cache_store.apply_feed_page("A81001", [{"type": "user", "id": "u2", "deleted": False, "data": {
        "email": OTHER, "work_phone": PHONE, "first_name": "Colleague"}}], "5")
    outbox.enqueue("A81001", "user", "POST", "/api/v1/practices/A81001/users",
                   {"email": OTHER, "password": PASSWORD, "token": REFRESH}, owner=ME)
    cache_store.mark_synced("A81001")
    database.close_cache()
    log = paths.log_file_path()
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("\n".join([
        "2026-12-01 09:00:00 INFO    MainThread app.sync: Sync finished",
        f"2026-12-01 09:00:01 INFO    MainThread app.auth: signed in as {ME}",
        f"2026-12-01 09:00:02 WARNING MainThread app.x: body {{'password': '{PASSWORD}'}}",
        f"2026-12-01 09:00:03 WARNING MainThread app.x: Authorization: Bearer {JWT}",
        f"2026-12-01 09:00:04 WARNING MainThread app.x: bare {JWT} and refresh {REFRESH}",
        f"2026-12-01 09:00:05 INFO    MainThread app.users: added {OTHER} with phone {PHONE}",
        f"2026-12-01 09:00:06 INFO    MainThread app.users: mobile +44 7700 900456 for {OTHER.upper()}",
    ]) + "\n", encoding="utf-8")
    return person


def test_content_and_redaction(app_data_dir: Path, tmp_path: Path) -> None:
    person = plant(app_data_dir)
    site = site_config.SiteConfig(None)
    found = diagnostics.gather(site, person=person, own_email=ME,
                               store=site_settings.load(site, tmp_path / "settings.json"))
    text = found.as_text()
    for value in (*PLANTED, "7700 900456", OTHER.upper()):
        assert value not in text
    assert diagnostics.EMAIL_REMOVED in text and diagnostics.PHONE_REMOVED in text
    assert ME in text  # the signed-in person's own address stays
    for wanted in ("App version", "Operating system", "Python", "Qt 6", "CQRS server",
                   "operating system's certificate store", f"Cache schema version: {database.HEAD_REVISION}",
                   "Outbox (items by status): queued 1", "Last completed sync, A81001", "Sync finished"):
        assert wanted in text, wanted
    bundle = diagnostics.write_bundle(found, tmp_path / "out" / "bundle.zip")
    with zipfile.ZipFile(bundle) as archive:
        assert sorted(archive.namelist()) == ["diagnostics.txt", "log-tail.txt"]
        everything = b"".join(archive.read(name) for name in archive.namelist()).decode("utf-8")
    for value in PLANTED:
        assert value not in everything
    assert "Outbox (items by status): queued 1" in everything


def test_nobody_signed_in_shows_no_one_and_counts_no_cache(app_data_dir: Path, tmp_path: Path) -> None:
    person = plant(app_data_dir)
    site = site_config.SiteConfig(None)
    text = diagnostics.gather(site, person=person, own_email=None,
                              store=site_settings.load(site, tmp_path / "settings.json")).as_text()
    assert ME not in text and OTHER not in text  # not even their own address before they sign in
    assert "Signed in: nobody" in text and "Outbox (items by status)" not in text


def test_the_last_200_lines_only(app_data_dir: Path) -> None:
    log = paths.log_file_path()
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("".join(f"line {n}\n" for n in range(500)), encoding="utf-8")
    lines = diagnostics.last_log_lines(log, None)
    assert len(lines) == 200 and lines[0] == "line 300" and lines[-1] == "line 499"


def test_site_settings_are_marked(app_data_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "site.toml"
    path.write_text(f'server_url = "{SERVER}"\nsync_interval_minutes = 40\n', encoding="utf-8")
    site = site_config.load(path)
    text = diagnostics.gather(site, person=None, own_email=None,
                              store=site_settings.load(site, tmp_path / "settings.json")).as_text()
    assert f"CQRS server: {SERVER}" in text
    assert f"{settings.SYNC_INTERVAL_MINUTES.label}: 40 minutes (set by your practice)" in text
    assert f"Site configuration: {path}" in text


def test_a_loggers_name_is_not_taken_for_a_secrets_label() -> None:
    line = ("2026-12-01 13:29:35,040 WARNING cqrs-net_0 app.services.secrets: No usable OS keyring; "
            "token=abc123")
    assert diagnostics.redact_line(line, None) == (
        "2026-12-01 13:29:35,040 WARNING cqrs-net_0 app.services.secrets: No usable OS keyring; "
        "token=[REDACTED]")
