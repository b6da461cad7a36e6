"""The site configuration: one machine-wide TOML file that the practice's installer writes (only
administrators can change it), read once at start-up. What it sets wins over this PC's user settings and
the command-line options, and the settings screen shows it as "set by your practice".

    # site.toml
    server_url = "https://cqrs.example.nhs.uk"
    ca_file = "/etc/ssl/practice-ca.pem"
    sync_interval_minutes = 30

    [help_desk]
    telephone = "0800 440 2777 (freephone)"
    email = "support@cqrs.co.uk"
    hours = "Monday to Friday, 08:00 to 18:00, excluding public holidays"

Where it is: ``$CQRS_SITE_CONFIG`` if set (tests, unusual deployments); on Linux the first
``cqrs-desktop/site.toml`` under ``$XDG_CONFIG_DIRS`` (default ``/etc/xdg``); on Windows
``%PROGRAMDATA%\\CQRS Desktop\\site.toml``; on macOS ``/Library/Application Support/CQRS Desktop/site.toml``.

A file that is not valid TOML is ignored whole (nothing half-applied) and reported with its name and
line; a value that is not allowed is ignored on its own, with its line, and the rest still applies.
No Qt here: the headless commands read it too.
"""

from __future__ import annotations

import os
import re
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app import settings

ENV_VAR = "CQRS_SITE_CONFIG"
FILE_NAME = "site.toml"
FOLDER = "cqrs-desktop"
WINDOWS_FOLDER = "CQRS Desktop"


@dataclass(frozen=True)
class HelpDesk:
    telephone: str = "0800 440 2777 (freephone)"
    email: str = "support@cqrs.co.uk"
    hours: str = "Monday to Friday, 08:00 to 18:00, excluding public holidays"


DEFAULT_HELP_DESK = HelpDesk()
# The site file's keys that set a user setting, and the setting each one sets.
SETTING_KEYS: dict[str, settings.Setting[Any]] = {
    "server_url": settings.SERVER_URL,
    "ca_file": settings.CA_FILE,
    "sync_interval_minutes": settings.SYNC_INTERVAL_MINUTES,
}
HELP_DESK_KEYS = ("telephone", "email", "hours")


@dataclass(frozen=True)
class SiteConfig:
    path: Path | None  # the file read; None when there is none on this PC
    values: dict[str, Any] = field(default_factory=dict)  # setting key -> value, only allowed values
    help_desk: HelpDesk = DEFAULT_HELP_DESK
    problems: tuple[str, ...] = ()  # plain-English messages, each naming the file and line

    @property
    def help_desk_from_site(self) -> bool:
        return self.help_desk != DEFAULT_HELP_DESK


def default_path() -> Path | None:
    """Where this OS keeps the machine-wide file (it may not exist); None when nowhere is known."""
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR])
    if sys.platform == "win32":
        base = os.environ.get("PROGRAMDATA")
        return Path(base) / WINDOWS_FOLDER / FILE_NAME if base else None
    if sys.platform == "darwin":
        return Path("/Library/Application Support") / WINDOWS_FOLDER / FILE_NAME
    folders = [f for f in os.environ.get("XDG_CONFIG_DIRS", "").split(":") if f] or ["/etc/xdg"]
    candidates = [Path(folder) / FOLDER / FILE_NAME for folder in folders]
    return next((c for c in candidates if c.is_file()), candidates[0])


def load(path: Path | None = None) -> SiteConfig:
    """Read the site file (by default :func:`default_path`); no file means an empty configuration."""
    path = path if path is not None else default_path()
    if path is None:
        return SiteConfig(None)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return SiteConfig(None)
    except (OSError, UnicodeDecodeError) as error:
        return SiteConfig(path, problems=(
            f"Your practice's settings file {path} could not be read ({error}), so it is ignored and this "
            "PC's own settings are used. Ask your IT support to check it.",))
    return parse(text, path)


def parse(text: str, path: Path) -> SiteConfig:
    """The configuration in ``text`` (read from ``path``, named in any problem)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        where = re.search(r"line (\d+)", str(error))
        line = f"line {where.group(1)}" if where else "somewhere"
        reason = re.sub(r"\s*\(at .*\)$", "", str(error))
        return SiteConfig(path, problems=(
            f"Your practice's settings file {path} has a mistake at {line} ({reason}), so none of it is "
            "used and this PC's own settings apply. Ask your IT support to correct it.",))
    problems: list[str] = []

    def refuse(key: str, why: str) -> None:
        problems.append(f"Your practice's settings file {path}, {_line_of(text, key)}: “{key}” {why}, so "
                        "it is ignored and this PC's own setting applies. Ask your IT support to correct it.")

    values: dict[str, Any] = {}
    for key, value in data.items():
        if key == "help_desk":
            continue
        setting = SETTING_KEYS.get(key)
        if setting is None:
            refuse(key, f"is not a setting this version knows (it knows {', '.join(SETTING_KEYS)}, "
                        "help_desk)")
            continue
        if isinstance(value, str) and setting is settings.CA_FILE:
            value = str(Path(value).expanduser())
        problem = setting.problem(value)
        if problem or value is None:
            refuse(key, problem or "is empty")
            continue
        values[setting.key] = setting.validate(value)
    desk: dict[str, str] = {}
    table = data.get("help_desk", {})
    if not isinstance(table, Mapping):
        refuse("help_desk", "must be a section ([help_desk])")
        table = {}
    for key, value in table.items():
        if key not in HELP_DESK_KEYS:
            refuse(key, f"is not a help desk detail (they are {', '.join(HELP_DESK_KEYS)})")
        elif not isinstance(value, str) or not value.strip():
            refuse(key, "must be some text in quotes")
        else:
            desk[key] = value.strip()
    return SiteConfig(path, values, HelpDesk(**{**DEFAULT_HELP_DESK.__dict__, **desk}), tuple(problems))


def _line_of(text: str, key: str) -> str:
    for number, line in enumerate(text.splitlines(), start=1):
        if re.match(rf"\s*(\[\s*)?{re.escape(key)}\s*(=|\])", line):
            return f"line {number}"
    return "unknown line"


_current: SiteConfig | None = None


def use(site: SiteConfig) -> None:
    """Make ``site`` the configuration :func:`current` returns (start-up, after reading it once)."""
    global _current
    _current = site


def current() -> SiteConfig:
    """The configuration read at start-up; read now if start-up has not (tools, tests)."""
    global _current
    if _current is None:
        _current = load()
    return _current
