"""The site configuration: read from the machine-wide TOML, it wins over this PC's settings; a bad file
or value is reported by name and line and ignored safely."""

from __future__ import annotations

from pathlib import Path

import pytest

from app import settings, site_settings
from app.services import site_config


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "site.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_values_and_help_desk_are_read(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("pem", encoding="utf-8")
    path = write(tmp_path, f'server_url = "https://cqrs.example.nhs.uk"\nca_file = "{ca}"\n'
                           'sync_interval_minutes = 30\n[help_desk]\ntelephone = "0113 496 0000"\n')
    site = site_config.load(path)
    assert site.problems == ()
    assert site.values == {"server_url": "https://cqrs.example.nhs.uk", "ca_file": str(ca),
                           "sync_interval_minutes": 30}
    assert site.help_desk.telephone == "0113 496 0000"
    assert site.help_desk.email == "support@cqrs.co.uk"  # not overridden: the standard one
    assert site.help_desk_from_site


def test_no_file_is_an_empty_configuration(tmp_path: Path) -> None:
    site = site_config.load(tmp_path / "missing.toml")
    assert site.path is None and site.values == {} and site.problems == ()
    assert site.help_desk == site_config.DEFAULT_HELP_DESK


def test_a_file_that_is_not_toml_is_ignored_whole_and_named_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, 'sync_interval_minutes = 30\nserver_url = https://x\n')
    site = site_config.load(path)
    assert site.values == {}  # nothing half-applied, not even the good first line
    assert len(site.problems) == 1
    assert str(path) in site.problems[0] and "line 2" in site.problems[0]
    assert "none of it is used" in site.problems[0]


def test_a_bad_value_is_ignored_alone_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, 'server_url = "https://ok.example.nhs.uk"\n\nsync_interval_minutes = 0\n'
                           'colour = "blue"\n')
    site = site_config.load(path)
    assert site.values == {"server_url": "https://ok.example.nhs.uk"}
    assert any("line 3" in p and "sync_interval_minutes" in p for p in site.problems)
    assert any("line 4" in p and "colour" in p for p in site.problems)


def test_the_env_var_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "sync_interval_minutes = 45\n")
    monkeypatch.setenv(site_config.ENV_VAR, str(path))
    assert site_config.default_path() == path
    assert site_config.load().values == {"sync_interval_minutes": 45}


def test_linux_looks_in_xdg_config_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(site_config.ENV_VAR, raising=False)
    monkeypatch.setattr(site_config.sys, "platform", "linux")
    second = tmp_path / "b" / "cqrs-desktop" / "site.toml"
    second.parent.mkdir(parents=True)
    second.write_text("", encoding="utf-8")
    monkeypatch.setenv("XDG_CONFIG_DIRS", f"{tmp_path / 'a'}:{tmp_path / 'b'}")
    assert site_config.default_path() == second


def test_site_values_win_over_the_user_file_and_cannot_be_changed(tmp_path: Path) -> None:
    site = site_config.load(write(tmp_path, 'server_url = "https://site.example.nhs.uk"\n'))
    store = site_settings.load(site, tmp_path / "settings.json")
    store.set(settings.SERVER_URL, "https://typed.example.nhs.uk")  # e.g. --server, or the sign-in form
    store.set(settings.SYNC_INTERVAL_MINUTES, 20)
    assert store.get(settings.SERVER_URL) == "https://site.example.nhs.uk"
    assert store.locked(settings.SERVER_URL) and not store.locked(settings.SYNC_INTERVAL_MINUTES)
    reopened = settings.load(tmp_path / "settings.json")
    assert reopened.get(settings.SERVER_URL) == ""  # the site's value is never copied into the user file
    assert reopened.get(settings.SYNC_INTERVAL_MINUTES) == 20


def test_site_problems_are_among_the_settings_problems(tmp_path: Path) -> None:
    site = site_config.load(write(tmp_path, "sync_interval_minutes = 'often'\n"))
    store = site_settings.load(site, tmp_path / "settings.json")
    assert any("sync_interval_minutes" in p and "line 1" in p for p in store.problems())


def test_command_line_options_the_site_overrides_are_named(tmp_path: Path) -> None:
    from app.main import overridden_options, parse_args

    site = site_config.load(write(tmp_path, 'server_url = "https://site.example.nhs.uk"\n'))
    notes = overridden_options(parse_args(["--server", "https://mine.example.nhs.uk", "--ca-file", "x.pem"]),
                               site)
    assert len(notes) == 1 and notes[0].startswith("--server is not used")
    assert "https://site.example.nhs.uk" in notes[0] and str(site.path) in notes[0]
    assert overridden_options(parse_args([]), site) == []


def test_support_bundle_arguments_before_or_after_the_command() -> None:
    from app.main import parse_args

    after = parse_args(["support-bundle", "--out", "b.zip", "--demo", "--data-dir", "d"])
    before = parse_args(["--demo", "--data-dir", "d", "support-bundle", "--out", "b.zip"])
    for args in (after, before):
        assert args.command == "support-bundle" and args.demo and str(args.data_dir) == "d"
        assert str(args.out) == "b.zip"
    assert parse_args([]).command is None


def test_windows_and_macos_machine_wide_folders(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(site_config.ENV_VAR, raising=False)
    monkeypatch.setattr(site_config.sys, "platform", "win32")
    monkeypatch.setenv("PROGRAMDATA", "C:/ProgramData")
    assert site_config.default_path() == Path("C:/ProgramData") / "CQRS Desktop" / "site.toml"
    monkeypatch.setattr(site_config.sys, "platform", "darwin")
    assert site_config.default_path() == Path("/Library/Application Support/CQRS Desktop/site.toml")
