"""``cqrs-desktop support-bundle`` as a process: it works without anybody signed in, shows the signed-in
person's own address only while the keyring keeps their sign-in, and never another person's details."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

BIN = Path(sys.executable).parent / "cqrs-desktop"
SERVER = "https://cqrs.example.nhs.uk"
ME = "me.manager@nhs.net"
OTHER = "someone.else@nhs.net"
SECRET = "Plant3d-Passw0rd"


def run(*args: str, keyring: Path, site: Path | None = None) -> subprocess.CompletedProcess[str]:
    here = str(Path(__file__).parent)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHON_KEYRING_BACKEND": "file_keyring.FileKeyring",
           "CQRS_TEST_KEYRING": str(keyring),
           "PYTHONPATH": os.pathsep.join(filter(None, [here, os.environ.get("PYTHONPATH")])),
           "CQRS_SITE_CONFIG": str(site or keyring.parent / "no-site.toml")}
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, timeout=60, env=env)


def bundle_text(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return "".join(archive.read(name).decode("utf-8") for name in archive.namelist())


def plant(data: Path) -> None:
    """A profile for ME and a log naming ME, OTHER and a password (written as the app would)."""
    from app import paths
    from app.services.profile import Profile, save_profile

    paths.configure(data)
    try:
        save_profile(Profile(SERVER, ME, "Me", "Manager", ()))
        log = paths.log_file_path()
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(f"x INFO app: signed in as {ME}\nx INFO app: added {OTHER} password={SECRET}\n",
                       encoding="utf-8")
    finally:
        paths.configure(None)


def test_without_a_sign_in(tmp_path: Path) -> None:
    data, out = tmp_path / "data", tmp_path / "bundle.zip"
    plant(data)
    done = run("support-bundle", "--out", str(out), "--data-dir", str(data), keyring=tmp_path / "keys.json")
    assert done.returncode == 0, done.stderr
    assert str(out) in done.stdout
    text = bundle_text(out)
    assert "Signed in: nobody" in text and "App version" in text
    for value in (ME, OTHER, SECRET):
        assert value not in text


def test_signed_in_shows_only_their_own_address(tmp_path: Path) -> None:
    data, out, keys = tmp_path / "data", tmp_path / "b.zip", tmp_path / "keys.json"
    plant(data)
    os.environ["CQRS_TEST_KEYRING"] = str(keys)
    try:
        sys.path.insert(0, str(Path(__file__).parent))
        from file_keyring import FileKeyring

        from app.services.secrets import TokenStore

        assert TokenStore(FileKeyring()).save(SERVER, ME, "rt-planted-token-value")
    finally:
        sys.path.remove(str(Path(__file__).parent))
        del os.environ["CQRS_TEST_KEYRING"]
    done = run("--data-dir", str(data), "support-bundle", "--out", str(out), keyring=keys)
    assert done.returncode == 0, done.stderr
    text = bundle_text(out)
    assert f"Signed in as: {ME}" in text
    for value in (OTHER, SECRET, "rt-planted-token-value"):
        assert value not in text


def test_site_configuration_and_an_unwritable_place(tmp_path: Path) -> None:
    site = tmp_path / "site.toml"
    site.write_text('server_url = "https://site.example.nhs.uk"\nbad line\n', encoding="utf-8")
    out = tmp_path / "bundle.zip"
    done = run("support-bundle", "--out", str(out), "--data-dir", str(tmp_path / "d"),
               keyring=tmp_path / "k.json", site=site)
    assert done.returncode == 0, done.stderr
    assert f"{site} has a mistake at line 2" in bundle_text(out)
    blocked = tmp_path / "file"
    blocked.write_text("", encoding="utf-8")
    refused = run("support-bundle", "--out", str(blocked / "b.zip"), "--data-dir", str(tmp_path / "d"),
                  keyring=tmp_path / "k.json")
    assert refused.returncode == 1 and "could not be saved" in refused.stderr
