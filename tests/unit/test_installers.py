"""The installers' parts that can be checked without building a bundle: where resources are found from
source and from a frozen layout, the icon sizes made from the SVG master, the Linux .desktop file, and the
site configuration the Windows installer writes (read back by the app's own parser)."""

from __future__ import annotations

import configparser
import importlib.util
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from PIL import Image

from app import main as app_main
from app import resources
from app.services import site_config

ROOT = Path(__file__).resolve().parents[2]
INSTALLERS = ROOT / "installers"
NSI = INSTALLERS / "windows" / "cqrs-desktop.nsi"


def load_make_icons():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("make_icons", INSTALLERS / "make_icons.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_from_source_resources_are_the_checkouts() -> None:
    assert resources.root() == ROOT / "resources"
    for name in ("rules", "help", "styles", "icons", "demo"):
        assert resources.path(name).is_dir(), name
    assert resources.path("styles", "app.qss").is_file()


def test_in_a_bundle_resources_are_in_the_unpacked_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    guide = tmp_path / "_internal" / "resources" / "help" / "guide.md"
    guide.parent.mkdir(parents=True)
    guide.write_text("# Using CQRS Desktop\n", encoding="utf-8")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path / "_internal"), raising=False)
    assert resources.bundle_dir() == tmp_path / "_internal"
    assert resources.path("help", "guide.md") == guide
    assert resources.path("help", "guide.md").read_text(encoding="utf-8").startswith("# Using")


def test_a_freezer_without_meipass_keeps_resources_beside_the_executable(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.delattr(sys, "_MEIPASS", raising=False)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "cqrs-desktop"))
    assert resources.root() == tmp_path.resolve() / "resources"


