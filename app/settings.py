"""Every user setting, declared once with its type, default and label (in the style of Picard's options.py).

Values live in a small JSON file in the data folder (not QSettings), so the app and the tests behave the
same everywhere. Writes are atomic: a temporary file in the same folder, then ``os.replace``.

In the desktop app the shell calls ``write_in_background()``: from then on ``set`` changes the value at once
and the file is written by one background thread (in order, the last value wins), so the GUI thread
never waits on the disk. ``flush()`` waits for those writes (at quit; they also finish at interpreter exit).

    from app import settings
    store = settings.load()
    store.get(settings.SYNC_INTERVAL_MINUTES)   # -> int
    store.set(settings.SERVER_URL, "https://cqrs.example.nhs.uk")
    store.watch(settings.SYNC_INTERVAL_MINUTES, reschedule)  # applied at once when it changes

A setting declared with a ``group`` is shown on the Settings page (app.views.settings_page) with its
label, help line and allowed values: declaring it is all it takes. A value in the file that is not
allowed (a hand-edited file) is never used: ``problems()`` says so in plain English and the default
applies until a good value is chosen.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from app import paths

log = logging.getLogger(__name__)

T = TypeVar("T")
_KINDS = {int: "a whole number", float: "a number", str: "text", bool: "yes or no (true or false)"}


class SettingError(ValueError):
    """A value that a setting does not accept; the message names the setting."""


@dataclass(frozen=True)
class Setting(Generic[T]):
    key: str
    type: type
    default: T
    label: str
    optional: bool = False  # None is allowed (and means "not set")
    check: Callable[[Any], str | None] | None = None  # returns a problem in plain English, or None
    # What the settings screen is generated from: settings with a group are shown there, under it.
    group: str | None = None
    help: str = ""  # one line under the control, in plain English
    choices: tuple[tuple[Any, str], ...] = ()  # the allowed values with what the screen calls them
    minimum: float | None = None
    maximum: float | None = None
    unit: str = ""  # e.g. "minutes": shown after the value

    def validate(self, value: Any) -> T:
        """Return ``value`` converted to this setting's type, or raise SettingError."""
        problem = self.problem(value)
        if problem:
            raise self._error(problem)
        return None if value is None else self._convert(value)  # type: ignore[no-any-return]

    def problem(self, value: Any) -> str | None:
        """What is wrong with ``value`` for this setting, in plain English; None when it is allowed."""
        if value is None:
            return None if self.optional else "a value is required"
        try:
            value = self._convert(value)
        except TypeError as error:
            return str(error)
        if value is None:
            return None  # a cleared text box means "not set"
        if self.choices and value not in {choice for choice, _label in self.choices}:
            offered = ", ".join(label for _choice, label in self.choices)
            return f"must be one of {offered}, got {value!r}"
        if (self.minimum is not None and value < self.minimum) or (
                self.maximum is not None and value > self.maximum):
            return (f"must be between {self.describe(self.minimum)} and {self.describe(self.maximum)}, "
                    f"got {value!r}")
        return self.check(value) if self.check else None

    def describe(self, value: Any) -> str:
        """``value`` as the settings screen shows it, e.g. "150%" or "15 minutes"."""
        for choice, label in self.choices:
            if choice == value:
                return label
        if value is None:
            return "not set"
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return f"{value} {self.unit}" if self.unit else str(value)

    def _convert(self, value: Any) -> Any:
        # bool is a subclass of int: a stray True must not become an interval of 1 minute.
        if self.type is bool and isinstance(value, bool):
            return value
        if self.type is int and isinstance(value, int) and not isinstance(value, bool):
            return value
        if self.type is float and isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if self.type is str and isinstance(value, str):
            value = value.strip()
            return None if self.optional and value == "" else value
        raise TypeError(f"expected {_KINDS.get(self.type, self.type.__name__)}, got {value!r}")

    def _error(self, problem: str) -> SettingError:
        return SettingError(f"Setting '{self.label}' ({self.key}): {problem}")


