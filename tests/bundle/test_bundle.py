"""The built one-folder bundle (``make test-bundle`` sets CQRS_BUNDLE to dist/cqrs-desktop): it starts,
reports its version, runs the demo from its own copy of the central service and saves screenshots that
are not blank, honours a site configuration, and is the payload the Windows installer script compiles
with. Skipped when no bundle is named, so ``make test`` does not build one."""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from PIL import Image, ImageStat

from app.version import app_version

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = Path(os.environ["CQRS_BUNDLE"]) if os.environ.get("CQRS_BUNDLE") else None
pytestmark = pytest.mark.skipif(BUNDLE is None, reason="no bundle named: run `make test-bundle`")
# Screens the demo must reach; each one's picture has to show something.
EXPECTED = ("dashboard", "manual-entry", "declarations", "offers", "timetable", "users", "settings", "help")


def executable() -> Path:
    assert BUNDLE is not None
    found = BUNDLE / ("cqrs-desktop.exe" if os.name == "nt" else "cqrs-desktop")
    assert found.is_file(), f"{found} is missing: `make bundle` did not finish"
    return found


def run(*args: str, home: Path, site: Path | None = None,
        timeout: int = 180) -> subprocess.CompletedProcess[str]:
    """The bundle as a person would start it, offscreen, with nothing of this machine's own set-up: no
    site file but ``site``, no keyring service, a home folder of its own."""
    return subprocess.run([str(executable()), *args], capture_output=True, text=True, timeout=timeout,
                          env=bare_env(home, site))


def bare_env(home: Path, site: Path | None = None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("PYTHON", "VIRTUAL_ENV", "DBUS_", "QT_", "KEYRING"))}
    env.update({"QT_QPA_PLATFORM": "offscreen", "LANG": "C.UTF-8", "HOME": str(home),
                "XDG_CONFIG_HOME": str(home / ".config"), "XDG_DATA_HOME": str(home / ".local" / "share"),
                "CQRS_SITE_CONFIG": str(site or home / "no-site.toml")})
    return env


def test_the_bundle_reports_the_version_of_the_source_it_was_built_from(tmp_path: Path) -> None:
    done = run("--version", home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"cqrs-desktop {app_version()}"


def test_the_demo_runs_from_the_bundle_and_its_screenshots_are_not_blank(tmp_path: Path) -> None:
    shots = tmp_path / "shots"
    done = run("--demo", "--data-dir", str(tmp_path / "data"), "--screenshot", str(shots), home=tmp_path)
    assert done.returncode == 0, done.stderr[-4000:]
    # A task that failed (e.g. a file the bundle lacks) still leaves pictures: its log says so.
    assert "Traceback" not in done.stderr and "Task failed" not in done.stderr, done.stderr[-4000:]
    saved = {path.stem: path for path in shots.glob("*.png")}
    assert set(EXPECTED) <= set(saved), f"missing screenshots: {sorted(set(EXPECTED) - set(saved))}"
    for name, path in sorted(saved.items()):
        with Image.open(path) as picture:
            smallest = (640, 480) if name in EXPECTED else (100, 100)  # the pages, or a dialog or panel
            assert picture.width >= smallest[0] and picture.height >= smallest[1], f"{name}: {picture.size}"
            grey = picture.convert("L")
            spread = ImageStat.Stat(grey).stddev[0]
            colours = grey.getcolors(maxcolors=256) or []
            assert spread > 8 and len(colours) > 16, f"{name}.png looks blank (spread {spread:.1f})"


@pytest.mark.skipif(any(shutil.which(tool) is None for tool in ("dbus-run-session", "gnome-keyring-daemon")),
                    reason="needs gnome-keyring and dbus (`make system-packages`)")
def test_the_bundle_keeps_the_sign_in_in_the_secret_service(tmp_path: Path) -> None:
    """keyring finds its backends by entry point: the bundle must carry them (and their metadata)."""
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    unlock = 'eval "$(printf pw | gnome-keyring-daemon --unlock --components=secrets)"; exec "$@"'
    done = subprocess.run(
        ["dbus-run-session", "--", "sh", "-c", unlock, "sh", str(executable()), "--demo", "--data-dir",
         str(tmp_path / "data"), "--screenshot", str(tmp_path / "shots")],
        capture_output=True, text=True, timeout=180, start_new_session=True,
        env={**bare_env(tmp_path), "XDG_RUNTIME_DIR": str(runtime)})
    assert done.returncode == 0, done.stderr[-4000:]
    assert "keyring" not in done.stderr.lower(), done.stderr[-4000:]


def test_the_bundle_reads_the_practice_site_configuration(tmp_path: Path) -> None:
    site = tmp_path / "site.toml"
    site.write_text("server_url = 'https://cqrs.practice-site.nhs.uk'\n\n[help_desk]\n"
                    "telephone = '01632 960123'\n", encoding="utf-8")
    out = tmp_path / "support.zip"
    done = run("support-bundle", "--out", str(out), "--data-dir", str(tmp_path / "data"), home=tmp_path,
               site=site, timeout=60)
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(out) as archive:
        text = "".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())
    assert "https://cqrs.practice-site.nhs.uk" in text


@pytest.mark.skipif(shutil.which("makensis") is None, reason="makensis (Debian's nsis package) is missing")
def test_the_windows_installer_script_compiles_with_the_bundle_as_payload(tmp_path: Path) -> None:
    assert BUNDLE is not None
    out = tmp_path / f"cqrs-desktop-{app_version()}-windows.exe"
    done = subprocess.run(
        ["makensis", "-V2", "-WX", "-DFAST", f"-DPAYLOAD={BUNDLE}", f"-DVERSION={app_version()}",
         f"-DOUTFILE={out}", str(ROOT / "installers" / "windows" / "cqrs-desktop.nsi")],
        capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    files = [path for path in BUNDLE.rglob("*") if path.is_file() and not path.is_symlink()]
    payload = sum(path.stat().st_size for path in files)
    size = out.stat().st_size
    out.unlink()  # hundreds of MB, uncompressed: not kept among pytest's temporary folders
    assert size > payload * 0.9, "the installer does not hold the whole bundle"
