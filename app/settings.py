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

    def validate(self, value: Any) -> T:
        """Return ``value`` converted to this setting's type, or raise SettingError."""
        if value is None:
            if self.optional:
                return None  # type: ignore[return-value]
            raise self._error("a value is required")
        value = self._convert(value)
        if self.optional and value == "":
            return None  # type: ignore[return-value]  # a cleared text box means "not set"
        problem = self.check(value) if self.check else None
        if problem:
            raise self._error(problem)
        return value

    def _convert(self, value: Any) -> Any:
        # bool is a subclass of int: a stray True must not become an interval of 1 minute.
        if self.type is bool and isinstance(value, bool):
            return value
        if self.type is int and isinstance(value, int) and not isinstance(value, bool):
            return value
        if self.type is float and isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if self.type is str and isinstance(value, str):
            return value.strip()
        raise self._error(f"expected {self.type.__name__}, got {type(value).__name__} {value!r}")

    def _error(self, problem: str) -> SettingError:
        return SettingError(f"Setting '{self.label}' ({self.key}): {problem}")


SETTINGS: dict[str, Setting[Any]] = {}


def declare(key: str, type_: type, default: Any, label: str, *, optional: bool = False,
            check: Callable[[Any], str | None] | None = None) -> Setting[Any]:
    """Register a setting; declaring the same key twice is a programming error."""
    if key in SETTINGS:
        raise ValueError(f"setting {key!r} declared twice")
    setting = Setting(key, type_, default, label, optional, check)
    if default is not None or not optional:
        setting.validate(default)  # a bad default should fail at import, not in front of a user
    SETTINGS[key] = setting
    return setting


def _between(low: float, high: float) -> Callable[[Any], str | None]:
    def check(value: float) -> str | None:
        return None if low <= value <= high else f"must be between {low} and {high}, got {value}"
    return check


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


SERVER_URL: Setting[str] = declare("server_url", str, "", "CQRS server address", check=_https_url)
CA_FILE: Setting[str | None] = declare(
    "ca_file", str, None, "Extra trusted certificate authority (PEM file)", optional=True,
    check=_existing_file)
SYNC_INTERVAL_MINUTES: Setting[int] = declare(
    "sync_interval_minutes", int, 15, "Sync every (minutes)", check=_between(1, 1440))
LAST_PRACTICE_ODS: Setting[str | None] = declare(
    "last_practice_ods", str, None, "Last practice opened", optional=True, check=_ods_code)
WINDOW_GEOMETRY: Setting[str | None] = declare(
    "window_geometry", str, None, "Window position and size", optional=True)
TEXT_SCALE: Setting[float] = declare("text_scale", float, 1.0, "Text size", check=_between(0.75, 2.0))


def _lookup(setting: Setting[T] | str) -> Setting[T]:
    if isinstance(setting, Setting):
        return setting
    try:
        return SETTINGS[setting]
    except KeyError:
        raise SettingError(f"Unknown setting {setting!r}") from None


class Settings:
    """Typed access to the settings file. Unknown keys in it are kept, so older versions don't lose them."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._values: dict[str, Any] = self._read()
        self._writer: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._pending: set[Future[None]] = set()

    def write_in_background(self) -> None:
        """From now on, write the file on a background thread (the GUI thread does no file I/O)."""
        if self._writer is None:
            self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cqrs-settings")

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every background write is on disk; False if ``timeout`` seconds pass first."""
        with self._lock:
            pending = set(self._pending)
        return not wait(pending, timeout).not_done

    def get(self, setting: Setting[T] | str) -> T:
        setting = _lookup(setting)
        if setting.key not in self._values:
            return setting.default
        try:
            return setting.validate(self._values[setting.key])
        except SettingError as error:
            # A hand-edited or older file must not stop the app from starting.
            log.warning("%s; using the default", error)
            return setting.default

    def set(self, setting: Setting[T] | str, value: T) -> None:
        setting = _lookup(setting)
        self._values[setting.key] = setting.validate(value)
        self._write()

    def reset(self, setting: Setting[Any] | str) -> None:
        """Go back to the declared default."""
        self._values.pop(_lookup(setting).key, None)
        self._write()

    def as_dict(self) -> dict[str, Any]:
        """Every declared setting with its current value (for diagnostics)."""
        return {key: self.get(setting) for key, setting in SETTINGS.items()}

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            log.warning("Settings file %s could not be read (%s); using defaults", self.path, error)
            return {}
        return data if isinstance(data, dict) else {}

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