def test_no_module_finds_resources_from_its_own_location() -> None:
    """Paths built from ``__file__`` break in the bundle's layout: every resource goes through the helper."""
    found = []
    for folder in ("app", "central"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if "__file__" in line and re.search(r"""["']resources["']""", line):
                    found.append(f"{path.relative_to(ROOT)}:{number}")
    assert found == []


def test_icons_are_made_at_every_size_from_the_svg(tmp_path: Path) -> None:
    make_icons = load_make_icons()
    # As `make icons` runs it: a process of its own (it starts a QGuiApplication).
    done = subprocess.run([sys.executable, str(INSTALLERS / "make_icons.py"), "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.split()) == len(make_icons.PNG_SIZES) + 1
    for size in make_icons.PNG_SIZES:
        with Image.open(tmp_path / make_icons.png_name(size)) as image:
            assert image.size == (size, size)
            rgba = image.convert("RGBA")
            assert rgba.getpixel((0, 0))[3] == 0, "the corners are transparent (rounded tile)"
            assert rgba.getpixel((size // 2, size // 2))[3] == 255, "the middle is drawn"
            assert len(rgba.getcolors(maxcolors=size * size)) > 8, "more than a flat colour"
    with Image.open(tmp_path / "cqrs-desktop.ico") as ico:
        assert {(s, s) for s in make_icons.ICO_SIZES} <= set(ico.info["sizes"])


def test_the_shipped_icons_are_there_at_the_sizes_the_window_uses() -> None:
    make_icons = load_make_icons()
    assert tuple(app_main.ICON_SIZES) == tuple(make_icons.PNG_SIZES)
    for size in app_main.ICON_SIZES:
        with Image.open(resources.path("icons", make_icons.png_name(size))) as image:
            assert image.size == (size, size)
    assert resources.path("icons", "cqrs-desktop.ico").is_file()


def test_the_window_icon_has_every_size(qapp) -> None:  # type: ignore[no-untyped-def]
    icon = app_main.application_icon()
    assert not icon.isNull()
    assert {size.width() for size in icon.availableSizes()} == set(app_main.ICON_SIZES)


def test_the_desktop_file_starts_the_app_with_its_icon() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]
    entry.read(INSTALLERS / "linux" / "cqrs-desktop.desktop", encoding="utf-8")
    desktop = entry["Desktop Entry"]
    assert desktop["Type"] == "Application"
    assert desktop["Name"] == "CQRS Desktop"
    assert desktop["Exec"].split()[0] == "cqrs-desktop"
    assert desktop["Icon"] == app_main.DESKTOP_FILE == desktop["StartupWMClass"]
    assert desktop["Terminal"] == "false"
    assert desktop["Categories"].endswith(";")


def site_toml_the_installer_writes(values: dict[str, str]) -> str:
    """The text WriteSiteConfig writes when every option is given: its FileWrite lines with the values in."""
    script = NSI.read_text(encoding="utf-8")
    body = script[script.index("Function WriteSiteConfig"):]
    body = body[:body.index("FunctionEnd")]
    text = ""
    for written in re.findall(r'^\s*FileWrite \$0 "(.*)"\s*$', body, flags=re.MULTILINE):
        for name, value in values.items():
            written = written.replace(f"${name}", value)
        text += written.replace("$\\r$\\n", "\r\n")
    assert "$" not in text, f"an installer variable was left in: {text!r}"
    return text


def test_the_site_file_the_windows_installer_writes_is_read_by_the_app(tmp_path: Path) -> None:
    ca = tmp_path / "practice-ca.pem"  # the app checks the file is there
    ca.write_text("-----BEGIN CERTIFICATE-----\n", encoding="utf-8")
    text = site_toml_the_installer_writes({
        "Server": "https://cqrs.example.nhs.uk", "CaFile": str(ca), "SyncInterval": "30",
        "DeskPhone": "01632 960000", "DeskEmail": "it.support@practice.nhs.uk",
        "DeskHours": "Monday to Friday, 8am to 6pm"})
    path = tmp_path / "site.toml"
    path.write_bytes(text.encode("utf-8"))
    site = site_config.load(path)
    assert site.problems == ()
    assert site.values["server_url"] == "https://cqrs.example.nhs.uk"
    assert Path(site.values["ca_file"]) == ca
    assert site.values["sync_interval_minutes"] == 30
    assert site.help_desk == site_config.HelpDesk("01632 960000", "it.support@practice.nhs.uk",
                                                  "Monday to Friday, 8am to 6pm")


def test_windows_paths_keep_their_backslashes_in_the_site_file() -> None:
    ca = r"C:\ProgramData\CQRS Desktop\practice-ca.pem"
    text = site_toml_the_installer_writes({"Server": "s", "CaFile": ca, "SyncInterval": "5", "DeskPhone": "p",
                                           "DeskEmail": "e", "DeskHours": "h"})
    assert tomllib.loads(text)["ca_file"] == ca  # TOML literal strings: no escapes


def test_the_site_folder_is_writable_only_by_administrators() -> None:
    script = NSI.read_text(encoding="utf-8")
    (icacls,) = re.findall(r"nsExec::ExecToLog 'icacls (.*)'", script)
    assert "/inheritance:r" in icacls
    grants = dict(re.findall(r"\$\{(SID_\w+)\}:\(OI\)\(CI\)(\w+)", icacls))
    assert grants == {"SID_ADMINS": "F", "SID_SYSTEM": "F", "SID_USERS": "RX"}
    assert '!define SID_USERS "*S-1-5-32-545"' in script and '!define SID_ADMINS "*S-1-5-32-544"' in script


@pytest.mark.skipif(shutil.which("makensis") is None, reason="makensis (Debian's nsis package) is missing")
def test_the_windows_installer_script_compiles(tmp_path: Path) -> None:
    payload = tmp_path / "payload"
    (payload / "_internal").mkdir(parents=True)
    (payload / "cqrs-desktop.exe").write_bytes(b"MZ")
    out = tmp_path / "cqrs-desktop-0.0.0-windows.exe"
    done = subprocess.run(["makensis", "-V2", "-WX", "-DFAST", f"-DPAYLOAD={payload}", "-DVERSION=0.0.0",
                           f"-DOUTFILE={out}", str(NSI)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert out.read_bytes()[:2] == b"MZ"
