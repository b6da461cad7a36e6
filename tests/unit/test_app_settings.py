"""app.settings: declared once, typed, validated, stored in an atomically written JSON file."""

import json
import threading
from pathlib import Path

import pytest

from app import paths, settings
from app.settings import SettingError


def test_defaults_without_a_file(app_data_dir: Path) -> None:
    store = settings.load()
    assert store.get(settings.SYNC_INTERVAL_MINUTES) == 15
    assert store.get(settings.SERVER_URL) == ""
    assert store.get(settings.CA_FILE) is None
    assert store.get(settings.TEXT_SCALE) == 1.0


def test_round_trip_through_the_file(app_data_dir: Path, tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    store = settings.load()
    store.set(settings.SERVER_URL, "https://cqrs.example.nhs.uk:8443/")
    store.set(settings.CA_FILE, str(ca))
    store.set(settings.SYNC_INTERVAL_MINUTES, 30)
    store.set(settings.LAST_PRACTICE_ODS, "A81001")
    store.set(settings.WINDOW_GEOMETRY, "AdnQywADAAA=")
    store.set("text_scale", 1.5)

    again = settings.load()
    assert again.get(settings.SERVER_URL) == "https://cqrs.example.nhs.uk:8443/"
    assert again.get(settings.CA_FILE) == str(ca)
    assert again.get(settings.SYNC_INTERVAL_MINUTES) == 30
    assert again.get("last_practice_ods") == "A81001"
    assert again.get(settings.WINDOW_GEOMETRY) == "AdnQywADAAA="
    assert again.get(settings.TEXT_SCALE) == 1.5
    assert json.loads(settings.paths.settings_path().read_text())["sync_interval_minutes"] == 30


def test_reset_and_optional_none(app_data_dir: Path) -> None:
    store = settings.load()
    store.set(settings.SYNC_INTERVAL_MINUTES, 5)
    store.reset(settings.SYNC_INTERVAL_MINUTES)
    store.set(settings.LAST_PRACTICE_ODS, None)
    store.set(settings.CA_FILE, "  ")  # a cleared text box
    again = settings.load()
    assert again.get(settings.CA_FILE) is None
    assert again.get(settings.SYNC_INTERVAL_MINUTES) == 15
    assert again.get(settings.LAST_PRACTICE_ODS) is None


@pytest.mark.parametrize(("setting", "value", "words"), [
    (settings.SYNC_INTERVAL_MINUTES, 0, "between"),
    (settings.SYNC_INTERVAL_MINUTES, True, "expected a whole number"),
    (settings.SYNC_INTERVAL_MINUTES, "15", "expected a whole number"),
    (settings.SERVER_URL, "http://cqrs.example", "https://"),
    (settings.CA_FILE, "/no/such/ca.pem", "no such file"),
    (settings.LAST_PRACTICE_ODS, "a81001!", "ODS"),
    (settings.TEXT_SCALE, 5, "one of"),
    (settings.TEXT_SCALE, 1.3, "one of"),
])
def test_validation_names_the_setting(app_data_dir: Path, setting: settings.Setting, value: object,
                                      words: str) -> None:
    store = settings.load()
    with pytest.raises(SettingError) as caught:
        store.set(setting, value)
    message = str(caught.value)
    assert setting.key in message and setting.label in message and words in message
    assert store.get(setting) == setting.default  # nothing stored


def test_unknown_setting_is_refused(app_data_dir: Path) -> None:
    with pytest.raises(SettingError, match="Unknown setting 'colour'"):
        settings.load().get("colour")


def test_bad_values_in_the_file_fall_back_to_defaults(app_data_dir: Path) -> None:
    path = settings.paths.settings_path()
    path.write_text(json.dumps({"sync_interval_minutes": -3, "text_scale": 1.25, "future_setting": 1}))
    store = settings.load()
    assert store.get(settings.SYNC_INTERVAL_MINUTES) == 15
    assert store.get(settings.TEXT_SCALE) == 1.25
    store.set(settings.SYNC_INTERVAL_MINUTES, 20)
    assert json.loads(path.read_text())["future_setting"] == 1  # kept for the version that wrote it


def test_corrupt_file_gives_defaults(app_data_dir: Path) -> None:
    settings.paths.settings_path().write_text("{not json")
    assert settings.load().get(settings.SYNC_INTERVAL_MINUTES) == 15


def test_write_is_atomic_and_leaves_no_temp_files(app_data_dir: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    store = settings.load()
    store.set(settings.SYNC_INTERVAL_MINUTES, 20)

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(paths.os, "replace", broken_replace)
    with pytest.raises(OSError):
        store.set(settings.SYNC_INTERVAL_MINUTES, 25)
    monkeypatch.undo()
    assert settings.load().get(settings.SYNC_INTERVAL_MINUTES) == 20  # the old file is whole
    assert [p.name for p in app_data_dir.iterdir() if p.suffix == ".tmp"] == []


def test_every_setting_has_a_label_and_a_valid_default() -> None:
    assert set(settings.SETTINGS) >= {"server_url", "ca_file", "sync_interval_minutes", "last_practice_ods",
                                      "window_geometry", "text_scale"}
    assert "require_second_person" not in settings.SETTINGS  # the practice's rule is held by the service
    for setting in settings.SETTINGS.values():
        assert setting.label
        assert setting.validate(setting.default) == setting.default


def test_declaring_twice_is_an_error() -> None:
    with pytest.raises(ValueError, match="twice"):
        settings.declare("server_url", str, "", "again")


def test_in_the_app_a_setting_is_written_in_the_background_in_order(app_data_dir: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    writers: list[str] = []
    replace = paths.os.replace

    def recording_replace(src: str, dst: str) -> None:
        writers.append(threading.current_thread().name)
        replace(src, dst)

    monkeypatch.setattr(paths.os, "replace", recording_replace)
    store = settings.load()
    store.write_in_background()
    for minutes in (20, 25, 30):
        store.set(settings.SYNC_INTERVAL_MINUTES, minutes)
    assert store.get(settings.SYNC_INTERVAL_MINUTES) == 30  # at once, before the file is written
    assert store.flush(5)
    assert writers and threading.current_thread().name not in writers
    assert json.loads(paths.settings_path().read_text())["sync_interval_minutes"] == 30  # the last wins
    assert settings.load().get(settings.SYNC_INTERVAL_MINUTES) == 30


def test_a_background_write_that_fails_is_logged_and_the_old_file_stays_whole(
        app_data_dir: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    store = settings.load()
    store.set(settings.SYNC_INTERVAL_MINUTES, 20)
    store.write_in_background()

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(paths.os, "replace", broken_replace)
    store.set(settings.SYNC_INTERVAL_MINUTES, 25)
    assert store.flush(5)
    monkeypatch.undo()
    assert "could not be written" in caplog.text
    assert settings.load().get(settings.SYNC_INTERVAL_MINUTES) == 20
    assert [p.name for p in app_data_dir.iterdir() if p.suffix == ".tmp"] == []


def test_bad_values_in_the_file_are_explained_in_plain_english(app_data_dir: Path) -> None:
    path = settings.paths.settings_path()
    path.write_text(json.dumps({"text_scale": 3, "sync_interval_minutes": True, "server_url": ""}))
    store = settings.load()
    problems = store.problems()
    assert len(problems) == 2
    interval, scale = sorted(problems, key=lambda problem: "Text size" in problem)
    assert "“Text size”" in scale and "3" in scale and "100% is used" in scale
    assert "“Sync every”" in interval and "15 minutes is used" in interval
    assert store.get(settings.TEXT_SCALE) == 1.0 and store.get(settings.SYNC_INTERVAL_MINUTES) == 15
    store.set(settings.TEXT_SCALE, 1.5)  # choosing a good value replaces the bad one
    assert [problem for problem in store.problems() if "Text size" in problem] == []


def test_an_unreadable_file_is_explained(app_data_dir: Path) -> None:
    settings.paths.settings_path().write_text("[1, 2]")
    assert "does not hold settings" in settings.load().problems()[0]
    settings.paths.settings_path().write_text("{not json")
    assert "could not be read" in settings.load().problems()[0]


def test_watchers_hear_each_change_once_and_can_stop(app_data_dir: Path) -> None:
    store = settings.load()
    heard: list[object] = []
    stop = store.watch(settings.SYNC_INTERVAL_MINUTES, heard.append)
    store.set(settings.SYNC_INTERVAL_MINUTES, 30)
    store.set(settings.SYNC_INTERVAL_MINUTES, 30)  # no change: nobody is told
    store.reset(settings.SYNC_INTERVAL_MINUTES)
    store.set(settings.TEXT_SCALE, 2.0)  # another setting
    stop()
    store.set(settings.SYNC_INTERVAL_MINUTES, 45)
    assert heard == [30, 15]


def test_values_are_described_as_the_settings_screen_shows_them() -> None:
    assert settings.TEXT_SCALE.describe(1.75) == "175%"
    assert settings.SYNC_INTERVAL_MINUTES.describe(15) == "15 minutes"
    shown = [s for s in settings.SETTINGS.values() if s.group]
    assert {s.key for s in shown} >= {"text_scale", "sync_interval_minutes"}
    for setting in shown:
        assert setting.group in settings.GROUPS and setting.help  # each has its heading and help line
