"""app.paths: one place for every file location; --data-dir override; private folders."""

import os
import stat
from pathlib import Path

import pytest

from app import paths


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_override_puts_every_file_under_the_data_dir(app_data_dir: Path) -> None:
    for location in (paths.cache_db_path(), paths.settings_path(), paths.log_file_path(),
                     paths.backups_dir(), paths.demo_server_dir(), paths.log_dir()):
        assert app_data_dir in location.parents
    assert paths.data_dir() == app_data_dir


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_folders_are_private(app_data_dir: Path) -> None:
    for folder in (app_data_dir, paths.log_dir(), paths.backups_dir(), paths.demo_server_dir()):
        assert folder.is_dir()
        assert mode(folder) == 0o700


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_private_file_is_0600_even_if_it_existed(app_data_dir: Path) -> None:
    target = app_data_dir / "x.db"
    target.write_text("")
    os.chmod(target, 0o644)
    paths.create_private_file(target)
    assert mode(target) == 0o600


def test_configure_none_goes_back_to_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    paths.configure(tmp_path / "custom")
    assert paths.data_dir() == (tmp_path / "custom").resolve()
    default = paths.configure(None)
    try:
        assert default == paths.default_data_dir()
        assert default.name == paths.APP_NAME
        assert default.is_dir()
    finally:
        paths.configure(None)