@dataclass(frozen=True)
class Problem:
    """A value in the settings file that is not allowed (e.g. after hand-editing): the default is used."""

    setting: Setting[Any]
    value: Any

    @property
    def message(self) -> str:
        return (f"The settings file holds {self.value!r} for “{self.setting.label}”, which is not allowed "
                f"({self.setting.problem(self.value)}), so {self.setting.describe(self.setting.default)} "
                "is used. Choose a value in Settings to replace it.")


SETTINGS: dict[str, Setting[Any]] = {}


def declare(key: str, type_: type, default: Any, label: str, *, optional: bool = False,
            check: Callable[[Any], str | None] | None = None, group: str | None = None, help: str = "",
            choices: tuple[tuple[Any, str], ...] = (), minimum: float | None = None,
            maximum: float | None = None, unit: str = "") -> Setting[Any]:
    """Register a setting; declaring the same key twice is a programming error.

    A setting with a ``group`` appears on the settings screen under that heading, with ``label`` and
    ``help``, as a list of ``choices``, a number from ``minimum`` to ``maximum``, a tick box (bool) or
    a text box (str): declaring it is all it takes."""
    if key in SETTINGS:
        raise ValueError(f"setting {key!r} declared twice")
    setting = Setting(key, type_, default, label, optional, check, group, help, choices, minimum, maximum,
                      unit)
    if default is not None or not optional:
        setting.validate(default)  # a bad default should fail at import, not in front of a user
    SETTINGS[key] = setting
    return setting


def _https_url(value: str) -> str | None:
    if value == "":
        return None  # not configured yet
    if not re.fullmatch(r"https://[A-Za-z0-9.\-]+(:\d{1,5})?(/\S*)?", value):
        return f"must be an https:// address, got {value!r}"
    return None


def _existing_file(value: str) -> str | None:
    return None if Path(value).expanduser().is_file() else f"no such file: {value}"


def _ods_code(value: str) -> str | None:
    # ODS codes are 3-8 upper-case letters and digits, e.g. A81001 or Y02345.
    return None if re.fullmatch(r"[A-Z0-9]{3,8}", value) else f"not an ODS code: {value!r}"


# The settings screen's groups, in the order it shows them.
DISPLAY, SYNC, REMINDERS = "Display", "Sync", "Deadlines and reminders"
GROUPS = (DISPLAY, SYNC, REMINDERS)

SERVER_URL: Setting[str] = declare("server_url", str, "", "CQRS server address", check=_https_url)
CA_FILE: Setting[str | None] = declare(
    "ca_file", str, None, "Extra trusted certificate authority (PEM file)", optional=True,
    check=_existing_file)
SYNC_INTERVAL_MINUTES: Setting[int] = declare(
    "sync_interval_minutes", int, 15, "Sync every", group=SYNC, minimum=1, maximum=1440, unit="minutes",
    help="How often the app fetches new figures from CQRS and sends what is waiting. F5 syncs at any time.")
LAST_PRACTICE_ODS: Setting[str | None] = declare(
    "last_practice_ods", str, None, "Last practice opened", optional=True, check=_ods_code)
WINDOW_GEOMETRY: Setting[str | None] = declare(
    "window_geometry", str, None, "Window position and size", optional=True)
TEXT_SCALE: Setting[float] = declare(
    "text_scale", float, 1.0, "Text size", group=DISPLAY,
    choices=((1.0, "100%"), (1.25, "125%"), (1.5, "150%"), (1.75, "175%"), (2.0, "200%")),
    help="Makes all the text in the app larger, for example when sharing your screen with the help desk.")
SCREEN_SHARE_TEXT_SCALE: Setting[float] = declare(
    "screen_share_text_scale", float, 1.25, "Text size in screen-share mode", group=DISPLAY,
    choices=TEXT_SCALE.choices,
    help="The text size while screen-share mode is on (Ctrl+Shift+S); your own text size comes back after.")
REMINDERS_ON: Setting[bool] = declare(
    "reminders_on", bool, True, "Remind me of deadlines", group=REMINDERS,
    help="A desktop notification, at most once a day for each, when a deadline is close.")
REMINDER_DAYS: Setting[int] = declare(
    "reminder_days", int, 3, "Remind me this many days before", group=REMINDERS, minimum=1, maximum=30,
    unit="days", help="For the desktop reminders and the reminders in an exported calendar (.ics).")


def _lookup(setting: Setting[T] | str) -> Setting[T]:
    if isinstance(setting, Setting):
        return setting
    try:
        return SETTINGS[setting]
    except KeyError:
        raise SettingError(f"Unknown setting {setting!r}") from None


Watcher = Callable[[Any], None]


class Settings:
    """Typed access to the settings file. Unknown keys in it are kept, so older versions don't lose them."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._read_problem: str | None = None
        self._values: dict[str, Any] = self._read()
        self._writer: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._pending: set[Future[None]] = set()
        self._watchers: dict[str, list[Watcher]] = {}
        for problem in self.problems():
            log.warning("%s", problem)

    def write_in_background(self) -> None:
        """From now on, write the file on a background thread (the GUI thread does no file I/O)."""
        if self._writer is None:
            self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cqrs-settings")

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every background write is on disk; False if ``timeout`` seconds pass first."""
        with self._lock:
            pending = set(self._pending)
        return not wait(pending, timeout).not_done

    def locked(self, setting: Setting[Any] | str) -> bool:
        """Whether ``setting`` is fixed by the practice's site configuration (app.site_settings)."""
        return False

    def get(self, setting: Setting[T] | str) -> T:
        setting = _lookup(setting)
        if setting.key not in self._values or setting.problem(self._values[setting.key]):
            return setting.default  # a hand-edited or older file must not stop the app from starting
        return setting.validate(self._values[setting.key])

    def set(self, setting: Setting[T] | str, value: T) -> None:
        setting = _lookup(setting)
        before = self.get(setting)
        self._values[setting.key] = setting.validate(value)
        self._write()
        self._changed(setting, before)

    def reset(self, setting: Setting[Any] | str) -> None:
        """Go back to the declared default."""
        setting = _lookup(setting)
        before = self.get(setting)
        self._values.pop(setting.key, None)
        self._write()
        self._changed(setting, before)

    def watch(self, setting: Setting[Any] | str, callback: Watcher) -> Callable[[], None]:
        """Call ``callback(new value)`` whenever ``setting`` changes (on the thread that changed it, in the
        app the GUI thread), so a change applies at once. Returns a function that stops watching."""
        watchers = self._watchers.setdefault(_lookup(setting).key, [])
        watchers.append(callback)
        return lambda: watchers.remove(callback) if callback in watchers else None

    def problems(self) -> list[str]:
        """Plain-English messages about the file: unreadable, or holding values that are not allowed
        (for each, the default is used until a good value is chosen)."""
        found = [self._read_problem] if self._read_problem else []
        found += [Problem(setting, self._values[key]).message for key, setting in SETTINGS.items()
                  if key in self._values and setting.problem(self._values[key])]
        return found

    def as_dict(self) -> dict[str, Any]:
        """Every declared setting with its current value (for diagnostics)."""
        return {key: self.get(setting) for key, setting in SETTINGS.items()}

    def _changed(self, setting: Setting[Any], before: Any) -> None:
        after = self.get(setting)
        if after != before:
            for callback in list(self._watchers.get(setting.key, ())):
                callback(after)

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            self._read_problem = (f"The settings file could not be read ({error}), so the standard settings "
                                  "are used. Choosing a setting in Settings saves a new file.")
            return {}
        if not isinstance(data, dict):
            self._read_problem = ("The settings file does not hold settings, so the standard settings are "
                                  "used. Choosing a setting in Settings saves a new file.")
            return {}
        return data

    def _write(self) -> None:
        if self._writer is None:
            paths.write_private_json(self.path, self._values)
            return
        values = dict(self._values)  # what the file must hold, whatever changes after this call
        future = self._writer.submit(self._write_now, values)
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._written)

    def _write_now(self, values: dict[str, Any]) -> None:
        try:
            paths.write_private_json(self.path, values)
        except OSError as error:  # nobody is waiting to be told: say so in the log
            log.warning("Settings file %s could not be written (%s)", self.path, error)

    def _written(self, future: Future[None]) -> None:
        with self._lock:
            self._pending.discard(future)


def load(path: Path | None = None) -> Settings:
    """Open the settings file (by default the one in the data folder)."""
    return Settings(path if path is not None else paths.settings_path())
